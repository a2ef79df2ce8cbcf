// Weighted least-connection (ip_vs_wlc.c), the IPVS default. The dest with the
// least overhead/weight wins (overhead = activeconns * 256 + inactconns), ties
// going to the first in the list. The division is avoided by cross-multiplying,
// as the kernel does:
//   "if ((__s64)loh * atomic_read(&dest->weight) > (__s64)doh * atomic_read(&least->weight))"
import { IndexedScheduler } from './least-base.js';
import { RULE_WLC } from './least-index.js';
import { DEST_OVERLOAD, overhead, type DestView } from './types.js';

/**
 * ip_vs_wlc_schedule()'s two loops: the first usable dest (not overloaded,
 * weight > 0) is `least`; later dests skip only the overload test, because a
 * weight-0 dest can never pass "loh * 0 > doh * w". Also the WLC pick of
 * lblc and lblcr (__ip_vs_lblc_schedule, __ip_vs_lblcr_schedule are the same loop).
 * ip_vs_sed.c is the same loop with another overhead: `sed` selects it.
 */
export function wlcScan(ids: Uint32Array, dests: DestView, sed = false): number {
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
  let loh = sed ? (dests.active[least] + 1) | 0 : overhead(dests, least);
  let lw = dests.weight[least];
  for (i++; i < ids.length; i++) {
    const d = ids[i];
    if ((dests.flags[d] & DEST_OVERLOAD) !== 0) continue;
    const doh = sed ? (dests.active[d] + 1) | 0 : overhead(dests, d);
    const dw = dests.weight[d];
    if (loh * dw > doh * lw) {
      least = d;
      loh = doh;
      lw = dw;
    }
  }
  return least;
}

export class WeightedLeastConnection extends IndexedScheduler {
  readonly name = 'wlc';

  constructor(indexMin?: number) {
    super(RULE_WLC, indexMin);
  }

  protected scan(dests: DestView): number {
    return wlcScan(this.ids, dests);
  }
}
