// Overflow-connection (ip_vs_ovf.c): "will keep all connections to the node
// with the highest weight and overflow to the next node if the number of
// connections exceeds the node's weight". A dest is skipped when overloaded,
// when its activeconns exceed its weight, or when its weight is 0; among the
// rest the highest weight wins, the first in list order on ties. Only active
// connections count, so the kernel warns it "might not be suitable for UDP".
// Long lists use the tournament index (least-index.ts).
import { IndexedScheduler } from './least-base.js';
import { RULE_OVF } from './least-index.js';
import { DEST_OVERLOAD, type DestView } from './types.js';

/** ip_vs_ovf_schedule()'s loop. */
export function ovfScan(ids: Uint32Array, dests: DestView): number {
  let h = 0;
  let hw = 0;
  for (let i = 0; i < ids.length; i++) {
    const d = ids[i];
    const w = dests.weight[d];
    if ((dests.flags[d] & DEST_OVERLOAD) !== 0 || dests.active[d] > w || w === 0) continue;
    // "if (!h || w > hw)"
    if (h === 0 || w > hw) {
      h = d;
      hw = w;
    }
  }
  return h;
}

export class Overflow extends IndexedScheduler {
  readonly name = 'ovf';

  constructor(indexMin?: number) {
    super(RULE_OVF, indexMin);
  }

  protected scan(dests: DestView): number {
    return ovfScan(this.ids, dests);
  }
}
