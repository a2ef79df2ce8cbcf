// parseSyncMessage: reads one sync datagram (v0 or v1) the way a kernel backup
// does (ip_vs_process_message), hands each usable conn to a callback and counts
// everything it drops. It never throws on bad input and never reads outside the
// datagram. As in the kernel, conns are handed over as they are read: a
// malformed conn stops the message, and the conns before it stay delivered.
import { readU16, readU32, readU32LE } from '../packet/bytes.js';
import { IP_VS_CONN_F_SEQ_MASK, kernelStateValid } from './kernel-flags.js';
import {
  HDR_SIZE, HDR_SYNCID, IPVS_OPT_F_PARAM, IPVS_OPT_PE_DATA, IPVS_OPT_PE_NAME, IPVS_OPT_SEQ_DATA, PE_NAME_MAXLEN,
  SEQ_DATA_LEN, STYPE_F_INET6, SVER_MASK, SVER_SHIFT, SYNC_PROTO_VER, V0_CADDR, V0_CONN_SIZE, V0_CPORT, V0_DADDR,
  V0_DPORT, V0_FLAGS, V0_FULL_CONN_SIZE, V0_HDR_NR_CONNS, V0_HDR_SIZE, V0_PROTOCOL, V0_SEQ_LITTLE_ENDIAN, V0_STATE,
  V0_VADDR, V0_VPORT, V1_CADDR, V1_CPORT, V1_DADDR, V1_DPORT, V1_FLAGS, V1_FWMARK, V1_HDR_NR_CONNS, V1_HDR_SIZE,
  V1_HDR_SPARE, V1_HDR_VERSION, V1_PROTOCOL, V1_STATE, V1_TIMEOUT, V1_TYPE, V1_V4_SIZE, V1_V6_SIZE, V1_VADDR, V1_VER_SIZE,
  V1_VPORT, V1_V6_CADDR, V1_V6_DADDR, V1_V6_VADDR, SYNC_A6, type SyncConn, type SyncSeq,
} from './layout.js';
import { foldWords6, readAddr6 } from '../packet/ipv6.js';

/** What a receiver dropped, and why; one counter per reason. */
export interface SyncRxStats {
  /** Datagrams whose header passed (length and syncid): their conns were read. */
  messages: number;
  /** Conns handed to onConn. */
  conns: number;
  /** Datagram shorter than a header, or the header's size is not the datagram's length: dropped whole. */
  badLength: number;
  /** Another sync group's message (filtering on a syncid): dropped whole. */
  wrongSyncid: number;
  /** A conn, its v0 sequence block, or a conn nr_conns promised, runs past the datagram: the rest dropped. */
  truncated: number;
  /** A v1 conn with an unknown version or type, too short for its addresses, or a bad option: the rest dropped. */
  malformed: number;
  /** A conn dropped alone: protocol other than TCP/UDP, state out of range, PE data without a PE name, an unknown mandatory option. */
  skipped: number;
  /** Options not understood: a mandatory one drops its conn (also counted in skipped); optional ones are ignored. */
  unknownOptions: number;
  /** Of `conns`, the IPv6 ones (v1 type bit 0, struct ip_vs_sync_v6). */
  ipv6: number;
}

export function newSyncRxStats(): SyncRxStats {
  return { messages: 0, conns: 0, badLength: 0, wrongSyncid: 0, truncated: 0, malformed: 0, skipped: 0, unknownOptions: 0, ipv6: 0 };
}

export interface SyncParseOptions {
  /** --syncid of this backup: 0 accepts every message ("syncid 0 = no filtering"). */
  syncid?: number;
  /** false: read as a kernel before 2.6.39 does, every message as v0 (a v1 message then has 0 conns). */
  v1?: boolean;
  /** Byte order of v0 sequence blocks (see V0_SEQ_LITTLE_ENDIAN). */
  v0SeqLittleEndian?: boolean;
}

/** Called once per conn; c is reused for the next one (copy what you keep). peData/peName view the datagram. */
export type OnSyncConn = (c: SyncConn, version: 0 | 1) => void;

const DEFAULTS: SyncParseOptions = {};
const seqIn: SyncSeq = { initSeq: 0, delta: 0, previousDelta: 0 };
const seqOut: SyncSeq = { initSeq: 0, delta: 0, previousDelta: 0 };
/** The one record every conn is read into. */
const rx: SyncConn = { protocol: 0, addr6: undefined, caddr: 0, cport: 0, vaddr: 0, vport: 0, daddr: 0, dport: 0, flags: 0, state: 0, fwmark: 0, timeout: 0 };

