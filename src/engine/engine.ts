// The data plane: process(batch, now) classifies each frame, finds or creates
// its connection, rewrites it in place for NAT or DR and sets a verdict. It is
// pure and synchronous: no I/O, no clock, no allocation per frame. The path
// reads like the IPVS one: parse, ARP/ICMP, connection lookup, on a miss
// schedule and create, state transition, NAT or DR rewrite, verdict.
// IPv4 addresses cross calls as int32 (`| 0`): see packet/rewrite.ts. The per-packet
// functions stay under V8's inlining limit (460 bytes of bytecode): cold branches live
// in methods of their own (notTcpUdp, hitSlow, miss), or every frame pays the calls.
import { ConnTable, CONN_F_APP, CONN_F_ONE_PACKET, CONN_F_SYNC } from '../conn/table.js';
import { CONN_F_SEQ_ADJUST } from '../conn/flags.js';
import { DEST_F_AVAILABLE } from '../conn/dests.js';
import type { Alloc } from '../conn/memory.js';
import { Timeouts } from '../conn/timeouts.js';
import { diffTables, type TableDelta } from '../model/diff.js';
import { formatIPv4, PROTO_ICMP, PROTO_TCP, PROTO_UDP, type OwnedAddress, type RealServer, type ServiceTable } from '../model/index.js';
import { FrameInfo, parseFrame, PARSE_ARP, PARSE_IPV4, PARSE_IPV6, PARSE_OTHER } from '../packet/parse.js';
import { rewriteDst, rewriteSrc } from '../packet/rewrite.js';
import { Batch, VERDICT_DROP, VERDICT_PASS, VERDICT_TX } from '../frames/batch.js';
import { FragTable, type FragOptions } from './frags.js';
import { handleFragment, releaseWaiting } from './frag-path.js';
import { releaseWaiting6 } from './frag-path6.js';
import * as C from './counters.js';
import { Counters } from './counters.js';
import { handleArp } from './arp.js';
import { handleIcmp } from './icmp.js';
import { L2Table, MTU_UNKNOWN, writeMacs, type InterfaceSpec } from './l2.js';
import { Ipv6Path } from './ipv6.js';
import { heldLen, holdFrame, releaseFrame, SynProxy, SYN_FRAME_LEN } from './syn-proxy.js';
import { interfaceFor, Neighbours, onLinkInterface, type NeighEvent } from './neighbours.js';
import type { Egress, RouteTable } from './routes.js';
import { RouteTable6, routes6Of } from './routes6.js';
import { MarkClassifier } from './marks.js';
import { Defense } from './defense.js';
import { HIT_GONE, HIT_KEEP, NewConnections } from './new-conn.js';
import { OwnedAddresses } from './owned.js';
import { dontFragment, TokenBucket, writeFragNeeded, writeTcpReset } from './replies.js';
import { FRAGMENT_LATER_MAX, fragmentNoted } from './fragment-out.js';
import type { SyncQueue } from './sync-queue.js';
import { FWD_DR, FWD_NAT, FWD_TUNNEL, ServiceRuntime, type ServiceLayout } from './services.js';
import { tunnelXmit } from './tunnel.js';
import { holdForNeighbour, releaseUnresolved, UnresolvedFrames } from './unresolved.js';
import { ICMP_BURST, ICMP_PER_S, sendIcmpError } from './icmp-send.js';
import { ICMP_DEST_UNREACH, ICMP_PORT_UNREACH } from '../packet/icmp.js';
import { FTP_DEFAULT_PORTS, FtpHelper, ftpInbound, ftpOutbound, passiveData, type FtpOptions } from './ftp/helper.js';

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;

export interface EngineOptions {
  interfaces: readonly InterfaceSpec[];
  /** The table to start with; none: an empty one, for a caller that applies deltas (the router's data plane). */
  table?: ServiceTable;
  /** Connection table capacity (entries incl. persistence templates). */
  connCapacity?: number;
  destCapacity?: number;
  /** Neighbour entries (distinct real-server addresses). Default 65536. */
  neighCapacity?: number;
  /**
   * Take frames whatever their destination MAC (tsvs replay: a capture from
   * another host is addressed to that host's router). Default false: frames to
   * another host's MAC are dropped as other_host, as the kernel drops them.
   */
  acceptOtherHost?: boolean;
  /** Client peers (interface + MAC pairs NAT replies go back to). Default 65536. */
  peerCapacity?: number;
  /** Where counters live: shared memory when another thread reads them (conn/memory.ts). */
  alloc?: Alloc;
  /** Fragments forwarded along their flow (frags.ts): flows in flight, frames held, timeout. */
  frags?: FragOptions;
  /** The FTP helper's bounds (ftp/helper.ts): control connections helped at once, passive announcements waiting. */
  ftp?: FtpOptions;
}

