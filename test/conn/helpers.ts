// Shared fixtures for the conn tests: dotted-quad addresses, a small table, a seeded PRNG.
import { ConnTable, Dests, Timeouts } from '../../src/conn/index.js';

export const TCP = 6;
export const UDP = 17;

/** '10.0.0.1' -> 0x0a000001 (unsigned). */
export function ip(text: string): number {
  const [a, b, c, d] = text.split('.').map(Number);
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

export interface Fixture {
  t: ConnTable;
  dests: Dests;
  timeouts: Timeouts;
}

export function fixture(capacity = 64, extra: { tickMs?: number; expireBudget?: number; wheelSize?: number } = {}): Fixture {
  const dests = new Dests(16);
  const timeouts = new Timeouts();
  const t = new ConnTable({ capacity, dests, timeouts, seed: 12345, ...extra });
  return { t, dests, timeouts };
}

/** mulberry32: a small seeded PRNG, so that property tests replay exactly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const T0 = 1_700_000_000_000; // a Date.now()-sized clock, to exercise u32 tick wrap
