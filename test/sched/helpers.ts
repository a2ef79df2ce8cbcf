// A DestView built from plain arrays: dest ids 1..n, list order as given
// (index 0 of the arrays is the list head). Every dest is AVAILABLE, as the
// engine marks the dests of a service's list.
import { DEST_AVAILABLE, DEST_OVERLOAD, type DestView, type Scheduler } from '../../src/sched/types.js';

export interface MutableDests extends DestView {
  readonly weight: Int32Array;
  readonly flags: Uint8Array;
  readonly active: Uint32Array;
  readonly inactive: Uint32Array;
  readonly addr: Uint32Array;
  readonly port: Uint16Array;
}

export interface DestSpec {
  w: number;
  active?: number;
  inactive?: number;
  overloaded?: boolean;
  addr?: number;
  port?: number;
}

/** Dests 1..specs.length in list order, with room for `capacity` ids. */
export function makeDests(specs: Array<DestSpec | number>, capacity = specs.length + 8): { dests: MutableDests; ids: Uint32Array } {
  const dests: MutableDests = {
    weight: new Int32Array(capacity),
    flags: new Uint8Array(capacity),
    active: new Uint32Array(capacity),
    inactive: new Uint32Array(capacity),
    addr: new Uint32Array(capacity),
    port: new Uint16Array(capacity),
  };
  const ids = new Uint32Array(specs.length);
  specs.forEach((s, i) => {
    const spec = typeof s === 'number' ? { w: s } : s;
    const d = i + 1;
    ids[i] = d;
    setDest(dests, d, spec);
  });
  return { dests, ids };
}

export function setDest(dests: MutableDests, d: number, spec: DestSpec): void {
  dests.weight[d] = spec.w;
  dests.flags[d] = DEST_AVAILABLE | (spec.overloaded ? DEST_OVERLOAD : 0);
  dests.active[d] = spec.active ?? 0;
  dests.inactive[d] = spec.inactive ?? 0;
  dests.addr[d] = spec.addr ?? (0x0a000000 + d) >>> 0;
  dests.port[d] = spec.port ?? 80;
}

export function setOverload(dests: MutableDests, d: number, on: boolean): void {
  if (on) dests.flags[d] |= DEST_OVERLOAD;
  else dests.flags[d] &= ~DEST_OVERLOAD;
}

/** n decisions with the same packet fields; returns the chosen ids. */
export function run(s: Scheduler, dests: DestView, n: number, saddr = 0, daddr = 0, now = 0): number[] {
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(s.schedule(dests, saddr, 1024, daddr, 80, now));
  return out;
}

/** Letters for dest ids 1.. (A = 1), to write expected sequences readably. */
export function names(seq: number[]): string {
  return seq.map((d) => (d === 0 ? '-' : String.fromCharCode(64 + d))).join('');
}

/** Deterministic PRNG for test data (not the scheduler's). */
export function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x;
  };
}
