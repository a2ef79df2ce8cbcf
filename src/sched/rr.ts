// Round robin (ip_vs_rr.c): walk the list from the last chosen dest, take the
// first that is not overloaded and has weight > 0:
//   "if (!(dest->flags & IP_VS_DEST_F_OVERLOAD) && atomic_read(&dest->weight) > 0) /* HIT */"
// The walk covers every dest once, the last chosen one last; when none is
// usable the position stays where it was.
import { Positions } from './least-base.js';
import { BUILD_CHUNK, usable, type DestView, type Scheduler } from './types.js';

export class RoundRobin implements Scheduler {
  readonly name = 'rr';
  private ids: Uint32Array = new Uint32Array(0);
  private positions = new Positions();
  /** List position of the last chosen dest; -1 = the list head (svc->sched_data = &svc->destinations). */
  private pos = -1;
  /** The next list and its positions, built by prepare() until commit(). */
  private next: { ids: Uint32Array; positions: Positions; follow: Int32Array } | null = null;
  /** The positions of the list before the last commit, for the next prepare() to reuse (Positions.build). */
  private spare: Positions | null = null;

  update(ids: Uint32Array, _dests?: DestView): void {
    this.next = null;
    const next = ids.slice();
    const positions = this.positions;
    positions.set(this.ids, next);
    this.follow(next, positions);
  }

  prepare(ids: Uint32Array, _dests?: DestView): Iterator<void> {
    return this.prepareSteps(ids.slice());
  }

  private *prepareSteps(next: Uint32Array): Generator<void, void, void> {
    const positions = this.spare ?? new Positions();
    this.spare = null;
    yield* positions.build(next);
    // Where follow() would land from each position of the running list (which stays until commit): commit is then a look-up.
    const old = this.ids;
    const follow = new Int32Array(old.length);
    let last = -1;
    for (let i = 0; i < old.length; i++) {
      const p = positions.of(old[i]);
      if (p >= 0) last = p;
      follow[i] = last;
      if (i % BUILD_CHUNK === BUILD_CHUNK - 1) yield;
    }
    this.next = { ids: next, positions, follow };
  }

  commit(): void {
    const n = this.next;
    if (n === null) return;
    this.next = null;
    this.pos = this.pos >= 0 ? n.follow[this.pos] : -1;
    this.ids = n.ids;
    this.spare = this.positions;
    this.positions = n.positions;
  }

  /**
   * rr keeps a pointer to the dest, so adds and edits leave it on the same
   * dest. ip_vs_rr_del_dest: when that dest is deleted, "svc->sched_data =
   * p->next->prev", the entry before it (or the head); after several
   * deletions, the nearest earlier entry that stays.
   */
  private follow(next: Uint32Array, positions: Positions): void {
    const old = this.ids;
    let pos = -1;
    for (let i = this.pos; i >= 0 && pos < 0; i--) pos = positions.of(old[i]);
    this.ids = next;
    this.pos = pos;
  }

  schedule(dests: DestView, _saddr?: number, _sport?: number, _daddr?: number, _dport?: number, _now?: number): number {
    const ids = this.ids;
    const n = ids.length;
    let i = this.pos;
    for (let k = 0; k < n; k++) {
      i = i + 1 === n ? 0 : i + 1;
      const d = ids[i];
      if (usable(dests, d)) {
        this.pos = i;
        return d;
      }
    }
    return 0;
  }
}
