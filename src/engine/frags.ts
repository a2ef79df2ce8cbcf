// IP fragments of virtual-service flows, forwarded along their flow (no reassembly).
//
// IPVS sees whole datagrams: nf_defrag_ipv4 reassembles before it, and the
// kernel fragments again on the way out. tsvs forwards fragments instead:
// - the engine rewrites frames in place, one frame in, one verdict out
//   (frames/batch.ts); a reassembled datagram would need a copy into a 64 KiB
//   buffer and new frames cut from it, on a path that must not allocate;
// - NAT changes addresses and ports only. The addresses sit in every fragment's
//   IP header; the ports and the TCP/UDP checksum (which covers the whole
//   datagram) sit in the first fragment, whose checksum takes the address and
//   port differences incrementally (RFC 1624), as for an unfragmented packet;
// - the sender cut the fragments to fit its path; NAT and DR keep their sizes,
//   so they fit the egress as well as the sender's (an egress with a smaller MTU
//   than the ingress is the egress MTU check's business).
// The first fragment carries the ports: it goes through the connection path like
// any packet, and its flow (saddr, daddr, proto, IP id) remembers the connection
// and direction for the later fragments. Fragments that come before their first
// are held (copied into fixed slots) and sent when it comes.
//
// Memory and time are bounded like the kernel's reassembly queues: a fixed number
// of flows and of held frames (ipfrag_high_thresh refuses new fragments when full
// rather than evicting), a flow lives ipfrag_time (30 s) from its first fragment,
// at most MAX_FRAGS fragments per datagram, and overlaps are refused as
// inet_frag_queue_insert() does (RFC 5722 section 4, which Linux applies to IPv4 too):
// "if one or more its constituent fragments is determined to be an overlapping
// fragment, the entire datagram (and any constituent fragments) MUST be silently
// discarded. Duplicates, however, should be ignored". Every drop has a counter.
import * as C from './counters.js';

/** Flow states. */
export const FLOW_FREE = 0;
/** Waiting for the first fragment: later ones are held. */
export const FLOW_OPEN = 1;
/** The first fragment was forwarded: conn and dir say where the rest go. */
export const FLOW_FWD = 2;
/** The first fragment was not the data plane's (passed): so are the rest. */
export const FLOW_PASSED = 3;
/** Overlap, too many fragments, or the first fragment dropped: the rest is dropped. */
export const FLOW_REFUSED = 4;

/** Fragments per datagram (a 64 KiB datagram over a 1500-byte MTU takes 45). */
export const MAX_FRAGS = 64;
/** ipfrag_time: 30 s. */
export const FRAG_TIMEOUT_MS = 30_000;
/** A held frame's slot: an MTU of 1500 plus Ethernet and one VLAN tag fits. */
export const HOLD_BYTES = 2048;

export interface FragOptions {
  /** Datagrams in flight at once. Default 1024. */
  flows?: number;
  /** Frames held before their first fragment, HOLD_BYTES each. Default 512 (1 MiB). */
  held?: number;
  timeoutMs?: number;
}

export class FragTable {
  readonly flows: number;
  readonly timeoutMs: number;
  readonly saddr: Uint32Array;
  readonly daddr: Uint32Array;
  /** proto << 16 | IP id. */
  readonly pid: Uint32Array;
  readonly state: Uint8Array;
  /** The connection of a FLOW_FWD flow and its direction (0 client -> server, 1 reply). */
  readonly conn: Uint32Array;
  readonly dir: Uint8Array;
  readonly expires: Float64Array;
  /** What a FLOW_REFUSED flow's later fragments are dropped as. */
  private readonly laterReason: Uint8Array;
  /** Payload bytes seen; total: the datagram's payload length once its last fragment came (0 before). */
  private readonly seen: Uint32Array;
  private readonly total: Uint32Array;
  /** [start, end) of each fragment seen, MAX_FRAGS pairs per flow. */
  private readonly ranges: Uint16Array;
  private readonly nranges: Uint8Array;
  private readonly buckets: Int32Array;
  /** Hash chain of a live flow; free list of a free one. */
  private readonly next: Int32Array;
  private freeFlow = 0;
  /** Flows in use. */
  live = 0;
  /** Earliest time a flow may expire (checked once a batch). */
  nextCheck = Infinity;

  // Held frames: a singly linked list per flow, in arrival order; 0 ends it.
  readonly holdBuf: Uint8Array;
  readonly holdLen: Uint16Array;
  readonly holdIf: Uint8Array;
  private readonly holdNext: Int32Array;
  private readonly headOf: Int32Array;
  private readonly tailOf: Int32Array;
  readonly heldOf: Uint8Array;
  private freeHold = 0;
  /** Held frames in the store. */
  held = 0;
  /** FLOW_FWD flows with frames still held (no room in the batch to send them yet). */
  waiting = 0;

