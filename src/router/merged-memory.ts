// The counters of N data-plane workers (tsvs start --workers) as one data plane's
// (engine/published.ts), so every reader (tsvs admin --stats, top, the stats file,
// metrics) shows the router's sums without knowing about workers.
//
// Each worker runs its own engine on the same table deltas, so its services and
// servers are the same, but their ids may not be: a worker frees a removed server's
// id once none of ITS connections uses it, and may then give it to a new server
// while another worker still holds the old one. So worker k's ids are translated
// to worker 0's through the layouts (each service lists its servers in the same
// order in every worker); a server of worker k that worker 0 does not list (removed,
// still in use there) is counted as its service's and the total's retired stats,
// which is where worker 0 counts its own once freed. Settings (weights, flags,
// addresses) are worker 0's own arrays; the connection thresholds, split between
// the workers, are summed back.
//
// The sums are computed at the first read in a turn of the event loop and kept
// for the rest of it: a reader sees one consistent snapshot.
import type { DataPlaneMemory } from '../engine/published.js';
import { H_VERSION } from '../engine/published.js';
import { N_DEF_DROP_ENTRY_ON, N_DEF_DROP_RATE, N_DEF_SECURE_TCP_ON, N_SYNPROXY_ON } from '../engine/counters.js';
import { STAT_FIELDS, type ServiceLayout } from '../engine/services.js';

/**
 * Per-dest arrays that are counts (summed), and the thresholds, which the workers
 * share out (dataplane-multi.ts thresholdShare): their sum is the server's. The
 * others are settings, the same in every worker.
 */
const DEST_SUMS = ['active', 'inactive', 'persist', 'upper', 'lower', 'destConns', 'destInPkts', 'destOutPkts', 'destInBytes', 'destOutBytes'] as const;
const DEST_STATS = ['destConns', 'destInPkts', 'destOutPkts', 'destInBytes', 'destOutBytes'] as const;
const WHOLE_SUMS = ['retiredTotal', 'drops', 'passes', 'totals', 'host', 'batchFrames', 'batchMicros', 'backend', 'stepMicros', 'gcMicros'] as const;
/** Gauges among the totals (levels now, not events): the highest worker's, not the sum. */
const GAUGES = [N_DEF_DROP_ENTRY_ON, N_DEF_DROP_RATE, N_DEF_SECURE_TCP_ON, N_SYNPROXY_ON];

type Arr = Float64Array | Uint32Array;

export class MergedMemory {
  readonly view: DataPlaneMemory;
  private readonly sums: Record<string, Arr> = {};
  /** Per worker k > 0: its dest id -> worker 0's (0: none), and its service id -> worker 0's. */
  private readonly destMap: Uint32Array[];
  private readonly svcMap: Array<Map<number, number>>;
  private maxSvc = 0;
  private fresh = false;

  constructor(private readonly parts: readonly DataPlaneMemory[]) {
    const p0 = parts[0];
    for (const k of [...DEST_SUMS, ...WHOLE_SUMS, 'retiredSvc'] as const) {
      const a = p0[k] as Arr;
      this.sums[k] = new (a.constructor as new (n: number) => Arr)(a.length);
    }
    this.destMap = parts.map(() => new Uint32Array(p0.destSvc.length));
    this.svcMap = parts.map(() => new Map());
    const view = {} as DataPlaneMemory;
    for (const key of Object.keys(p0) as Array<keyof DataPlaneMemory>) {
      const summed = key in this.sums;
      Object.defineProperty(view, key, {
        enumerable: true,
        get: () => {
          if (!summed) return p0[key];
          this.refresh();
          return this.sums[key];
        },
      });
    }
    this.view = view;
  }

  /** Every worker's layout of every service (after a start or an apply): the id translation is made again. */
  setLayouts(layouts: ReadonlyArray<ReadonlyMap<string, ServiceLayout>>): void {
    this.maxSvc = 0;
    for (const l of layouts[0].values()) this.maxSvc = Math.max(this.maxSvc, l.id);
    for (let k = 1; k < this.parts.length; k++) {
      const dm = this.destMap[k];
      const sm = this.svcMap[k];
      dm.fill(0);
      sm.clear();
      for (const [key, l0] of layouts[0]) {
        const lk = layouts[k].get(key);
        if (!lk) continue;
        sm.set(lk.id, l0.id);
        if (lk.ids.length !== l0.ids.length) continue;
        for (let i = 0; i < l0.ids.length; i++) dm[lk.ids[i]] = l0.ids[i];
      }
    }
    this.fresh = false;
  }

  private refresh(): void {
    if (this.fresh) return;
    this.fresh = true;
    setImmediate(() => {
      this.fresh = false;
    });
    const s = this.sums;
    const p0 = this.parts[0];
    const top = p0.highWater[0];
    for (const k of DEST_SUMS) s[k].set((p0[k] as Arr).subarray(0, top));
    for (const k of WHOLE_SUMS) s[k].set(p0[k] as Arr);
    const svcEnd = STAT_FIELDS * (this.maxSvc + 1);
    s.retiredSvc.set(p0.retiredSvc.subarray(0, svcEnd));
    const totals = s.totals;
    for (let w = 1; w < this.parts.length; w++) {
      const p = this.parts[w];
      const dm = this.destMap[w];
      const sm = this.svcMap[w];
      const end = Math.min(p.highWater[0], dm.length);
      for (let d = 1; d < end; d++) {
        const svc = p.destSvc[d];
        if (svc === 0) continue;
        const d0 = dm[d];
        if (d0 !== 0 && d0 < top) {
          for (const k of DEST_SUMS) s[k][d0] += (p[k] as Arr)[d];
          continue;
        }
        // Not listed by worker 0: what it holds is its service's retired stats.
        const s0 = sm.get(svc) ?? 0;
        DEST_STATS.forEach((k, f) => {
          const v = p[k][d];
          s.retiredTotal[f] += v;
          if (s0 !== 0) s.retiredSvc[STAT_FIELDS * s0 + f] += v;
        });
      }
      for (const [sk, s0] of sm) {
        for (let f = 0; f < STAT_FIELDS; f++) s.retiredSvc[STAT_FIELDS * s0 + f] += p.retiredSvc[STAT_FIELDS * sk + f];
      }
      for (const k of WHOLE_SUMS) {
        const from = p[k] as Arr;
        const to = s[k];
        for (let i = 0; i < to.length && i < from.length; i++) to[i] += from[i];
      }
      for (const g of GAUGES) totals[g] = Math.max(totals[g] - p.totals[g], p.totals[g]);
      // The version switched when every worker switched.
      s.host[H_VERSION] = Math.min(s.host[H_VERSION] - p.host[H_VERSION], p.host[H_VERSION]);
    }
  }
}
