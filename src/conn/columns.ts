// The struct of arrays behind ConnTable: one typed array per field of struct
// ip_vs_conn that tsvs keeps, indexed by slot 1..capacity (slot 0 is never used, so
// 0 can mean "none" everywhere). About 66 bytes per slot with the wheel and chains.

/** state[] value of a free slot (no TCP or UDP state uses it). */
export const FREE = 0xff;

export class ConnColumns {
  readonly capacity: number;
  // The engine reads these; while an entry is live it may write peer (and flag bits
  // other than NAT/TEMPLATE/HASHED), never the tuple fields, proto or dest: the hash
  // chains and the dest counters were built from them.
  readonly proto: Uint8Array;
  /** TCP_S_* or UDP_S_NORMAL; FREE on free slots. */
  readonly state: Uint8Array;
  /** CONN_F_*. */
  readonly flags: Uint16Array;
  readonly caddr: Uint32Array;
  readonly vaddr: Uint32Array;
  readonly daddr: Uint32Array;
  readonly cport: Uint16Array;
  readonly vport: Uint16Array;
  readonly dport: Uint16Array;
  /** Dest id (0 = none). */
  readonly dest: Uint32Array;
  /** Slot of the template (or FTP control conn) controlling this one (0 = none). */
  readonly control: Uint32Array;
  /** n_control: how many conns this entry controls. */
  readonly nControl: Uint32Array;
  /** Opaque u32 of the engine's (the client-side L2 neighbour). */
  readonly peer: Uint32Array;
  /** cp->timeout in ms: what touch() re-arms with. */
  readonly timeout: Uint32Array;

  constructor(capacity: number) {
    this.capacity = capacity;
    const n = capacity + 1;
    this.proto = new Uint8Array(n);
    this.state = new Uint8Array(n).fill(FREE);
    this.flags = new Uint16Array(n);
    this.caddr = new Uint32Array(n);
    this.vaddr = new Uint32Array(n);
    this.daddr = new Uint32Array(n);
    this.cport = new Uint16Array(n);
    this.vport = new Uint16Array(n);
    this.dport = new Uint16Array(n);
    this.dest = new Uint32Array(n);
    this.control = new Uint32Array(n);
    this.nControl = new Uint32Array(n);
    this.peer = new Uint32Array(n);
    this.timeout = new Uint32Array(n);
  }

  /** Bytes held by the columns. */
  get columnBytes(): number {
    return this.proto.byteLength + this.state.byteLength + this.flags.byteLength + this.caddr.byteLength +
      this.vaddr.byteLength + this.daddr.byteLength + this.cport.byteLength + this.vport.byteLength +
      this.dport.byteLength + this.dest.byteLength + this.control.byteLength + this.nControl.byteLength +
      this.peer.byteLength + this.timeout.byteLength;
  }
}