/** rx.addr6 of an IPv6 conn. */
const rxAddr6 = new Int32Array(SYNC_A6);

/** Reads one datagram; returns the number of conns handed to onConn. */
export function parseSyncMessage(b: Uint8Array, onConn: OnSyncConn, stats: SyncRxStats, opts: SyncParseOptions = DEFAULTS): number {
  const len = b.length;
  // "if (buflen != ntohs(m2->size))": the size field sits at the same place in both versions.
  if (len < V0_HDR_SIZE || readU16(b, HDR_SIZE) !== len) {
    stats.badLength++;
    return 0;
  }
  const syncid = opts.syncid ?? 0;
  if (syncid !== 0 && b[HDR_SYNCID] !== syncid) {
    stats.wrongSyncid++;
    return 0;
  }
  stats.messages++;
  // "(m2->version == SYNC_PROTO_VER) && (m2->reserved == 0) && (m2->spare == 0)"; else "Old type of message".
  const v1 = opts.v1 !== false && len >= V1_HDR_SIZE && b[0] === 0 && b[V1_HDR_VERSION] === SYNC_PROTO_VER
    && b[V1_HDR_SPARE] === 0 && b[V1_HDR_SPARE + 1] === 0;
  return v1 ? parseV1(b, onConn, stats) : parseV0(b, onConn, stats, opts.v0SeqLittleEndian ?? V0_SEQ_LITTLE_ENDIAN);
}

function parseV0(b: Uint8Array, onConn: OnSyncConn, stats: SyncRxStats, little: boolean): number {
  const len = b.length, count = b[V0_HDR_NR_CONNS];
  let p = V0_HDR_SIZE, n = 0;
  for (let i = 0; i < count; i++) {
    const flags = p + V0_CONN_SIZE <= len ? readU16(b, p + V0_FLAGS) : 0;
    const size = (flags & IP_VS_CONN_F_SEQ_MASK) !== 0 ? V0_FULL_CONN_SIZE : V0_CONN_SIZE;
    if (p + size > len) { // "BACKUP v0, bogus conn" / "bogus conn options"
      stats.truncated++;
      return n;
    }
    const proto = b[p + V0_PROTOCOL], state = readU16(b, p + V0_STATE);
    if (kernelStateValid(proto, state, flags)) {
      readV0(b, p, flags, state, size === V0_FULL_CONN_SIZE, little);
      stats.conns++;
      n++;
      onConn(rx, 0);
    } else {
      stats.skipped++;
    }
    p += size;
  }
  return n;
}

function readV0(b: Uint8Array, p: number, flags: number, state: number, seq: boolean, little: boolean): void {
  fillAddrs(b[p + V0_PROTOCOL], readU32(b, p + V0_CADDR), readU32(b, p + V0_VADDR), readU32(b, p + V0_DADDR));
  rx.cport = readU16(b, p + V0_CPORT);
  rx.vport = readU16(b, p + V0_VPORT);
  rx.dport = readU16(b, p + V0_DPORT);
  rx.flags = flags;
  rx.state = state;
  rx.fwmark = 0; // v0 cannot say; the kernel passes 0
  rx.timeout = 0; // and lets the state's timeout apply
  rx.inSeq = seq ? readSeq(b, p + V0_CONN_SIZE, seqIn, little) : undefined;
  rx.outSeq = seq ? readSeq(b, p + V0_CONN_SIZE + 12, seqOut, little) : undefined;
  rx.peData = undefined;
  rx.peName = undefined;
}

function parseV1(b: Uint8Array, onConn: OnSyncConn, stats: SyncRxStats): number {
  const len = b.length, count = b[V1_HDR_NR_CONNS];
  let p = V1_HDR_SIZE, n = 0;
  for (let i = 0; i < count; i++) {
    if (p + V1_V4_SIZE > len) { // "Dropping buffer, too small"
      stats.truncated++;
      return n;
    }
    const verSize = readU16(b, p + V1_VER_SIZE), size = verSize & SVER_MASK;
    if (p + size > len) { // "Dropping buffer, msg > buffer"
      stats.truncated++;
      return n;
    }
    const r = verSize >> SVER_SHIFT !== 0 ? DROP : readV1(b, p, p + size, stats);
    if (r === DROP) {
      stats.malformed++;
      return n;
    }
    if (r === TAKE) {
      stats.conns++;
      n++;
      onConn(rx, 1);
    }
    p += (size + 3) & ~3; // "Make sure we have 32 bit alignment"
  }
  return n;
}

