// Locality-based least-connection with replication (ip_vs_lblcr.c): each
// destination IP maps to a set of servers, grown when its members are busy
// and shrunk when it has not changed for a while.
//   if serverSet[dest_ip] is null then
//       n, serverSet[dest_ip] <- {weighted least-conn node};
//   else
//       n <- {least-conn (alive) node in serverSet[dest_ip]};
//       if (n is null) OR (n.conns>n.weight AND there is a node m with m.conns<m.weight/2) then
//           n <- {weighted least-conn node}; add n to serverSet[dest_ip];
//       if |serverSet[dest_ip]| > 1 AND now - serverSet[dest_ip].lastMod > T then
//           m <- {most conn node in serverSet[dest_ip]}; remove m from serverSet[dest_ip];
//   if serverSet[dest_ip] changed then serverSet[dest_ip].lastMod <- now;
// In the code the shrink happens right after the least member is chosen (the
// chosen member is still used if it was the one removed). T is the sysctl
// lblcr_expiration, 24 h by default. Sets keep members that left the service
// (the kernel holds a reference); the least pick skips them as not available.
import { LocalityScheduler } from './locality-base.js';
import { LOCALITY_MAX_SIZE, type LocalityEntry } from './locality-table.js';
import { DEST_OVERLOAD, overhead, type DestView } from './types.js';

interface LblcrEntry extends LocalityEntry {
  /** Member dest ids, newest first (list_add_rcu at the head). */
  set: number[];
  /** "set->lastmod = jiffies" on every insert and erase. */
  lastmod: number;
}

export class LocalityLeastConnectionReplicated extends LocalityScheduler<LblcrEntry> {
  readonly name = 'lblcr';
  override schedule(dests: DestView, _saddr: number, _sport: number, daddr: number, _dport: number, now: number): number {
    const table = this.table;
    table.tick(now);
    const en = table.entries.get(daddr);
    if (en) {
      en.lastuse = now;
      let d = this.setMin(dests, en.set);
      // "More than one destination + enough time passed by, cleanup":
      // time_after(jiffies, en->set.lastmod + sysctl_lblcr_expiration(svc))
      if (en.set.length > 1 && now > en.lastmod + table.expiration) {
        const m = this.setMax(dests, en.set);
        if (m !== 0) {
          en.set.splice(en.set.indexOf(m), 1);
          en.lastmod = now;
        }
      }
      // "If the destination is not overloaded, use it"
      if (d !== 0 && !this.overloaded(dests, d)) return d;
      d = this.least(dests);
      if (d === 0) return 0;
      // ip_vs_dest_set_insert(&en->set, dest, true): no duplicate, lastmod only on a real insert.
      if (!en.set.includes(d)) {
        en.set.unshift(d);
        en.lastmod = now;
      }
      return d;
    }
    const d = this.least(dests);
    if (d === 0) return 0;
    // ip_vs_lblcr_new(): "if (atomic_read(&tbl->entries) > tbl->max_size) return NULL".
    if (table.size > LOCALITY_MAX_SIZE) return d;
    table.entries.set(daddr, { set: [d], lastmod: now, lastuse: now });
    return d;
  }

  /** A freed id leaves every set; an entry left with no member goes (its next use schedules afresh). */
  override forget(d: number): void {
    for (const [ip, en] of this.table.entries) {
      const at = en.set.indexOf(d);
      if (at < 0) continue;
      en.set.splice(at, 1);
      if (en.set.length === 0) this.table.entries.delete(ip);
    }
  }

  /**
   * ip_vs_dest_set_min(): the first member not overloaded with weight > 0 and
   * available, then any later member that is not overloaded, strictly less
   * loaded ("loh * w(dest) > doh * w(least)") and available.
   */
  private setMin(dests: DestView, set: number[]): number {
    let i = 0;
    let least = 0;
    for (; i < set.length; i++) {
      const d = set[i];
      if ((dests.flags[d] & DEST_OVERLOAD) !== 0) continue;
      if (dests.weight[d] > 0 && this.available(dests, d)) {
        least = d;
        break;
      }
    }
    if (least === 0) return 0;
    let loh = overhead(dests, least);
    for (i++; i < set.length; i++) {
      const d = set[i];
      if ((dests.flags[d] & DEST_OVERLOAD) !== 0) continue;
      const doh = overhead(dests, d);
      if (loh * dests.weight[d] > doh * dests.weight[least] && this.available(dests, d)) {
        least = d;
        loh = doh;
      }
    }
    return least;
  }

  /**
   * ip_vs_dest_set_max(): the first member with weight > 0, then any later one
   * with weight > 0 and strictly more loaded ("moh * w(dest) < doh * w(most)").
   * Neither the overload flag nor availability is looked at.
   */
  private setMax(dests: DestView, set: number[]): number {
    let i = 0;
    let most = 0;
    for (; i < set.length; i++) {
      if (dests.weight[set[i]] > 0) {
        most = set[i];
        break;
      }
    }
    if (most === 0) return 0;
    let moh = overhead(dests, most);
    for (i++; i < set.length; i++) {
      const d = set[i];
      const doh = overhead(dests, d);
      if (moh * dests.weight[d] < doh * dests.weight[most] && dests.weight[d] > 0) {
        most = d;
        moh = doh;
      }
    }
    return most;
  }
}