export class Engine {
  readonly counters: Counters;
  readonly services: ServiceRuntime;
  readonly conns: ConnTable;
  readonly timeouts: Timeouts;
  readonly l2: L2Table;
  readonly neigh: Neighbours;
  /** Neighbour problems found while applying a table (the table is full), for the caller to log. */
  readonly neighEvents: NeighEvent[] = [];
  /** Connection reuse checks and new connections (shared with the scheduler benchmark). */
  readonly admit: NewConnections;
  /** IPVS's flood defences (drop_entry, drop_packet, secure_tcp) and the SYN proxy's switch. */
  readonly defense: Defense;
  /** The SYN proxy's cookies and per-connection state (syn-proxy.ts): made when a version first sets syn_proxy, kept after. */
  synProxy: SynProxy | null = null;
  marks = new MarkClassifier([]);
  /** Addresses the router owns (VIPs, NAT router) -> interface index. */
  owned = new OwnedAddresses([]);
  /** The owned addresses are not claimed (failover: the inactive router): no ARP answers, no announcements. */
  released = false;
  /** The whole table apply() was last given (the synchronous path). */
  table: ServiceTable | null = null;
  /** The owned IPv4 addresses of the running version (VIPs, NAT router), with their prefixes and devices; the IPv6 ones are v6.owned. */
  addresses: readonly OwnedAddress[] = [];
  /** The IPv6 path: its owned addresses, neighbours and frames (ipv6.ts). */
  readonly v6: Ipv6Path;
  /** The clock of the last batch (what ARP learning stamps entries with). */
  now = 0;
  /** Connection sync (sync-queue.ts); null, the default, costs the packet path one check. */
  sync: SyncQueue | null = null;
  /** The ICMP errors the router sends (port unreachable, fragmentation needed) share the kernel's global rate limit, icmp_global_allow. */
  readonly icmpLimit = new TokenBucket(ICMP_PER_S, ICMP_BURST);
  readonly info = new FrameInfo();
  /** Where the next frame that grows is written: past the batch's received frames (spill). */
  private tail = 0;
  /** IP identification of the datagrams the router makes (outer IPIP headers without DF, ICMP errors). */
  private ipId = 0;
  /** Fragments of virtual-service datagrams in flight (frags.ts, frag-path.ts). */
  readonly frags: FragTable;
  /** The FTP helper for NAT (ip_vs_ftp): its ports, sessions and announced data connections. */
  readonly ftp: FtpHelper;
  /** Frames waiting for their next hop's ARP reply (unresolved.ts). */
  readonly held = new UnresolvedFrames();
  /** Frames appended to the batch by this process() call (held fragments released) and sent. */
  appendedTx = 0;
  /** Frames of this batch to fragment once forwarded (fragmentLater). */
  readonly fragNoted = new Int32Array(FRAGMENT_LATER_MAX);
  fragNotedCount = 0;
  /** The resets written in place of segments of no connection (replies.ts) have a bucket of their own (the same rate). */
  readonly resetLimit = new TokenBucket();
  /** IP id of the next ICMP error (DF clear, so it must vary). */
  private icmpId = 0;
  /** Drop unicast frames to another host's MAC (EngineOptions.acceptOtherHost). */
  private readonly filterDst: boolean;
  /**
   * The router's routes (routes.ts) as setRoutes gave them, and with the owned
   * addresses' networks added; null: none given (tests, replay, simulate), and a
   * real server is reached on the owned network that holds it, else on the NAT
   * router's device, else on the first.
   */
  private kernelRoutes: RouteTable | null = null;
  private routeTable: RouteTable | null = null;
  /** Real-server addresses reached through a gateway -> that gateway (the neighbour resolved for them). */
  private readonly hops = new Map<number, number>();
  /** Neighbours wanted for real servers -> how many real-server addresses go through each. */
  private readonly hopRefs = new Map<number, number>();

  constructor(opts: EngineOptions) {
    this.counters = new Counters(opts.alloc);
    this.l2 = new L2Table(opts.interfaces, opts.peerCapacity, this.counters.n, C.N_PEER_FULL, C.N_PEER_EVICTED);
    this.neigh = new Neighbours({ names: this.l2.ifNames, macs: this.l2.ifMac }, opts.neighCapacity);
    this.services = new ServiceRuntime({ destCapacity: opts.destCapacity, alloc: opts.alloc });
    this.timeouts = new Timeouts();
    this.conns = new ConnTable({ capacity: opts.connCapacity ?? 1 << 20, dests: this.services.dests, timeouts: this.timeouts });
    this.conns.peerOwner = this.l2;
    this.filterDst = opts.acceptOtherHost !== true;
    this.admit = new NewConnections(this.services, this.conns, this.counters.n);
    this.ftp = new FtpHelper(opts.ftp);
    this.admit.ftpPorts = this.ftp.ports;
    this.frags = new FragTable(opts.frags, this.counters.drops);
    this.defense = new Defense(this.conns);
    this.v6 = new Ipv6Path(this, opts.neighCapacity, opts.frags);
    if (opts.table) this.apply(opts.table);
  }

  /** Swaps in a new service table; connections survive. Throws (changing nothing) if it cannot run it. */
  apply(table: ServiceTable): ServiceLayout[] {
    const layouts = this.applyDelta(diffTables(this.table, table));
    this.table = table;
    return layouts;
  }

  /**
   * Applies the change from the running version to the next (model/diff.ts): only
   * the services, servers and settings it names. Throws, changing nothing, when
   * the delta cannot run here (an address on a device the engine does not have,
   * an unknown scheduler, too many servers).
   */
  applyDelta(delta: TableDelta): ServiceLayout[] {
    const g = delta.globals;
    if (g) this.checkAddresses(g.addresses);
    const layouts = this.services.applyDelta(delta);
    if (g) {
      this.addresses = g.addresses.filter((a) => a.address6 === undefined);
      this.v6.setAddresses(g.addresses);
      this.routeTable = this.kernelRoutes?.withOwned(g.addresses) ?? null;
      // An owned network may now hold a server that went through a gateway: its cached next hop is stale.
      if (this.routeTable !== null) this.services.destNeigh.fill(0);
      this.released = g.released;
      this.owned = new OwnedAddresses(this.addresses.map((a) => [a.address, this.l2.ifIndex(a.device)] as const));
      this.timeouts.set(g.timeouts.tcp, g.timeouts.tcpfin, g.timeouts.udp);
      this.admit.switches = g.switches;
      this.defense.configure(g.switches);
      if (g.switches.synProxy !== 0 && this.synProxy === null) this.synProxy = new SynProxy(this.conns.capacity);
      this.marks = new MarkClassifier(g.marks);
      this.ftp.setPorts(g.switches.ftpPorts ?? FTP_DEFAULT_PORTS);
      // The outer source of LVS-TUN follows the owned addresses (tunnel.ts).
      this.services.destTunSrc.fill(0);
    }
    this.neighEvents.push(...(g ? this.refreshNeighbours(this.now) : this.syncNeighbours(this.now)));
    return layouts;
  }

  /**
   * What applyDelta would refuse, checked without changing anything: for a
   * delta the data plane's host applies in parts (DataPlaneHost.applyLater), so
   * that a delta that cannot run is refused whole, before its first part.
   */
  checkDelta(delta: TableDelta): void {
    if (delta.globals) this.checkAddresses(delta.globals.addresses);
    this.services.checkDelta(delta);
  }

