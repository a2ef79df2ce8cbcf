// A tournament tree over list positions for the least-connection family (and
// fo and ovf, whose "highest weight" is the least 1/weight), so a
// decision over thousands of dests is a read of the root and a counter change
// costs O(log n), instead of IPVS's scan of the whole list per connection.
//
// Why it picks exactly what the kernel's scan picks: every rule here is
// "least = first eligible dest; a later eligible dest replaces least only when
// strictly better", which is the argmin of a total preorder with ties going to
// the earliest list position. A node holds the winner of its range; combining
// (left, right) keeps left unless right is strictly better, which is that same
// argmin, and argmin with earliest-tie is associative, so the root equals the
// scan. "Strictly better" is the kernel's cross-multiplied test
//   (__s64)loh * weight(d) > (__s64)doh * weight(least)
// on exact integers (below 2^53: overhead is an int, weights at most 65535).
import { BUILD_CHUNK, overhead, usable, type DestView } from './types.js';

export const RULE_LC = 0; // ip_vs_lc.c: least overhead
export const RULE_WLC = 1; // ip_vs_wlc.c: least overhead / weight
export const RULE_SED = 2; // ip_vs_sed.c: least (activeconns + 1) / weight
export const RULE_NQ = 3; // ip_vs_nq.c: first idle dest, else the SED rule
export const RULE_FO = 4; // ip_vs_fo.c: highest weight (load 1/weight)
export const RULE_OVF = 5; // ip_vs_ovf.c: highest weight among dests with activeconns <= weight

/** Ranks: 0 an idle dest under nq, 1 a usable dest, 2 unusable, 3 padding. */
const RANK_UNUSABLE = 2;
const RANK_PAD = 3;

export class LeastIndex {
  private n = 0;
  private size = 1;
  // Per tree node (leaves at size + pos): the winning position of its range
  // and that winner's key: rank, and the load as the fraction num/den. Keeping
  // the key in the node makes a comparison read only the two children.
  private pos = new Int32Array(2);
  private rank = new Uint8Array(2);
  private num = new Float64Array(2);
  private den = new Float64Array(2);

  constructor(private readonly rule: number) {}

  /** Builds the tree over `ids` (list order) in O(n). */
  rebuild(ids: Uint32Array, dests: DestView): void {
    const n = ids.length;
    let size = 1;
    while (size < n) size <<= 1;
    if (size !== this.size || this.pos.length !== 2 * size) {
      this.size = size;
      this.pos = new Int32Array(2 * size);
      this.rank = new Uint8Array(2 * size);
      this.num = new Float64Array(2 * size);
      this.den = new Float64Array(2 * size);
    }
    this.n = n;
    for (let p = 0; p < size; p++) {
      const leaf = size + p;
      this.pos[leaf] = p;
      if (p < n) this.key(leaf, ids[p], dests);
      else {
        this.rank[leaf] = RANK_PAD;
        this.num[leaf] = 0;
        this.den[leaf] = 1;
      }
    }
    for (let i = size - 1; i >= 1; i--) this.pull(i);
  }

  /**
   * rebuild() in pieces of about BUILD_CHUNK nodes (Scheduler.prepare). Between
   * pieces set() may change a leaf: a leaf not reached yet is keyed when it is,
   * an inner node not pulled yet is pulled from its children when it is, and a
   * node pulled already is kept right by set()'s own walk up.
   */
  *build(ids: Uint32Array, dests: DestView): Generator<void, void, void> {
    const n = ids.length;
    let size = 1;
    while (size < n) size <<= 1;
    this.size = size;
    this.pos = new Int32Array(2 * size);
    this.rank = new Uint8Array(2 * size).fill(RANK_PAD);
    this.num = new Float64Array(2 * size);
    this.den = new Float64Array(2 * size).fill(1);
    this.n = n;
    for (let p = 0; p < size; p++) {
      const leaf = size + p;
      this.pos[leaf] = p;
      if (p < n) this.key(leaf, ids[p], dests);
      if (p % BUILD_CHUNK === BUILD_CHUNK - 1) yield;
    }
    for (let i = size - 1; i >= 1; i--) {
      this.pull(i);
      if (i % BUILD_CHUNK === 0) yield;
    }
  }

  /** Dest d at list position p changed: refresh its key and the ancestors it affects. */
  set(p: number, d: number, dests: DestView): void {
    let i = this.size + p;
    this.key(i, d, dests);
    const win = this.pos;
    for (i >>= 1; i >= 1; i >>= 1) {
      const before = win[i];
      this.pull(i);
      // The same winner, and not the dest whose key changed: nothing above moves.
      if (win[i] === before && before !== p) return;
    }
  }

  /** Winning list position, or -1 when no dest is usable. */
  best(): number {
    return this.n > 0 && this.rank[1] < RANK_UNUSABLE ? this.pos[1] : -1;
  }

  /** Node i takes the winner of its children: the left (earlier) one unless the right is strictly better. */
  private pull(i: number): void {
    const l = 2 * i, r = l + 1;
    const rank = this.rank, num = this.num, den = this.den;
    const rl = rank[l], rr = rank[r];
    const w = rr < rl || (rr === rl && num[l] * den[r] > num[r] * den[l]) ? r : l;
    this.pos[i] = this.pos[w];
    rank[i] = rank[w];
    num[i] = num[w];
    den[i] = den[w];
  }

  private key(leaf: number, d: number, dests: DestView): void {
    if (!usable(dests, d)) {
      this.rank[leaf] = RANK_UNUSABLE;
      this.num[leaf] = 0;
      this.den[leaf] = 1;
      return;
    }
    this.rank[leaf] = 1;
    switch (this.rule) {
      case RULE_LC:
        this.num[leaf] = overhead(dests, d);
        this.den[leaf] = 1;
        break;
      case RULE_WLC:
        this.num[leaf] = overhead(dests, d);
        this.den[leaf] = dests.weight[d];
        break;
      case RULE_FO:
      case RULE_OVF:
        // "w > hw" picks the first of the highest weights: the least 1/w, ties to the first.
        // ovf also skips "atomic_read(&dest->activeconns) > w".
        if (this.rule === RULE_OVF && dests.active[d] > dests.weight[d]) this.rank[leaf] = RANK_UNUSABLE;
        this.num[leaf] = 1;
        this.den[leaf] = dests.weight[d];
        break;
      default: {
        const active = dests.active[d];
        if (this.rule === RULE_NQ && active === 0) {
          // "return the server directly if it is idle": every idle dest ties, the first wins.
          this.rank[leaf] = 0;
          this.num[leaf] = 0;
          this.den[leaf] = 1;
        } else {
          this.num[leaf] = (active + 1) | 0;
          this.den[leaf] = dests.weight[d];
        }
      }
    }
  }
}
