// The IPv6 data path (issue 13 item 5): NAT, DR and LVS-TUN of TCP and UDP to IPv6
// virtual services, Neighbor Discovery for the router's IPv6 addresses and its
// real servers, echo, and the ICMPv6 errors a router sends (Packet Too Big,
// port unreachable). Its connections live in the engine's one table (conn/table.ts
// keeps IPv6 rows by their address folds), scheduled by the same NewConnections,
// so states, timeouts, persistence, counters and the flood defences are the ones
// IPv4 has. IPv4's path does not pass through here: a frame comes only after
// parseFrame said PARSE_IPV6.
//
// Fragments are forwarded along their flow as IPv4's are (frag-path6.ts); the
// FTP helper (ftp/helper6.ts) sees NAT control connections of the FTP ports;
// IPv6 firewall-mark services take what marks.ts classify6 marks; new
// connections and state changes are queued for connection sync as IPv4's are;
// the SYN proxy (syn-proxy6.ts) answers for NAT services as IPv4's does.
import { CONN_F_APP, CONN_F_ONE_PACKET, CONN_F_SEQ_ADJUST, CONN_F_SYNC } from '../conn/flags.js';
import { A6 } from '../conn/table.js';
import { DEST_F_AVAILABLE } from '../conn/dests.js';
import type { OwnedAddress } from '../model/index.js';
import { PROTO_TCP, PROTO_UDP } from '../model/index.js';
import { VERDICT_DROP, VERDICT_TX, type Batch } from '../frames/batch.js';
import { IPPROTO_ICMPV6, IPV6_DST, IPV6_SRC, IPV6_HLEN, IPV6_MIN_MTU, ipv6Words, readAddr6 } from '../packet/ipv6.js';
import { l4ChecksumOk6 } from '../packet/checksum.js';
import {
  echoReply6, ICMP6_ECHO_REQUEST, icmp6ErrorAllowed, ND_HLEN, ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT, ND_OPT_LLA_LEN,
  neighborAdvertReply, packetTooBig6, portUnreachable6, unsolicitedNeighborAdvert,
} from '../packet/icmp6.js';
import { decHopLimit, rewriteDst6, rewriteIcmp6InnerDst, rewriteIcmp6InnerSrc, rewriteSrc6 } from '../packet/rewrite6.js';
import { ETH_HLEN } from '../packet/ethernet.js';
import * as C from './counters.js';
import type { Engine } from './engine.js';
import { HIT_GONE, HIT_KEEP } from './new-conn.js';
import { Neighbours6, type Wanted6 } from './neighbours6.js';
import { clearOffload } from './icmp-send.js';
import type { ArpOut, NeighEvent } from './neighbours.js';
import { samePrefix6 } from './addr6.js';
import { FragTable, type FragOptions } from './frags.js';
import { handleFragment6 } from './frag-path6.js';
import { FWD_NAT, FWD_TUNNEL } from './services.js';
import { tunnel6Xmit, type Source6 } from './tunnel6.js';
import { heldLen, holdFrame, releaseFrame, TCP_ACK, TCP_FIN, type SynProxy } from './syn-proxy.js';
import { ackToSyn6, answerSyn6, serverAnswer6, SYN_FRAME_LEN6 } from './syn-proxy6.js';
import { tunnelGso6 } from './tunnel-gso6.js';
import { MTU_UNKNOWN, writeMacs } from './l2.js';
import { ftpInbound6, ftpOutbound6, passiveData6 } from './ftp/helper6.js';
import { NextHops6 } from './next-hop6.js';
import type { RouteTable6 } from './routes6.js';

const TCP_SYN = 0x02;
const TCP_RST = 0x04;
/** An NA answering an NS (RFC 4861 7.2.4), with our target link-layer option. */
const NA_LEN = ETH_HLEN + IPV6_HLEN + ND_HLEN + ND_OPT_LLA_LEN;
/** The most an ICMPv6 error frame can be (RFC 4443 2.4 (c): the minimum MTU, plus Ethernet). */
const ICMP6_ERROR_FRAME_MAX = ETH_HLEN + IPV6_MIN_MTU;

/** An IPv6 address the router owns (a VIP or the NAT router address) on interface itf. */
interface Owned6 {
  readonly words: Int32Array;
  readonly prefixLen: number;
  readonly itf: number;
  readonly role: OwnedAddress['role'];
}