/** readV1's verdicts: the conn is in rx; the conn alone is dropped; the message stops. */
const TAKE = 0, SKIP = 1, DROP = 2;

/** ip_vs_proc_sync_conn: one v1 conn occupying [p, end). */
function readV1(b: Uint8Array, p: number, end: number, stats: SyncRxStats): number {
  const type = b[p + V1_TYPE];
  const ipv6 = (type & STYPE_F_INET6) !== 0;
  if (!ipv6 && type !== 0) return DROP;
  const optStart = p + (ipv6 ? V1_V6_SIZE : V1_V4_SIZE);
  if (optStart > end) return DROP;
  const opts = readOptions(b, optStart, end, stats);
  if (opts !== TAKE) return opts;
  const flags = readU32(b, p + V1_FLAGS), state = readU16(b, p + V1_STATE);
  // "BACKUP, Invalid PE parameters": PE data is useless without the engine's name.
  if (!kernelStateValid(b[p + V1_PROTOCOL], state, flags) || (rx.peData !== undefined && rx.peName === undefined)) {
    stats.skipped++;
    return SKIP;
  }
  if (ipv6) {
    const a = rxAddr6;
    readAddr6(b, p + V1_V6_CADDR, a, 0);
    readAddr6(b, p + V1_V6_VADDR, a, 4);
    readAddr6(b, p + V1_V6_DADDR, a, 8);
    fillAddrs(b[p + V1_PROTOCOL], foldWords6(a, 0), foldWords6(a, 4), foldWords6(a, 8));
    rx.addr6 = a;
    stats.ipv6++;
  } else {
    fillAddrs(b[p + V1_PROTOCOL], readU32(b, p + V1_CADDR), readU32(b, p + V1_VADDR), readU32(b, p + V1_DADDR));
  }
  rx.cport = readU16(b, p + V1_CPORT);
  rx.vport = readU16(b, p + V1_VPORT);
  rx.dport = readU16(b, p + V1_DPORT);
  rx.flags = flags;
  rx.state = state;
  rx.fwmark = readU32(b, p + V1_FWMARK);
  rx.timeout = readU32(b, p + V1_TIMEOUT);
  return TAKE;
}

/** The option TLVs in [q, end), into rx's seq and PE fields. */
function readOptions(b: Uint8Array, q: number, end: number, stats: SyncRxStats): number {
  rx.inSeq = rx.outSeq = rx.peData = rx.peName = undefined;
  while (q < end) {
    if (q + 2 > end) return DROP;
    const type = b[q], len = b[q + 1];
    q += 2;
    if (len === 0 || q + len > end) return DROP;
    switch (type & ~IPVS_OPT_F_PARAM) {
      case IPVS_OPT_SEQ_DATA: // "bogus conn options length" / "conn options found twice"
        if (len !== SEQ_DATA_LEN || rx.inSeq !== undefined) return DROP;
        rx.inSeq = readSeq(b, q, seqIn, false);
        rx.outSeq = readSeq(b, q + 12, seqOut, false);
        break;
      case IPVS_OPT_PE_DATA: // at most IP_VS_PEDATA_MAXLEN (255), which a length byte cannot pass
        if (rx.peData !== undefined) return DROP;
        rx.peData = b.subarray(q, q + len);
        break;
      case IPVS_OPT_PE_NAME:
        if (len > PE_NAME_MAXLEN || rx.peName !== undefined) return DROP;
        rx.peName = b.subarray(q, q + len);
        break;
      default:
        stats.unknownOptions++;
        // "Param data mandatory ?": without IPVS_OPT_F_PARAM the conn cannot be understood.
        if ((type & IPVS_OPT_F_PARAM) === 0) {
          stats.skipped++;
          return SKIP;
        }
    }
    q += len;
  }
  return TAKE;
}

/** IPv4 addresses, or (readV1 sets addr6 after) an IPv6 conn's folds. */
function fillAddrs(protocol: number, caddr: number, vaddr: number, daddr: number): void {
  rx.protocol = protocol;
  rx.addr6 = undefined;
  rx.caddr = caddr;
  rx.vaddr = vaddr;
  rx.daddr = daddr;
}

function readSeq(b: Uint8Array, o: number, s: SyncSeq, little: boolean): SyncSeq {
  s.initSeq = little ? readU32LE(b, o) : readU32(b, o);
  s.delta = (little ? readU32LE(b, o + 4) : readU32(b, o + 4)) | 0;
  s.previousDelta = (little ? readU32LE(b, o + 8) : readU32(b, o + 8)) | 0;
  return s;
}
