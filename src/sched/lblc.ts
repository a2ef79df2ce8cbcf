// Locality-based least-connection (ip_vs_lblc.c), for cache clusters: each
// destination IP sticks to one server.
//   if cachenode[dest_ip] is null then
//       n, cachenode[dest_ip] <- {weighted least-conn node};
//   else
//       n <- cachenode[dest_ip];
//       if (n is dead) OR (n.conns>n.weight AND there is a node m with m.conns<m.weight/2) then
//           n, cachenode[dest_ip] <- {weighted least-conn node};
//   return n;
// "dead" is: not available or weight <= 0. The OVERLOAD flag (-x threshold) is
// not consulted for a cached dest, so lblc keeps sending a destination IP to
// its server past the server's upper threshold; only the WLC pick skips it.
// The cache is bounded (16 * 1024 entries, no new entry beyond) and collected
// by locality-table.ts.
import { LocalityScheduler } from './locality-base.js';
import { LOCALITY_MAX_SIZE, type LocalityEntry } from './locality-table.js';
import type { DestView } from './types.js';

interface LblcEntry extends LocalityEntry {
  dest: number;
}

export class LocalityLeastConnection extends LocalityScheduler<LblcEntry> {
  readonly name = 'lblc';
  override schedule(dests: DestView, _saddr: number, _sport: number, daddr: number, _dport: number, now: number): number {
    const table = this.table;
    table.tick(now);
    const en = table.entries.get(daddr);
    if (en) {
      en.lastuse = now;
      const d = en.dest;
      if (this.available(dests, d) && dests.weight[d] > 0 && !this.overloaded(dests, d)) return d;
    }
    // "No cache entry or it is invalid, time to schedule"
    const d = this.least(dests);
    if (d === 0) return 0;
    // ip_vs_lblc_new(): keep an entry already on this dest, else replace it,
    // "if (atomic_read(&tbl->entries) > tbl->max_size) return NULL" (the dest is used anyway).
    if (en) {
      if (en.dest === d) return d;
      table.entries.delete(daddr);
    }
    if (table.size > LOCALITY_MAX_SIZE) return d;
    table.entries.set(daddr, { dest: d, lastuse: now });
    return d;
  }

  /** The kernel would find the entry's dest dead and schedule afresh: no entry does the same. */
  override forget(d: number): void {
    for (const [ip, en] of this.table.entries) if (en.dest === d) this.table.entries.delete(ip);
  }
}
