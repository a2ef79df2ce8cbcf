// SyncWriter: builds one sync message (v1 by default, or v0) in a buffer the
// caller owns, the way the kernel master fills its sync_buff: conns are appended
// until the next one would pass sync_maxlen, then the message goes out and a new
// one starts. Nothing is allocated per conn.
import { writeU16, writeU32, writeU32LE } from '../packet/bytes.js';
import { writeAddr6 } from '../packet/ipv6.js';
import { IP_VS_CONN_F_IN_SEQ, IP_VS_CONN_F_OUT_SEQ, IP_VS_CONN_F_SEQ_MASK, kernelTxFlags } from './kernel-flags.js';
import {
  HDR_SIZE, HDR_SYNCID, IPVS_OPT_PE_DATA, IPVS_OPT_PE_NAME, IPVS_OPT_SEQ_DATA, MAX_NR_CONNS, PE_DATA_MAXLEN, PE_NAME_MAXLEN,
  SEQ_DATA_LEN, SVER_MASK, SYNC_MAXLEN_DEFAULT, SYNC_PROTO_VER, V0_CADDR, V0_CONN_SIZE, V0_CPORT, V0_DADDR, V0_DPORT,
  V0_FLAGS, V0_FULL_CONN_SIZE, V0_HDR_NR_CONNS, V0_HDR_SIZE, V0_PROTOCOL, V0_SEQ_LITTLE_ENDIAN, V0_STATE, V0_VADDR,
  V0_VPORT, V1_CADDR, V1_CPORT, V1_DADDR, V1_DPORT, V1_FLAGS, V1_FWMARK, V1_HDR_NR_CONNS, V1_HDR_SIZE, V1_HDR_SPARE,
  V1_HDR_VERSION, V1_MAX_V6_CONN, V1_PROTOCOL, V1_STATE, V1_TIMEOUT, V1_V4_SIZE, V1_V6_CADDR, V1_V6_DADDR, V1_V6_SIZE,
  V1_V6_VADDR, V1_VADDR, V1_VER_SIZE, V1_VPORT, STYPE_F_INET6, type SyncConn, type SyncSeq,
} from './layout.js';

export interface SyncWriterOptions {
  /** 1 (the kernel's default, sync_version = 1) or 0 for kernels before 2.6.39. */
  version?: 0 | 1;
  /** --syncid 0..255: backups filtering on a syncid drop other groups' messages. */
  syncid?: number;
  /** sync_maxlen: see syncMaxlen(); SYNC_MAXLEN_DEFAULT (1472) when not given. */
  maxlen?: number;
  /** Byte order of v0 sequence blocks (see V0_SEQ_LITTLE_ENDIAN). */
  v0SeqLittleEndian?: boolean;
}

const NO_SEQ: SyncSeq = { initSeq: 0, delta: 0, previousDelta: 0 };

export class SyncWriter {
  readonly version: 0 | 1;
  readonly syncid: number;
  readonly maxlen: number;
  private readonly littleSeq: boolean;
  /** IPv6 conns a v0 writer left out (v0 has no IPv6, as ip_vs_sync_conn_v0 returns for them). */
  v6Skipped = 0;
  private off = 0;
  private n = 0;

  /**
   * buf must hold maxlen bytes and the largest single conn: like the kernel,
   * which sizes a new buffer max(conn + header, sync_maxlen), a conn always goes
   * into an empty message, even when sync_maxlen is set below its size.
   */
  constructor(private readonly buf: Uint8Array, opts: SyncWriterOptions = {}) {
    this.version = opts.version ?? 1;
    this.syncid = opts.syncid ?? 0;
    this.maxlen = opts.maxlen ?? SYNC_MAXLEN_DEFAULT;
    this.littleSeq = opts.v0SeqLittleEndian ?? V0_SEQ_LITTLE_ENDIAN;
    const largest = this.version === 1 ? V1_HDR_SIZE + V1_MAX_V6_CONN : V0_HDR_SIZE + V0_FULL_CONN_SIZE;
    if (!Number.isInteger(this.syncid) || this.syncid < 0 || this.syncid > 255) throw new RangeError(`syncid ${this.syncid}: 0..255`);
    // The most a UDP datagram over IPv4 carries, as the kernel clamps --sync-maxlen.
    if (!(this.maxlen >= 1 && this.maxlen <= 65507)) throw new RangeError(`maxlen ${this.maxlen}: 1..65507`);
    if (buf.length < Math.max(this.maxlen, largest)) {
      throw new RangeError(`sync buffer of ${buf.length} bytes: needs ${Math.max(this.maxlen, largest)}`);
    }
    this.reset();
  }