  constructor(opts: FragOptions = {}, private readonly drops: Float64Array = new Float64Array(64)) {
    const n = (opts.flows ?? 1024) + 1; // index 0 is "none"
    const h = (opts.held ?? 512) + 1;
    if (n < 2 || h < 2) throw new RangeError('the fragment table needs at least one flow and one held frame');
    this.flows = n - 1;
    this.timeoutMs = opts.timeoutMs ?? FRAG_TIMEOUT_MS;
    this.saddr = new Uint32Array(n);
    this.daddr = new Uint32Array(n);
    this.pid = new Uint32Array(n);
    this.state = new Uint8Array(n);
    this.conn = new Uint32Array(n);
    this.dir = new Uint8Array(n);
    this.expires = new Float64Array(n);
    this.laterReason = new Uint8Array(n);
    this.seen = new Uint32Array(n);
    this.total = new Uint32Array(n);
    this.ranges = new Uint16Array(n * MAX_FRAGS * 2);
    this.nranges = new Uint8Array(n);
    let size = 16;
    while (size < 2 * n) size <<= 1;
    this.buckets = new Int32Array(size);
    this.next = new Int32Array(n);
    for (let f = n - 1; f >= 1; f--) { this.next[f] = this.freeFlow; this.freeFlow = f; }
    this.holdBuf = new Uint8Array(h * HOLD_BYTES);
    this.holdLen = new Uint16Array(h);
    this.holdIf = new Uint8Array(h);
    this.holdNext = new Int32Array(h);
    for (let k = h - 1; k >= 1; k--) { this.holdNext[k] = this.freeHold; this.freeHold = k; }
    this.headOf = new Int32Array(n);
    this.tailOf = new Int32Array(n);
    this.heldOf = new Uint8Array(n);
  }

