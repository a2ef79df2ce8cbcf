// The FTP helper for NAT (IPVS's ip_vs_ftp with ip_vs_app's sequence offsets).
// A NAT TCP service whose port is one of the FTP ports (ip_vs_ftp's `ports`
// parameter; lvs.cf `ftp_ports`, default 21) marks its connections CONN_F_APP;
// the engine hands their segments here after its own NAT rewrite:
// - client -> server (ftpInbound): the acknowledgement and SACK blocks lose the
//   offset earlier rewrites added; PASV/EPSV are noted; PORT/EPRT create the
//   active data connection now (real server port - 1 -> the client's address and
//   port, state LISTEN), which the server's SYN from port 20 then finds as a NAT
//   reply and leaves with the VIP as its source. PORT's text is left as it is.
// - server -> client (ftpOutbound): the sequence number gains the offset; after
//   PASV a 227 reply's address (the real server's) becomes the VIP, which may
//   change its length (the frame is moved into the batch's tailroom when it
//   grows); after EPSV a 229 reply (port only) is read, not changed. Either way
//   the client's data connection to VIP:port is expected (expect.ts).
// Only text that begins a segment and ends in it is seen (text.ts), as in IPVS.
// Control connections are few and slow, so this path recomputes whole checksums.
// IPv6 control connections have their own entry points (helper6.ts): EPRT |2| and
// EPSV only, nothing rewritten; they share the sessions and the counters.
import { writeU16 } from '../../packet/bytes.js';
import { checksum, l4Checksum, pseudoSum } from '../../packet/checksum.js';
import { CONN_F_APP, CONN_F_INACTIVE, CONN_F_NAT } from '../../conn/flags.js';
import { TCP_S_ESTABLISHED, TCP_S_LISTEN } from '../../conn/tcp-states.js';
import type { Batch } from '../../frames/batch.js';
import type { ConnTable } from '../../conn/table.js';
import type { SyncSeq } from '../../sync/layout.js';
import { DROP_NO_ROOM, N_FTP_DATA_CONNS, N_FTP_NO_ROOM, N_FTP_REWRITTEN } from '../counters.js';
import type { Engine } from '../engine.js';
import { FtpExpects } from './expect.js';
import { FtpExpects6 } from './expect6.js';
import { FtpSessions } from './seq.js';
import { FTP_227, FTP_229, FTP_EPRT, FTP_EPSV, FTP_PASV, FTP_PORT, FtpMatch, ftpCommand, ftpReply, hostPortLength, writeHostPort } from './text.js';

const PROTO_TCP = 6;
const TH_SYN = 0x02, TH_ACK = 0x10;
/** IP_VS_APP_MAX_PORTS: ip_vs_ftp takes at most 8 ports. */
export const FTP_MAX_PORTS = 8;
/** ip_vs_ftp's default `ports`. */
export const FTP_DEFAULT_PORTS: readonly number[] = [21];

export interface FtpOptions {
  /** Control connections helped at once (their sequence offsets). Default 4096. */
  sessions?: number;
  /** Passive data connections announced and not yet opened. Default 4096. */
  expects?: number;
}

export class FtpHelper {
  /** ports[p] !== 0: a NAT TCP service on port p gets the helper. */
  readonly ports = new Uint8Array(65536);
  readonly sessions: FtpSessions;
  readonly expects: FtpExpects;
  /** Those of IPv6 control connections (229 replies; helper6.ts). */
  readonly expects6: FtpExpects6;
  readonly m = new FtpMatch();

  constructor(opts: FtpOptions = {}) {
    this.sessions = new FtpSessions(opts.sessions ?? 4096);
    this.expects = new FtpExpects(opts.expects ?? 4096);
    this.expects6 = new FtpExpects6(opts.expects ?? 4096);
    this.setPorts(FTP_DEFAULT_PORTS);
  }

