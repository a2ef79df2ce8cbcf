// The kernel's hash functions as they act on host-order numbers. IPVS hashes
// ntohl(addr) and ntohs(port), i.e. the numeric values tsvs already holds, so
// the arithmetic below is the kernel's, on 32-bit unsigned wrap-around.

/** GOLDEN_RATIO_32 of include/linux/hash.h (since 4.7). */
export const GOLDEN_RATIO_32 = 0x61c88647;
/** The older multiplier ("2654435761UL") sh/dh/lblc/lblcr used before hash_32(). */
export const LEGACY_MULT = 2654435761;

/** hash_32(val, bits): "__hash_32(val) >> (32 - bits)", __hash_32 = val * GOLDEN_RATIO_32. */
export function hash32(val: number, bits: number): number {
  return Math.imul(val | 0, GOLDEN_RATIO_32) >>> (32 - bits);
}

/** Pre-hash_32 kernels: "(val * 2654435761UL) & mask"; only the low bits survive the mask. */
export function legacyHash(val: number, bits: number): number {
  return (Math.imul(val | 0, LEGACY_MULT | 0) >>> 0) & ((1 << bits) - 1);
}

// SipHash constants, "somepseudorandomlygeneratedbytes" (include/linux/siphash.h),
// as hi/lo 32-bit halves.
const C0H = 0x736f6d65, C0L = 0x70736575;
const C1H = 0x646f7261, C1L = 0x6e646f6d;
const C2H = 0x6c796765, C2L = 0x6e657261;
const C3H = 0x74656462, C3L = 0x79746573;
/** High half of b = (u64)len << 56 for len 4; the low half is the input word. */
const B_HI = 0x04000000;

/**
 * hsiphash(&v, 4, key) of a 64-bit kernel, with key = {k, k} (ip_vs_mh.c's
 * generate_hash_secret sets both words to the same constant). lib/siphash.c:
 * "on 64-bit, we make HalfSipHash1-3 actually be SipHash1-3": PREAMBLE(4),
 * b = (4 << 56) | le32(v), then HPOSTAMBLE (v3 ^= b; one round; v0 ^= b;
 * v2 ^= 0xff; three rounds; return low 32 bits of v0^v1^v2^v3). v is read as
 * a little-endian u32, which on x86-64 is its numeric value. 64-bit words are
 * kept as hi/lo halves so no BigInt is needed.
 */
export function hsiphash32(v: number, k: number): number {
  // PREAMBLE: v0..v3 ^= key words (key[1] = key[0] = k, high halves 0); then v3 ^= b.
  let v0h = C0H, v0l = (C0L ^ k) | 0;
  let v1h = C1H, v1l = (C1L ^ k) | 0;
  let v2h = C2H, v2l = (C2L ^ k) | 0;
  let v3h = C3H ^ B_HI, v3l = (C3L ^ k ^ v) | 0;
  // A 64-bit add is lo = al + bl, hi = ah + bh + carry, with the carry out of
  // the low words taken from their top bits: ((a & b) | ((a | b) & ~lo)) >>> 31.
  let lo = 0, t = 0;
  for (let round = 0; round < 4; round++) {
    // SIPHASH_PERMUTATION(v0, v1, v2, v3)
    // v0 += v1; v1 = rol64(v1, 13); v1 ^= v0; v0 = rol64(v0, 32);
    lo = (v0l + v1l) | 0;
    v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~lo)) >>> 31)) | 0;
    v0l = lo;
    t = (v1h << 13) | (v1l >>> 19);
    v1l = (v1l << 13) | (v1h >>> 19);
    v1h = t ^ v0h;
    v1l ^= v0l;
    t = v0h; v0h = v0l; v0l = t;
    // v2 += v3; v3 = rol64(v3, 16); v3 ^= v2;
    lo = (v2l + v3l) | 0;
    v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~lo)) >>> 31)) | 0;
    v2l = lo;
    t = (v3h << 16) | (v3l >>> 16);
    v3l = (v3l << 16) | (v3h >>> 16);
    v3h = t ^ v2h;
    v3l ^= v2l;
    // v0 += v3; v3 = rol64(v3, 21); v3 ^= v0;
    lo = (v0l + v3l) | 0;
    v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~lo)) >>> 31)) | 0;
    v0l = lo;
    t = (v3h << 21) | (v3l >>> 11);
    v3l = (v3l << 21) | (v3h >>> 11);
    v3h = t ^ v0h;
    v3l ^= v0l;
    // v2 += v1; v1 = rol64(v1, 17); v1 ^= v2; v2 = rol64(v2, 32);
    lo = (v2l + v1l) | 0;
    v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~lo)) >>> 31)) | 0;
    v2l = lo;
    t = (v1h << 17) | (v1l >>> 15);
    v1l = (v1l << 17) | (v1h >>> 15);
    v1h = t ^ v2h;
    v1l ^= v2l;
    t = v2h; v2h = v2l; v2l = t;
    if (round === 0) {
      // HPOSTAMBLE after its first round: "v0 ^= b; v2 ^= 0xff;"
      v0h ^= B_HI;
      v0l ^= v;
      v2l ^= 0xff;
    }
  }
  return (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
}
