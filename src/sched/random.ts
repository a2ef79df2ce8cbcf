// Random numbers for twos: an injectable source of uniform u32s (the kernel's
// get_random_u32), a deterministic default, and get_random_u32_below() on top.

/** xorshift32 (Marsaglia); fast and reproducible, not for secrets. Seed must not be 0. */
export function xorshift32(seed = 0x9e3779b9): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/**
 * __get_random_u32_below(ceil) of drivers/char/random.c (Lemire's method):
 *   mult = (u64)ceil * rand;
 *   if ((u32)mult < ceil) { bound = -ceil % ceil; while ((u32)mult < bound) mult = (u64)ceil * get_random_u32(); }
 *   return mult >> 32;
 * i.e. floor(rand * ceil / 2^32), redrawing the few values that would bias it.
 * ceil == 0 returns the raw draw, as the kernel does.
 */
export function randomBelow(random: () => number, ceil: number): number {
  const c = ceil >>> 0;
  let r = random() >>> 0;
  if (c === 0) return r;
  let hi = mulHi(c, r);
  let lo = mulLo;
  if (lo < c) {
    const bound = (0x100000000 - c) % c; // "-ceil % ceil" in u32 = 2^32 mod ceil
    while (lo < bound) {
      r = random() >>> 0;
      hi = mulHi(c, r);
      lo = mulLo;
    }
  }
  return hi;
}

let mulLo = 0;

/** High 32 bits of the 64-bit product a * b (a, b < 2^32); the low 32 bits land in mulLo. */
function mulHi(a: number, b: number): number {
  const x = a * (b >>> 16); // < 2^48, exact
  const y = a * (b & 0xffff); // < 2^48, exact
  const xl = x % 0x10000;
  const t = xl * 0x10000 + y; // < 2^53, exact
  mulLo = t % 0x100000000;
  return (x - xl) / 0x10000 + Math.floor(t / 0x100000000);
}