  /**
   * The server -> client offset of control connection `slot` for a sync message
   * (ip_vs_sync_conn's out_seq, sent when IP_VS_CONN_F_OUT_SEQ is set); false when
   * it has none.
   */
  exportSeq(conns: ConnTable, slot: number, out: SyncSeq): boolean {
    const ss = this.sessions;
    const s = ss.find(slot, conns.caddrOf(slot), conns.cportOf(slot));
    if (s === 0 || ss.adjusted[s] === 0) return false;
    out.initSeq = ss.initSeq[s] >>> 0;
    out.delta = ss.delta[s];
    out.previousDelta = ss.prevDelta[s];
    return true;
  }

  /** A backup takes the master's offset (ip_vs_proc_conn: "cp->out_seq = opt->out_seq"). */
  importSeq(conns: ConnTable, slot: number, seq: SyncSeq): void {
    const ss = this.sessions;
    const caddr = conns.caddrOf(slot), cport = conns.cportOf(slot);
    let s = ss.find(slot, caddr, cport);
    if (s === 0) s = ss.open(slot, caddr, cport, (sl) => !conns.isLive(sl) || (conns.flagsOf(sl) & CONN_F_APP) === 0);
    if (s === 0) return;
    ss.initSeq[s] = seq.initSeq | 0;
    ss.delta[s] = seq.delta | 0;
    ss.prevDelta[s] = seq.previousDelta | 0;
    ss.adjusted[s] = seq.delta !== 0 || seq.previousDelta !== 0 ? 1 : 0;
  }

  setPorts(list: readonly number[]): void {
    this.ports.fill(0);
    for (const p of list) if (p > 0 && p < 65536) this.ports[p] = 1;
  }
}

/** The session of an FTP control connection, opened on its first segment (or when a reused slot shows another client). */
export function sessionOf(engine: Engine, slot: number): number {
  const conns = engine.conns;
  const h = engine.ftp;
  const caddr = conns.caddrOf(slot), cport = conns.cportOf(slot);
  const s = h.sessions.find(slot, caddr, cport);
  if (s !== 0 && (engine.info.tcpFlags & (TH_SYN | TH_ACK)) !== TH_SYN) return s;
  const fresh = h.sessions.open(slot, caddr, cport, (sl, ca, cp) =>
    !conns.isLive(sl) || (conns.flagsOf(sl) & CONN_F_APP) === 0 || (conns.caddrOf(sl) | 0) !== ca || conns.cportOf(sl) !== cp);
  if (fresh === 0) engine.counters.n[N_FTP_NO_ROOM]++;
  return fresh;
}

/** Client -> real server, after the DNAT rewrite (engine.inbound). */
export function ftpInbound(engine: Engine, batch: Batch, i: number, slot: number): void {
  const info = engine.info;
  const buf = batch.buf;
  const s = sessionOf(engine, slot);
  if (s === 0) return;
  const h = engine.ftp;
  const l4 = info.l4;
  const changed = h.sessions.fixAck(s, buf, l4, (info.tcpFlags & TH_ACK) !== 0);
  const start = l4 + ((buf[l4 + 12] >>> 4) << 2);
  const end = info.l3 + info.totalLen;
  // ip_vs_ftp_in: "if (cp->state != IP_VS_TCP_S_ESTABLISHED) return 1".
  if (start < end && engine.conns.stateOf(slot) === TCP_S_ESTABLISHED) {
    const kind = ftpCommand(buf, start, end, h.m);
    if (kind === FTP_PASV || kind === FTP_EPSV) h.sessions.expect[s] = kind;
    else if (kind === FTP_PORT || kind === FTP_EPRT) activeData(engine, batch, i, slot);
  }
  if (changed) tcpChecksum(batch, i, buf, info.l3, l4, end - l4);
}

/**
 * PORT/EPRT: the connection the server will open from its port dport - 1 to the
 * client's address and port, as ip_vs_ftp_in creates it: client = the announced
 * address and port, virtual = VIP:vport - 1, state LISTEN, controlled by the
 * control connection (which then outlives it). The client's MAC is its peer.
 */