export class Ipv6Path {
  /** A packet's addresses: source a[0..3], destination a[4..7] (what ConnTable's *6 lookups read). */
  readonly a = new Int32Array(8);
  /** The connection the last tcpUdp() sent its packet on (+ 1 << 31 for a NAT reply), 0 none. */
  lastConn = 0;
  /** Fragments of IPv6 datagrams in flight (frag-path6.ts); made with the first IPv6 address. */
  frags: FragTable | null = null;
  /** tunnelSource's answer, reused. */
  private readonly src6: Source6 = { words: this.a, o: 0 };
  readonly neigh: Neighbours6;
  /** The clients (or their gateways) of synced connections whose replies come before the client has sent (syncedPeer). */
  readonly clients: Neighbours6;
  /** The IPv6 addresses the router owns, from the running table. */
  owned: Owned6[] = [];
  /** Each IPv6 dest's interface and next hop, by the routes when given (next-hop6.ts). */
  readonly hops = new NextHops6();

  constructor(private readonly e: Engine, neighCapacity = 4096, private readonly fragOptions: FragOptions = {}) {
    this.neigh = new Neighbours6({ names: e.l2.ifNames, macs: e.l2.ifMac }, neighCapacity);
    this.clients = new Neighbours6({ names: e.l2.ifNames, macs: e.l2.ifMac }, 1024, true);
  }

  /** The owned IPv6 addresses of a new table version (the engine's `addresses` keeps the IPv4 ones). */
  setAddresses(addresses: readonly OwnedAddress[]): void {
    this.owned = addresses.filter((x) => x.address6 !== undefined).map((x) => ({
      words: ipv6Words(x.address6!), prefixLen: x.prefixLen, itf: this.e.l2.ifIndex(x.device), role: x.role,
    }));
    this.hops.setOwned(addresses);
    if (this.owned.length > 0) {
      this.e.conns.enable6();
      this.frags ??= new FragTable(this.fragOptions, this.e.counters.drops);
    }
  }

  /** Processes an IPv6 frame (parseFrame said PARSE_IPV6); returns its verdict. */
  frame(batch: Batch, i: number, now: number): number {
    const e = this.e;
    const info = e.info;
    const a = this.a;
    e.counters.n[C.N_V6_RX]++;
    readAddr6(batch.buf, info.l3 + IPV6_SRC, a, 0);
    readAddr6(batch.buf, info.l3 + IPV6_DST, a, 4);
    const proto = info.proto;
    if (proto === IPPROTO_ICMPV6 && info.isFragment === 0) return this.icmp(batch, i, now);
    if ((proto !== PROTO_TCP && proto !== PROTO_UDP) || this.owned.length === 0) return e.pass(C.PASS_NOT_OURS);
    if (info.isFragment !== 0) return handleFragment6(this, e, batch, i, now);
    return this.tcpUdp(batch, i, now);
  }

  /**
   * A TCP or UDP packet (or a datagram's first fragment) with its addresses in
   * `a`: its connection's path, a new connection's, or not ours. `lastConn`
   * says afterwards which connection took it (+ 1 << 31 for a reply), for the
   * fragment path.
   */
  tcpUdp(batch: Batch, i: number, now: number): number {
    const e = this.e;
    const info = e.info;
    const a = this.a;
    const proto = info.proto;
    const conns = e.conns;
    const own = this.ownedAt(a, 4);
    if (own < 0) {
      const reply = conns.lookupOut6(proto, a, info.sport, info.dport);
      return reply !== 0 ? this.outbound(batch, i, reply, now) : e.pass(C.PASS_NOT_OURS);
    }
    let slot = conns.lookupIn6(proto, a, info.sport, info.dport);
    if (slot !== 0) {
      const syn = proto === PROTO_TCP && (info.tcpFlags & TCP_SYN) !== 0;
      const available = (e.services.dests.flags[conns.destOf(slot)] & DEST_F_AVAILABLE) !== 0;
      if (available && !syn) return this.inbound(batch, i, slot, now);
      const h = e.admit.hit(slot, syn);
      if (h === HIT_KEEP) return this.inbound(batch, i, slot, now);
      if (h === HIT_GONE) return e.drop(batch, i, C.DROP_DEST_GONE);
    }
    const svc = this.serviceFor(proto);
    if (svc === 0) return this.noService(batch, i, now);
    // tcp_conn_schedule: only a SYN without RST opens a connection (or, with sloppy_tcp, any segment without RST).
    if (proto === PROTO_TCP && e.synProxy !== null) {
      const v = this.proxyNew(batch, i, svc, e.synProxy, now);
      if (v >= 0) return v;
    }
    const opens = (info.tcpFlags & (TCP_SYN | TCP_RST)) === TCP_SYN || (e.admit.switches.sloppyTcp === true && (info.tcpFlags & TCP_RST) === 0);
    if (proto === PROTO_TCP && !opens) return e.drop(batch, i, C.DROP_NO_CONN);
    if (e.defense.dropRate !== 0 && e.defense.toDrop()) return e.drop(batch, i, C.DROP_DEFENSE);
    slot = e.admit.create6(svc, proto, a, info.sport, info.dport, now);
    if (slot <= 0) return slot === -C.DROP_NO_DEST && proto === PROTO_UDP ? this.leave(batch, i, own) : e.drop(batch, i, -slot);
    conns.peer[slot] = e.l2.internPeer(batch.ifIn[i], batch.buf, batch.off[i] + 6);
    if (e.sync !== null) e.sync.created(slot);
    e.counters.n[C.N_CREATED]++;
    return this.inbound(batch, i, slot, now);
  }

