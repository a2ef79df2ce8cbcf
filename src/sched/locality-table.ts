// The per-service table of lblc and lblcr: destination IP -> cache entry, and
// its garbage collection. The kernel runs ip_vs_lblc(r)_check_expire() from a
// timer every CHECK_EXPIRE_INTERVAL; tsvs has no timers, so schedule() first
// runs every tick that fell due since the last call, at the tick's own time.
// Lookups between two ticks all happen before the later tick is run, as in
// the kernel, so the outcome is the same; the first tick is due one interval
// after the first schedule() call (the kernel's timer starts at init_svc).
//
// Each tick: "if ((tbl->counter % COUNT_FOR_FULL_EXPIRATION) == 0)" drop every
// entry unused for the sysctl expiration (full check) and reset the counter to
// 1; else if the table holds at most max_size entries, only count; else drop
// entries idle for ENTRY_TIMEOUT, bucket by bucket from the rover, until
//   goal = min((entries - max_size) * 4 / 3, max_size / 2)
// is reached (checked after each whole bucket).
import { hash32, legacyHash } from './hash.js';

export const CHECK_EXPIRE_INTERVAL = 60 * 1000;
export const ENTRY_TIMEOUT = 6 * 60 * 1000;
/** DEFAULT_EXPIRATION of lblc_expiration and lblcr_expiration: 24 h. */
export const DEFAULT_EXPIRATION = 24 * 60 * 60 * 1000;
export const COUNT_FOR_FULL_EXPIRATION = 30;
/** CONFIG_IP_VS_LBLC_TAB_BITS / CONFIG_IP_VS_LBLCR_TAB_BITS default 10. */
export const LOCALITY_TAB_BITS = 10;
export const LOCALITY_TAB_SIZE = 1 << LOCALITY_TAB_BITS;
/** "tbl->max_size = IP_VS_LBLC_TAB_SIZE*16" */
export const LOCALITY_MAX_SIZE = LOCALITY_TAB_SIZE * 16;

export interface LocalityEntry {
  /** Last lookup (ms), "en->lastuse = jiffies". */
  lastuse: number;
}

export class LocalityTable<E extends LocalityEntry> {
  /** Keyed by destination IP; the kernel's hash buckets only matter to the collector. */
  readonly entries = new Map<number, E>();
  private rover = 0;
  private counter = 1;
  private nextTick = -1;
  private readonly hash: (val: number, bits: number) => number;

  constructor(readonly expiration: number = DEFAULT_EXPIRATION, legacy = false) {
    this.hash = legacy ? legacyHash : hash32;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Runs the collector ticks due by `now`. */
  tick(now: number): void {
    if (this.nextTick < 0) {
      this.nextTick = now + CHECK_EXPIRE_INTERVAL;
      return;
    }
    while (now >= this.nextTick) {
      const rest = this.counter % COUNT_FOR_FULL_EXPIRATION;
      if (rest !== 0 && this.entries.size <= LOCALITY_MAX_SIZE) {
        // Ticks that only count: take them in one step (an idle hour is 60 of them).
        const due = Math.floor((now - this.nextTick) / CHECK_EXPIRE_INTERVAL) + 1;
        const k = Math.min(due, COUNT_FOR_FULL_EXPIRATION - rest);
        this.counter += k;
        this.nextTick += k * CHECK_EXPIRE_INTERVAL;
        continue;
      }
      this.checkExpire(this.nextTick);
      this.nextTick += CHECK_EXPIRE_INTERVAL;
    }
  }

  /** One run of ip_vs_lblc(r)_check_expire() at time t. */
  checkExpire(t: number): void {
    if (this.counter % COUNT_FOR_FULL_EXPIRATION === 0) {
      // ip_vs_lblc_full_check: "if (time_before(now, en->lastuse + sysctl_lblc_expiration(svc))) continue;"
      for (const [key, en] of this.entries) if (t - en.lastuse >= this.expiration) this.entries.delete(key);
      this.counter = 1;
      return;
    }
    if (this.entries.size <= LOCALITY_MAX_SIZE) {
      this.counter++;
      return;
    }
    let goal = Math.trunc(((this.entries.size - LOCALITY_MAX_SIZE) * 4) / 3);
    if (goal > LOCALITY_MAX_SIZE / 2) goal = LOCALITY_MAX_SIZE / 2;
    // The stale entries ("time_before(now, en->lastuse + ENTRY_TIMEOUT)" is false), by bucket.
    const stale = new Map<number, number[]>();
    for (const [key, en] of this.entries) {
      if (t - en.lastuse < ENTRY_TIMEOUT) continue;
      const b = this.bucket(key);
      const list = stale.get(b);
      if (list) list.push(key);
      else stale.set(b, [key]);
    }
    let j = this.rover;
    for (let i = 0; i < LOCALITY_TAB_SIZE; i++) {
      j = (j + 1) & (LOCALITY_TAB_SIZE - 1);
      const list = stale.get(j);
      if (list) {
        for (const key of list) this.entries.delete(key);
        goal -= list.length;
      }
      if (goal <= 0) break;
    }
    this.rover = j;
  }

  /** ip_vs_lblc_hashkey(): hash_32(ntohl(daddr), IP_VS_LBLC_TAB_BITS). */
  bucket(daddr: number): number {
    return this.hash(daddr, LOCALITY_TAB_BITS);
  }
}