function activeData(engine: Engine, batch: Batch, i: number, slot: number): void {
  const conns = engine.conns;
  const m = engine.ftp.m;
  const vaddr = conns.vaddrOf(slot) | 0, vport = (conns.vportOf(slot) - 1) & 0xffff;
  if (conns.lookupIn(PROTO_TCP, m.addr | 0, m.port, vaddr, vport) !== 0) return;
  const dest = conns.destOf(slot);
  const n = conns.add(PROTO_TCP, m.addr | 0, m.port, vaddr, vport, conns.daddrOf(slot) | 0, (conns.dportOf(slot) - 1) & 0xffff,
    dest, CONN_F_NAT | CONN_F_INACTIVE, slot, engine.now);
  if (n === 0) {
    engine.counters.n[N_FTP_NO_ROOM]++;
    return;
  }
  listen(engine, n);
  conns.peer[n] = engine.l2.internPeer(batch.ifIn[i], batch.buf, batch.off[i] + 6);
  engine.services.destConns[dest]++;
  engine.counters.n[N_FTP_DATA_CONNS]++;
}

/** ip_vs_tcp_conn_listen: a data connection waits in LISTEN (2 minutes by default). */
function listen(engine: Engine, n: number): void {
  engine.conns.setState(n, TCP_S_LISTEN);
  engine.conns.setTimeout(n, engine.timeouts.tcpMs[TCP_S_LISTEN], engine.now);
}

/**
 * A client's SYN to an address the router owns with no connection: if a 227 or
 * 229 reply announced it, the data connection to the real server that sent the
 * reply; 0 otherwise. The caller (engine.miss) carries on as with a new connection.
 */
export function passiveData(engine: Engine, batch: Batch, i: number): number {
  const info = engine.info;
  if (info.proto !== PROTO_TCP || (info.tcpFlags & (TH_SYN | TH_ACK)) !== TH_SYN) return 0;
  const x = engine.ftp.expects;
  const e = x.take(info.saddr | 0, info.daddr | 0, info.dport, engine.now);
  if (e === 0) return 0;
  const conns = engine.conns;
  const control = conns.isLive(x.control[e]) && (conns.flagsOf(x.control[e]) & CONN_F_APP) !== 0 ? x.control[e] : 0;
  const n = conns.add(PROTO_TCP, info.saddr | 0, info.sport, info.daddr | 0, info.dport, x.daddr[e], x.dport[e],
    x.dest[e], CONN_F_NAT | CONN_F_INACTIVE, control, engine.now);
  if (n === 0) {
    engine.counters.n[N_FTP_NO_ROOM]++;
    return 0;
  }
  conns.peer[n] = engine.l2.internPeer(batch.ifIn[i], batch.buf, batch.off[i] + 6);
  engine.services.destConns[x.dest[e]]++;
  engine.counters.n[N_FTP_DATA_CONNS]++;
  return n;
}

/**
 * Real server -> client, after the SNAT rewrite and the TTL (engine.outbound),
 * before the MACs. Returns false when the frame must be dropped (a 227 reply
 * that grows with no tailroom left: IPVS drops a reply it cannot mangle too, and
 * the server retransmits it); the drop is counted here.
 */
