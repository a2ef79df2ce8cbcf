// Power of two choices (ip_vs_twos.c, Linux 6.3+): pick two dests at random,
// each with probability proportional to its weight, and keep the one with the
// lower overhead/weight. From the kernel:
//   total_weight = sum of weights of usable dests (not overloaded, weight > 0)
//   "Add 1 to total_weight so that the random weights are inclusive from 0 to total_weight"
//   rweight1 = get_random_u32_below(total_weight + 1), rweight2 likewise
//   walk the usable dests subtracting weights: choice1 at the first rweight1 <= 0,
//   choice2 at the first rweight2 <= 0
//   "if (choice2 && (weight2 * overhead1) > (weight1 * overhead2)) choice1 = choice2;"
// The products are C ints; Math.imul reproduces their 32-bit wrap. From
// INDEX_MIN dests on, a Fenwick tree of the usable weights replaces the walks
// (weight-index.ts); it needs the engine's changed() calls like the others.
import { INDEX_MIN, IndexedList } from './least-base.js';
import { randomBelow, xorshift32 } from './random.js';
import { DEST_OVERLOAD, overhead, type DestView } from './types.js';
import { WeightIndex } from './weight-index.js';

export class TwoChoices extends IndexedList<WeightIndex> {
  readonly name = 'twos';

  constructor(
    private readonly random: () => number = xorshift32(),
    indexMin: number = INDEX_MIN,
  ) {
    super(new WeightIndex(), indexMin);
  }

  schedule(dests: DestView, _saddr?: number, _sport?: number, _daddr?: number, _dport?: number, _now?: number): number {
    return this.indexed ? this.pickIndexed(dests) : this.pickScan(dests);
  }

  private pickIndexed(dests: DestView): number {
    const total = this.index.total();
    if (total === 0) return 0;
    const r1 = randomBelow(this.random, (total + 1) >>> 0);
    const r2 = randomBelow(this.random, (total + 1) >>> 0);
    const c1 = this.ids[this.index.find(r1)];
    const c2 = this.ids[this.index.find(r2)];
    return this.better(dests, c1, c2);
  }

  /** ip_vs_twos_schedule(), walk for walk. */
  private pickScan(dests: DestView): number {
    const ids = this.ids;
    let total = 0;
    let any = 0;
    for (let i = 0; i < ids.length; i++) {
      const d = ids[i];
      const w = dests.weight[d];
      if ((dests.flags[d] & DEST_OVERLOAD) === 0 && w > 0) {
        total = (total + w) | 0;
        any = d;
      }
    }
    if (any === 0) return 0;
    let r1 = randomBelow(this.random, (total + 1) >>> 0) | 0;
    let r2 = randomBelow(this.random, (total + 1) >>> 0) | 0;
    // choice1 starts as the last usable dest, as the kernel's first loop leaves it.
    let c1 = any, c2 = 0;
    let found1 = false, found2 = false;
    for (let i = 0; i < ids.length; i++) {
      const d = ids[i];
      if ((dests.flags[d] & DEST_OVERLOAD) !== 0) continue;
      const w = dests.weight[d];
      if (w <= 0) continue;
      r1 = (r1 - w) | 0;
      r2 = (r2 - w) | 0;
      if (r1 <= 0 && !found1) {
        c1 = d;
        found1 = true;
      }
      if (r2 <= 0 && !found2) {
        c2 = d;
        found2 = true;
      }
      if (found1 && found2) break;
    }
    return c2 === 0 ? c1 : this.better(dests, c1, c2);
  }

  /** "if (choice2 && (weight2 * overhead1) > (weight1 * overhead2)) choice1 = choice2" */
  private better(dests: DestView, c1: number, c2: number): number {
    const w1 = dests.weight[c1], w2 = dests.weight[c2];
    return Math.imul(w2, overhead(dests, c1)) > Math.imul(w1, overhead(dests, c2)) ? c2 : c1;
  }
}
