// Least-connection (ip_vs_lc.c): the dest with the least overhead
// (activeconns * 256 + inactconns; the kernel comment still says "<<5" but the
// code calls ip_vs_dest_conn_overhead), skipping overloaded and weight-0
// dests; on a tie the first in list order stays ("if (!least || doh < loh)").
import { IndexedScheduler } from './least-base.js';
import { RULE_LC } from './least-index.js';
import { DEST_OVERLOAD, overhead, type DestView } from './types.js';

/** ip_vs_lc_schedule()'s loop. */
export function lcScan(ids: Uint32Array, dests: DestView): number {
  let least = 0;
  let loh = 0;
  for (let i = 0; i < ids.length; i++) {
    const d = ids[i];
    if ((dests.flags[d] & DEST_OVERLOAD) !== 0 || dests.weight[d] === 0) continue;
    const doh = overhead(dests, d);
    if (least === 0 || doh < loh) {
      least = d;
      loh = doh;
    }
  }
  return least;
}

export class LeastConnection extends IndexedScheduler {
  readonly name = 'lc';

  constructor(indexMin?: number) {
    super(RULE_LC, indexMin);
  }

  protected scan(dests: DestView): number {
    return lcScan(this.ids, dests);
  }
}
