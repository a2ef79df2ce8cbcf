// The connection hash: MurmurHash3's 32-bit block and finaliser steps over the
// packet's (proto, saddr, sport, daddr, dport), with Math.imul so that every step
// stays in int32. IPVS hashes with jhash and a random ip_vs_conn_rnd so that clients
// cannot aim their tuples at one bucket; the table's seed plays that part.

function round(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * 32-bit hash of a one-way tuple: "a:ap -> b:bp" over protocol proto. Addresses may
 * be given signed or unsigned (Math.imul reads them as int32 either way); ports are
 * 0..65535. Returns an int32 (a small integer to V8, never a heap number); callers
 * mask it.
 */
export function hashTuple(seed: number, proto: number, a: number, ap: number, b: number, bp: number): number {
  let h = round(seed ^ proto, a);
  h = round(h, b);
  h = round(h, (ap << 16) | bp);
  h ^= 12; // length in bytes, as murmur3 folds it in
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
