// Shared by lc, wlc, sed, nq, fo, ovf (and the WLC pick of lblc/lblcr): the dest list,
// a dest-id -> list-position map, and the tournament index, which replaces the
// kernel's scan from INDEX_MIN dests on. Below that the scan is as fast and
// needs no changed() calls; both give the same dest (see least-index.ts).
import { LeastIndex } from './least-index.js';
import type { DestView, Scheduler } from './types.js';

/**
 * List length from which the index is used. Measured with a connection bound
 * and one released per decision: the scan wins up to about 16 dests, the
 * index from about 24.
 */
export const INDEX_MIN = 24;

/** Dest id -> list position (-1 = not in the list), grown to fit the ids. */
export class Positions {
  private pos = new Int32Array(0);

  set(oldIds: Uint32Array, ids: Uint32Array): void {
    let max = 0;
    for (let i = 0; i < ids.length; i++) if (ids[i] > max) max = ids[i];
    if (max >= this.pos.length) this.pos = new Int32Array(max + 1).fill(-1);
    else for (let i = 0; i < oldIds.length; i++) if (oldIds[i] < this.pos.length) this.pos[oldIds[i]] = -1;
    for (let i = 0; i < ids.length; i++) this.pos[ids[i]] = i;
  }

  /** List position of dest d, or -1. */
  of(d: number): number {
    return d < this.pos.length ? this.pos[d] : -1;
  }
}

/** What a list index offers: rebuild from the list, update one dest's position. */
export interface ListIndex {
  rebuild(ids: Uint32Array, dests: DestView): void;
  set(pos: number, d: number, dests: DestView): void;
}

/**
 * The dest list with an index over it (a tournament tree, or twos' Fenwick
 * tree), kept current by update() on list changes and changed() on counter moves.
 */
export abstract class IndexedList<I extends ListIndex> implements Scheduler {
  abstract readonly name: string;
  protected ids: Uint32Array = new Uint32Array(0);
  protected readonly positions = new Positions();
  /** True when the list is long enough for the index (else schedule scans). */
  protected indexed = false;

  constructor(
    protected readonly index: I,
    protected readonly indexMin: number = INDEX_MIN,
  ) {}

  update(ids: Uint32Array, dests: DestView): void {
    const copy = ids.slice();
    this.positions.set(this.ids, copy);
    this.ids = copy;
    this.indexed = copy.length >= this.indexMin;
    if (this.indexed) this.index.rebuild(copy, dests);
  }

  changed(d: number, dests: DestView): void {
    if (!this.indexed) return;
    const pos = this.positions.of(d);
    if (pos >= 0) this.index.set(pos, d, dests);
  }

  abstract schedule(dests: DestView, saddr: number, sport: number, daddr: number, dport: number, now: number): number;
}

export abstract class IndexedScheduler extends IndexedList<LeastIndex> {
  constructor(rule: number, indexMin: number = INDEX_MIN) {
    super(new LeastIndex(rule), indexMin);
  }

  schedule(dests: DestView, _saddr: number, _sport: number, _daddr: number, _dport: number, _now: number): number {
    return this.least(dests);
  }

  /** The rule's pick over the whole list: the index's root, or the kernel's scan. */
  protected least(dests: DestView): number {
    if (!this.indexed) return this.scan(dests);
    const pos = this.index.best();
    return pos < 0 ? 0 : this.ids[pos];
  }

  /** The kernel's own loop, literally. */
  protected abstract scan(dests: DestView): number;
}
