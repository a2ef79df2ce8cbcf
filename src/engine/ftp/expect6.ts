// Passive-mode data connections of IPv6 control connections, announced by a 229
// reply and not yet opened (expect.ts is IPv4's; a table of their own keeps
// IPv4's keys and its miss path as they were). Keyed by the XOR folds of the
// client address and the VIP (as the connection table keys IPv6 rows) and the
// port; the full addresses are kept and compared when the client's SYN comes,
// so a client whose fold collides takes nothing that is not its own. Two
// announcements whose folds and port collide keep the newer. Bounded, preallocated.
import { IntMap } from '../int-map.js';

/** Words per entry: client address, VIP, real server address (4 each). */
export const X6 = 12;

export class FtpExpects6 {
  readonly capacity: number;
  /** X6 words per entry: client at e*X6, VIP at +4, real server at +8. */
  readonly words: Int32Array;
  readonly vport: Uint16Array;
  readonly dport: Uint16Array;
  readonly dest: Uint32Array;
  /** Slot of the control connection (checked again when it is used). */
  readonly control: Uint32Array;
  readonly deadline: Float64Array;
  private readonly byKey: IntMap;
  private readonly free: Uint32Array;
  private nFree: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    const n = capacity + 1;
    this.words = new Int32Array(n * X6);
    this.vport = new Uint16Array(n);
    this.dport = new Uint16Array(n);
    this.dest = new Uint32Array(n);
    this.control = new Uint32Array(n);
    this.deadline = new Float64Array(n);
    this.byKey = new IntMap(capacity);
    this.free = new Uint32Array(capacity);
    for (let k = 0; k < capacity; k++) this.free[k] = capacity - k;
    this.nFree = capacity;
  }

  /** How many wait: the IPv6 path's no-service case asks only when this is not 0. */
  get waiting(): number {
    return this.capacity - this.nFree;
  }

  /**
   * Announces client c[co..] -> VIP v[vo..]:vport as the real server d[dOff..]:dport
   * of `dest`; false when full of live ones.
   */
  add(c: Int32Array, co: number, v: Int32Array, vo: number, vport: number, d: Int32Array, dOff: number, dport: number,
      dest: number, control: number, deadline: number, now: number): boolean {
    const cf = (c[co] ^ c[co + 1] ^ c[co + 2] ^ c[co + 3]) >>> 0;
    const vf = (v[vo] ^ v[vo + 1] ^ v[vo + 2] ^ v[vo + 3]) >>> 0;
    const key = cf * 65536 + vport;
    let e = this.byKey.get(key, vf);
    if (e <= 0) {
      if (this.nFree === 0) this.expire(now);
      if (this.nFree === 0) return false;
      e = this.free[--this.nFree];
      this.byKey.set(key, vf, e);
    }
    const w = this.words, b = e * X6;
    for (let k = 0; k < 4; k++) {
      w[b + k] = c[co + k];
      w[b + 4 + k] = v[vo + k];
      w[b + 8 + k] = d[dOff + k];
    }
    this.vport[e] = vport;
    this.dport[e] = dport;
    this.dest[e] = dest;
    this.control[e] = control;
    this.deadline[e] = deadline;
    return true;
  }

  /**
   * The announcement a client's SYN from a[0..3] to a[4..7]:vport answers, taken
   * out; 0 when none (or it lapsed). Its fields stay readable until the next add().
   */
  take(a: Int32Array, vport: number, now: number): number {
    const cf = (a[0] ^ a[1] ^ a[2] ^ a[3]) >>> 0;
    const vf = (a[4] ^ a[5] ^ a[6] ^ a[7]) >>> 0;
    const e = this.byKey.get(cf * 65536 + vport, vf);
    if (e <= 0) return 0;
    const w = this.words, b = e * X6;
    for (let k = 0; k < 8; k++) if (w[b + k] !== a[k]) return 0;
    const live = this.deadline[e] > now;
    this.remove(e);
    return live ? e : 0;
  }

  /** Frees every lapsed announcement. */
  expire(now: number): void {
    for (let e = 1; e <= this.capacity; e++) {
      if (this.deadline[e] !== 0 && this.deadline[e] <= now) this.remove(e);
    }
  }

  private remove(e: number): void {
    const w = this.words, b = e * X6;
    const cf = (w[b] ^ w[b + 1] ^ w[b + 2] ^ w[b + 3]) >>> 0;
    const vf = (w[b + 4] ^ w[b + 5] ^ w[b + 6] ^ w[b + 7]) >>> 0;
    this.byKey.delete(cf * 65536 + this.vport[e], vf);
    this.deadline[e] = 0;
    this.free[this.nFree++] = e;
  }
}