  /**
   * No service: a passive FTP data connection a 229 reply announced (ftp/helper6.ts),
   * else not ours; asked only while announcements wait, as Engine.noService does.
   */
  private noService(batch: Batch, i: number, now: number): number {
    const e = this.e;
    const data = e.ftp.expects6.waiting !== 0 ? passiveData6(e, batch, i, this.a) : 0;
    return data !== 0 ? this.inbound(batch, i, data, now) : e.pass(C.PASS_NOT_OURS);
  }

  /** Client -> real server: state, counters, DNAT for NAT, the server's MAC for DR. */
  private inbound(batch: Batch, i: number, slot: number, now: number): number {
    const e = this.e;
    this.lastConn = slot;
    const info = e.info;
    const conns = e.conns;
    const rt = e.services;
    const dest = conns.destOf(slot);
    if (info.proto === PROTO_TCP) conns.tcpTransition(slot, 0, info.tcpFlags, now);
    else conns.udpTransition(slot, now);
    if (e.sync !== null) e.sync.inbound(slot);
    rt.destInPkts[dest]++;
    rt.destInBytes[dest] += info.totalLen;
    const fwd = rt.destFwd[dest];
    const n = this.destNeighbour(dest, now);
    if (n === 0) return e.drop(batch, i, C.DROP_NO_NEIGH);
    if (fwd === FWD_TUNNEL) return this.tunnel(batch, i, slot, dest, n);
    const itf = this.neigh.itf[n];
    if (info.totalLen > e.l2.ifMtu[itf] && batch.gsoType[i] === 0) return this.tooBig(batch, i, itf, conns.addr6, slot * A6 + 4);
    if ((conns.flagsOf(slot) & (CONN_F_ONE_PACKET | CONN_F_SYNC)) !== 0) {
      if (conns.peer[slot] === 0) conns.peer[slot] = e.l2.internPeer(batch.ifIn[i], batch.buf, batch.off[i] + 6);
      if ((conns.flagsOf(slot) & CONN_F_ONE_PACKET) !== 0) conns.expireNow(slot);
    }
    if (fwd === FWD_NAT) rewriteDst6(batch.buf, info, conns.addr6, slot * A6 + 8, conns.dportOf(slot), batch.csumPartial[i] === 1);
    if ((conns.flagsOf(slot) & CONN_F_APP) !== 0) ftpInbound6(e, batch, i, slot);
    // Before the MACs: a frame the SYN proxy holds is kept without them.
    if ((conns.flagsOf(slot) & CONN_F_SEQ_ADJUST) !== 0 && this.proxiedIn(batch, i, slot, now)) return batch.verdict[i];
    writeMacs(batch.buf, batch.off[i], this.neigh.hdr, 3 * n);
    batch.ifOut[i] = itf;
    return VERDICT_TX;
  }

  /** ip_vs_service_find for IPv6: an IPv6 firewall-mark service first (ip6tables rules), then protocol + VIP + port. */
  private serviceFor(proto: number): number {
    const e = this.e;
    const rt = e.services;
    if (rt.byMark6.size !== 0) {
      const mark = e.marks.classify6(proto, this.a, 4, e.info.dport);
      const svc = mark === 0 ? 0 : rt.byMark6.get(mark) ?? 0;
      if (svc !== 0) return svc;
    }
    return rt.lookup6(proto, this.a, 4, e.info.dport);
  }

