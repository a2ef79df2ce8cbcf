// Weighted failover (ip_vs_fo.c): "Find virtual server with highest weight and
// send it traffic". The first dest in list order with the highest weight wins
// (strict ">" against the best so far, starting from 0, so weight-0 dests never
// win); overloaded dests are skipped. Long lists use the tournament index
// (least-index.ts), which the engine's changed() calls keep current.
import { IndexedScheduler } from './least-base.js';
import { RULE_FO } from './least-index.js';
import { DEST_OVERLOAD, type DestView } from './types.js';

/** ip_vs_fo_schedule()'s loop. */
export function foScan(ids: Uint32Array, dests: DestView): number {
  let best = 0;
  let hw = 0;
  for (let i = 0; i < ids.length; i++) {
    const d = ids[i];
    const w = dests.weight[d];
    // "if (!(dest->flags & IP_VS_DEST_F_OVERLOAD) && atomic_read(&dest->weight) > hw)"
    if ((dests.flags[d] & DEST_OVERLOAD) === 0 && w > hw) {
      best = d;
      hw = w;
    }
  }
  return best;
}

export class WeightedFailover extends IndexedScheduler {
  readonly name = 'fo';

  constructor(indexMin?: number) {
    super(RULE_FO, indexMin);
  }

  protected scan(dests: DestView): number {
    return foScan(this.ids, dests);
  }
}
