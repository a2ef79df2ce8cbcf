// nanny's `expect` test of a reply (LVS-REFERENCE 1.5): "*" accepts any byte;
// a plain string must open the reply, compared as strncmp(reply, expect,
// strlen(expect)) compares; with use_regex the string is a regular expression
// tested against what arrived (nanny reads "up to buffer" for it). A reply
// arrives in pieces, so the test also says when it needs more bytes.
import { quoted } from './attempt.js';

/** The most nanny reads for a regex (and what a send_program's output is tested on). */
export const REGEX_READ_MAX = 4096;

export type Judgement = { verdict: 'match' } | { verdict: 'more' } | { verdict: 'mismatch'; detail: string };

export interface Expectation {
  /** Judges the bytes so far; `ended`: nothing more will come (peer closed, datagram, program exited). */
  judge(got: Uint8Array, ended: boolean): Judgement;
}

/** Compiles an expect string once per attempt; throws a one-line error for a bad regex. */
export function expectation(expect: string, useRegex: boolean): Expectation {
  if (expect === '*') return anyByte;
  if (useRegex) return regex(expect);
  return prefix(Buffer.from(expect, 'utf8'));
}

const anyByte: Expectation = {
  judge: (got, ended) => (got.length > 0 ? MATCH : ended ? nothing() : MORE),
};

const MATCH: Judgement = { verdict: 'match' };
const MORE: Judgement = { verdict: 'more' };
const nothing = (): Judgement => ({ verdict: 'mismatch', detail: 'expect mismatch: no reply' });

/** The detail shows the bytes compared: the first strlen(expect) of the reply. */
const mismatch = (compared: Uint8Array): Judgement => ({ verdict: 'mismatch', detail: `expect mismatch: got ${quoted(compared)}` });

function prefix(want: Buffer): Expectation {
  return {
    judge(got, ended) {
      if (got.length === 0) return ended ? nothing() : MORE;
      const n = Math.min(got.length, want.length);
      // strncmp stops at the first difference: a wrong early byte needs no more reading.
      if (!want.subarray(0, n).equals(got.subarray(0, n))) return mismatch(got.subarray(0, want.length));
      if (n === want.length) return MATCH;
      return ended ? mismatch(got) : MORE;
    },
  };
}

function regex(source: string): Expectation {
  let re: RegExp;
  try {
    re = new RegExp(source);
  } catch (e) {
    throw new Error(`bad expect regex: ${(e as Error).message}`);
  }
  return {
    judge(got, ended) {
      // One character per byte (latin1), as regexec sees bytes in the C locale.
      const text = Buffer.from(got.buffer, got.byteOffset, Math.min(got.length, REGEX_READ_MAX)).toString('latin1');
      if (re.test(text)) return MATCH;
      if (!ended && got.length < REGEX_READ_MAX) return MORE;
      return got.length === 0 ? nothing() : { verdict: 'mismatch', detail: `expect regex did not match: got ${quoted(got)}` };
    },
  };
}
