// Weighted round robin (ip_vs_wrr.c). "di" is the gcd of the weights above 0,
// "mw" the maximum weight less (di - 1), "cw" the current weight:
//   "First, we start with cw = mw and select dests with weight >= cw.
//    Then cw is reduced with di and all dests are checked again. ...
//    So, we modify how mw is calculated, now it is reduced with (di - 1),
//    so that last cw is 1 to catch such dests with weight below di"
// Each decision continues the walk after the last chosen dest ("cl"); a wrap
// past the list end lowers cw by di; cw <= 0 starts again from mw.
import { DEST_OVERLOAD, type DestView, type Scheduler } from './types.js';

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export class WeightedRoundRobin implements Scheduler {
  readonly name = 'wrr';
  private ids: Uint32Array = new Uint32Array(0);
  /** Weights and thresholds at the last update, to tell an edit from a repeat. */
  private seen: Float64Array | null = null;
  /** List position of cl; -1 = the list head. */
  private pos = -1;
  private cw = 0;
  private mw = 0;
  private di = 1;

  /**
   * ip_vs_wrr_dest_changed (add_dest, del_dest and upd_dest):
   *   mark->cl = head; di = gcd; mw = max - (di - 1);
   *   "if (mark->cw > mark->mw || !mark->cw) mark->cw = mark->mw;
   *    else if (mark->di > 1) mark->cw = (mark->cw / mark->di) * mark->di + 1;"
   * The engine hands over the whole list; a call that changes nothing (same
   * ids, weights and thresholds) is not an IPVS edit and keeps the position.
   * Several edits at once are applied as one (the kernel would run this once
   * per dest; the end state of cl is the same, cw may differ when the
   * intermediate gcds differ).
   */
  update(ids: Uint32Array, dests: DestView): void {
    const seen = this.snapshot(ids, dests);
    if (this.seen !== null && this.same(ids, this.seen, seen)) return;
    this.ids = ids.slice();
    this.seen = seen;
    let g = 0;
    let max = 0;
    for (let i = 0; i < ids.length; i++) {
      const w = dests.weight[ids[i]];
      if (w > 0) g = g > 0 ? gcd(w, g) : w;
      if (w > max) max = w;
    }
    this.di = g > 0 ? g : 1;
    this.mw = max - (this.di - 1);
    this.pos = -1;
    // cw starts at 0, so the first call sets cw = mw as ip_vs_wrr_init_svc does.
    if (this.cw > this.mw || this.cw === 0) this.cw = this.mw;
    else if (this.di > 1) this.cw = Math.trunc(this.cw / this.di) * this.di + 1;
  }

  /** ip_vs_wrr_schedule(), loop for loop. */
  schedule(dests: DestView, _saddr?: number, _sport?: number, _daddr?: number, _dport?: number, _now?: number): number {
    // "No available dests?"
    if (this.mw === 0) return 0;
    const ids = this.ids;
    const n = ids.length;
    const last = this.pos;
    let i = last;
    let stop = -2;
    let lastPass = false;
    let restarted = false;
    for (;;) {
      // list_for_each_entry_continue_rcu: from the entry after i to the list end.
      for (let j = i + 1; j < n; j++) {
        const d = ids[j];
        if ((dests.flags[d] & DEST_OVERLOAD) === 0 && dests.weight[d] >= this.cw) {
          this.pos = j;
          return d;
        }
        if (j === stop) {
          this.pos = j; // err_over: "mark->cl = dest"
          return 0;
        }
      }
      i = -1;
      this.cw -= this.di;
      if (this.cw <= 0) {
        this.cw = this.mw;
        // "Stop if we tried last pass from first dest"
        if (lastPass || last === -1) {
          this.pos = -1;
          return 0;
        }
        restarted = true;
      }
      lastPass = this.cw <= this.di;
      // "First traversal was for w >= 1 but only for dests after 'last',
      //  now do the same for all dests up to 'last'."
      if (lastPass && restarted && last !== -1) stop = last;
    }
  }

  private snapshot(ids: Uint32Array, dests: DestView): Float64Array {
    const s = new Float64Array(ids.length * 3);
    for (let i = 0; i < ids.length; i++) {
      const d = ids[i];
      s[3 * i] = dests.weight[d];
      s[3 * i + 1] = dests.upper ? dests.upper[d] : 0;
      s[3 * i + 2] = dests.lower ? dests.lower[d] : 0;
    }
    return s;
  }

  private same(ids: Uint32Array, before: Float64Array, now: Float64Array): boolean {
    if (ids.length !== this.ids.length) return false;
    for (let i = 0; i < ids.length; i++) if (ids[i] !== this.ids[i]) return false;
    for (let i = 0; i < now.length; i++) if (now[i] !== before[i]) return false;
    return true;
  }
}
