// Test helpers: a seeded PRNG, hex conversion, and an independent reference model
// of the Internet checksum (word by word, end-around carry at every step, the
// way RFC 1071 section 1 describes it) to check the optimised code against.

/** mulberry32: small, fast, seeded; good enough to drive property tests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randInt(rnd: () => number, n: number): number {
  return Math.floor(rnd() * n);
}

/** Random u32, biased towards edge values that provoke carries. */
export function randU32(rnd: () => number): number {
  const r = rnd();
  if (r < 0.05) return 0;
  if (r < 0.1) return 0xffffffff;
  if (r < 0.15) return 0xffff0000;
  return randInt(rnd, 0x100000000);
}

export function randU16(rnd: () => number): number {
  const r = rnd();
  if (r < 0.05) return 0;
  if (r < 0.1) return 0xffff;
  return randInt(rnd, 0x10000);
}

export function randBytes(rnd: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = randInt(rnd, 256);
  return b;
}

/** "45 00 00 73" (spaces, newlines and ':' ignored) -> bytes. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0) throw new Error('odd hex length');
  const b = new Uint8Array(clean.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return b;
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Reference ones'-complement sum: add each word, wrap the carry at once. */
export function refSum(bytes: ArrayLike<number>, off = 0, len = bytes.length - off): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) {
    const w = (bytes[off + i] << 8) | (i + 1 < len ? bytes[off + i + 1] : 0);
    s += w;
    if (s > 0xffff) s -= 0xffff;
  }
  return s;
}

export function refChecksum(bytes: ArrayLike<number>, off = 0, len = bytes.length - off): number {
  return ~refSum(bytes, off, len) & 0xffff;
}

/** Checksum of bytes [off, off+len) with the 16-bit field at fieldOff taken as zero. */
export function refChecksumZeroed(buf: Uint8Array, off: number, len: number, fieldOff: number): number {
  const copy = buf.slice(off, off + len);
  copy[fieldOff - off] = 0;
  copy[fieldOff - off + 1] = 0;
  return refChecksum(copy);
}

/** Reference TCP/UDP checksum: the pseudo-header bytes laid out, then the segment. */
export function refL4Checksum(
  buf: Uint8Array, l4: number, len: number, src: number, dst: number, proto: number, fieldOff: number,
): number {
  const all = new Uint8Array(12 + len);
  const v = new DataView(all.buffer);
  v.setUint32(0, src);
  v.setUint32(4, dst);
  all[9] = proto;
  v.setUint16(10, len);
  all.set(buf.subarray(l4, l4 + len), 12);
  all[12 + fieldOff - l4] = 0;
  all[12 + fieldOff - l4 + 1] = 0;
  return refChecksum(all);
}

export function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}
