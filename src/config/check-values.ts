// Value types that only check blocks use (keepalived's checker options): HTTP
// status ranges, an MD5 digest, hex bytes (UDP_CHECK payload), hex bytes with
// XX wildcards (require_reply) and a regular expression. Each fails with the code
// its sibling kinds in values.ts use: a malformed word is BADARGUMENT, a number
// out of its range is RANGE.
import type { ConfigErrorCode } from './errors.js';
import type { KeyKind, KeySpec, Parsed, StatusRanges } from './values.js';

export const CHECK_KINDS: ReadonlySet<KeyKind> = new Set<KeyKind>(['status', 'digest', 'hex', 'hexpattern', 'regex']);

/** `status = 200-299,301` (keepalived status_code); default 200-299. */
export const statusRanges = (): KeySpec<StatusRanges> => ({ kind: 'status', def: [[200, 299]] });
/** `digest = 32 hex digits`: MD5 of the body (keepalived genhash), kept in lower case. */
export const digest = (): KeySpec<string | null> => ({ kind: 'digest', def: null });
/** `payload = 0102ff`: bytes written as hex, two digits each. */
export const hexBytes = (): KeySpec<string | null> => ({ kind: 'hex', def: null });
/**
 * `require_reply = 0102XX04`: hex bytes where XX matches any byte (keepalived masks
 * nibbles too; the monitor's ReplyPattern holds whole bytes, so 0X is refused).
 * `require_reply = ""`: any reply.
 */
export const hexPattern = (): KeySpec<string | null> => ({ kind: 'hexpattern', def: null });
/** A JavaScript regular expression (the monitor's engine), checked when read. */
export const regex = (): KeySpec<string | null> => ({ kind: 'regex', def: null, quote: true });

const fail = (code: ConfigErrorCode, message: string): Parsed => ({ code, message });

export function parseCheckValue(key: string, kind: KeyKind, args: readonly string[]): Parsed {
  if (args.length === 0) return fail('MISSINGARGS', `${key} needs a value`);
  if (args.length > 1) return fail('EXTRAARGS', `${key} takes one value; unexpected "${args[1]}" (quote a value that has blanks)`);
  const a = args[0];
  switch (kind) {
    case 'status':
      return parseStatus(key, a);
    case 'digest':
      return /^[0-9a-fA-F]{32}$/.test(a) ? { value: a.toLowerCase() } : fail('BADARGUMENT', `${key} "${a}" is not an MD5 digest (32 hex digits)`);
    case 'hex':
      return /^([0-9a-fA-F]{2})+$/.test(a) ? { value: a.toLowerCase() } : fail('BADARGUMENT', `${key} "${a}" is not hex bytes (two hex digits per byte, e.g. 0102ff)`);
    case 'hexpattern':
      // keepalived's bare `require_reply`: some reply must come, whatever it holds.
      if (a === '') return { value: '' };
      if (/^([0-9a-fA-F]{2}|[xX]{2})+$/.test(a)) return { value: a.toLowerCase().replace(/x/g, 'X') };
      return fail('BADARGUMENT', `${key} "${a}" is not hex bytes with XX wildcards (e.g. 0102XX04; a wildcard stands for a whole byte)`);
    case 'regex':
      try {
        new RegExp(a);
        return { value: a };
      } catch (e) {
        return fail('BADARGUMENT', `${key} "${a}" is not a valid regular expression (${(e as Error).message})`);
      }
    default:
      throw new Error(`not a check value kind: ${kind}`);
  }
}

function parseStatus(key: string, text: string): Parsed {
  const out: Array<readonly [number, number]> = [];
  for (const part of text.split(',')) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(part);
    if (!m) return fail('BADARGUMENT', `${key}: "${part}" is not a status code or a range such as 200-299`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo < 100 || hi > 599) return fail('RANGE', `${key}: ${part} is outside the HTTP status codes 100..599`);
    if (lo > hi) return fail('RANGE', `${key}: the range ${part} ends before it starts`);
    out.push([lo, hi]);
  }
  return { value: out };
}

export function formatStatusRanges(r: StatusRanges): string {
  return r.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',');
}

/** `0102ff` -> bytes. */
export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** `0102XX04` -> [1, 2, null, 4] (null: any byte); '' -> [] (any reply). */
export function hexToPattern(hex: string): Array<number | null> {
  const out: Array<number | null> = [];
  for (let i = 0; i < hex.length; i += 2) {
    const pair = hex.slice(i, i + 2);
    out.push(pair === 'XX' ? null : parseInt(pair, 16));
  }
  return out;
}
