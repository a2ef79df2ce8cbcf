// The entries behind ConnTable (struct ip_vs_conn), indexed by slot 1..capacity (slot
// 0 is never used, so 0 can mean "none" everywhere). What a packet touches - the
// tuple, proto, state, flags, dest and timeout - is one 32-byte row of an Int32Array
// per slot, so that a lookup and the packet's work after it read one or two cache
// lines, not one per field as separate arrays did (a miss each with a million
// conns). The rest is in columns. About 70 bytes per slot with the wheel and chains.
//
// Row words (R): the first four (16 bytes at a 16-byte boundary, so never split
// across two cache lines) hold everything a client-side lookup compares. Outside
// conn/ the accessors below read them; ConnTable's per-packet methods index the row
// themselves, because V8 inlines only so much bytecode into one packet path. R is a
// const enum so that tsc writes the offsets as literals, which keeps that bytecode small.
export const enum R {
  CADDR = 0,
  VADDR = 1,
  /** cport << 16 | vport */
  PORTS = 2,
  /** dport << 16 | proto << 8 | kind: the K bits, fixed for the entry's life. */
  KEY = 3,
  DADDR = 4,
  DEST = 5,
  /** cp->timeout in ms, a u32 kept in an int32 word. */
  TIMEOUT = 6,
  /** flags << 8 | state */
  STATE = 7,
  /** Words per row. */
  SIZE = 8,
}

/** The kind bits of R.KEY: copies of CONN_F_NAT (findable by the reply tuple) and
 *  CONN_F_TEMPLATE, for lookups, and the address family. */
export const enum K {
  NAT = 1,
  TEMPLATE = 2,
  /** An IPv6 entry: its address words hold folds, the addresses are in ConnTable.addr6. */
  V6 = 4,
}

/** State of a free slot (no TCP or UDP state uses it). */
export const FREE = 0xff;

export class ConnRows {
  readonly capacity: number;
  /** R.SIZE words per slot; see R. Read it through the accessors. */
  protected readonly row: Int32Array;
  // The engine may write peer while an entry is live. The row is written only by
  // ConnTable (and through setState/setFlags, never the NAT/TEMPLATE/HASHED bits): the
  // hash chains and the dest counters were built from it.
  /** Slot of the template (or FTP control conn) controlling this one (0 = none). */
  readonly control: Uint32Array;
  /** n_control: how many conns this entry controls. */
  readonly nControl: Uint32Array;
  /** Opaque u32 of the engine's (the client-side L2 neighbour). */
  readonly peer: Uint32Array;

  constructor(capacity: number) {
    this.capacity = capacity;
    const n = capacity + 1;
    this.row = new Int32Array(n * R.SIZE);
    for (let s = 0; s < n; s++) this.row[s * R.SIZE + R.STATE] = FREE;
    this.control = new Uint32Array(n);
    this.nControl = new Uint32Array(n);
    this.peer = new Uint32Array(n);
  }

  // Addresses come out as uint32, as they are written in dotted quads; callers on the
  // hot path pass them on as int32 (`| 0`), which V8 folds away.
  caddrOf(s: number): number {
    return this.row[s * R.SIZE + R.CADDR] >>> 0;
  }

  vaddrOf(s: number): number {
    return this.row[s * R.SIZE + R.VADDR] >>> 0;
  }

  daddrOf(s: number): number {
    return this.row[s * R.SIZE + R.DADDR] >>> 0;
  }

  cportOf(s: number): number {
    return this.row[s * R.SIZE + R.PORTS] >>> 16;
  }

  vportOf(s: number): number {
    return this.row[s * R.SIZE + R.PORTS] & 0xffff;
  }

  dportOf(s: number): number {
    return this.row[s * R.SIZE + R.KEY] >>> 16;
  }

  /** An IPv6 entry (its addresses in ConnTable.addr6; caddrOf and the others return their folds). */
  isV6(s: number): boolean {
    return (this.row[s * R.SIZE + R.KEY] & K.V6) !== 0;
  }

  protoOf(s: number): number {
    return (this.row[s * R.SIZE + R.KEY] >>> 8) & 0xff;
  }

  /** Dest id (0 = none). */
  destOf(s: number): number {
    return this.row[s * R.SIZE + R.DEST];
  }

  /** cp->timeout in ms: what touch() re-arms with. */
  timeoutOf(s: number): number {
    return this.row[s * R.SIZE + R.TIMEOUT] >>> 0;
  }

  /** TCP_S_* or UDP_S_NORMAL; FREE on free slots. */
  stateOf(s: number): number {
    return this.row[s * R.SIZE + R.STATE] & 0xff;
  }

  /** CONN_F_*. */
  flagsOf(s: number): number {
    return this.row[s * R.SIZE + R.STATE] >>> 8;
  }

  setState(s: number, state: number): void {
    const w = s * R.SIZE + R.STATE;
    this.row[w] = (this.row[w] & ~0xff) | state;
  }

  setFlags(s: number, flags: number): void {
    const w = s * R.SIZE + R.STATE;
    this.row[w] = (flags << 8) | (this.row[w] & 0xff);
  }

  protected setTimeoutMs(s: number, ms: number): void {
    this.row[s * R.SIZE + R.TIMEOUT] = ms;
  }

  /** Bytes held by the rows and columns. */
  get rowBytes(): number {
    return this.row.byteLength + this.control.byteLength + this.nControl.byteLength + this.peer.byteLength;
  }
}