  private bucket(saddr: number, daddr: number, pid: number): number {
    let x = Math.imul(saddr ^ Math.imul(daddr, 0x85ebca6b), 0x9e3779b1) ^ pid;
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d);
    return (x ^ (x >>> 13)) & (this.buckets.length - 1);
  }

  /** The flow of a fragment, or 0. */
  find(saddr: number, daddr: number, proto: number, id: number): number {
    const pid = (proto << 16) | id;
    for (let f = this.buckets[this.bucket(saddr, daddr, pid)]; f !== 0; f = this.next[f]) {
      if (this.saddr[f] === saddr >>> 0 && this.daddr[f] === daddr >>> 0 && this.pid[f] === pid) return f;
    }
    return 0;
  }

  /** A new FLOW_OPEN flow, or 0 when every flow is in use (the caller drops as fragment_store_full). */
  open(saddr: number, daddr: number, proto: number, id: number, now: number): number {
    const f = this.freeFlow;
    if (f === 0) return 0;
    this.freeFlow = this.next[f];
    const pid = (proto << 16) | id;
    const b = this.bucket(saddr, daddr, pid);
    this.next[f] = this.buckets[b];
    this.buckets[b] = f;
    this.saddr[f] = saddr;
    this.daddr[f] = daddr;
    this.pid[f] = pid;
    this.state[f] = FLOW_OPEN;
    this.conn[f] = 0;
    this.dir[f] = 0;
    this.seen[f] = 0;
    this.total[f] = 0;
    this.nranges[f] = 0;
    // ipfrag_time runs from the queue's creation; later fragments do not extend it.
    this.expires[f] = now + this.timeoutMs;
    if (this.expires[f] < this.nextCheck) this.nextCheck = this.expires[f];
    this.live++;
    return f;
  }

  /**
   * Records fragment [off, off + len) of flow f (more: the MF flag). Returns 0 when
   * it is to be forwarded, held or passed, else the drop reason. An overlap and
   * too many fragments refuse the whole datagram, its held frames included.
   */
  add(f: number, off: number, len: number, more: number): number {
    if (this.state[f] === FLOW_REFUSED) return this.laterReason[f];
    const end = off + len;
    // RFC 791: every fragment but the last carries a multiple of 8 octets; an empty one carries nothing.
    if (len === 0 || (more !== 0 && (len & 7) !== 0)) return C.DROP_FRAG_BAD_LENGTH;
    // ip_frag_reasm: "Oversized IP packet" (a datagram longer than 65535 octets).
    if (end > 65535) return this.refuse(f, C.DROP_FRAG_OVERSIZE);
    const total = this.total[f];
    // ip_frag_queue: a last fragment that ends before bytes already seen, a second
    // last fragment with another end, or bytes beyond the end are corrupt.
    if (total !== 0 && (end > total || (more === 0 && end !== total))) return this.refuse(f, C.DROP_FRAG_OVERLAP);
    const n = this.nranges[f];
    const base = f * MAX_FRAGS * 2;
    const r = this.ranges;
    for (let k = 0; k < n; k++) {
      const s = r[base + 2 * k], e = r[base + 2 * k + 1];
      if (off === s && end === e) return C.DROP_FRAG_DUPLICATE;
      if (off < e && end > s) return this.refuse(f, C.DROP_FRAG_OVERLAP);
      if (more === 0 && e > end) return this.refuse(f, C.DROP_FRAG_OVERLAP);
    }
    if (n === MAX_FRAGS) return this.refuse(f, C.DROP_FRAG_TOO_MANY);
    r[base + 2 * n] = off;
    r[base + 2 * n + 1] = end;
    this.nranges[f] = n + 1;
    this.seen[f] += len;
    if (more === 0) this.total[f] = end;
    return 0;
  }

  /** Every payload byte came and nothing is held: the flow has done its work. */
  complete(f: number): boolean {
    return this.total[f] !== 0 && this.seen[f] === this.total[f] && this.heldOf[f] === 0;
  }

  /**
   * The datagram is refused: its held frames are dropped (counted under reason),
   * and so will its later fragments be, counted under `later`.
   */
  refuse(f: number, reason: number, later = C.DROP_FRAG_REFUSED): number {
    this.drops[reason] += this.dropHeld(f);
    this.state[f] = FLOW_REFUSED;
    this.laterReason[f] = later;
    return reason;
  }

  /** The first fragment was forwarded on connection slot `conn` in direction `dir`. */
  forwarded(f: number, conn: number, dir: number): void {
    this.state[f] = FLOW_FWD;
    this.conn[f] = conn;
    this.dir[f] = dir;
    if (this.heldOf[f] !== 0) this.waiting++;
  }

  /** The first fragment was passed over: the held copies go (the kernel has the originals). */
  passed(f: number): void {
    this.dropHeld(f);
    this.state[f] = FLOW_PASSED;
  }

  /** Copies frame buf[off, off+len) into the store; false when it is full or the frame does not fit a slot. */
  hold(f: number, buf: Uint8Array, off: number, len: number, ifIn: number): boolean {
    const k = this.freeHold;
    if (k === 0 || len > HOLD_BYTES) return false;
    this.freeHold = this.holdNext[k];
    const to = k * HOLD_BYTES, hb = this.holdBuf;
    for (let j = 0; j < len; j++) hb[to + j] = buf[off + j];
    this.holdLen[k] = len;
    this.holdIf[k] = ifIn;
    this.holdNext[k] = 0;
    if (this.tailOf[f] !== 0) this.holdNext[this.tailOf[f]] = k;
    else this.headOf[f] = k;
    this.tailOf[f] = k;
    this.heldOf[f]++;
    this.held++;
    return true;
  }

  /** The first held frame of flow f, or 0. */
  firstHeld(f: number): number {
    return this.headOf[f];
  }

  /** Removes the first held frame of flow f (after the caller copied it out). */
  shiftHeld(f: number): void {
    const k = this.headOf[f];
    if (k === 0) return;
    this.headOf[f] = this.holdNext[k];
    if (this.headOf[f] === 0) {
      this.tailOf[f] = 0;
      if (this.state[f] === FLOW_FWD) this.waiting--;
    }
    this.holdNext[k] = this.freeHold;
    this.freeHold = k;
    this.heldOf[f]--;
    this.held--;
  }

  /** Frees flow f's held frames; returns how many. */
  private dropHeld(f: number): number {
    const n = this.heldOf[f];
    while (this.headOf[f] !== 0) this.shiftHeld(f);
    return n;
  }

  /** Frees flow f (its held frames must be gone or counted by the caller). */
  free(f: number): void {
    if (this.state[f] === FLOW_FREE) return;
    const b = this.bucket(this.saddr[f], this.daddr[f], this.pid[f]);
    if (this.buckets[b] === f) this.buckets[b] = this.next[f];
    else {
      let p = this.buckets[b];
      while (p !== 0 && this.next[p] !== f) p = this.next[p];
      if (p !== 0) this.next[p] = this.next[f];
    }
    this.state[f] = FLOW_FREE;
    this.next[f] = this.freeFlow;
    this.freeFlow = f;
    this.live--;
  }

  /**
   * Frees the flows past their time; their held frames are counted as
   * fragment_timeout. Scans every flow, at most once a second.
   */
  expire(now: number): void {
    let earliest = Infinity;
    for (let f = 1; f <= this.flows; f++) {
      if (this.state[f] === FLOW_FREE) continue;
      if (this.expires[f] <= now) {
        this.drops[C.DROP_FRAG_TIMEOUT] += this.dropHeld(f);
        this.free(f);
      } else if (this.expires[f] < earliest) earliest = this.expires[f];
    }
    this.nextCheck = earliest === Infinity ? Infinity : Math.max(earliest, now + 1000);
  }
}
