// Per-connection state of the FTP helper: what the client last asked for (PASV
// or EPSV) and the sequence offset that rewriting the server's replies caused
// (struct ip_vs_seq of ip_vs_app.c: init_seq, delta, previous_delta). Only the
// server -> client direction is ever rewritten (227 replies), so only out_seq is
// kept; the client's acknowledgements and SACK blocks take the offset back off.
// A fixed number of sessions, preallocated; a session belongs to a connection
// slot (and is checked against its client tuple, since slots are reused).
import { readU32, writeU32 } from '../../packet/bytes.js';
import { IntMap } from '../int-map.js';

/** RFC 1982-style "a is after b" for 32-bit sequence numbers (the kernel's after()). */
export function after(a: number, b: number): boolean {
  return ((b - a) | 0) < 0;
}

const TCPOPT_EOL = 0, TCPOPT_NOP = 1, TCPOPT_SACK = 5;

export class FtpSessions {
  readonly capacity: number;
  /** Connection slot owning each session (0 = free), and its client tuple (slots are reused). */
  readonly owner: Uint32Array;
  readonly caddr: Int32Array;
  readonly cport: Uint16Array;
  /** FTP_PASV / FTP_EPSV after the client asked (cp->app_data), else 0. */
  readonly expect: Uint8Array;
  /** ip_vs_seq of the server -> client direction; `adjusted` = IP_VS_CONN_F_OUT_SEQ. */
  readonly initSeq: Int32Array;
  readonly delta: Int32Array;
  readonly prevDelta: Int32Array;
  readonly adjusted: Uint8Array;
  private readonly bySlot: IntMap;
  private readonly free: Uint32Array;
  private nFree: number;

  constructor(capacity: number) {
    this.capacity = capacity;
    const n = capacity + 1;
    this.owner = new Uint32Array(n);
    this.caddr = new Int32Array(n);
    this.cport = new Uint16Array(n);
    this.expect = new Uint8Array(n);
    this.initSeq = new Int32Array(n);
    this.delta = new Int32Array(n);
    this.prevDelta = new Int32Array(n);
    this.adjusted = new Uint8Array(n);
    this.bySlot = new IntMap(capacity);
    this.free = new Uint32Array(capacity);
    for (let k = 0; k < capacity; k++) this.free[k] = capacity - k;
    this.nFree = capacity;
  }

  get size(): number {
    return this.capacity - this.nFree;
  }

  /** The session of conn `slot` with client caddr:cport, or 0. */
  find(slot: number, caddr: number, cport: number): number {
    const s = this.bySlot.get(slot);
    if (s <= 0) return 0;
    return this.caddr[s] === (caddr | 0) && this.cport[s] === cport ? s : 0;
  }

  /**
   * A fresh session for conn `slot` (replacing any it had); 0 when every session
   * is held by a live connection. `stale(slot, caddr, cport)` says whether a
   * session's connection is gone; stale ones are reclaimed only when none is free.
   */
  open(slot: number, caddr: number, cport: number, stale: (slot: number, caddr: number, cport: number) => boolean): number {
    let s = this.bySlot.get(slot);
    if (s <= 0) {
      if (this.nFree === 0) this.reclaim(stale);
      if (this.nFree === 0) return 0;
      s = this.free[--this.nFree];
      this.bySlot.set(slot, 0, s);
    }
    this.owner[s] = slot;
    this.caddr[s] = caddr | 0;
    this.cport[s] = cport;
    this.expect[s] = 0;
    this.initSeq[s] = 0;
    this.delta[s] = 0;
    this.prevDelta[s] = 0;
    this.adjusted[s] = 0;
    return s;
  }

  /** Frees every session whose connection is gone (bounded by the capacity; only when full). */
  private reclaim(stale: (slot: number, caddr: number, cport: number) => boolean): void {
    for (let s = 1; s <= this.capacity; s++) {
      const slot = this.owner[s];
      if (slot !== 0 && stale(slot, this.caddr[s], this.cport[s])) this.close(s);
    }
  }

  close(s: number): void {
    this.bySlot.delete(this.owner[s]);
    this.owner[s] = 0;
    this.free[this.nFree++] = s;
  }

  /**
   * vs_seq_update: the server's segment that started at `seq` (before any fix)
   * grew by `diff` bytes. A retransmission of the segment already counted
   * ("vseq->init_seq == seq && (cp->flags & flag)") changes nothing.
   */
  update(s: number, seq: number, diff: number): void {
    if (this.adjusted[s] !== 0 && this.initSeq[s] === (seq | 0)) return;
    this.prevDelta[s] = this.delta[s];
    this.delta[s] = (this.delta[s] + diff) | 0;
    this.initSeq[s] = seq | 0;
    this.adjusted[s] = 1;
  }

  /** vs_fix_seq on a server -> client segment at l4: returns its original sequence number. */
  fixSeq(s: number, buf: Uint8Array, l4: number): number {
    const seq = readU32(buf, l4 + 4);
    if (this.adjusted[s] === 0) return seq;
    writeU32(buf, l4 + 4, (seq + (after(seq, this.initSeq[s]) ? this.delta[s] : this.prevDelta[s])) >>> 0);
    return seq;
  }

  /**
   * vs_fix_ack_seq on a client -> server segment at l4, and the same to the
   * edges of its SACK blocks (RFC 2018), which acknowledge in the same sequence
   * space (IPVS left SACK to conntrack's seqadj, nf_ct_sack_adjust). Returns
   * whether anything changed.
   */
  fixAck(s: number, buf: Uint8Array, l4: number, hasAck: boolean): boolean {
    if (this.adjusted[s] === 0) return false;
    if (hasAck) writeU32(buf, l4 + 8, this.ackBack(s, readU32(buf, l4 + 8)));
    const optEnd = l4 + ((buf[l4 + 12] >>> 4) << 2);
    let p = l4 + 20;
    while (p < optEnd) {
      const kind = buf[p];
      if (kind === TCPOPT_EOL) break;
      if (kind === TCPOPT_NOP) {
        p++;
        continue;
      }
      if (p + 1 >= optEnd) break;
      const len = buf[p + 1];
      if (len < 2 || p + len > optEnd) break;
      if (kind === TCPOPT_SACK) {
        for (let e = p + 2; e + 4 <= p + len; e += 4) writeU32(buf, e, this.ackBack(s, readU32(buf, e)));
      }
      p += len;
    }
    return true;
  }

  /** "since ack_seq is the number of octet that is expected to receive next, so compare it with init_seq+delta". */
  private ackBack(s: number, ack: number): number {
    const d = after(ack, (this.initSeq[s] + this.delta[s]) | 0) ? this.delta[s] : this.prevDelta[s];
    return (ack - d) >>> 0;
  }
}
