// Weighted least-connection (ip_vs_wlc.c), the IPVS default. The overhead of a
// dest is activeconns * 256 + inactconns (ip_vs_dest_conn_overhead); the dest
// with the least overhead/weight wins, ties going to the first in the list.
// The division is avoided by cross-multiplying, as the kernel does:
//   "if (loh * atomic_read(&dest->weight) > doh * atomic_read(&least->weight))"
import { usable, type DestView, type Scheduler } from './types.js';

export function overhead(dests: DestView, d: number): number {
  return dests.active[d] * 256 + dests.inactive[d];
}

export class WeightedLeastConnection implements Scheduler {
  readonly name: string = 'wlc';
  protected ids: Uint32Array = new Uint32Array(0);

  update(ids: Uint32Array): void {
    this.ids = ids;
  }

  schedule(dests: DestView): number {
    const ids = this.ids;
    let least = 0;
    let loh = 0;
    let lw = 0;
    for (let i = 0; i < ids.length; i++) {
      const d = ids[i];
      if (!usable(dests, d)) continue;
      const doh = this.overhead(dests, d);
      const dw = dests.weight[d];
      if (least === 0 || loh * dw > doh * lw) {
        least = d;
        loh = doh;
        lw = dw;
      }
    }
    return least;
  }

  protected overhead(dests: DestView, d: number): number {
    return overhead(dests, d);
  }
}
