// The kernel hashes, checked against an independent BigInt model of SipHash
// (itself checked against the SipHash paper's test vector) and against values
// worked out by hand.
import { describe, expect, it } from 'vitest';
import { hash32, hsiphash32, legacyHash } from '../../src/sched/hash.js';

const M64 = (1n << 64n) - 1n;
const rol = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & M64;

/** Textbook SipHash-c-d over bytes (Aumasson & Bernstein), 64-bit result. */
function siphashRef(c: number, d: number, k0: bigint, k1: bigint, msg: Uint8Array): bigint {
  let v0 = 0x736f6d6570736575n ^ k0;
  let v1 = 0x646f72616e646f6dn ^ k1;
  let v2 = 0x6c7967656e657261n ^ k0;
  let v3 = 0x7465646279746573n ^ k1;
  const round = (): void => {
    v0 = (v0 + v1) & M64; v1 = rol(v1, 13n); v1 ^= v0; v0 = rol(v0, 32n);
    v2 = (v2 + v3) & M64; v3 = rol(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & M64; v3 = rol(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & M64; v1 = rol(v1, 17n); v1 ^= v2; v2 = rol(v2, 32n);
  };
  const full = msg.length - (msg.length % 8);
  for (let i = 0; i < full; i += 8) {
    let m = 0n;
    for (let j = 7; j >= 0; j--) m = (m << 8n) | BigInt(msg[i + j]);
    v3 ^= m;
    for (let r = 0; r < c; r++) round();
    v0 ^= m;
  }
  let b = BigInt(msg.length & 0xff) << 56n;
  for (let j = msg.length - 1; j >= full; j--) b |= BigInt(msg[j]) << BigInt(8 * (j - full));
  v3 ^= b;
  for (let r = 0; r < c; r++) round();
  v0 ^= b;
  v2 ^= 0xffn;
  for (let r = 0; r < d; r++) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

const le32 = (v: number): Uint8Array => new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]);

describe('SipHash reference model', () => {
  it('reproduces the SipHash-2-4 vector of the paper (key 00..0f, message 00..0e)', () => {
    const k0 = 0x0706050403020100n, k1 = 0x0f0e0d0c0b0a0908n;
    const msg = Uint8Array.from({ length: 15 }, (_, i) => i);
    expect(siphashRef(2, 4, k0, k1, msg)).toBe(0xa129ca6149be45e5n);
  });
});

describe('hsiphash32 (64-bit kernel hsiphash = SipHash-1-3, low 32 bits)', () => {
  it('matches the reference model for the mh keys over many inputs', () => {
    for (const k of [2654435761, 2654446892]) {
      let x = 1;
      for (let i = 0; i < 2000; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        const v = i < 8 ? [0, 1, 0xffffffff, 0x80000000, 0x0a000001, 80, 0xc0a80101, 0x7fffffff][i] : x;
        const want = Number(siphashRef(1, 3, BigInt(k), BigInt(k), le32(v)) & 0xffffffffn);
        expect(hsiphash32(v, k)).toBe(want);
      }
    }
  });
});

describe('hash_32 and the legacy multiplicative hash', () => {
  it('hash_32(1, 8) is the top byte of GOLDEN_RATIO_32 (0x61c88647 >> 24 = 0x61)', () => {
    expect(hash32(1, 8)).toBe(0x61);
    expect(hash32(0, 8)).toBe(0);
    // 2 * 0x61c88647 = 0xc3910c8e -> 0xc3; 10 bits: 0xc3910c8e >> 22 = 0x30e
    expect(hash32(2, 8)).toBe(0xc3);
    expect(hash32(2, 10)).toBe(0x30e);
  });
  it('legacy: (x * 2654435761) & 255, e.g. x = 1 -> 0xb1, x = 2 -> 0x62', () => {
    expect(legacyHash(1, 8)).toBe(0xb1); // 2654435761 = 0x9e3779b1
    expect(legacyHash(2, 8)).toBe(0x62); // 0x3c6ef362
    // low 10 bits of a product = low 10 bits of the low-10-bit factors: 1 * 0x1b1 = 433
    expect(legacyHash(0x0a000001, 10)).toBe(433);
  });
});
