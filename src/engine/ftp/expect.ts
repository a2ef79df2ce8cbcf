// Passive-mode data connections announced by a 227 or 229 reply and not yet
// opened by the client. IPVS creates a connection with no client port
// (IP_VS_CONN_F_NO_CPORT) in state LISTEN (2 minutes) and fills the port in when
// the client's SYN comes; tsvs keeps the announcement here, keyed by client
// address, VIP and port, and creates the connection from it on that SYN (the
// engine's miss path asks only while some are waiting). Bounded, preallocated.
import { IntMap } from '../int-map.js';

export class FtpExpects {
  readonly capacity: number;
  readonly caddr: Int32Array;
  readonly vaddr: Int32Array;
  readonly vport: Uint16Array;
  readonly daddr: Int32Array;
  readonly dport: Uint16Array;
  readonly dest: Uint32Array;
  /** Slot of the control connection (its client tuple is checked again when it is used). */
  readonly control: Uint32Array;
  readonly deadline: Float64Array;
  private readonly byKey: IntMap;
  private readonly free: Uint32Array;
  private nFree: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    const n = capacity + 1;
    this.caddr = new Int32Array(n);
    this.vaddr = new Int32Array(n);
    this.vport = new Uint16Array(n);
    this.daddr = new Int32Array(n);
    this.dport = new Uint16Array(n);
    this.dest = new Uint32Array(n);
    this.control = new Uint32Array(n);
    this.deadline = new Float64Array(n);
    this.byKey = new IntMap(capacity);
    this.free = new Uint32Array(capacity);
    for (let k = 0; k < capacity; k++) this.free[k] = capacity - k;
    this.nFree = capacity;
  }

  /** How many wait: the engine's miss path asks only when this is not 0. */
  get waiting(): number {
    return this.capacity - this.nFree;
  }

  /** Announces client caddr -> vaddr:vport as daddr:dport of `dest`; false when full of live ones. */
  add(caddr: number, vaddr: number, vport: number, daddr: number, dport: number, dest: number, control: number, deadline: number, now: number): boolean {
    const key = (caddr >>> 0) * 65536 + vport;
    let e = this.byKey.get(key, vaddr >>> 0);
    if (e <= 0) {
      if (this.nFree === 0) this.expire(now);
      if (this.nFree === 0) return false;
      e = this.free[--this.nFree];
      this.byKey.set(key, vaddr >>> 0, e);
    }
    this.caddr[e] = caddr | 0;
    this.vaddr[e] = vaddr | 0;
    this.vport[e] = vport;
    this.daddr[e] = daddr | 0;
    this.dport[e] = dport;
    this.dest[e] = dest;
    this.control[e] = control;
    this.deadline[e] = deadline;
    return true;
  }

  /** The announcement a client's SYN to vaddr:vport answers, taken out; 0 when none (or it lapsed). */
  take(caddr: number, vaddr: number, vport: number, now: number): number {
    const key = (caddr >>> 0) * 65536 + vport;
    const e = this.byKey.get(key, vaddr >>> 0);
    if (e <= 0) return 0;
    const live = this.deadline[e] > now;
    this.remove(e);
    // The fields stay readable until the next add().
    return live ? e : 0;
  }

  /** Frees every lapsed announcement. */
  expire(now: number): void {
    for (let e = 1; e <= this.capacity; e++) {
      if (this.deadline[e] !== 0 && this.deadline[e] <= now) this.remove(e);
    }
  }

  private remove(e: number): void {
    this.byKey.delete((this.caddr[e] >>> 0) * 65536 + this.vport[e], this.vaddr[e] >>> 0);
    this.deadline[e] = 0;
    this.free[this.nFree++] = e;
  }
}
