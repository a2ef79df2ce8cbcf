// Never queue (ip_vs_nq.c): "When there is an idle server available, the job
// will be sent to the idle server, instead of waiting for a fast one. When
// there is no idle server available, the job will be sent to the server that
// minimize its expected delay" (the SED rule, activeconns + 1 over weight).
// Idle means activeconns == 0; the first idle dest in list order is returned
// at once. The index ranks idle dests above all others, so its root is the
// same first idle dest, or the SED winner when none is idle.
import { IndexedScheduler } from './least-base.js';
import { RULE_NQ } from './least-index.js';
import { DEST_OVERLOAD, type DestView } from './types.js';

/** ip_vs_nq_schedule()'s loop. */
export function nqScan(ids: Uint32Array, dests: DestView): number {
  let least = 0;
  let loh = 0;
  let lw = 0;
  for (let i = 0; i < ids.length; i++) {
    const d = ids[i];
    if ((dests.flags[d] & DEST_OVERLOAD) !== 0 || dests.weight[d] === 0) continue;
    const doh = (dests.active[d] + 1) | 0;
    // "return the server directly if it is idle"
    if (dests.active[d] === 0) return d;
    const dw = dests.weight[d];
    if (least === 0 || loh * dw > doh * lw) {
      least = d;
      loh = doh;
      lw = dw;
    }
  }
  return least;
}

export class NeverQueue extends IndexedScheduler {
  readonly name = 'nq';

  constructor(indexMin?: number) {
    super(RULE_NQ, indexMin);
  }

  protected scan(dests: DestView): number {
    return nqScan(this.ids, dests);
  }
}
