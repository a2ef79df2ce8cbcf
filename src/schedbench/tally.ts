// The benchmark checks its own bookkeeping against the data plane's at every
// sample: what it opened and closed, and what the table created and freed,
// against the dest counters IPVS would show (ActiveConn, InActConn, PersistConn).
import type { PsServer } from './ps-server.js';
import type { World } from './world.js';

export interface Tally {
  /** Samples at which the checks ran, and how many found a difference. */
  checks: number;
  mismatches: number;
  /** The first difference found, with its time. */
  first: string | null;
}

/**
 * - per server: ActiveConn summed over its dest ids = requests in progress on it
 *   (TCP; every open connection is ESTABLISHED, every other state is inactive);
 * - ActiveConn + InActConn + PersistConn over all dests = entries in the table;
 * - entries in the table = entries added - entries freed, as counted by World.
 */
export function checkTally(tally: Tally, world: World, ps: readonly PsServer[], tcp: boolean, now: number): void {
  tally.checks++;
  const d = world.rt.dests;
  const perSrv = new Float64Array(ps.length);
  let live = 0;
  for (let id = 1; id < d.capacity && id < world.srvOf.length; id++) {
    live += d.active[id] + d.inactive[id] + d.persist[id];
    if (world.srvOf[id] >= 0) perSrv[world.srvOf[id]] += d.active[id];
  }
  const problems: string[] = [];
  if (tcp) {
    ps.forEach((srv, k) => {
      if (perSrv[k] !== srv.n) problems.push(`server ${k + 1}: ActiveConn ${perSrv[k]} but ${srv.n} open`);
    });
  }
  const count = world.conns.count;
  if (live !== count) problems.push(`dest counters sum to ${live}, table holds ${count}`);
  if (count !== world.added - world.freed) problems.push(`table holds ${count}, added - freed = ${world.added - world.freed}`);
  if (problems.length) {
    tally.mismatches++;
    tally.first ??= `t=${(now / 1000).toFixed(3)} s: ${problems.join('; ')}`;
  }
}
