// Shortest expected delay (ip_vs_sed.c): like wlc, but the cost counts only
// active connections plus the one being scheduled, "(Ci + 1) / Ui":
//   ip_vs_sed_dest_overhead() = activeconns + 1
// Ties go to the first dest in list order (strict ">" in the comparison).
import { IndexedScheduler } from './least-base.js';
import { RULE_SED } from './least-index.js';
import type { DestView } from './types.js';
import { wlcScan } from './wlc.js';

/** ip_vs_sed_schedule(): wlc's two loops with the overhead activeconns + 1. */
export function sedScan(ids: Uint32Array, dests: DestView): number {
  return wlcScan(ids, dests, true);
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
