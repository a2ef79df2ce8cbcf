// Synced conns waiting for their real server. A backup that (re)starts hears its
// partner's conns before its own health checks have admitted the servers they
// name (the partner sends its whole table as soon as it hears the backup again),
// so "no such server" there is often "not yet". The kernel creates such a conn
// unbound and binds it when the dest appears (ip_vs_try_bind_dest); tsvs forwards
// only bound conns, so it keeps the message here and imports it again when the
// table changes, until the conn's own timeout passes. Without this, a restarted
// primary that preempts knows none of the flows to servers its checks had not
// passed when the table came, and drops them.
//
// Fixed-size columns, filled at park and read back into one reused record: no
// allocation per conn (an FTP control connection's sequence offset and an IPv6
// conn's addresses included).
// Full, a message is dropped and counted.
import { SYNC_A6, type SyncConn } from '../sync/layout.js';

/** Columns of one parked message, in SyncConn's order, then the version. */
const F_PROTOCOL = 0, F_CADDR = 1, F_CPORT = 2, F_VADDR = 3, F_VPORT = 4, F_DADDR = 5, F_DPORT = 6;
const F_FLAGS = 7, F_STATE = 8, F_FWMARK = 9, F_TIMEOUT = 10, F_VERSION = 11;
/** The FTP helper's sequence offset (the kernel's out_seq option): present, then its three words. */
const F_HAS_OUT = 12, F_OUT_INIT = 13, F_OUT_DELTA = 14, F_OUT_PREV = 15;
/** An IPv6 conn: 1, then its SYNC_A6 address words (SyncConn.addr6). */
const F_V6 = 16, F_ADDR6 = 17, FIELDS = F_ADDR6 + SYNC_A6;

/** Retry outcome from the caller: true when the conn is still waiting for its server. */
export type RetryParked = (c: SyncConn, version: 0 | 1) => boolean;

export class ParkedSyncConns {
  count = 0;
  /** Messages not kept because the store was full. */
  dropped = 0;
  /** Conns imported on a later try, and messages given up when their conn would have expired. */
  bound = 0;
  expired = 0;
  private readonly cols: Uint32Array;
  private readonly parkedAt: Float64Array;
  private readonly until: Float64Array;
  private readonly rec: SyncConn = { protocol: 0, addr6: undefined, caddr: 0, cport: 0, vaddr: 0, vport: 0, daddr: 0, dport: 0, flags: 0, state: 0, fwmark: 0, timeout: 0 };
  private readonly outSeq = { initSeq: 0, delta: 0, previousDelta: 0 };
  private readonly addr6 = new Int32Array(SYNC_A6);

  constructor(readonly capacity: number) {
    this.cols = new Uint32Array(capacity * FIELDS);
    this.parkedAt = new Float64Array(capacity);
    this.until = new Float64Array(capacity);
  }

  /** Keeps conn `c` until `now + ttlMs`. */
  park(c: SyncConn, version: 0 | 1, now: number, ttlMs: number): void {
    if (this.count === this.capacity) {
      this.dropped++;
      return;
    }
    const i = this.count++, o = i * FIELDS, f = this.cols;
    f[o + F_PROTOCOL] = c.protocol;
    f[o + F_CADDR] = c.caddr;
    f[o + F_CPORT] = c.cport;
    f[o + F_VADDR] = c.vaddr;
    f[o + F_VPORT] = c.vport;
    f[o + F_DADDR] = c.daddr;
    f[o + F_DPORT] = c.dport;
    f[o + F_FLAGS] = c.flags;
    f[o + F_STATE] = c.state;
    f[o + F_FWMARK] = c.fwmark;
    f[o + F_TIMEOUT] = c.timeout;
    f[o + F_VERSION] = version;
    f[o + F_HAS_OUT] = c.outSeq ? 1 : 0;
    if (c.outSeq) {
      f[o + F_OUT_INIT] = c.outSeq.initSeq;
      f[o + F_OUT_DELTA] = c.outSeq.delta;
      f[o + F_OUT_PREV] = c.outSeq.previousDelta;
    }
    const a6 = c.addr6;
    f[o + F_V6] = a6 !== undefined ? 1 : 0;
    if (a6 !== undefined) for (let k = 0; k < SYNC_A6; k++) f[o + F_ADDR6 + k] = a6[k];
    this.parkedAt[i] = now;
    this.until[i] = now + ttlMs;
  }

  /**
   * Drops what has expired and, with `retry`, offers the rest again, newest
   * first (a newer message of a conn is the truer one; once it binds the conn,
   * the caller skips the older ones). The time parked comes off a v1 timeout.
   */
  sweep(now: number, retry: RetryParked | null): void {
    for (let i = this.count - 1; i >= 0; i--) {
      if (this.until[i] <= now) {
        this.expired++;
        this.remove(i);
      } else if (retry !== null && !retry(this.read(i, now), this.cols[i * FIELDS + F_VERSION] as 0 | 1)) {
        this.bound++;
        this.remove(i);
      }
    }
  }

  private read(i: number, now: number): SyncConn {
    const o = i * FIELDS, f = this.cols, r = this.rec;
    r.protocol = f[o + F_PROTOCOL];
    r.caddr = f[o + F_CADDR];
    r.cport = f[o + F_CPORT];
    r.vaddr = f[o + F_VADDR];
    r.vport = f[o + F_VPORT];
    r.daddr = f[o + F_DADDR];
    r.dport = f[o + F_DPORT];
    r.flags = f[o + F_FLAGS];
    r.state = f[o + F_STATE];
    r.fwmark = f[o + F_FWMARK];
    if (f[o + F_V6] === 1) {
      const a = this.addr6;
      for (let k = 0; k < SYNC_A6; k++) a[k] = f[o + F_ADDR6 + k];
      r.addr6 = a;
    } else {
      r.addr6 = undefined;
    }
    const t = f[o + F_TIMEOUT];
    r.timeout = t === 0 ? 0 : Math.max(1, t - Math.floor((now - this.parkedAt[i]) / 1000));
    if (f[o + F_HAS_OUT] === 1) {
      const s = this.outSeq;
      [s.initSeq, s.delta, s.previousDelta] = [f[o + F_OUT_INIT], f[o + F_OUT_DELTA] | 0, f[o + F_OUT_PREV] | 0];
      r.outSeq = s;
    } else {
      delete r.outSeq;
    }
    return r;
  }

  /** The last entry takes slot i (already visited: the sweep runs downwards). */
  private remove(i: number): void {
    const last = --this.count;
    if (i !== last) {
      this.cols.copyWithin(i * FIELDS, last * FIELDS, last * FIELDS + FIELDS);
      this.parkedAt[i] = this.parkedAt[last];
      this.until[i] = this.until[last];
    }
  }
}
