// Per-real-server ("dest") runtime counters, indexed by a dest id 1..capacity-1 (0 = none).
// The service table (model/) is immutable and swapped on every change; these counters
// are not: they belong to the data plane and survive swaps, as struct ip_vs_dest's
// atomics survive ipvsadm edits. Schedulers read active/inactive/weight/flags here.
import { CONN_F_INACTIVE, CONN_F_TEMPLATE } from './flags.js';
import { privateAlloc, type Alloc } from './memory.js';

/** IP_VS_DEST_F_AVAILABLE: the dest is in its service's list. */
export const DEST_F_AVAILABLE = 1;
/** IP_VS_DEST_F_OVERLOAD: the upper connection threshold (-x) was reached. */
export const DEST_F_OVERLOAD = 2;

export class Dests {
  readonly capacity: number;
  /** Current weight; 0 = quiesced (no new conns, existing ones continue). */
  readonly weight: Int32Array;
  readonly flags: Uint8Array;
  /** ActiveConn (activeconns). */
  readonly active: Uint32Array;
  /** InActConn (inactconns). */
  readonly inactive: Uint32Array;
  /** PersistConn (persistconns): templates bound to this dest. */
  readonly persist: Uint32Array;
  /** -x upper threshold (u_threshold), 0 = none. */
  readonly upper: Uint32Array;
  /** -y lower threshold (l_threshold), 0 = none. */
  readonly lower: Uint32Array;
  /** The real server's address and port (mh hashes them, as ip_vs_mh does). */
  readonly addr: Uint32Array;
  readonly port: Uint16Array;
  /**
   * Called after dest d's active/inactive counters or overload flag changed, so a
   * scheduler that indexes them (least-connection over thousands of servers)
   * can follow without scanning. Templates (persist) do not call it.
   */
  onChange: ((d: number) => void) | null = null;

  /** `alloc` puts the arrays in shared memory when another thread reads them (memory.ts). */
  constructor(capacity: number, alloc: Alloc = privateAlloc) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError(`dest capacity must be an integer >= 2, got ${capacity}`);
    this.capacity = capacity;
    this.weight = alloc(Int32Array, capacity);
    this.flags = alloc(Uint8Array, capacity);
    this.active = alloc(Uint32Array, capacity);
    this.inactive = alloc(Uint32Array, capacity);
    this.persist = alloc(Uint32Array, capacity);
    this.upper = alloc(Uint32Array, capacity);
    this.lower = alloc(Uint32Array, capacity);
    this.addr = alloc(Uint32Array, capacity);
    this.port = alloc(Uint16Array, capacity);
  }

  /** ip_vs_dest_totalconns(): "activeconns + inactconns"; templates are not counted. */
  total(d: number): number {
    return this.active[d] + this.inactive[d];
  }

  /**
   * ip_vs_bind_dest(): "if it is a normal connection ... if (!(flags & IP_VS_CONN_F_INACTIVE))
   * activeconns++ else inactconns++ ... else persistconns++", then
   * "if (dest->u_threshold != 0 && ip_vs_dest_totalconns(dest) >= dest->u_threshold)
   *  dest->flags |= IP_VS_DEST_F_OVERLOAD".
   */
  bind(d: number, connFlags: number): void {
    if ((connFlags & CONN_F_TEMPLATE) !== 0) this.persist[d]++;
    else if ((connFlags & CONN_F_INACTIVE) !== 0) this.inactive[d]++;
    else {
      this.active[d]++;
    }
    const upper = this.upper[d];
    if (upper !== 0 && this.active[d] + this.inactive[d] >= upper) this.flags[d] |= DEST_F_OVERLOAD;
    if ((connFlags & CONN_F_TEMPLATE) === 0 && this.onChange !== null) this.onChange(d);
  }

  /**
   * ip_vs_unbind_dest(): decrement the counter bind() incremented, then
   * "if (dest->l_threshold != 0) { if (totalconns < l_threshold) clear OVERLOAD }
   *  else if (dest->u_threshold != 0) { if (totalconns * 4 < u_threshold * 3) clear }
   *  else clear". The 3/4 rule is the hysteresis when only -x is given.
   */
  unbind(d: number, connFlags: number): void {
    if ((connFlags & CONN_F_TEMPLATE) !== 0) this.persist[d]--;
    else if ((connFlags & CONN_F_INACTIVE) !== 0) this.inactive[d]--;
    else this.active[d]--;
    const total = this.active[d] + this.inactive[d];
    const lower = this.lower[d];
    const upper = this.upper[d];
    if (lower !== 0) {
      if (total < lower) this.flags[d] &= ~DEST_F_OVERLOAD;
    } else if (upper !== 0) {
      if (total * 4 < upper * 3) this.flags[d] &= ~DEST_F_OVERLOAD;
    } else {
      this.flags[d] &= ~DEST_F_OVERLOAD;
    }
    if ((connFlags & CONN_F_TEMPLATE) === 0 && this.onChange !== null) this.onChange(d);
  }

  /** set_tcp_state(), entering ESTABLISHED from INACTIVE: "activeconns++; inactconns--". */
  toActive(d: number): void {
    this.active[d]++;
    this.inactive[d]--;
    if (this.onChange !== null) this.onChange(d);
  }

  /** set_tcp_state(), leaving ESTABLISHED: "activeconns--; inactconns++". */
  toInactive(d: number): void {
    this.active[d]--;
    this.inactive[d]++;
    if (this.onChange !== null) this.onChange(d);
  }

  /** Zeroes a dest id for reuse (counters, thresholds, weight, flags). */
  clear(d: number): void {
    this.weight[d] = 0;
    this.flags[d] = 0;
    this.active[d] = 0;
    this.inactive[d] = 0;
    this.persist[d] = 0;
    this.upper[d] = 0;
    this.lower[d] = 0;
  }
}
