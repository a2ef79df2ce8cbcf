// A Fenwick (binary indexed) tree of the usable weights by list position, for
// twos over long lists: the total weight and "the first dest where the running
// sum of weights reaches r" in O(log n) instead of ip_vs_twos.c's walk.
// The walk "rweight -= weight; if (rweight <= 0) choose" stops at the first
// usable dest whose running sum is >= r; for r = 0 that is the first usable
// dest, i.e. the first running sum >= 1 (usable weights are >= 1).
import { usable, type DestView } from './types.js';

export class WeightIndex {
  private n = 0;
  /** 1-based Fenwick array of the usable weights. */
  private tree = new Float64Array(1);
  /** Weight counted for each position (0 when unusable). */
  private w = new Float64Array(0);
  private top = 1;

  rebuild(ids: Uint32Array, dests: DestView): void {
    const n = ids.length;
    this.n = n;
    this.tree = new Float64Array(n + 1);
    this.w = new Float64Array(n);
    for (let p = 0; p < n; p++) {
      const v = usable(dests, ids[p]) ? dests.weight[ids[p]] : 0;
      this.w[p] = v;
      this.tree[p + 1] += v;
      const parent = p + 1 + ((p + 1) & -(p + 1));
      if (parent <= n) this.tree[parent] += this.tree[p + 1];
    }
    this.top = 1;
    while (this.top * 2 <= n) this.top *= 2;
  }

  /** Dest d at position p changed (weight or overload). */
  set(p: number, d: number, dests: DestView): void {
    const v = usable(dests, d) ? dests.weight[d] : 0;
    const delta = v - this.w[p];
    if (delta === 0) return;
    this.w[p] = v;
    for (let i = p + 1; i <= this.n; i += i & -i) this.tree[i] += delta;
  }

  /** Sum of the usable weights. */
  total(): number {
    let s = 0;
    for (let i = this.n; i > 0; i -= i & -i) s += this.tree[i];
    return s;
  }

  /** The first position whose running sum of usable weights is >= max(r, 1); r <= total(). */
  find(r: number): number {
    let want = r < 1 ? 1 : r;
    let pos = 0;
    for (let step = this.top; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= this.n && this.tree[next] < want) {
        pos = next;
        want -= this.tree[next];
      }
    }
    return pos;
  }
}
