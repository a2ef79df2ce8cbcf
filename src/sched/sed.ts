// Shortest expected delay (ip_vs_sed.c): like wlc, but the cost counts only
// active connections plus the one being scheduled, "(Ci + 1) / Ui":
//   ip_vs_sed_dest_overhead() = activeconns + 1
// Ties go to the first dest in list order (strict ">" in the comparison).
import { IndexedScheduler } from './least-base.js';
import { RULE_SED } from './least-index.js';
import { DEST_OVERLOAD, type DestView } from './types.js';

/** ip_vs_sed_schedule()'s two loops (the second skips only overloaded dests). */
export function sedScan(ids: Uint32Array, dests: DestView): number {
  let i = 0;
  let least = 0;
  for (; i < ids.length; i++) {
    const d = ids[i];
    if ((dests.flags[d] & DEST_OVERLOAD) === 0 && dests.weight[d] > 0) {
      least = d;
      break;
    }
  }
  if (least === 0) return 0;
  let loh = (dests.active[least] + 1) | 0;
  let lw = dests.weight[least];
  for (i++; i < ids.length; i++) {
    const d = ids[i];
    if ((dests.flags[d] & DEST_OVERLOAD) !== 0) continue;
    const doh = (dests.active[d] + 1) | 0;
    const dw = dests.weight[d];
    if (loh * dw > doh * lw) {
      least = d;
      loh = doh;
      lw = dw;
    }
  }
  return least;
}

export class ShortestExpectedDelay extends IndexedScheduler {
  readonly name = 'sed';

  constructor(indexMin?: number) {
    super(RULE_SED, indexMin);
  }

  protected scan(dests: DestView): number {
    return sedScan(this.ids, dests);
  }
}
