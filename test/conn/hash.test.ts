// The hashes: sign-insensitive inputs, every field counted, and an even spread of
// realistic tuples and client endpoints.
import { describe, expect, it } from 'vitest';
import { hashEndpoint, hashTuple } from '../../src/conn/index.js';
import { ip } from './helpers.js';

/** 2^18 keys into 2^16 buckets (4 each on average), as a chi-square test. */
function expectEvenSpread(hash: (i: number) => number): void {
  const buckets = 1 << 16;
  const counts = new Uint32Array(buckets);
  for (let i = 0; i < 1 << 18; i++) counts[hash(i) & (buckets - 1)]++;
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
}

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
    expectEvenSpread((i) => hashTuple(0x1234, 6, ip('10.0.0.0') + (i >>> 12), 1024 + (i & 4095), ip('192.168.0.10'), 80));
  });
});

describe('hashEndpoint', () => {
  it('gives the same int32 for signed and unsigned addresses, and depends on every field', () => {
    const a = ip('200.1.2.3');
    const h = hashEndpoint(1, 6, a, 1000);
    expect(h).toBe(hashEndpoint(1, 6, a | 0, 1000));
    expect(h | 0).toBe(h);
    const variants = [hashEndpoint(2, 6, a, 1000), hashEndpoint(1, 17, a, 1000), hashEndpoint(1, 6, a + 1, 1000), hashEndpoint(1, 6, a, 1001)];
    for (const v of variants) expect(v).not.toBe(h);
  });

  it('spreads sequential client ports and addresses evenly over the buckets', () => {
    expectEvenSpread((i) => hashEndpoint(0x1234, 6, ip('10.0.0.0') + (i >>> 12), 1024 + (i & 4095)));
  });
});
