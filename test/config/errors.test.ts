// One small bad file per error code (test/fixtures/config/bad/CODE.cf); each file
// names the error it must give on its first line: `# expect CODE line N`.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileLvsCf, ConfigError, ConfigErrors, parseLvsCf } from '../../src/config/index.js';
import { errorsOf, fixture, FIXTURES } from './helpers.js';

const BAD = readdirSync(`${FIXTURES}/bad`).filter((f) => f.endsWith('.cf')).sort();

describe('error codes, one bad file each', () => {
  it('has a file for every Piranha code and every tsvs code', () => {
    const have = BAD.map((f) => f.replace(/\.cf$/, ''));
    for (const code of ['BADQUOTING', 'EOF', 'EXTRAARGS', 'EQUALEXPECTED', 'MISSINGARGS', 'BADHOSTNAME', 'BADARGUMENT', 'INTEXPECTED', 'BOOLEXPECTED',
      'BADCOMMAND', 'LISTEXPECTED', 'TOOMANYARGS', 'ONLYONESERVICE', 'BADNETMASK', 'EMPTY', 'DUPLICATE', 'RANGE', 'MISSINGKEY', 'CONFLICT']) {
      expect(have).toContain(code);
    }
  });

  for (const name of BAD) {
    it(name, () => {
      const text = fixture(`bad/${name}`);
      const code = name.replace(/\.cf$/, '');
      const want = /^# expect (\S+) line (\d+)/.exec(text);
      const e = errorsOf(() => compileLvsCf(parseLvsCf(text, `bad/${name}`)));
      expect(e.errors).toHaveLength(1);
      const [err] = e.errors;
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.code).toBe(code);
      expect(err.file).toBe(`bad/${name}`);
      if (want) {
        expect(want[1]).toBe(code);
        expect(err.line).toBe(Number(want[2]));
      } else {
        expect(code).toBe('EMPTY'); // a zero-length file cannot carry the comment
        expect(err.line).toBe(0);
      }
      expect(String(err)).toBe(`bad/${name}:${err.line}: ${code}: ${err.message}`);
    });
  }
});

describe('ConfigError text', () => {
  it('reads file:line: CODE: message', () => {
    const e = errorsOf(() => parseLvsCf(fixture('bad/BADNETMASK.cf'), 'lvs.cf'));
    expect(String(e.errors[0])).toBe('lvs.cf:5: BADNETMASK: pmask "255.0.255.0" is not a contiguous netmask');
  });

  it('ConfigErrors sorts by line and joins them in its message', () => {
    const all = new ConfigErrors([new ConfigError('RANGE', 'a.cf', 9, 'x'), new ConfigError('EOF', 'a.cf', 2, 'y')]);
    expect(all.errors.map((x) => x.line)).toEqual([2, 9]);
    expect(all.message).toBe('a.cf:2: EOF: y\na.cf:9: RANGE: x');
    expect(all).toBeInstanceOf(Error);
  });
});
