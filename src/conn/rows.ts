// The entries behind ConnTable (struct ip_vs_conn), indexed by slot 1..capacity (slot
// 0 is never used, so 0 can mean "none" everywhere). What a packet touches - the
// tuple, proto, state, flags, dest and timeout - is one 32-byte row of an Int32Array
// per slot, so that a lookup and the packet's work after it read one or two cache
// lines, not one per field as separate arrays did (a miss each with a million
// conns). The rest is in columns. About 68 bytes per slot with the wheel and chains.
//
// Row words: the first four (16 bytes at a 16-byte boundary, so never split across
// two cache lines) hold everything a client-side lookup compares. Outside conn/ the accessors below read
// them; ConnTable's per-packet methods index the row themselves, because every call
// V8 inlines counts against its inlining budget for the whole packet path.
export const R_CADDR = 0;
export const R_VADDR = 1;
/** cport << 16 | vport */
export const R_PORTS = 2;
/** dport << 16 | proto << 8 | kind: the K_* bits, fixed for the entry's life. */
export const R_KEY = 3;
export const R_DADDR = 4;
export const R_DEST = 5;
/** cp->timeout in ms, a u32 kept in an int32 word. */
export const R_TIMEOUT = 6;
/** flags << 8 | state */
export const R_STATE = 7;
/** Words per row. */
export const ROW = 8;

/** A NAT conn: findable by its reply tuple (CONN_F_NAT, copied here for lookups). */
export const K_NAT = 1;
/** A persistence template (CONN_F_TEMPLATE, copied here for lookups). */
export const K_TEMPLATE = 2;

/** State of a free slot (no TCP or UDP state uses it). */
export const FREE = 0xff;

export class ConnRows {
  readonly capacity: number;
  /** ROW words per slot; see the R_* offsets. Read it through the accessors. */
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
    this.row = new Int32Array(n * ROW);
    for (let s = 0; s < n; s++) this.row[s * ROW + R_STATE] = FREE;
    this.control = new Uint32Array(n);
    this.nControl = new Uint32Array(n);
    this.peer = new Uint32Array(n);
  }

  // Addresses come out as uint32, as they are written in dotted quads; callers on the
  // hot path pass them on as int32 (`| 0`), which V8 folds away.
  caddrOf(s: number): number {
    return this.row[s * ROW + R_CADDR] >>> 0;
  }

  vaddrOf(s: number): number {
    return this.row[s * ROW + R_VADDR] >>> 0;
  }

  daddrOf(s: number): number {
    return this.row[s * ROW + R_DADDR] >>> 0;
  }

  cportOf(s: number): number {
    return this.row[s * ROW + R_PORTS] >>> 16;
  }

  vportOf(s: number): number {
    return this.row[s * ROW + R_PORTS] & 0xffff;
  }

  dportOf(s: number): number {
    return this.row[s * ROW + R_KEY] >>> 16;
  }

  protoOf(s: number): number {
    return (this.row[s * ROW + R_KEY] >>> 8) & 0xff;
  }

  /** Dest id (0 = none). */
  destOf(s: number): number {
    return this.row[s * ROW + R_DEST];
  }

  /** cp->timeout in ms: what touch() re-arms with. */
  timeoutOf(s: number): number {
    return this.row[s * ROW + R_TIMEOUT] >>> 0;
  }

  /** TCP_S_* or UDP_S_NORMAL; FREE on free slots. */
  stateOf(s: number): number {
    return this.row[s * ROW + R_STATE] & 0xff;
  }

  /** CONN_F_*. */
  flagsOf(s: number): number {
    return this.row[s * ROW + R_STATE] >>> 8;
  }

  setState(s: number, state: number): void {
    const w = s * ROW + R_STATE;
    this.row[w] = (this.row[w] & ~0xff) | state;
  }

  setFlags(s: number, flags: number): void {
    const w = s * ROW + R_STATE;
    this.row[w] = (flags << 8) | (this.row[w] & 0xff);
  }

  protected setTimeoutMs(s: number, ms: number): void {
    this.row[s * ROW + R_TIMEOUT] = ms;
  }

  /** Bytes held by the rows and columns. */
  get rowBytes(): number {
    return this.row.byteLength + this.control.byteLength + this.nControl.byteLength + this.peer.byteLength;
  }
}