  /** Conns in the message so far. */
  get count(): number {
    return this.n;
  }

  /** Bytes in the message so far (header included). */
  get size(): number {
    return this.off;
  }

  /** Starts a new, empty message (after the last one was sent). */
  reset(): void {
    this.off = this.version === 1 ? V1_HDR_SIZE : V0_HDR_SIZE;
    this.n = 0;
  }

  /**
   * Appends conn; false when the message is full (send finish(), reset(), add
   * again). An IPv6 conn in a v0 message is left out (counted in v6Skipped): true.
   */
  add(c: SyncConn): boolean {
    return this.version === 1 ? this.addV1(c) : this.addV0(c);
  }

  /** Writes the header (count, size, syncid) and returns the message: a view of buf. */
  finish(): Uint8Array {
    const b = this.buf;
    b[HDR_SYNCID] = this.syncid;
    writeU16(b, HDR_SIZE, this.off);
    if (this.version === 1) {
      b[0] = 0; // "first byte should be Zero, so ver 0 receivers will drop the packet"
      b[V1_HDR_NR_CONNS] = this.n;
      b[V1_HDR_VERSION] = SYNC_PROTO_VER;
      b[V1_HDR_SPARE] = 0;
      b[V1_HDR_SPARE + 1] = 0;
    } else {
      b[V0_HDR_NR_CONNS] = this.n;
    }
    return b.subarray(0, this.off);
  }

  /** Whether there is room: the kernel sends the buffer "if (buff->head + len + pad > buff->end)". */
  private fits(len: number): boolean {
    if (this.n >= MAX_NR_CONNS) return false; // nr_conns is a byte (the kernel would wrap it)
    return this.n === 0 || this.off + len <= this.maxlen;
  }

  private addV1(c: SyncConn): boolean {
    const flags = seqFlags(c, kernelTxFlags(c.flags, 1));
    const seq = (flags & IP_VS_CONN_F_SEQ_MASK) !== 0;
    const pe = peOk(c);
    const a6 = c.addr6;
    const len = (a6 === undefined ? V1_V4_SIZE : V1_V6_SIZE) + (seq ? 2 + SEQ_DATA_LEN : 0) + (pe ? 4 + c.peData!.length + peNameLen(c) : 0);
    // Each conn starts on a 32-bit boundary; the pad goes before it, not after the last.
    const pad = (4 - (this.off & 3)) & 3;
    if (!this.fits(pad + len)) return false;
    const b = this.buf;
    for (let i = 0; i < pad; i++) b[this.off++] = 0;
    const p = this.off;
    b[p] = a6 === undefined ? 0 : STYPE_F_INET6;
    b[p + V1_PROTOCOL] = c.protocol;
    writeU16(b, p + V1_VER_SIZE, len & SVER_MASK); // version 0 in the top 4 bits
    writeU32(b, p + V1_FLAGS, flags);
    writeU16(b, p + V1_STATE, c.state);
    writeU16(b, p + V1_CPORT, c.cport);
    writeU16(b, p + V1_VPORT, c.vport);
    writeU16(b, p + V1_DPORT, c.dport);
    writeU32(b, p + V1_FWMARK, c.fwmark);
    writeU32(b, p + V1_TIMEOUT, c.timeout);
    let q: number;
    if (a6 === undefined) {
      writeU32(b, p + V1_CADDR, c.caddr);
      writeU32(b, p + V1_VADDR, c.vaddr);
      writeU32(b, p + V1_DADDR, c.daddr);
      q = p + V1_V4_SIZE;
    } else {
      writeAddr6(b, p + V1_V6_CADDR, a6, 0);
      writeAddr6(b, p + V1_V6_VADDR, a6, 4);
      writeAddr6(b, p + V1_V6_DADDR, a6, 8);
      q = p + V1_V6_SIZE;
    }
    if (seq) q = this.seqOption(q, c);
    if (pe) q = this.peOptions(q, c);
    this.off = q;
    this.n++;
    return true;
  }