  /**
   * The SYN proxy's part of a new TCP connection, as Engine.proxyNew for IPv4
   * (syn-proxy6.ts): a SYN while it acts is answered with a cookie; an ACK with
   * a valid cookie opens the connection and goes on to the server as the SYN.
   * -1: not the proxy's.
   */
  private proxyNew(batch: Batch, i: number, svcId: number, sp: SynProxy, now: number): number {
    const e = this.e;
    const info = e.info;
    const n = e.counters.n;
    const f = info.tcpFlags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN);
    const itf = batch.ifIn[i];
    if (e.ftp.ports[info.dport] !== 0) return -1;
    if (f === TCP_SYN) {
      if (!e.defense.synProxyOn || !sp.allNat(svcId, e.services.services[svcId].ids, e.services.destFwd, FWD_NAT)) return -1;
      const mtu = e.l2.ifMtu[itf];
      answerSyn6(sp, batch, i, info, now, mtu >= MTU_UNKNOWN || mtu > 1500 ? 1440 : mtu - 60, e.l2.ifMac, itf);
      n[C.N_SYNPROXY_COOKIES_SENT]++;
      return VERDICT_TX;
    }
    if (f !== TCP_ACK) return -1;
    const mssIdx = sp.checkAck(batch.buf, info, now);
    if (mssIdx < 0) {
      n[C.N_SYNPROXY_ACK_INVALID]++;
      return -1;
    }
    n[C.N_SYNPROXY_ACK_VALID]++;
    const slot = e.admit.create6(svcId, PROTO_TCP, this.a, info.sport, info.dport, now);
    if (slot <= 0) return e.drop(batch, i, -slot);
    const conns = e.conns;
    if (e.services.destFwd[conns.destOf(slot)] !== FWD_NAT) {
      conns.expireNow(slot);
      return e.drop(batch, i, C.DROP_SYNPROXY_NOT_NAT);
    }
    const at = batch.len[i] >= SYN_FRAME_LEN6 ? batch.off[i] : e.spill(batch, SYN_FRAME_LEN6);
    if (at < 0) {
      conns.expireNow(slot);
      return e.drop(batch, i, C.DROP_NO_ROOM);
    }
    conns.peer[slot] = e.l2.internPeer(itf, batch.buf, batch.off[i] + 6);
    if (e.sync !== null) e.sync.created(slot);
    n[C.N_CREATED]++;
    ackToSyn6(sp, batch, i, info, at, slot, mssIdx);
    const v = this.inbound(batch, i, slot, now);
    // After inbound(), which would hold back a segment of a waiting connection.
    conns.setFlags(slot, conns.flagsOf(slot) | CONN_F_SEQ_ADJUST);
    sp.waiting[slot] = 1;
    return v;
  }

  /** A client segment of a proxied connection: held or dropped while its server's SYN-ACK is awaited (true), else its ack translated. */
  private proxiedIn(batch: Batch, i: number, slot: number, now: number): boolean {
    const e = this.e;
    const info = e.info;
    const sp = e.synProxy!;
    if (sp.waiting[slot] !== 0) {
      if (info.proto === PROTO_TCP && info.l4Len > ((batch.buf[info.l4 + 12] >>> 4) << 2) && info.ihl === IPV6_HLEN && holdFrame(sp, batch, i, info, slot, now)) {
        e.counters.n[C.N_SYNPROXY_HELD]++;
        batch.reason[i] = 0;
        batch.verdict[i] = VERDICT_DROP;
      } else batch.verdict[i] = e.drop(batch, i, C.DROP_SYNPROXY_WAITING);
      return true;
    }
    if (info.proto === PROTO_TCP) sp.seq.toServer(batch.buf, info.l4, slot, batch.csumPartial[i] === 1);
    return false;
  }

  /**
   * A server segment of a proxied connection: the SYN-ACK that completes the
   * handshake goes back to the server as its ACK, and the held segment after it
   * (true); anything else of a waiting connection is dropped (true), but a
   * reset; later segments have their seq translated (false).
   */
  private proxiedOut(batch: Batch, i: number, slot: number, dest: number, now: number): boolean {
    const e = this.e;
    const info = e.info;
    const sp = e.synProxy!;
    const conns = e.conns;
    if (sp.waiting[slot] !== 0) {
      if (info.proto === PROTO_TCP && serverAnswer6(sp, batch, i, info, slot, conns.addr6, slot * A6, conns.cportOf(slot))) {
        const n = this.destNeighbour(dest, now);
        if (n === 0) {
          batch.verdict[i] = e.drop(batch, i, C.DROP_NO_NEIGH);
          return true;
        }
        writeMacs(batch.buf, batch.off[i], this.neigh.hdr, 3 * n);
        batch.ifOut[i] = this.neigh.itf[n];
        e.counters.n[C.N_SYNPROXY_CONNS]++;
        batch.verdict[i] = VERDICT_TX;
        this.releaseHeld(batch, slot, n);
        return true;
      }
      if (sp.waiting[slot] !== 0) {
        batch.verdict[i] = e.drop(batch, i, C.DROP_SYNPROXY_WAITING);
        return true;
      }
    }
    if (info.proto === PROTO_TCP) sp.seq.toClient(batch.buf, info.l4, slot, batch.csumPartial[i] === 1);
    return false;
  }

  /** After the ACK that completes a proxied handshake: the client's segment held meanwhile, appended to the batch. */
  private releaseHeld(batch: Batch, slot: number, n: number): void {
    const e = this.e;
    const sp = e.synProxy!;
    const len = heldLen(sp, slot);
    if (len === 0 || batch.count >= batch.slots) return;
    const at = e.spill(batch, len);
    if (at < 0) return;
    const j = batch.count;
    releaseFrame(sp, batch, slot, at);
    writeMacs(batch.buf, at, this.neigh.hdr, 3 * n);
    batch.ifOut[j] = this.neigh.itf[n];
    batch.verdict[j] = VERDICT_TX;
    e.appendedTx++;
  }

  /** LVS-TUN (tunnel6.ts); a GSO super-frame is cut into segments first (tunnel-gso6.ts). */
  private tunnel(batch: Batch, i: number, slot: number, dest: number, n: number): number {
    const e = this.e;
    const conns = e.conns;
    if ((conns.flagsOf(slot) & CONN_F_ONE_PACKET) !== 0) conns.expireNow(slot);
    if (batch.gsoType[i] !== 0) return tunnelGso6(e, batch, i, e.info, dest, slot, n);
    return tunnel6Xmit(e, batch, i, e.info, dest, slot, n, false);
  }

  /**
   * The outer source of a tunnel to the server at d[o..o+3], as the kernel takes
   * the route's source: an owned address whose network holds the server (the
   * longest prefix), else the connection's VIP. Answered in a reused record.
   */
  tunnelSource(d: Int32Array, o: number, slot: number): Source6 {
    const src = this.src6;
    let bestLen = -1;
    const owned = this.owned;
    for (let k = 0; k < owned.length; k++) {
      const x = owned[k];
      if (x.prefixLen > bestLen && x.prefixLen < 128 && samePrefix6(x.words, 0, d, o, x.prefixLen)) {
        src.words = x.words;
        src.o = 0;
        bestLen = x.prefixLen;
      }
    }
    if (bestLen < 0) {
      src.words = this.e.conns.addr6;
      src.o = slot * A6 + 4;
    }
    return src;
  }

  /** Real server -> client (NAT): state, counters, SNAT back to the VIP, hop limit - 1, out through the client's peer. */
  private outbound(batch: Batch, i: number, slot: number, now: number): number {
    const e = this.e;
    this.lastConn = slot + 0x80000000;
    const info = e.info;
    const conns = e.conns;
    const rt = e.services;
    const dest = conns.destOf(slot);
    // Forwarded, so the hop limit drops (RFC 8200 section 3); at 1 it would reach 0.
    if (info.ttl <= 1) return e.drop(batch, i, C.DROP_TTL);
    if (info.proto === PROTO_TCP) conns.tcpTransition(slot, 1, info.tcpFlags, now);
    else conns.udpTransition(slot, now);
    rt.destOutPkts[dest]++;
    rt.destOutBytes[dest] += info.totalLen;
    if ((conns.flagsOf(slot) & CONN_F_SEQ_ADJUST) !== 0 && this.proxiedOut(batch, i, slot, dest, now)) return batch.verdict[i];
    const peer = conns.peer[slot] || this.syncedPeer(slot, now);
    if (peer === 0) return e.drop(batch, i, C.DROP_NO_NEIGH);
    const itf = e.l2.peerIf[peer];
    if (info.totalLen > e.l2.ifMtu[itf] && batch.gsoType[i] === 0) return this.tooBig(batch, i, itf, conns.addr6, slot * A6 + 4);
    rewriteSrc6(batch.buf, info, conns.addr6, slot * A6 + 4, conns.vportOf(slot), batch.csumPartial[i] === 1);
    decHopLimit(batch.buf, info.l3);
    if ((conns.flagsOf(slot) & CONN_F_APP) !== 0) ftpOutbound6(e, batch, i, slot);
    e.toPeer(batch, i, peer);
    return VERDICT_TX;
  }

  /**
   * The client side of a connection made from a sync message, whose client has
   * not sent through this router yet (a download's client may only listen): its
   * next hop by NDP, for the route to the client (its gateway, or the client on
   * a connected network; without routes, on the owned network that holds it or
   * else where the VIP is), as IPv4's syncedPeer does by ARP. 0 until the next
   * hop answers (the reply is dropped and counted meanwhile); then the
   * connection keeps that peer.
   */
  private syncedPeer(slot: number, now: number): number {
    const e = this.e;
    const conns = e.conns;
    if ((conns.flagsOf(slot) & CONN_F_SYNC) === 0) return 0;
    const w = slot * A6;
    const r = this.hops.egress(conns.addr6, w);
    let hop = conns.addr6, ho = w, itf: number;
    if (r !== null) {
      itf = e.l2.ifIndex(r.dev);
      if (!r.onLink) [hop, ho] = [r.hop, 0];
    } else {
      itf = this.interfaceOf(conns.addr6, w, -1);
      const vip = this.ownedAt(conns.addr6, w + 4);
      if (itf < 0 && vip >= 0) itf = this.owned[vip].itf;
    }
    if (itf < 0) return 0;
    const n = this.clients.ensure(hop, ho, itf, now);
    if (!this.clients.usable(n, now)) return 0;
    return (conns.peer[slot] = e.l2.internPeer(itf, this.clients.mac, 6 * n));
  }

  /** The resolved neighbour entry of an IPv6 dest (cached per dest), or 0. */
  destNeighbour(dest: number, now: number): number {
    const rt = this.e.services;
    let n = rt.destNeigh[dest];
    if (n === 0 || n > this.neigh.size) {
      n = this.hops.neighbourOf(this.neigh, rt, dest);
      rt.destNeigh[dest] = n;
    }
    return this.neigh.usable(n, now) ? n : 0;
  }

  /**
   * A packet over the egress MTU: IPv6 routers never fragment (RFC 8200 section
   * 5), they answer Packet Too Big with the MTU, from the address at src[so..]
   * (the VIP), rate-limited with the router's other ICMP errors.
   */
  private tooBig(batch: Batch, i: number, egress: number, src: Int32Array, so: number): number {
    const mtu = this.e.l2.ifMtu[egress];
    return this.tooBigAt(batch, i, mtu >= MTU_UNKNOWN ? 1500 : mtu, src, so);
  }

  /** tooBig with the MTU to say (a tunnel's is the device's less its outer headers). */
  tooBigAt(batch: Batch, i: number, mtu: number, src: Int32Array, so: number): number {
    const e = this.e;
    const info = e.info;
    if (!icmp6ErrorAllowed(batch.buf, info, 2, 0) || !e.icmpLimit.take(e.now)) return e.drop(batch, i, C.DROP_FRAG_NEEDED);
    const at = e.spill(batch, ICMP6_ERROR_FRAME_MAX);
    if (at < 0) return e.drop(batch, i, C.DROP_FRAG_NEEDED);
    e.counters.drops[C.DROP_FRAG_NEEDED]++;
    const itf = batch.ifIn[i];
    const len = packetTooBig6(batch.buf, at, mtu, batch.buf, info, src, so, e.l2.ifMac, 6 * itf);
    this.sendOwn(batch, i, at, len, itf);
    e.counters.n[C.N_TOO_BIG6]++;
    return VERDICT_TX;
  }

  /** ip_vs_leave for IPv6: no usable real server for a UDP datagram, answered port unreachable (ICMPV6_PORT_UNREACH). */
  private leave(batch: Batch, i: number, own: number): number {
    const e = this.e;
    const info = e.info;
    e.counters.drops[C.DROP_NO_DEST]++;
    if (!icmp6ErrorAllowed(batch.buf, info, 1, 4) || !e.icmpLimit.take(e.now)) return this.dropped(batch, i, C.DROP_NO_DEST);
    const at = e.spill(batch, ICMP6_ERROR_FRAME_MAX);
    if (at < 0) return this.dropped(batch, i, C.DROP_NO_DEST);
    const itf = batch.ifIn[i];
    const len = portUnreachable6(batch.buf, at, batch.buf, info, this.owned[own].words, 0, e.l2.ifMac, 6 * itf);
    this.sendOwn(batch, i, at, len, itf);
    e.counters.n[C.N_ICMP_UNREACH]++;
    return VERDICT_TX;
  }

  /** Already counted: only the frame's reason and verdict. */
  private dropped(batch: Batch, i: number, reason: number): number {
    batch.reason[i] = reason;
    return VERDICT_DROP;
  }

  /** Frame i is replaced by the one the router wrote at buf[at..at+len), back out where it came from. */
  private sendOwn(batch: Batch, i: number, at: number, len: number, itf: number): void {
    batch.off[i] = at;
    batch.len[i] = len;
    batch.ifOut[i] = itf;
    clearOffload(batch, i);
  }

  /**
   * ICMPv6: Neighbor Solicitations for the router's addresses are answered
   * (and their senders learned when wanted), advertisements of wanted
   * neighbours learned, echo requests to the router's addresses answered; the
   * rest (the kernel's own neighbours, router discovery, errors) is passed.
   */
  private icmp(batch: Batch, i: number, now: number): number {
    const e = this.e;
    const info = e.info;
    const buf = batch.buf;
    const itf = batch.ifIn[i];
    const type = info.icmpType;
    if (type === ND_NEIGHBOR_SOLICIT || type === ND_NEIGHBOR_ADVERT) {
      // RFC 4861 7.1: hop limit 255 (from on-link) and a valid checksum, or it is not ND at all.
      if (info.ttl !== 255 || info.ndTarget < 0 || !l4ChecksumOk6(buf, info.l3, info.l4, info.l4Len, IPPROTO_ICMPV6)) return e.pass(C.PASS_ICMP);
      if (type === ND_NEIGHBOR_ADVERT) {
        const mac = info.ndLla >= 0 ? info.ndLla : info.l2 + 6;
        this.neigh.heard(buf, info.ndTarget, mac, itf, now);
        if (this.clients.size !== 0) this.clients.heard(buf, info.ndTarget, mac, itf, now);
        return e.pass(C.PASS_ICMP);
      }
      if (info.ndLla >= 0) {
        this.neigh.heard(buf, info.l3 + IPV6_SRC, info.ndLla, itf, now);
        if (this.clients.size !== 0) this.clients.heard(buf, info.l3 + IPV6_SRC, info.ndLla, itf, now);
      }
      if (e.released || this.ownedOn(buf, info.ndTarget, itf) < 0) return e.pass(C.PASS_ICMP);
      return this.advertise(batch, i, itf);
    }
    if (type < 128) return this.icmpError(batch, i, now);
    if (type !== ICMP6_ECHO_REQUEST || e.released || this.ownedAt(this.a, 4) < 0) return e.pass(C.PASS_ICMP);
    if (!l4ChecksumOk6(buf, info.l3, info.l4, info.l4Len, IPPROTO_ICMPV6)) return e.drop(batch, i, C.DROP_BAD_ICMP_CSUM);
    batch.len[i] = echoReply6(buf, info);
    batch.ifOut[i] = itf;
    clearOffload(batch, i);
    e.counters.n[C.N_ECHO6]++;
    return VERDICT_TX;
  }

  /**
   * An ICMPv6 error about a NAT or DR flow, as ip_vs_in_icmp_v6/ip_vs_out_icmp_v6
   * take every error type (icmpv6_is_err: destination unreachable, Packet Too
   * Big, time exceeded, parameter problem): the quoted packet went out from the
   * router, so it matches the flow reversed. From the client side about a reply
   * it goes on to the real server (its quote and destination translated back for
   * NAT); from a real server about a packet the router forwarded, back to the
   * client with the VIP written in. Packet Too Big is IPv6's only path MTU signal:
   * without this a NAT flow over a smaller link would stall.
   */
  private icmpError(batch: Batch, i: number, now: number): number {
    const e = this.e;
    const info = e.info;
    const proto = info.innerProto;
    if (info.inner < 0 || (proto !== PROTO_TCP && proto !== PROTO_UDP) || this.owned.length === 0) return e.pass(C.PASS_ICMP);
    const q = this.a;
    readAddr6(batch.buf, info.inner + IPV6_DST, q, 0);
    readAddr6(batch.buf, info.inner + IPV6_SRC, q, 4);
    const conns = e.conns;
    let slot = conns.lookupIn6(proto, q, info.innerDport, info.innerSport);
    const toServer = slot !== 0;
    if (!toServer) slot = conns.lookupOut6(proto, q, info.innerDport, info.innerSport);
    if (slot === 0) {
      readAddr6(batch.buf, info.l3 + IPV6_DST, q, 4);
      return this.ownedAt(q, 4) >= 0 ? e.drop(batch, i, C.DROP_ICMP_NO_CONN) : e.pass(C.PASS_ICMP);
    }
    conns.touch(slot, now);
    e.counters.icmpTranslated++;
    const partial = batch.csumPartial[i] === 1;
    if (toServer) {
      const dest = conns.destOf(slot);
      const n = this.destNeighbour(dest, now);
      if (n === 0) return e.drop(batch, i, C.DROP_NO_NEIGH);
      if (e.services.destFwd[dest] === FWD_TUNNEL) return tunnel6Xmit(e, batch, i, info, dest, slot, n, true);
      if (e.services.destFwd[dest] === FWD_NAT) {
        rewriteIcmp6InnerSrc(batch.buf, info, conns.addr6, slot * A6 + 8, conns.dportOf(slot), partial);
        rewriteDst6(batch.buf, info, conns.addr6, slot * A6 + 8, 0, partial);
      }
      writeMacs(batch.buf, batch.off[i], this.neigh.hdr, 3 * n);
      batch.ifOut[i] = this.neigh.itf[n];
      return VERDICT_TX;
    }
    const peer = conns.peer[slot];
    if (peer === 0) return e.drop(batch, i, C.DROP_NO_NEIGH);
    rewriteIcmp6InnerDst(batch.buf, info, conns.addr6, slot * A6 + 4, conns.vportOf(slot), partial);
    rewriteSrc6(batch.buf, info, conns.addr6, slot * A6 + 4, 0, partial);
    e.toPeer(batch, i, peer);
    return VERDICT_TX;
  }

  /** The answer to a solicitation for one of our addresses, in its place when the frame is big enough, else past the batch. */
  private advertise(batch: Batch, i: number, itf: number): number {
    const e = this.e;
    let at = batch.off[i];
    if (batch.len[i] < NA_LEN) {
      at = e.spill(batch, NA_LEN);
      if (at < 0) return e.drop(batch, i, C.DROP_NO_ROOM);
    }
    const len = neighborAdvertReply(batch.buf, at, batch.buf, e.info, e.l2.ifMac, 6 * itf);
    this.sendOwn(batch, i, at, len, itf);
    e.counters.n[C.N_NDP_ADVERTS]++;
    return VERDICT_TX;
  }

  /** Index in `owned` of the address at a[o..o+3], or -1. */
  ownedAt(a: Int32Array, o: number): number {
    const owned = this.owned;
    for (let k = 0; k < owned.length; k++) {
      const w = owned[k].words;
      if (w[3] === a[o + 3] && w[2] === a[o + 2] && w[1] === a[o + 1] && w[0] === a[o]) return k;
    }
    return -1;
  }

  /** Index of the owned address at buf[at..at+15] held on interface itf, or -1 (an address is answered for only where it is). */
  private ownedOn(buf: Uint8Array, at: number, itf: number): number {
    const t = this.a;
    readAddr6(buf, at, t, 4);
    const k = this.ownedAt(t, 4);
    return k >= 0 && this.owned[k].itf === itf ? k : -1;
  }

  /**
   * Without routes (tests, replay, simulate; next-hop6.ts uses routes when given),
   * the interface of an IPv6 real server: the device of the owned address whose
   * prefix holds it (the longest), else for NAT the NAT router address's device
   * and for DR the VIP's (the layouts of the guide), else -1.
   */
  interfaceOf(words: Int32Array, o: number, fwd: number): number {
    let best = -1;
    let bestLen = -1;
    for (const x of this.owned) {
      if (x.prefixLen > bestLen && x.prefixLen < 128 && samePrefix6(x.words, 0, words, o, x.prefixLen)) {
        best = x.itf;
        bestLen = x.prefixLen;
      }
    }
    if (best >= 0) return best;
    const role = fwd === FWD_NAT ? 'nat_router' : 'vip';
    return this.owned.find((x) => x.role === role)?.itf ?? this.owned[0]?.itf ?? -1;
  }

  /** The router's IPv6 routes (null: none, interfaceOf decides); the engine's setRoutes refreshes the neighbours after. */
  setRoutes(routes: RouteTable6 | null): void {
    this.hops.setRoutes(routes);
  }

  /** Brings the neighbour table in line with the IPv6 dests of the running table (their next hops by the routes, next-hop6.ts). */
  refreshNeighbours(now: number): NeighEvent[] {
    const rt = this.e.services;
    const wanted: Wanted6[] = this.hops.wanted(rt, (dev) => this.e.l2.ifIndex(dev), (w, o, fwd) => this.interfaceOf(w, o, fwd));
    rt.destNeigh6Reset();
    return this.neigh.want(wanted, now);
  }

  /** Unsolicited advertisements of every owned IPv6 address (the gratuitous ARP of IPv6), one frame each. */
  announcements(): ArpOut[] {
    const macs = this.e.l2.ifMac;
    return this.owned.filter((x) => x.itf >= 0).map((x) => {
      const frame = new Uint8Array(NA_LEN);
      unsolicitedNeighborAdvert(frame, 0, x.words, 0, macs, 6 * x.itf);
      return { frame, itf: x.itf };
    });
  }
}
