// Round robin (ip_vs_rr.c): walk the list from the last chosen dest, take the
// first that is not overloaded and has weight > 0.
import { usable, type DestView, type Scheduler } from './types.js';

export class RoundRobin implements Scheduler {
  readonly name = 'rr';
  private ids: Uint32Array = new Uint32Array(0);
  /** Index of the last chosen dest; -1 = the list head (nothing chosen yet). */
  private pos = -1;
  private last = 0;

  update(ids: Uint32Array): void {
    const old = this.last;
    this.ids = ids;
    if (old === 0) return;
    const at = ids.indexOf(old);
    // ip_vs_rr_del_dest: when the last chosen dest leaves, step back so the
    // walk resumes with the dest that followed it.
    this.pos = at >= 0 ? at : Math.min(this.pos, ids.length) - 1;
    if (at < 0) this.last = this.pos >= 0 ? ids[this.pos] : 0;
  }

  schedule(dests: DestView): number {
    const ids = this.ids;
    const n = ids.length;
    for (let k = 1; k <= n; k++) {
      const i = (this.pos + k) % n;
      const d = ids[i];
      if (usable(dests, d)) {
        this.pos = i;
        this.last = d;
        return d;
      }
    }
    return 0;
  }
}
