// The tuple hash: sign-insensitive inputs, and an even spread of realistic tuples.
import { describe, expect, it } from 'vitest';
import { hashTuple } from '../../src/conn/index.js';
import { ip } from './helpers.js';

describe('hashTuple', () => {
  it('gives the same int32 for signed and unsigned addresses, and depends on every field', () => {
    const a = ip('200.1.2.3'), b = ip('192.168.1.1');
    const h = hashTuple(1, 6, a, 1000, b, 80);
    expect(h).toBe(hashTuple(1, 6, a | 0, 1000, b | 0, 80));
    expect(h | 0).toBe(h);
    const variants = [
      hashTuple(2, 6, a, 1000, b, 80), hashTuple(1, 17, a, 1000, b, 80), hashTuple(1, 6, a + 1, 1000, b, 80),
      hashTuple(1, 6, a, 1001, b, 80), hashTuple(1, 6, a, 1000, b + 1, 80), hashTuple(1, 6, a, 1000, b, 81),
      hashTuple(1, 6, b, 80, a, 1000), // the reverse direction is a different key
    ];
    for (const v of variants) expect(v).not.toBe(h);
  });

  it('spreads sequential client ports and addresses evenly over the buckets', () => {
    const buckets = 1 << 16;
    const counts = new Uint32Array(buckets);
    const n = 1 << 18; // 4 per bucket on average
    for (let i = 0; i < n; i++) {
      const h = hashTuple(0x1234, 6, ip('10.0.0.0') + (i >>> 12), 1024 + (i & 4095), ip('192.168.0.10'), 80);
      counts[h & (buckets - 1)]++;
    }
    let chi = 0;
    let max = 0;
    for (const c of counts) {
      chi += (c - 4) ** 2 / 4;
      max = Math.max(max, c);
    }
    // chi-square with 65535 degrees of freedom: mean 65535, sd ~362; a poor mix is far off
    expect(chi).toBeGreaterThan(65535 - 6 * 362);
    expect(chi).toBeLessThan(65535 + 6 * 362);
    expect(max).toBeLessThan(20);
  });
});