export function ftpOutbound(engine: Engine, batch: Batch, i: number, slot: number): boolean {
  const info = engine.info;
  const conns = engine.conns;
  const h = engine.ftp;
  const s = h.sessions.find(slot, conns.caddrOf(slot), conns.cportOf(slot));
  if (s === 0) return true;
  const buf = batch.buf;
  const l3 = info.l3, l4 = info.l4;
  const changed = h.sessions.adjusted[s] !== 0;
  const seq = h.sessions.fixSeq(s, buf, l4);
  const start = l4 + ((buf[l4 + 12] >>> 4) << 2);
  const end = l3 + info.totalLen;
  const expect = h.sessions.expect[s];
  let kind = 0;
  // GSO super-frames are never replies of a few dozen bytes: only their sequence moves.
  if (expect !== 0 && start < end && batch.gsoType[i] === 0 && conns.stateOf(slot) === TCP_S_ESTABLISHED) kind = ftpReply(buf, start, end, expect, h.m);
  if (kind === 0) {
    if (changed) tcpChecksum(batch, i, buf, l3, l4, end - l4);
    return true;
  }
  const m = h.m;
  const vaddr = conns.vaddrOf(slot);
  const dest = conns.destOf(slot);
  const daddr = kind === FTP_227 ? m.addr : conns.daddrOf(slot);
  h.sessions.expect[s] = 0;
  if (!h.expects.add(conns.caddrOf(slot), vaddr, m.port, daddr, m.port, dest, slot, engine.now + engine.timeouts.tcpMs[TCP_S_LISTEN], engine.now)) {
    engine.counters.n[N_FTP_NO_ROOM]++;
  }
  if (kind === FTP_229) {
    if (changed) tcpChecksum(batch, i, buf, l3, l4, end - l4);
    return true;
  }
  return rewrite227(engine, batch, i, s, seq, vaddr, m.port);
}

/** The 227 reply's "h1,h2,h3,h4,p1,p2" becomes the VIP's; lengths, offsets and checksums follow. */
function rewrite227(engine: Engine, batch: Batch, i: number, s: number, seq: number, vaddr: number, port: number): boolean {
  const info = engine.info;
  const m = engine.ftp.m;
  const diff = hostPortLength(vaddr, port) - (m.end - m.start);
  let buf = batch.buf;
  let shift = 0;
  const off = batch.off[i], len = batch.len[i];
  if (diff > 0) {
    const at = engine.spill(batch, len + diff);
    if (at < 0) {
      engine.counters.n[N_FTP_NO_ROOM]++;
      engine.drop(batch, i, DROP_NO_ROOM);
      return false;
    }
    buf.copyWithin(at, off, m.end);
    buf.copyWithin(at + (m.end - off) + diff, m.end, off + len);
    shift = at - off;
    batch.off[i] = at;
  } else if (diff < 0) {
    buf.copyWithin(m.end + diff, m.end, off + len);
  }
  batch.len[i] = len + diff;
  buf = batch.buf;
  const l3 = info.l3 + shift, l4 = info.l4 + shift;
  writeHostPort(buf, m.start + shift, vaddr, port);
  const total = info.totalLen + diff;
  writeU16(buf, l3 + 2, total);
  writeU16(buf, l3 + 10, 0);
  writeU16(buf, l3 + 10, checksum(buf, l3, (buf[l3] & 0x0f) << 2));
  if (diff !== 0) engine.ftp.sessions.update(s, seq, diff);
  tcpChecksum(batch, i, buf, l3, l4, l3 + total - l4);
  engine.counters.n[N_FTP_REWRITTEN]++;
  return true;
}

/**
 * The TCP checksum after the helper changed the segment: whole, or with a
 * CHECKSUM_PARTIAL frame (offloads) only the pseudo-header sum the device completes.
 */
function tcpChecksum(batch: Batch, i: number, buf: Uint8Array, l3: number, l4: number, l4len: number): void {
  const src = ((buf[l3 + 12] << 24) | (buf[l3 + 13] << 16) | (buf[l3 + 14] << 8) | buf[l3 + 15]) >>> 0;
  const dst = ((buf[l3 + 16] << 24) | (buf[l3 + 17] << 16) | (buf[l3 + 18] << 8) | buf[l3 + 19]) >>> 0;
  if (batch.csumPartial[i] !== 0) {
    writeU16(buf, l4 + 16, pseudoSum(src, dst, PROTO_TCP, l4len));
    return;
  }
  writeU16(buf, l4 + 16, 0);
  writeU16(buf, l4 + 16, l4Checksum(buf, l4, l4len, src, dst, PROTO_TCP));
}
