// The connection hashes: MurmurHash3's 32-bit block and finaliser steps, with
// Math.imul so that every step stays in int32. Connections are keyed by their client
// endpoint (hashEndpoint), templates by their whole tuple (hashTuple). IPVS hashes
// with jhash and a random ip_vs_conn_rnd so that clients cannot aim their tuples at
// one bucket; the table's seed plays that part.

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

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
  return fmix(h ^ 12); // 12: the length in bytes, as murmur3 folds it in
}

/**
 * 32-bit hash of one endpoint, addr:port over protocol proto (ip_vs_conn_hashkey: a
 * conn is hashed by its client's address and port, which both directions carry).
 * Same conventions as hashTuple.
 */
export function hashEndpoint(seed: number, proto: number, addr: number, port: number): number {
  const h = round(round(seed ^ proto, addr), port);
  return fmix(h ^ 8);
}
