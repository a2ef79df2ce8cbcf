// The FTP helper for IPv6 NAT services (ip_vs_ftp with an AF_INET6 connection).
// Over IPv6 only RFC 2428's extended commands carry data connections, and no
// text is rewritten: EPSV's 229 reply names no address, and the client's own
// EPRT address is not translated (as IPVS leaves it). So no sequence offsets
// arise and checksums stay as the NAT rewrite left them.
// - client -> server (ftpInbound6): EPSV is noted; "EPRT |2|addr|port|" creates
//   the active data connection now (real server port - 1 -> that address and
//   port, state LISTEN, controlled by the control connection), which the server's
//   SYN then finds as a NAT reply and leaves from [VIP]:port - 1.
// - server -> client (ftpOutbound6): after EPSV a 229 reply's port is read and
//   the client's data connection to [VIP]:port expected (expect6.ts), which the
//   client's SYN to that port, meeting no service, opens (passiveData6).
// Sessions (seq.ts) are shared with IPv4's: keyed by slot, checked by the client's
// address fold and port.
import { A6 } from '../../conn/table.js';
import { CONN_F_APP, CONN_F_INACTIVE, CONN_F_NAT } from '../../conn/flags.js';
import { TCP_S_ESTABLISHED, TCP_S_LISTEN } from '../../conn/tcp-states.js';
import type { Batch } from '../../frames/batch.js';
import { N_FTP_DATA_CONNS, N_FTP_NO_ROOM } from '../counters.js';
import type { Engine } from '../engine.js';
import { X6 } from './expect6.js';
import { sessionOf } from './helper.js';
import { FTP_229, FTP_EPRT, FTP_EPSV, ftpReply } from './text.js';
import { ftpCommand6 } from './text6.js';

const PROTO_TCP = 6;
const TH_SYN = 0x02, TH_ACK = 0x10;
/** The active data connection's client (EPRT's address) at 0..3 and VIP at 4..7, for lookupIn6. */
const tuple = new Int32Array(8);

/** Client -> real server of an IPv6 control connection, after the NAT rewrite (Ipv6Path.inbound). */
export function ftpInbound6(engine: Engine, batch: Batch, i: number, slot: number): void {
  const info = engine.info;
  const buf = batch.buf;
  const l4 = info.l4;
  const start = l4 + ((buf[l4 + 12] >>> 4) << 2);
  const end = info.l3 + info.totalLen;
  const s = sessionOf(engine, slot);
  // ip_vs_ftp_in: only an established control connection's commands count.
  if (s === 0 || start >= end || engine.conns.stateOf(slot) !== TCP_S_ESTABLISHED) return;
  const h = engine.ftp;
  const kind = ftpCommand6(buf, start, end, h.m);
  if (kind === FTP_EPSV) h.sessions.expect[s] = kind;
  else if (kind === FTP_EPRT) activeData6(engine, batch, i, slot);
}

/**
 * EPRT |2|: the connection the server will open from its port dport - 1 to the
 * announced address and port: client = that address and port, virtual =
 * [VIP]:vport - 1, state LISTEN, controlled by the control connection.
 */
function activeData6(engine: Engine, batch: Batch, i: number, slot: number): void {
  const conns = engine.conns;
  const m = engine.ftp.m;
  const x = conns.addr6;
  const w = slot * A6;
  const vport = (conns.vportOf(slot) - 1) & 0xffff;
  for (let k = 0; k < 4; k++) {
    tuple[k] = m.addr6[k];
    tuple[4 + k] = x[w + 4 + k];
  }
  if (conns.lookupIn6(PROTO_TCP, tuple, m.port, vport) !== 0) return;
  const dest = conns.destOf(slot);
  const n = conns.add6(PROTO_TCP, tuple, 0, m.port, tuple, 4, vport, x, w + 8, (conns.dportOf(slot) - 1) & 0xffff,
    dest, CONN_F_NAT | CONN_F_INACTIVE, slot, engine.now);
  if (n === 0) {
    engine.counters.n[N_FTP_NO_ROOM]++;
    return;
  }
  conns.setState(n, TCP_S_LISTEN);
  conns.setTimeout(n, engine.timeouts.tcpMs[TCP_S_LISTEN], engine.now);
  conns.peer[n] = engine.l2.internPeer(batch.ifIn[i], batch.buf, batch.off[i] + 6);
  engine.services.destConns[dest]++;
  engine.counters.n[N_FTP_DATA_CONNS]++;
}

/** Real server -> client of an IPv6 control connection, after the NAT rewrite (Ipv6Path.outbound): a 229 after EPSV. */
export function ftpOutbound6(engine: Engine, batch: Batch, i: number, slot: number): void {
  const conns = engine.conns;
  const h = engine.ftp;
  const s = h.sessions.find(slot, conns.caddrOf(slot), conns.cportOf(slot));
  if (s === 0 || h.sessions.expect[s] !== FTP_EPSV) return;
  const info = engine.info;
  const buf = batch.buf;
  const l4 = info.l4;
  const start = l4 + ((buf[l4 + 12] >>> 4) << 2);
  const end = info.l3 + info.totalLen;
  // GSO super-frames are never replies of a few dozen bytes.
  if (start >= end || batch.gsoType[i] !== 0 || conns.stateOf(slot) !== TCP_S_ESTABLISHED) return;
  if (ftpReply(buf, start, end, FTP_EPSV, h.m) !== FTP_229) return;
  h.sessions.expect[s] = 0;
  const x = conns.addr6;
  const w = slot * A6;
  const port = h.m.port;
  const deadline = engine.now + engine.timeouts.tcpMs[TCP_S_LISTEN];
  if (!h.expects6.add(x, w, x, w + 4, port, x, w + 8, port, conns.destOf(slot), slot, deadline, engine.now)) {
    engine.counters.n[N_FTP_NO_ROOM]++;
  }
}

/**
 * A client's SYN from a[0..3] to an owned IPv6 address a[4..7] that no service
 * takes: if a 229 reply announced it, the data connection to the real server
 * that sent the reply; 0 otherwise (Ipv6Path goes on as with no service).
 */
export function passiveData6(engine: Engine, batch: Batch, i: number, a: Int32Array): number {
  const info = engine.info;
  if (info.proto !== PROTO_TCP || (info.tcpFlags & (TH_SYN | TH_ACK)) !== TH_SYN) return 0;
  const x = engine.ftp.expects6;
  const e = x.take(a, info.dport, engine.now);
  if (e === 0) return 0;
  const conns = engine.conns;
  const c = x.control[e];
  const control = conns.isLive(c) && (conns.flagsOf(c) & CONN_F_APP) !== 0 && conns.isV6(c) ? c : 0;
  const n = conns.add6(PROTO_TCP, a, 0, info.sport, a, 4, info.dport, x.words, e * X6 + 8, x.dport[e],
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