  private checkAddresses(addresses: readonly OwnedAddress[]): void {
    for (const a of addresses) {
      if (this.l2.ifIndex(a.device) < 0) throw new Error(`address ${a.address6 ?? formatIPv4(a.address)} is on device ${a.device}, which the engine does not have`);
    }
  }

  /**
   * Servers of a coming version's delta, ahead of it (ServiceRuntime.stage):
   * written, out of every list until the delta comes. Their addresses are asked
   * for already. Throws when they do not fit.
   */
  stage(version: number, key: string, servers: readonly RealServer[], remove: ReadonlyArray<number | string> = [], from = 0, to = servers.length): void {
    this.services.stage(version, key, servers, remove, from, to);
    this.neighEvents.push(...this.syncNeighbours(this.now));
  }

  /** Processes every frame of the batch in place; returns how many are to be sent. */
  process(batch: Batch, now: number): number {
    this.conns.expire(now);
    this.runDefense(now);
    this.now = now;
    this.tail = batch.used;
    if (now >= this.frags.nextCheck) this.frags.expire(now);
    const frags6 = this.v6.frags;
    if (frags6 !== null && now >= frags6.nextCheck) frags6.expire(now);
    this.appendedTx = 0;
    let tx = 0;
    // Released fragments are appended after the received frames, already decided.
    const count = batch.count;
    const buf = batch.buf;
    // Unicast to the interface's MAC: its last two bytes then its first four, as
    // numbers (l2.macTail/macHead). Here, not in frame(), which V8 must inline.
    const head = this.filterDst ? this.l2.macHead : null;
    const tail = this.l2.macTail;
    for (let i = 0; i < count; i++) {
      const o = batch.off[i];
      const itf = batch.ifIn[i];
      const mine = head === null || (buf[o] & 1) !== 0 || batch.len[i] < 14 ||
        (((buf[o + 4] << 8) | buf[o + 5]) === tail[itf] && ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) === head[itf]);
      const v = mine ? this.frame(batch, i, now) : this.drop(batch, i, C.DROP_OTHER_HOST);
      batch.verdict[i] = v;
      if (v === VERDICT_TX) tx++;
    }
    if (this.frags.waiting !== 0) releaseWaiting(this, batch);
    if (frags6 !== null && frags6.waiting !== 0) releaseWaiting6(this, batch);
    if (this.held.count !== 0) releaseUnresolved(this, batch);
    tx += this.appendedTx;
    if (this.fragNotedCount !== 0) tx += fragmentNoted(this, batch);
    this.counters.rxFrames += count;
    this.counters.txFrames += tx;
    return tx;
  }

  /** The defences' once-a-second work, and their levels into the counters (gauges). */
  private runDefense(now: number): void {
    const d = this.defense;
    const n = this.counters.n;
    n[C.N_DROP_ENTRY_DROPPED] += d.run(now);
    n[C.N_DEF_DROP_ENTRY_ON] = d.dropEntryOn ? 1 : 0;
    n[C.N_DEF_DROP_RATE] = d.dropRate;
    n[C.N_DEF_SECURE_TCP_ON] = d.secureTcpOn ? 1 : 0;
    n[C.N_SYNPROXY_ON] = d.synProxyOn ? 1 : 0;
  }

  private frame(batch: Batch, i: number, now: number): number {
    const buf = batch.buf;
    const info = this.info;
    const r = parseFrame(buf, batch.off[i], batch.len[i], info);
    // The kernel hands an 802.1Q frame to the VLAN device of its tag, never to the
    // parent's IP stack: without one, a tagged frame is not the router's to answer
    // or forward (a VLAN-42 SYN would leave with its tag on).
    if (info.vlan !== 0) return this.drop(batch, i, C.DROP_VLAN);
    if (r === PARSE_IPV4) return this.ipv4(batch, i, now);
    if (r === PARSE_ARP) return handleArp(this, batch, i, info);
    if (r === PARSE_IPV6) return this.v6.frame(batch, i, now);
    if (r === PARSE_OTHER) return this.pass(C.PASS_NOT_IP);
    return this.drop(batch, i, C.MALFORMED_BASE + r);
  }

  /**
   * TCP and UDP: the connection's packets go straight to inbound/outbound; what is
   * left (ICMP, fragments, misses, SYNs on old tuples, gone servers) takes the slow
   * paths below. The split keeps this function small enough for V8 to inline lookup.
   * A packet to an address the router owns is a client's (ip_vs_in); another may be
   * a NAT reply (ip_vs_out), or a client's packet to a firewall-mark VIP that is
   * routed to the router without being one of its addresses.
   */
  private ipv4(batch: Batch, i: number, now: number): number {
    const info = this.info;
    const proto = info.proto;
    if ((proto !== PROTO_TCP && proto !== PROTO_UDP) || info.isFragment !== 0) return this.notTcpUdp(batch, i, now);
    const conns = this.conns;
    if (!this.owned.has(info.daddr)) {
      const reply = conns.lookupOut(proto, info.saddr | 0, info.sport, info.daddr | 0, info.dport);
      if (reply !== 0) return this.outbound(batch, i, reply, now);
    }
    const slot = conns.lookupIn(proto, info.saddr | 0, info.sport, info.daddr | 0, info.dport);
    if (slot === 0) return this.miss(batch, i, now);
    const available = (this.services.dests.flags[conns.destOf(slot)] & DEST_F_AVAILABLE) !== 0;
    const syn = proto === PROTO_TCP && (info.tcpFlags & TCP_SYN) !== 0;
    if (available && !syn) return this.inbound(batch, i, slot, now);
    return this.hitSlow(batch, i, slot, syn, now);
  }

  private notTcpUdp(batch: Batch, i: number, now: number): number {
    const info = this.info;
    const proto = info.proto;
    if (proto !== PROTO_TCP && proto !== PROTO_UDP) {
      return proto === PROTO_ICMP ? handleIcmp(this, batch, i, info, now) : this.pass(C.PASS_NOT_OURS);
    }
    // IPVS sees reassembled datagrams; tsvs forwards fragments along their flow (frags.ts).
    return handleFragment(this, batch, i, now);
  }

  /**
   * The connection path of a first fragment (frag-path.ts), as ipv4() takes an
   * unfragmented packet; returns the verdict and leaves in `fragConn` the
   * connection slot that took it (+ 1 << 31 for a reply), 0 when none did.
   */
  firstFragment(batch: Batch, i: number, now: number): number {
    const info = this.info;
    const conns = this.conns;
    const proto = info.proto, s = info.saddr | 0, sp = info.sport, d = info.daddr | 0, dp = info.dport;
    this.fragConn = 0;
    if (!this.owned.has(info.daddr)) {
      const reply = conns.lookupOut(proto, s, sp, d, dp);
      if (reply !== 0) {
        this.fragConn = reply + 0x80000000;
        return this.outbound(batch, i, reply, now);
      }
    }
    let slot = conns.lookupIn(proto, s, sp, d, dp);
    let v: number;
    if (slot === 0) v = this.miss(batch, i, now);
    else {
      const available = (this.services.dests.flags[conns.destOf(slot)] & DEST_F_AVAILABLE) !== 0;
      const syn = proto === PROTO_TCP && (info.tcpFlags & TCP_SYN) !== 0;
      v = available && !syn ? this.inbound(batch, i, slot, now) : this.hitSlow(batch, i, slot, syn, now);
    }
    // A new or renewed connection: found again by the tuple as it came (the rewrite changed info).
    if (v === VERDICT_TX) slot = conns.lookupIn(proto, s, sp, d, dp);
    this.fragConn = slot;
    return v;
  }

  /** Set by firstFragment(). */
  fragConn = 0;

  /** A client packet whose connection is a SYN or whose server is gone (NewConnections.hit). */
  private hitSlow(batch: Batch, i: number, slot: number, syn: boolean, now: number): number {
    const h = this.admit.hit(slot, syn);
    if (h === HIT_KEEP) return this.inbound(batch, i, slot, now);
    if (h === HIT_GONE) return this.drop(batch, i, C.DROP_DEST_GONE);
    return this.miss(batch, i, now);
  }

  /** No connection: a packet for a virtual service is scheduled, anything else passed over. */
  private miss(batch: Batch, i: number, now: number): number {
    const svc = this.serviceFor(this.info.proto);
    if (svc === 0) return this.noService(batch, i, now);
    return this.newConnection(batch, i, svc, now);
  }

  /**
   * No service: a passive FTP data connection a 227/229 reply announced (ftp/),
   * else not ours. IPVS finds that connection (no client port yet) before it
   * looks for a service; tsvs asks only when no service takes the packet, so
   * that new connections to services pay nothing for it (a service on the
   * announced port itself would take the connection instead).
   */
  private noService(batch: Batch, i: number, now: number): number {
    if (this.ftp.expects.waiting !== 0) {
      const data = passiveData(this, batch, i);
      if (data !== 0) return this.inbound(batch, i, data, now);
    }
    return this.pass(C.PASS_NOT_OURS);
  }

  /** ip_vs_service_find: a firewall-mark service first, then protocol + VIP + port. */
  private serviceFor(proto: number): number {
    const info = this.info;
    const rt = this.services;
    if (rt.byMark.size !== 0) {
      const svc = this.markedService(proto);
      if (svc !== 0) return svc;
    }
    return rt.lookup(proto, info.daddr | 0, info.dport);
  }

  /**
   * The firewall-mark service of the packet, or 0. A function of its own: the
   * new-connection path is inlined into ipv4() when SYNs dominate, and this
   * branch's bytecode would leave no room there for the connection lookup.
   */
  private markedService(proto: number): number {
    const info = this.info;
    const mark = this.marks.classify(proto, info.daddr | 0, info.dport);
    return mark === 0 ? 0 : this.services.byMark.get(mark) ?? 0;
  }

  /** A packet to a virtual service with no connection: schedule and create (ip_vs_schedule). */
  private newConnection(batch: Batch, i: number, svcId: number, now: number): number {
    const info = this.info;
    const proto = info.proto;
    if (proto === PROTO_TCP && this.synProxy !== null) {
      const v = this.proxyNew(batch, i, svcId, this.synProxy, now);
      if (v >= 0) return v;
    }
    // tcp_conn_schedule: only a SYN without RST opens a connection; with sloppy_tcp, any segment without RST.
    if (proto === PROTO_TCP && (info.tcpFlags & (TCP_SYN | TCP_RST)) !== TCP_SYN && !this.sloppyOpens()) return this.noConnection(batch, i, now);
    // tcp_conn_schedule / udp_conn_schedule: "if (ip_vs_todrop(ipvs)) { *verdict = NF_DROP; ...".
    if (this.defense.dropRate !== 0 && this.defense.toDrop()) return this.drop(batch, i, C.DROP_DEFENSE);
    const slot = this.admit.create(svcId, proto, info.saddr | 0, info.sport, info.daddr | 0, info.dport, now);
    if (slot <= 0) return slot === -C.DROP_NO_DEST ? this.leave(batch, i) : this.drop(batch, i, -slot);
    this.conns.peer[slot] = this.l2.internPeer(batch.ifIn[i], batch.buf, batch.off[i] + 6);
    if (this.sync !== null) this.sync.created(slot);
    this.counters.n[5]++;
    return this.inbound(batch, i, slot, now);
  }

  /**
   * The SYN proxy's part of a new TCP connection (syn-proxy.ts): a SYN while it
   * acts is answered with a cookie; an ACK with a valid cookie opens the
   * connection and goes on to the server as the SYN. -1: not the proxy's (a SYN
   * while it does not act; any other segment, or an ACK with no valid cookie,
   * which then meets no connection as before).
   */
  private proxyNew(batch: Batch, i: number, svcId: number, sp: SynProxy, now: number): number {
    const info = this.info;
    const n = this.counters.n;
    const f = info.tcpFlags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN);
    const itf = batch.ifIn[i];
    // An FTP port's service is not proxied: the helper's sequence offsets and the
    // proxy's would have to be one (IPVS keeps one out_seq); its SYNs go through.
    if (this.ftp.ports[info.dport] !== 0) return -1;
    if (f === TCP_SYN) {
      if (!this.defense.synProxyOn || !sp.allNat(svcId, this.services.services[svcId].ids, this.services.destFwd, FWD_NAT)) return -1;
      const mtu = this.l2.ifMtu[itf];
      sp.answerSyn(batch, i, info, now, mtu >= MTU_UNKNOWN || mtu > 1500 ? 1460 : mtu - 40, this.l2.ifMac, itf);
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
    const slot = this.admit.create(svcId, PROTO_TCP, info.saddr | 0, info.sport, info.daddr | 0, info.dport, now);
    if (slot <= 0) return slot === -C.DROP_NO_DEST ? this.leave(batch, i) : this.drop(batch, i, -slot);
    const conns = this.conns;
    if (this.services.destFwd[conns.destOf(slot)] !== FWD_NAT) {
      conns.expireNow(slot);
      return this.drop(batch, i, C.DROP_SYNPROXY_NOT_NAT);
    }
    const at = batch.len[i] >= SYN_FRAME_LEN ? batch.off[i] : this.spill(batch, SYN_FRAME_LEN);
    if (at < 0) {
      conns.expireNow(slot);
      return this.drop(batch, i, C.DROP_NO_ROOM);
    }
    conns.peer[slot] = this.l2.internPeer(itf, batch.buf, batch.off[i] + 6);
    if (this.sync !== null) this.sync.created(slot);
    n[5]++;
    sp.ackToSyn(batch, i, info, at, slot, mssIdx);
    const v = this.inbound(batch, i, slot, now);
    // After inbound(), which would hold back a segment of a waiting connection.
    conns.setFlags(slot, conns.flagsOf(slot) | CONN_F_SEQ_ADJUST);
    sp.waiting[slot] = 1;
    return v;
  }

  /** After the ACK that completes a proxied handshake: the client's segment held meanwhile, appended to the batch. */
  private releaseHeld(batch: Batch, slot: number, neigh: number): void {
    const sp = this.synProxy!;
    const len = heldLen(sp, slot);
    if (len === 0 || batch.count >= batch.slots) return;
    const at = this.spill(batch, len);
    if (at < 0) return;
    const j = batch.count;
    releaseFrame(sp, batch, slot, at);
    this.toNeighbour(batch, j, neigh);
    batch.verdict[j] = VERDICT_TX;
    this.appendedTx++;
  }

  /**
   * ip_vs_leave: no real server is usable. "Since it is in IP layer, the TCP
   * socket is not actually created, the TCP RST packet cannot be sent, instead
   * that ICMP_PORT_UNREACH is sent here no matter it is TCP/UDP" (ip_vs_core.c).
   * Counted as no_real_server either way; the error is rate-limited.
   */
  private leave(batch: Batch, i: number): number {
    this.counters.drops[C.DROP_NO_DEST]++;
    if (sendIcmpError(this, batch, i, this.info, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, C.N_ICMP_UNREACH) === VERDICT_TX) return VERDICT_TX;
    batch.reason[i] = C.DROP_NO_DEST;
    return VERDICT_DROP;
  }

  /**
   * A TCP segment (not a SYN) to a virtual service that has no connection for it,
   * e.g. a keep-alive connection after a restart. IPVS passes it to the kernel's
   * stack, which has no socket for it and resets it, so the client reconnects at
   * once; tsvs writes that reset itself (rate-limited). Never for a segment that
   * bears RST (RFC 9293: "An incoming segment containing a RST is discarded"), nor
   * from a router whose addresses are released (the inactive one speaks for no VIP).
   */
  private noConnection(batch: Batch, i: number, now: number): number {
    // Counted as dropped either way: the segment itself goes nowhere.
    if ((this.info.tcpFlags & TCP_RST) !== 0 || this.released || !this.resetLimit.take(now)) {
      if ((this.info.tcpFlags & TCP_RST) === 0 && !this.released) this.counters.n[C.N_RST_LIMITED]++;
      return this.drop(batch, i, C.DROP_NO_CONN);
    }
    this.counters.drops[C.DROP_NO_CONN]++;
    writeTcpReset(batch, i, this.info, this.l2.ifMac, batch.ifIn[i]);
    this.counters.n[C.N_RST_SENT]++;
    return VERDICT_TX;
  }

  /** sloppy_tcp: a segment without RST opens a connection mid-stream (another director's flow after a failover). */
  private sloppyOpens(): boolean {
    return this.admit.switches.sloppyTcp === true && (this.info.tcpFlags & TCP_RST) === 0;
  }

  /** Client -> real server: state, stats, DNAT for NAT, new MACs for DR, IPIP for tunnel. */
  private inbound(batch: Batch, i: number, slot: number, now: number): number {
    const info = this.info;
    const conns = this.conns;
    const rt = this.services;
    const dest = conns.destOf(slot);
    if (info.proto === PROTO_TCP) conns.tcpTransition(slot, 0, info.tcpFlags, now);
    else conns.udpTransition(slot, now);
    if (this.sync !== null) this.sync.inbound(slot);
    rt.destInPkts[dest]++;
    rt.destInBytes[dest] += info.totalLen;
    const fwd = rt.destFwd[dest];
    if (fwd === FWD_TUNNEL) return this.tunnel(batch, i, slot, dest);
    const neigh = this.destNeighbour(dest);
    // Unresolved, the entry being resolved still knows its interface (for the MTU).
    const n = neigh !== 0 ? neigh : rt.destNeigh[dest];
    if (n === 0) return this.drop(batch, i, C.DROP_NO_NEIGH);
    if (info.totalLen > this.l2.ifMtu[this.neigh.neighIf[n]] && this.tooBig(batch, i, this.neigh.neighIf[n], info.daddr)) return batch.verdict[i];
    if (fwd === FWD_NAT) rewriteDst(batch.buf, info, conns.daddrOf(slot) | 0, conns.dportOf(slot), batch.csumPartial[i] === 1);
    // Before toNeighbour, which writes over the client's MAC.
    if ((conns.flagsOf(slot) & (CONN_F_ONE_PACKET | CONN_F_SYNC | CONN_F_APP | CONN_F_SEQ_ADJUST)) !== 0 && this.inboundRare(batch, i, slot)) return batch.verdict[i];
    if (neigh === 0) return holdForNeighbour(this, batch, i, n, this.neigh.neighAddr[n]);
    this.toNeighbour(batch, i, neigh);
    return VERDICT_TX;
  }

  private tunnel(batch: Batch, i: number, slot: number, dest: number): number {
    if ((this.conns.flagsOf(slot) & (CONN_F_ONE_PACKET | CONN_F_SYNC)) !== 0) this.inboundRare(batch, i, slot);
    return tunnelXmit(this, batch, i, this.info, dest, this.conns.vaddrOf(slot), false);
  }

  /**
   * A frame that grows (LVS-TUN's outer header, an ICMP error's quote) is written
   * past the batch's received frames, in the room Batch.limit keeps free: the
   * offset for `len` bytes, or -1 when the buffer has no more.
   */
  spill(batch: Batch, len: number): number {
    const at = this.tail;
    if (at + len > batch.buf.length) return -1;
    this.tail = at + len;
    return at;
  }

  /**
   * Notes frame i (DF clear, over its egress MTU) to be fragmented once it is
   * forwarded (fragment-out.ts); false when this batch has noted all it can.
   */
  fragmentLater(i: number): boolean {
    if (this.fragNotedCount === FRAGMENT_LATER_MAX) return false;
    this.fragNoted[this.fragNotedCount++] = i;
    return true;
  }

  /** Bytes spill() can still give in this batch. */
  spillRoom(batch: Batch): number {
    return batch.buf.length - this.tail;
  }

  /** The next IP identification for a datagram the router makes. */
  nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  /**
   * A one-packet conn expires after its packet. A synced conn was made from a
   * sync message, which has no client MAC: its first client packet supplies the
   * peer that NAT replies go back through (outbound() drops them until then).
   */
  /** A one-packet or synced conn, or the SYN proxy's: true when the frame is not to go on (its verdict set). */
  private inboundRare(batch: Batch, i: number, slot: number): boolean {
    const conns = this.conns;
    if (conns.peer[slot] === 0) conns.peer[slot] = this.l2.internPeer(batch.ifIn[i], batch.buf, batch.off[i] + 6);
    if ((conns.flagsOf(slot) & CONN_F_ONE_PACKET) !== 0) conns.expireNow(slot);
    if ((conns.flagsOf(slot) & CONN_F_APP) !== 0) ftpInbound(this, batch, i, slot);
    if ((conns.flagsOf(slot) & CONN_F_SEQ_ADJUST) === 0) return false;
    // The SYN proxy's connection: held back until its server has answered, then its acks translated.
    const sp = this.synProxy!;
    if (sp.waiting[slot] !== 0) {
      // Held until the server's SYN-ACK (data; a bare ACK is not worth a slot), or dropped for the client to send again.
      const info = this.info;
      if (info.proto === PROTO_TCP && info.l4Len > ((batch.buf[info.l4 + 12] >>> 4) << 2) && holdFrame(sp, batch, i, info, slot, this.now)) {
        this.counters.n[C.N_SYNPROXY_HELD]++;
        batch.reason[i] = 0;
        batch.verdict[i] = VERDICT_DROP;
      } else batch.verdict[i] = this.drop(batch, i, C.DROP_SYNPROXY_WAITING);
      return true;
    }
    if (this.info.proto === PROTO_TCP) sp.seq.toServer(batch.buf, this.info.l4, slot, batch.csumPartial[i] === 1);
    return false;
  }

  /**
   * A server segment of a SYN proxy's connection: the SYN-ACK that completes the
   * proxied handshake goes back to the server as its ACK (true: verdict set);
   * anything else of a waiting connection is dropped (true), but a reset, which
   * goes on like every later segment with its seq translated (false).
   */
  private outboundProxied(batch: Batch, i: number, slot: number, dest: number): boolean {
    const sp = this.synProxy!;
    const info = this.info;
    const conns = this.conns;
    if (sp.waiting[slot] !== 0) {
      if (info.proto === PROTO_TCP && sp.serverAnswer(batch, i, info, slot, conns.caddrOf(slot) | 0, conns.cportOf(slot))) {
        const neigh = this.destNeighbour(dest);
        if (neigh === 0) {
          batch.verdict[i] = this.drop(batch, i, C.DROP_NO_NEIGH);
          return true;
        }
        this.toNeighbour(batch, i, neigh);
        this.counters.n[C.N_SYNPROXY_CONNS]++;
        batch.verdict[i] = VERDICT_TX;
        this.releaseHeld(batch, slot, neigh);
        return true;
      }
      if (sp.waiting[slot] !== 0) {
        batch.verdict[i] = this.drop(batch, i, C.DROP_SYNPROXY_WAITING);
        return true;
      }
    }
    if (info.proto === PROTO_TCP) sp.seq.toClient(batch.buf, info.l4, slot, batch.csumPartial[i] === 1);
    return false;
  }

  /** Real server -> client (NAT only): state, stats, SNAT back to the VIP, out through the client's peer. */
  private outbound(batch: Batch, i: number, slot: number, now: number): number {
    const info = this.info;
    const conns = this.conns;
    const dest = conns.destOf(slot);
    // Replies are routed (ip_forward), so their TTL drops by one like any router's.
    if (info.ttl <= 1) return this.drop(batch, i, C.DROP_TTL);
    this.replyState(slot, dest, now);
    if ((conns.flagsOf(slot) & CONN_F_SEQ_ADJUST) !== 0 && this.outboundProxied(batch, i, slot, dest)) return batch.verdict[i];
    const peer = conns.peer[slot] || this.syncedPeer(slot, now);
    if (peer === 0) return this.drop(batch, i, C.DROP_NO_NEIGH);
    if (info.totalLen > this.l2.ifMtu[this.l2.peerIf[peer]] && this.tooBig(batch, i, this.l2.peerIf[peer], this.addressOn(batch.ifIn[i], conns.vaddrOf(slot)))) {
      return batch.verdict[i];
    }
    rewriteSrc(batch.buf, info, conns.vaddrOf(slot) | 0, conns.vportOf(slot), batch.csumPartial[i] === 1);
    decrementTtl(batch.buf, info.l3);
    return this.replyOut(batch, i, peer, slot);
  }

  /** A NAT reply's state transition and its server's counts (apart: outbound() must stay small enough to inline). */
  private replyState(slot: number, dest: number, now: number): void {
    const info = this.info;
    const rt = this.services;
    if (info.proto === PROTO_TCP) this.conns.tcpTransition(slot, 1, info.tcpFlags, now);
    else this.conns.udpTransition(slot, now);
    rt.destOutPkts[dest]++;
    rt.destOutBytes[dest] += info.totalLen;
  }

  /**
   * The last step of a NAT reply: the FTP helper for the connections that have
   * one (ftp/helper.ts), then out to the client's peer. Out of outbound(), whose
   * bytecode must stay under V8's inlining limit.
   */
  private replyOut(batch: Batch, i: number, peer: number, slot: number): number {
    if ((this.conns.flagsOf(slot) & CONN_F_APP) !== 0 && !ftpOutbound(this, batch, i, slot)) return VERDICT_DROP;
    this.toPeer(batch, i, peer);
    return VERDICT_TX;
  }

  /**
   * A datagram longer than the MTU of the interface it would leave by. With DF set
   * the sender must learn the MTU (RFC 1191): ICMP fragmentation needed from `src`,
   * rate-limited. With DF clear it is forwarded and fragmented after the batch
   * (fragmentLater; dropped, counted apart, when the batch has no room). Returns
   * false for those, and for a GSO super-frame, which the kernel cuts to the MTU on its way out:
   * it is forwarded. Otherwise sets the frame's verdict (the caller returns it), out
   * of line so the forward paths stay small enough for V8 to inline.
   */
  private tooBig(batch: Batch, i: number, egress: number, src: number): boolean {
    if (batch.gsoType[i] !== 0) return false;
    if (!dontFragment(batch.buf, this.info.l3) && this.fragmentLater(i)) return false;
    batch.verdict[i] = this.tooBigVerdict(batch, i, egress, src);
    return true;
  }

  private tooBigVerdict(batch: Batch, i: number, egress: number, src: number): number {
    if (!dontFragment(batch.buf, this.info.l3)) return this.drop(batch, i, C.DROP_TOO_BIG);
    const c = this.counters;
    if (!this.icmpLimit.take(this.now)) {
      c.n[C.N_FRAG_NEEDED_LIMITED]++;
      return this.drop(batch, i, C.DROP_FRAG_NEEDED);
    }
    c.drops[C.DROP_FRAG_NEEDED]++;
    const mtu = this.l2.ifMtu[egress];
    this.icmpId = (this.icmpId + 1) & 0xffff;
    writeFragNeeded(batch, i, this.info, mtu, src, this.icmpId, this.l2.ifMac, batch.ifIn[i]);
    c.n[C.N_FRAG_NEEDED_SENT]++;
    return VERDICT_TX;
  }

  /**
   * The router's own address on interface itf (its NAT router address on the
   * server side), the source of an ICMP error it sends there; `fallback` if none.
   * Only too-big replies ask, so the walk of the few owned addresses costs nothing.
   */
  private addressOn(itf: number, fallback: number): number {
    const name = this.l2.ifNames[itf];
    for (const a of this.addresses) if (a.device === name && a.role === 'nat_router') return a.address;
    return fallback;
  }

  /**
   * The client side of a connection made from a sync message, whose client has
   * not sent through this router yet (sync carries no MAC; a download's client
   * may only listen): its next hop by ARP for the route to the client (its
   * gateway, or the client itself on a connected network; without routes, on
   * the owned network that holds it or else where the VIP is). 0 until the next
   * hop answers (the reply is dropped and counted meanwhile, and the server
   * retransmits); then the connection keeps that peer.
   */
  private syncedPeer(slot: number, now: number): number {
    const conns = this.conns;
    if ((conns.flagsOf(slot) & CONN_F_SYNC) === 0) return 0;
    const caddr = conns.caddrOf(slot) >>> 0;
    let hop = caddr;
    let itf: number;
    if (this.routeTable !== null) {
      const e = this.routeTable.egress(caddr);
      itf = e ? this.l2.ifIndex(e.dev) : -1;
      if (e) hop = e.hop;
    } else {
      // On the network of an owned address, else where the VIP is: the client reached it there.
      itf = onLinkInterface(this.addresses, this.l2.ifNames, caddr);
      if (itf < 0) itf = this.owned.get(conns.vaddrOf(slot) | 0);
    }
    const n = this.neigh.resolve(hop);
    if (n !== 0 && this.neigh.usable(n)) return (conns.peer[slot] = this.l2.internPeer(this.neigh.neighIf[n], this.neigh.neighMac, 6 * n));
    if (itf < 0) return 0;
    if (n === 0) {
      const ev = this.neigh.add(hop, itf, now);
      if (ev) this.neighEvents.push(ev);
    }
    this.neigh.noteMissing(hop);
    return 0;
  }

  /**
   * Neighbour entry for a dest's address, cached per dest after the first
   * resolution; 0 when it cannot be used (unresolved, failed). A dest in use
   * keeps its address wanted, so its cached entry is never evicted under it.
   */
  destNeighbour(dest: number): number {
    const n = this.services.destNeigh[dest];
    if (n !== 0 && this.neigh.usable(n)) return n;
    return this.resolveDest(dest);
  }

  private resolveDest(dest: number): number {
    const rt = this.services;
    let n = rt.destNeigh[dest];
    // LVS-DR sends to the server's own MAC whatever the route's gateway
    // (IP_VS_RT_MODE_KNOWN_NH): a DR server behind a gateway is never resolved.
    const addr = rt.destAddr[dest];
    const hop = rt.destFwd[dest] === FWD_DR ? addr : this.hops.get(addr) ?? addr;
    if (n === 0) {
      n = this.neigh.resolve(hop);
      rt.destNeigh[dest] = n;
    }
    if (n === 0 || !this.neigh.usable(n)) {
      this.neigh.noteMissing(hop);
      return 0;
    }
    return n;
  }

  /**
   * The router's routes changed (or came first): each real server's interface
   * and next hop are decided again, as a route change makes the kernel's IPVS
   * look its routes up afresh, and connections go on through the new ones.
   * null: no routes, the owned networks alone decide (neighbours.ts interfaceFor).
   */
  setRoutes(routes: RouteTable | null, now: number): NeighEvent[] {
    this.kernelRoutes = routes;
    this.v6.setRoutes(routes === null ? null : new RouteTable6(routes6Of(routes.routes6)));
    this.routeTable = routes?.withOwned(this.addresses) ?? null;
    // The dests' cached neighbour entries may be of the old next hops.
    this.services.destNeigh.fill(0);
    return this.refreshNeighbours(now);
  }

  /**
   * Where an address is reached: the route lookup (routes.ts) when the router
   * has its routes, else the owned network that holds it, else the NAT router's
   * device, else the first interface. null: no route, or one through a device
   * the engine does not have.
   */
  egress(addr: number): (Egress & { itf: number }) | null {
    if (this.routeTable === null) {
      const itf = interfaceFor(this.addresses, this.l2.ifNames, addr);
      return { dev: this.l2.ifNames[itf], hop: addr >>> 0, onLink: onLinkInterface(this.addresses, this.l2.ifNames, addr) >= 0, itf };
    }
    const e = this.routeTable.egress(addr);
    const itf = e ? this.l2.ifIndex(e.dev) : -1;
    return e && itf >= 0 ? { ...e, itf } : null;
  }

  /**
   * The addresses the router must resolve, each with its interface: the next
   * hops of the real servers (themselves, or their gateway), in a list or out
   * of it with connections still running. Everything else is neither learned
   * nor asked for (neighbours.ts). An address no route reaches is left out: its
   * frames are dropped as next hop unknown.
   */
  wantedNeighbours(): Map<number, number> {
    const out = new Map<number, number>();
    this.hops.clear();
    this.hopRefs.clear();
    for (const addr of this.services.addresses()) {
      const e = this.egress(addr);
      if (e === null) continue;
      this.hold(addr, e.hop);
      out.set(e.hop, e.itf);
    }
    return out;
  }

  /** Brings the neighbour table in line with the running table, all of it (the owned addresses or the routes changed). */
  refreshNeighbours(now: number): NeighEvent[] {
    this.services.takeAddressChanges();
    this.services.takeAddressChanges6();
    return [...this.neigh.want(this.wantedNeighbours(), this.addresses, now, this.released), ...this.v6.refreshNeighbours(now)];
  }

  /**
   * Only the addresses that gained their first real server or lost their last
   * one since the last call: a change of one server among ten thousand costs
   * the data plane that server's work, not a walk of every neighbour. A gateway
   * stays wanted while any real server goes through it.
   */
  syncNeighbours(now: number): NeighEvent[] {
    const { added, removed } = this.services.takeAddressChanges();
    const events: NeighEvent[] = this.services.takeAddressChanges6() ? this.v6.refreshNeighbours(now) : [];
    for (const a of removed) {
      const hop = this.hops.get(a) ?? a;
      this.hops.delete(a);
      const left = (this.hopRefs.get(hop) ?? 1) - 1;
      if (left > 0) this.hopRefs.set(hop, left);
      else {
        this.hopRefs.delete(hop);
        this.neigh.drop(hop);
      }
    }
    for (const a of added) {
      const e = this.egress(a);
      if (e === null) continue;
      this.hold(a, e.hop);
      const ev = this.neigh.add(e.hop, e.itf, now);
      if (ev) events.push(ev);
    }
    return events;
  }

  /** Real-server address addr goes through neighbour hop. */
  private hold(addr: number, hop: number): void {
    if (hop !== addr >>> 0) this.hops.set(addr >>> 0, hop);
    this.hopRefs.set(hop, (this.hopRefs.get(hop) ?? 0) + 1);
  }

  /** Ethernet header for a neighbour: its MAC as destination, our interface's as source. */
  toNeighbour(batch: Batch, i: number, neigh: number): void {
    const n = this.neigh;
    writeMacs(batch.buf, batch.off[i], n.neighHdr, 3 * neigh);
    batch.ifOut[i] = n.neighIf[neigh];
  }

  toPeer(batch: Batch, i: number, peer: number): void {
    const l2 = this.l2;
    writeMacs(batch.buf, batch.off[i], l2.peerHdr, 3 * peer);
    batch.ifOut[i] = l2.peerIf[peer];
  }

  drop(batch: Batch, i: number, reason: number): number {
    this.counters.drops[reason]++;
    batch.reason[i] = reason;
    return VERDICT_DROP;
  }

  pass(reason: number): number {
    this.counters.passes[reason]++;
    return VERDICT_PASS;
  }
}


/** TTL - 1 with the header checksum adjusted (RFC 1624: the TTL shares a 16-bit word with the protocol). */
export function decrementTtl(buf: Uint8Array, l3: number): void {
  buf[l3 + 8]--;
  // Decrementing the high byte of a word by one adds 0x0100 to the checksum (ones' complement).
  let sum = ((buf[l3 + 10] << 8) | buf[l3 + 11]) + 0x0100;
  sum = (sum & 0xffff) + (sum >>> 16);
  buf[l3 + 10] = sum >>> 8;
  buf[l3 + 11] = sum & 0xff;
}
