// Round robin (ip_vs_rr.c): walk the list from the last chosen dest, take the
// first that is not overloaded and has weight > 0:
//   "if (!(dest->flags & IP_VS_DEST_F_OVERLOAD) && atomic_read(&dest->weight) > 0) /* HIT */"
// The walk covers every dest once, the last chosen one last; when none is
// usable the position stays where it was.
import { Positions } from './least-base.js';
import { usable, type DestView, type Scheduler } from './types.js';

export class RoundRobin implements Scheduler {
  readonly name = 'rr';
  private ids: Uint32Array = new Uint32Array(0);
  private readonly positions = new Positions();
  /** List position of the last chosen dest; -1 = the list head (svc->sched_data = &svc->destinations). */
  private pos = -1;

  update(ids: Uint32Array, _dests?: DestView): void {
    const old = this.ids;
    const next = ids.slice();
    this.positions.set(old, next);
    // rr keeps a pointer to the dest, so adds and edits leave it on the same
    // dest. ip_vs_rr_del_dest: when that dest is deleted, "svc->sched_data =
    // p->next->prev", the entry before it (or the head); after several
    // deletions, the nearest earlier entry that stays.
    let pos = -1;
    for (let i = this.pos; i >= 0 && pos < 0; i--) pos = this.positions.of(old[i]);
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
