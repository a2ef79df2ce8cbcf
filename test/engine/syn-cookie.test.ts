// SYN cookies (the SYN proxy's first piece): a cookie made for a SYN checks out for
// that connection's ACK for two minute-counts, and not for a forged or stale one.
import { describe, expect, it } from 'vitest';
import { MSS_TABLE, mssIndex, SynCookies } from '../../src/engine/syn-cookie.js';
import { parseIPv4 } from '../../src/model/index.js';

const ip = (s: string) => parseIPv4(s)!;
const C = ip('198.18.0.100'), V = ip('198.18.0.10');
const ISN = 0xfffffff0; // wraps when the cookie adds to it
const T = 10 * 60_000 + 5_000; // 10 min 5 s

describe('SynCookies', () => {
  const sc = new SynCookies(0x1234567, 0x7654321);

  it('a valid ACK is accepted and gives back the MSS index, within the same minute and the next two', () => {
    for (const idx of [0, 1, 2, 3]) {
      const cookie = sc.make(C, 40000, V, 80, ISN, T, idx);
      for (const later of [0, 50_000, 60_000, 2 * 60_000 + 54_000]) expect(sc.check(C, 40000, V, 80, ISN, cookie, T + later)).toBe(idx);
    }
  });

  it('a stale cookie (three minute-counts on) is refused', () => {
    const cookie = sc.make(C, 40000, V, 80, ISN, T, 3);
    expect(sc.check(C, 40000, V, 80, ISN, cookie, T + 3 * 60_000)).toBe(-1);
  });

  it('a cookie of another tuple, another ISN or another secret is refused', () => {
    const cookie = sc.make(C, 40000, V, 80, ISN, T, 3);
    expect(sc.check(C, 40001, V, 80, ISN, cookie, T)).toBe(-1);
    expect(sc.check(C + 1, 40000, V, 80, ISN, cookie, T)).toBe(-1);
    // The ISN enters additively, as in Linux: a nearby one only shifts the MSS bits, a far one fails.
    expect(sc.check(C, 40000, V, 80, ISN + 1, cookie, T)).toBe(2);
    expect(sc.check(C, 40000, V, 80, ISN + 0x1000, cookie, T)).toBe(-1);
    expect(new SynCookies(0x1234568, 0x7654321).check(C, 40000, V, 80, ISN, cookie, T)).toBe(-1);
  });

  it('forged ACKs (guessed acks) are refused: none of 100,000 seeded guesses passes', () => {
    let x = 12345, passed = 0;
    for (let k = 0; k < 100_000; k++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      if (sc.check(C, 1024 + (k & 0x7fff), V, 80, k, x, T) >= 0) passed++;
    }
    expect(passed).toBe(0);
  });

  it('carries the largest MSS of the table not above the client\'s, 536 for less or none', () => {
    expect([0, 536, 1299, 1300, 1459, 1460, 9000].map((m) => MSS_TABLE[mssIndex(m)])).toEqual([536, 536, 536, 1300, 1440, 1460, 1460]);
  });
});
