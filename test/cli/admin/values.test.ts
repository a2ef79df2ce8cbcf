// The C library behaviour ipvsadm's value parsers rest on: strtol, inet_aton,
// and popt's scanning, checked against what glibc and popt do.
import { describe, expect, it } from 'vitest';
import { OPTION_TABLE } from '../../../src/cli/admin/options.js';
import { Popt } from '../../../src/cli/admin/popt.js';
import { inetAton, parseSchedFlags, stringToNumber } from '../../../src/cli/admin/values.js';
import { formatIPv4 } from '../../../src/model/index.js';

describe('stringToNumber (string_to_number: strtol base 10, whole string, in range)', () => {
  it.each([
    ['80', 80], [' 80', 80], ['+80', 80], ['0', 0], ['65535', 65535], ['00080', 80],
    ['', null], ['80 ', null], ['0x50', null], ['8o', null], ['65536', null], ['-1', null], ['99999999999999999999', null],
  ])('%j -> %j', (s, n) => {
    expect(stringToNumber(s, 0, 65535)).toBe(n);
  });
});

describe('inetAton (glibc inet_aton)', () => {
  it.each([
    ['198.18.0.10', '198.18.0.10'],
    ['198.18.10', '198.18.0.10'], // the last part fills the remaining 16 bits
    ['198.1179658', '198.18.0.10'],
    ['3323068426', '198.18.0.10'],
    ['0xc612000a', '198.18.0.10'],
    ['0306.022.0.012', '198.18.0.10'], // octal parts
    ['198.18.0.10 trailing', '198.18.0.10'], // white space ends the address
    ['255.255.255.255', '255.255.255.255'],
  ])('%s is %s', (s, addr) => {
    expect(formatIPv4(inetAton(s)!)).toBe(addr);
  });

  it.each(['198.18.0.256', '198.18.0.10.1', '198.18.65536', '08.1.1.1', '0x', '4294967296', '1.2.3.', '.1', 'host', '', '1.2.3.4x'])(
    'refuses %j',
    (s) => {
      expect(inetAton(s)).toBeNull();
    },
  );
});

describe('parseSchedFlags', () => {
  it('drops empty fields and repeats, keeps the order given', () => {
    expect(parseSchedFlags('sh', ',sh-port,,flag-1,sh-port,')).toEqual(['sh-port', 'flag-1']);
  });
});

describe('Popt (poptGetNextOpt)', () => {
  it('keeps leftovers in order, wherever they stand, and names the element read last', () => {
    const p = new Popt(['a', '-Ln', 'b', '--', '-c'], OPTION_TABLE);
    expect(p.getNextOpt()).toEqual({ val: 'L', arg: null });
    expect(p.getNextOpt()).toEqual({ val: 'n', arg: null });
    expect(p.badOption()).toBe('-Ln');
    expect(p.getNextOpt()).toBe('end');
    expect([p.getArg(), p.getArg(), p.getArg(), p.getArg()]).toEqual(['a', 'b', '-c', null]);
  });

  it('gives -p no value before an option, or "-", or at the end; any other next element is its value', () => {
    const values = (argv: string[]) => {
      const p = new Popt(argv, OPTION_TABLE);
      const got: (string | null)[] = [];
      for (let r = p.getNextOpt(); r !== 'end' && !('error' in r); r = p.getNextOpt()) if (r.val === 'p') got.push(r.arg);
      return got;
    };
    expect(values(['-p', '-s', 'rr', '-p', '-', '-p'])).toEqual([null, null, null]);
    expect(values(['-p', 'x', '--persistent=', '-p9'])).toEqual(['x', '', '9']);
  });
});