  private seqOption(q: number, c: SyncConn): number {
    this.buf[q] = IPVS_OPT_SEQ_DATA;
    this.buf[q + 1] = SEQ_DATA_LEN;
    writeSeq(this.buf, q + 2, c.inSeq ?? NO_SEQ, false);
    writeSeq(this.buf, q + 14, c.outSeq ?? NO_SEQ, false);
    return q + 2 + SEQ_DATA_LEN;
  }

  /** PE_DATA then PE_NAME, as the kernel writes them (the name only with data). */
  private peOptions(q: number, c: SyncConn): number {
    const b = this.buf, data = c.peData!, nameLen = peNameLen(c);
    b[q] = IPVS_OPT_PE_DATA;
    b[q + 1] = data.length;
    b.set(data, q + 2);
    q += 2 + data.length;
    b[q] = IPVS_OPT_PE_NAME;
    b[q + 1] = nameLen;
    b.set(c.peName!.subarray(0, nameLen), q + 2);
    return q + 2 + nameLen;
  }

  private addV0(c: SyncConn): boolean {
    if (c.addr6 !== undefined) {
      this.v6Skipped++;
      return true;
    }
    const flags = seqFlags(c, kernelTxFlags(c.flags, 0));
    const seq = (flags & IP_VS_CONN_F_SEQ_MASK) !== 0;
    if (!this.fits(seq ? V0_FULL_CONN_SIZE : V0_CONN_SIZE)) return false;
    const b = this.buf, p = this.off;
    b[p] = 0; // reserved
    b[p + V0_PROTOCOL] = c.protocol;
    writeU16(b, p + V0_CPORT, c.cport);
    writeU16(b, p + V0_VPORT, c.vport);
    writeU16(b, p + V0_DPORT, c.dport);
    writeU32(b, p + V0_CADDR, c.caddr);
    writeU32(b, p + V0_VADDR, c.vaddr);
    writeU32(b, p + V0_DADDR, c.daddr);
    writeU16(b, p + V0_FLAGS, flags);
    writeU16(b, p + V0_STATE, c.state);
    if (seq) {
      writeSeq(b, p + V0_CONN_SIZE, c.inSeq ?? NO_SEQ, this.littleSeq);
      writeSeq(b, p + V0_CONN_SIZE + 12, c.outSeq ?? NO_SEQ, this.littleSeq);
    }
    this.off = p + (seq ? V0_FULL_CONN_SIZE : V0_CONN_SIZE);
    this.n++;
    return true;
  }
}

/**
 * The kernel sends the sequence block when the flags carry IP_VS_CONN_F_SEQ_MASK,
 * and a v0 receiver finds it only through those bits. Seq data without the bits
 * sets them (IN_SEQ for inSeq, OUT_SEQ for outSeq), so the two always agree.
 */
function seqFlags(c: SyncConn, flags: number): number {
  if (c.inSeq !== undefined) flags |= IP_VS_CONN_F_IN_SEQ;
  if (c.outSeq !== undefined) flags |= IP_VS_CONN_F_OUT_SEQ;
  return flags >>> 0;
}

/**
 * PE options go out only as the kernel sends them, data (1..255 bytes) with a
 * name: a kernel backup drops a conn with PE data and no name ("Invalid PE
 * parameters"), and a zero-length option is malformed. Others go without them.
 */
function peOk(c: SyncConn): boolean {
  const d = c.peData, n = c.peName;
  return d !== undefined && n !== undefined && d.length > 0 && d.length <= PE_DATA_MAXLEN && peNameLen(c) > 0;
}

/** strnlen(cp->pe->name, IP_VS_PENAME_MAXLEN). */
function peNameLen(c: SyncConn): number {
  const n = c.peName!;
  let len = 0;
  while (len < n.length && len < PE_NAME_MAXLEN && n[len] !== 0) len++;
  return len;
}

function writeSeq(b: Uint8Array, o: number, s: SyncSeq, little: boolean): void {
  if (little) {
    writeU32LE(b, o, s.initSeq);
    writeU32LE(b, o + 4, s.delta);
    writeU32LE(b, o + 8, s.previousDelta);
  } else {
    writeU32(b, o, s.initSeq);
    writeU32(b, o + 4, s.delta);
    writeU32(b, o + 8, s.previousDelta);
  }
}
