// Shared by lc, wlc, sed, nq, fo, ovf (and the WLC pick of lblc/lblcr): the dest list,
// a dest-id -> list-position map, and the tournament index, which replaces the
// kernel's scan from INDEX_MIN dests on. Below that the scan is as fast and
// needs no changed() calls; both give the same dest (see least-index.ts).
import { LeastIndex } from './least-index.js';
import { BUILD_CHUNK, type DestView, type Scheduler } from './types.js';

/**
 * List length from which the index is used. Measured with a connection bound
 * and one released per decision: the scan wins up to about 16 dests, the
 * index from about 24.
 */
export const INDEX_MIN = 24;

/** Dest id -> list position (-1 = not in the list), grown to fit the ids. */
export class Positions {
  private pos = new Int32Array(0);
  /** The ids whose entries may be set (the last list given), for build() to clear. */
  private marked: Uint32Array = new Uint32Array(0);

  set(oldIds: Uint32Array, ids: Uint32Array): void {
    let max = 0;
    for (let i = 0; i < ids.length; i++) if (ids[i] > max) max = ids[i];
    if (max >= this.pos.length) this.pos = new Int32Array(max + 1).fill(-1);
    else for (let i = 0; i < oldIds.length; i++) if (oldIds[i] < this.pos.length) this.pos[oldIds[i]] = -1;
    for (let i = 0; i < ids.length; i++) this.pos[ids[i]] = i;
    this.marked = ids;
  }

  /**
   * set() in pieces of BUILD_CHUNK (Scheduler.prepare), reusing the array when
   * it is long enough (a scheduler keeps a spare Positions for this: one per
   * prepare would be an array as long as the highest dest id, for every
   * service of a reload of a thousand).
   */
  *build(ids: Uint32Array): Generator<void, void, void> {
    let max = 0;
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] > max) max = ids[i];
      if (i % BUILD_CHUNK === BUILD_CHUNK - 1) yield;
    }
    if (max >= this.pos.length) this.pos = new Int32Array(max + 1).fill(-1);
    else {
      const old = this.marked;
      for (let i = 0; i < old.length; i++) {
        if (old[i] < this.pos.length) this.pos[old[i]] = -1;
        if (i % BUILD_CHUNK === BUILD_CHUNK - 1) yield;
      }
    }
    // From here on its entries are some of these ids' (a build given up half-way is cleared by the next).
    this.marked = ids;
    const pos = this.pos;
    for (let i = 0; i < ids.length; i++) {
      pos[ids[i]] = i;
      if (i % BUILD_CHUNK === BUILD_CHUNK - 1) yield;
    }
  }

  /** List position of dest d, or -1. */
  of(d: number): number {
    return d < this.pos.length ? this.pos[d] : -1;
  }
}

/** What a list index offers: rebuild from the list, update one dest's position. */
export interface ListIndex {
  rebuild(ids: Uint32Array, dests: DestView): void;
  /** rebuild() in pieces (optional: then the list has no prepare()); set() keeps what is built so far right. */
  build?(ids: Uint32Array, dests: DestView): Generator<void, void, void>;
  set(pos: number, d: number, dests: DestView): void;
}

/**
 * The dest list with an index over it (a tournament tree, or twos' Fenwick
 * tree), kept current by update() on list changes and changed() on counter moves.
 */
export abstract class IndexedList<I extends ListIndex> implements Scheduler {
  abstract readonly name: string;
  protected ids: Uint32Array = new Uint32Array(0);
  protected positions = new Positions();
  /** True when the list is long enough for the index (else schedule scans). */
  protected indexed = false;
  /** The next list's state, built by prepare() beside this one until commit(). */
  private next: { ids: Uint32Array; positions: Positions; index: I; indexed: boolean } | null = null;
  /** The positions of the list before the last commit, for the next prepare() to reuse. */
  private spare: Positions | null = null;

  constructor(
    protected index: I,
    protected readonly indexMin: number = INDEX_MIN,
  ) {}

  update(ids: Uint32Array, dests: DestView): void {
    this.next = null;
    const copy = ids.slice();
    this.positions.set(this.ids, copy);
    this.ids = copy;
    this.indexed = copy.length >= this.indexMin;
    if (this.indexed) this.index.rebuild(copy, dests);
  }

  changed(d: number, dests: DestView): void {
    const next = this.next;
    if (next !== null && next.indexed) {
      const p = next.positions.of(d);
      if (p >= 0) next.index.set(p, d, dests);
    }
    if (!this.indexed) return;
    const pos = this.positions.of(d);
    if (pos >= 0) this.index.set(pos, d, dests);
  }

  /** A fresh index of the same kind, for prepare(); null: this scheduler has no prepare(). */
  protected newIndex(): I | null {
    return null;
  }

  prepare(ids: Uint32Array, dests: DestView): Iterator<void> | null {
    const index = this.newIndex();
    if (index === null || index.build === undefined) return null;
    return this.prepareSteps(ids.slice(), dests, index);
  }

  private *prepareSteps(ids: Uint32Array, dests: DestView, index: I): Generator<void, void, void> {
    const positions = this.spare ?? new Positions();
    this.spare = null;
    // Not indexed until the positions are all there: changed() leaves the index alone until then.
    const next = { ids, positions, index, indexed: false };
    this.next = next;
    yield* positions.build(ids);
    if (ids.length >= this.indexMin) {
      next.indexed = true;
      yield* index.build!(ids, dests);
    }
  }

  commit(): void {
    const next = this.next;
    if (next === null) return;
    this.next = null;
    this.ids = next.ids;
    this.spare = this.positions;
    this.positions = next.positions;
    this.index = next.index;
    this.indexed = next.indexed;
  }

  abstract schedule(dests: DestView, saddr: number, sport: number, daddr: number, dport: number, now: number): number;
}

export abstract class IndexedScheduler extends IndexedList<LeastIndex> {
  constructor(
    private readonly rule: number,
    indexMin: number = INDEX_MIN,
  ) {
    super(new LeastIndex(rule), indexMin);
  }

  /** lc, wlc, sed, nq, fo, ovf: the state is the list and the counters, nothing else. */
  protected override newIndex(): LeastIndex | null {
    return new LeastIndex(this.rule);
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
