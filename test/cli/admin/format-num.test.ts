// print_largenum() and the -c expiry, against ipvsadm.c's printf formats:
//   exact:  "%*llu" at width 9, or length + 1 past 8 digits
//   < 1e8 "%9llu"; < 1e9 "%8lluK" (n/1e3); < 1e11 "%8lluM" (n/1e6); < 1e14 "%8lluG" (n/1e9); else "%8lluT" (n/1e12)
import { describe, expect, it } from 'vitest';
import { largeNum, mmss, plain8 } from '../../../src/cli/admin/format-num.js';

describe('largeNum (print_largenum)', () => {
  it.each([
    [0, '        0'],
    [99_999_999, ' 99999999'],
    [100_000_000, '  100000K'],
    [999_999_999, '  999999K'],
    [1_000_000_000, '    1000M'],
    [99_999_999_999, '   99999M'],
    [100_000_000_000, '     100G'],
    [99_999_999_999_999, '   99999G'],
    [100_000_000_000_000, '     100T'],
    [123_456_789_012_345, '     123T'],
  ])('%d -> %j', (n, text) => {
    expect(largeNum(n, false)).toBe(text);
  });

  it.each([
    [0, '        0'],
    [99_999_999, ' 99999999'],
    [100_000_000, ' 100000000'],
    [123_456_789_012_345, ' 123456789012345'],
  ])('--exact %d -> %j', (n, text) => {
    expect(largeNum(n, true)).toBe(text);
  });

  it('prints a real server rate with " %8llu", wider rather than abbreviated', () => {
    expect(plain8(5)).toBe('        5');
    expect(plain8(1_234_567_890)).toBe(' 1234567890');
  });
});

describe('mmss (print_conn: "%02d:%02d")', () => {
  it.each([
    [0, '00:00'], [59, '00:59'], [60, '01:00'], [899, '14:59'], [6000, '100:00'],
  ])('%d s -> %s', (s, text) => {
    expect(mmss(s)).toBe(text);
  });
});
