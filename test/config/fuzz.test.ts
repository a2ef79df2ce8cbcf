// The config fuzzer (issue 15): seeded random mutations of every lvs.cf fixture
// through the parser and the compiler, as `tsvs check` and a reload run them.
// Each outcome is a table or ConfigErrors whose every message is one
// `file:line: CODE: message` line of printable text; nothing else may be
// thrown. A sample also goes through the built `tsvs check`: exit 0 or 1, no
// stack trace, every line of its report in that form.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileLvsCf, ConfigErrors, parseLvsCf } from '../../src/config/index.js';
import { prng } from '../packet/helpers.js';

const DIR = resolve('test/fixtures/config');
const FIXTURES = [
  ...readdirSync(DIR).filter((f) => f.endsWith('.cf')).map((f) => join(DIR, f)),
  ...readdirSync(join(DIR, 'bad')).filter((f) => f.endsWith('.cf')).map((f) => join(DIR, 'bad', f)),
];
const MUTATIONS = 300;
const TOKENS = ['{', '}', '=', '"', '#', '\\', '[', ']', 'virtual', 'server', 'check', 'failover', 'address', 'port', '-1', '99999999999', '0x10', '1e9',
  'nat', 'direct', 'tunnel', '255.255.255.255', '0.0.0.0', 'eth0:1', '\u0000', '\u001b[31m', '\t', '\r', '\ufeff', 'ü', '/dev/zero', '%h', '${x}'];

type Rnd = () => number;
const int = (r: Rnd, n: number): number => Math.floor(r() * n);

function mutate(r: Rnd, text: string): string {
  const lines = text.split('\n');
  const at = int(r, lines.length);
  switch (int(r, 7)) {
    case 0: lines.splice(at, 1); break;
    case 1: lines.splice(at, 0, lines[int(r, lines.length)]); break;
    case 2: { const b = int(r, lines.length); [lines[at], lines[b]] = [lines[b], lines[at]]; break; }
    case 3: { const l = lines[at]; const p = int(r, l.length + 1); lines[at] = l.slice(0, p) + TOKENS[int(r, TOKENS.length)] + l.slice(p); break; }
    case 4: { const l = lines[at]; const p = int(r, l.length + 1); lines[at] = l.slice(0, p) + l.slice(p + 1 + int(r, 8)); break; }
    case 5: lines[at] = lines[at].replace(/\d+/, () => String([0, -1, 65536, 4294967296, 1e21][int(r, 5)])); break;
    default: lines.splice(at, 0, Array.from({ length: 1 + int(r, 20) }, () => String.fromCharCode(int(r, 256))).join('')); break;
  }
  return lines.join('\n');
}

const LINE = /^[^\n]+:\d+: [A-Z_]+: [^\n]*$/;

/** What the parser and compiler make of a text: 'ok', or the error lines; anything else thrown is re-thrown. */
function check(text: string, file: string): 'ok' | string[] {
  try {
    compileLvsCf(parseLvsCf(text, file));
    return 'ok';
  } catch (e) {
    if (!(e instanceof ConfigErrors)) throw new Error(`${file}: not a ConfigErrors: ${(e as Error).stack}`);
    return e.errors.map((x) => x.toString());
  }
}

describe('config fuzzer', () => {
  it(`${MUTATIONS} mutations of each of ${FIXTURES.length} fixtures: a table or file:line: CODE: message errors, printable, nothing else thrown`, () => {
    const r = prng(0xcf);
    let refused = 0, accepted = 0;
    for (const path of FIXTURES) {
      const text = readFileSync(path, 'utf8');
      for (let k = 0; k < MUTATIONS; k++) {
        let t = mutate(r, text);
        if (r() < 0.3) t = mutate(r, t);
        const out = check(t, 'fuzz.cf');
        if (out === 'ok') {
          accepted++;
          continue;
        }
        refused++;
        expect(out.length).toBeGreaterThan(0);
        for (const line of out) {
          expect(line, line).toMatch(LINE);
          // No raw control bytes reach a terminal (escaped as \xNN).
          expect(/[\u0000-\u0008\u000b-\u001f\u007f]/.test(line), JSON.stringify(line)).toBe(false);
        }
      }
    }
    // Both outcomes happen: the mutations are neither all harmless nor all fatal.
    expect(refused).toBeGreaterThan(FIXTURES.length * MUTATIONS * 0.3);
    expect(accepted).toBeGreaterThan(FIXTURES.length * 10);
  });

  it('tsvs check on mutated files: exit 0 or 1, no stack trace, each report line file:line: CODE: message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsvs-cf-fuzz-'));
    const r = prng(0xc0ffee);
    try {
      for (let k = 0; k < 12; k++) {
        const file = join(dir, `m${k}.cf`);
        writeFileSync(file, mutate(r, mutate(r, readFileSync(FIXTURES[k % FIXTURES.length], 'utf8'))));
        const res = spawnSync(process.execPath, [resolve('dist/src/cli/main.js'), 'check', '-c', file], { encoding: 'utf8', timeout: 20_000 });
        expect([0, 1], res.stderr).toContain(res.status);
        expect(res.stderr).not.toMatch(/\n\s+at /);
        if (res.status === 1) for (const line of res.stderr.trim().split('\n')) expect(line).toMatch(/^\S+:\d+: [A-Z_]+: |^tsvs check: /);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
