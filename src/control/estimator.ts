// The kernel's rate estimator (net/netfilter/ipvs/ip_vs_est.c), as pure code
// with the clock injected: every 2 seconds each stats object's counters are
// read and folded into exponentially weighted averages, which `ipvsadm -L
// --rate` and `--stats` print as CPS, InPPS, OutPPS, InBPS and OutBPS.
//
// The kernel's estimation_timer, per stats object, with the counters read at
// that moment:
//
//   /* scaled by 2^10, but divided 2 seconds */
//   rate = (n_conns - e->last_conns) << 9;
//   e->last_conns = n_conns;
//   e->cps += ((s64)rate - (s64)e->cps) >> 2;
//   ... inpkts -> inpps, outpkts -> outpps likewise ...
//   /* scaled by 2^5, but divided 2 seconds */
//   rate = (n_inbytes - e->last_inbytes) << 4;
//   e->inbps += ((s64)rate - (s64)e->inbps) >> 2;   ... outbytes -> outbps ...
//
// and ip_vs_read_estimator:
//
//   dst->cps = (e->cps + 0x1FF) >> 10;   inpps, outpps likewise
//   dst->inbps = (e->inbps + 0xF) >> 5;  outbps likewise
//
// Arithmetic: JS's << and >> work on 32 bits, and counters pass 2^32, so this
// file uses * and Math.floor(x / 4) instead. `>>` on a negative s64 is an
// arithmetic shift, i.e. floor division, which Math.floor reproduces (a
// truncating division would stall a decaying average at 3 instead of reaching
// 0). Plain doubles are exact here: every value is an integer, division by a
// power of two of an integer is exact, and the largest intermediate is a
// period's byte delta times 16; that stays below 2^53 up to 5.6e14 bytes in 2 s
// (2 Pbit/s), and a packet or connection delta times 512 up to 1.7e13 in 2 s.
// The averages never exceed the largest rate fed to them. BigInt would buy
// nothing but allocation.
import type { RatesView, StatsView } from './types.js';

/** The kernel's timer: mod_timer(&ipvs->est_timer, jiffies + 2*HZ). */
export const ESTIMATION_PERIOD_MS = 2000;

/** struct ip_vs_estimator: the counters last seen and the scaled averages. */
interface Est {
  lastConns: number;
  lastInPkts: number;
  lastOutPkts: number;
  lastInBytes: number;
  lastOutBytes: number;
  /** Scaled by 2^10. */
  cps: number;
  inpps: number;
  outpps: number;
  /** Scaled by 2^5. */
  inbps: number;
  outbps: number;
  /** The period in which it was last fed. */
  seen: number;
}

/** `avg += (rate - avg) >> 2`, with >> as the arithmetic shift of a signed 64-bit value. */
const ewma = (avg: number, rate: number): number => avg + Math.floor((rate - avg) / 4);

export class Estimator {
  private readonly ests = new Map<string, Est>();
  private period = 0;
  private nextAt = -Infinity;

  /**
   * Runs one period if one is due at `now` (ms): feeds every stats object
   * `read` gives, then forgets the keys it did not give. The first call starts
   * the clock (and only records each key's counters). Like the kernel's timer,
   * the next period is due 2 s after this one ran, so a late run is never
   * caught up with a second one.
   */
  tick(now: number, read: () => Iterable<readonly [string, StatsView]>): boolean {
    if (now < this.nextAt) return false;
    this.nextAt = now + ESTIMATION_PERIOD_MS;
    for (const [key, stats] of read()) this.sample(key, stats);
    this.endPeriod();
    return true;
  }

  /**
   * Folds one stats object's counters, read now, into its averages. A key seen
   * for the first time starts as ip_vs_zero_estimator leaves one: the counters
   * as they are and averages of 0, so a router that starts (or a server added)
   * with counters already running does not report its whole history as one
   * period's rate. Counters that went backwards belong to a new stats object
   * under the same key (a server removed and added again within a period): it
   * starts afresh the same way.
   */
  sample(key: string, s: StatsView): void {
    const e = this.ests.get(key);
    if (
      !e ||
      s.conns < e.lastConns ||
      s.inPkts < e.lastInPkts ||
      s.outPkts < e.lastOutPkts ||
      s.inBytes < e.lastInBytes ||
      s.outBytes < e.lastOutBytes
    ) {
      this.zero(key, s);
      return;
    }
    // "scaled by 2^10, but divided 2 seconds": << 9.
    e.cps = ewma(e.cps, (s.conns - e.lastConns) * 512);
    e.inpps = ewma(e.inpps, (s.inPkts - e.lastInPkts) * 512);
    e.outpps = ewma(e.outpps, (s.outPkts - e.lastOutPkts) * 512);
    // "scaled by 2^5, but divided 2 seconds": << 4.
    e.inbps = ewma(e.inbps, (s.inBytes - e.lastInBytes) * 16);
    e.outbps = ewma(e.outbps, (s.outBytes - e.lastOutBytes) * 16);
    remember(e, s);
    e.seen = this.period;
  }

  /** Closes the period: a key not fed in it is gone (a removed service or server). */
  endPeriod(): void {
    for (const [key, e] of this.ests) if (e.seen !== this.period) this.ests.delete(key);
    this.period++;
  }

  /** ip_vs_read_estimator: per-second rates, rounded to nearest. Zeros for a key never fed. */
  read(key: string): RatesView {
    const e = this.ests.get(key);
    if (!e) return { cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };
    return {
      cps: Math.floor((e.cps + 0x1ff) / 1024),
      inPps: Math.floor((e.inpps + 0x1ff) / 1024),
      outPps: Math.floor((e.outpps + 0x1ff) / 1024),
      inBps: Math.floor((e.inbps + 0xf) / 32),
      outBps: Math.floor((e.outbps + 0xf) / 32),
    };
  }

  /** ip_vs_zero_estimator: the counters as they are now become the base, and every average 0. */
  zero(key: string, s: StatsView): void {
    const e: Est = { lastConns: 0, lastInPkts: 0, lastOutPkts: 0, lastInBytes: 0, lastOutBytes: 0, cps: 0, inpps: 0, outpps: 0, inbps: 0, outbps: 0, seen: this.period };
    remember(e, s);
    this.ests.set(key, e);
  }

  /** The keys it estimates now. */
  keys(): IterableIterator<string> {
    return this.ests.keys();
  }
}

function remember(e: Est, s: StatsView): void {
  e.lastConns = s.conns;
  e.lastInPkts = s.inPkts;
  e.lastOutPkts = s.outPkts;
  e.lastInBytes = s.inBytes;
  e.lastOutBytes = s.outBytes;
}
