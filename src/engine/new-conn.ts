// New connections, in one place: what a client packet does when it finds an old
// connection of its tuple (ip_vs_in's conn_reuse_mode and expire_nodest_conn
// checks) and how a packet to a virtual service is scheduled and its connection
// created (ip_vs_schedule, ip_vs_sched_persist). The engine calls it for packets;
// the scheduler benchmark's world (schedbench/world.ts) calls it for simulated
// flows, so both decide exactly alike.
import { DEST_F_AVAILABLE } from '../conn/dests.js';
import { CONN_F_APP, CONN_F_INACTIVE, CONN_F_NAT, CONN_F_NOOUTPUT, CONN_F_ONE_PACKET, CONN_F_TEMPLATE, type ConnTable } from '../conn/table.js';
import { TCP_S_CLOSE, TCP_S_FIN_WAIT, TCP_S_TIME_WAIT } from '../conn/tcp-states.js';
import { DEFAULT_SWITCHES, PROTO_TCP, PROTO_UDP, type Switches } from '../model/index.js';
import { DROP_NO_DEST, DROP_TABLE_FULL, N_FIELDS, N_HALF_OPEN_EVICTED } from './counters.js';
import { FWD_NAT, type ServiceRuntime } from './services.js';

/**
 * A firewall mark as the 4 words of a template's "virtual address": the kernel's
 * `.ip = htonl(fwmark)` in a union nf_inet_addr, so the first word, the rest 0
 * (what a kernel backup reads from a synced IPv6 template).
 */
const MARK_WORDS = new Int32Array(4);

/** What a client packet does with the connection its tuple found (hit()). */
export const HIT_KEEP = 0; // use it
export const HIT_GONE = 1; // drop the packet: the connection's server is gone
export const HIT_NEW = 2; // schedule afresh: the old connection was expired or is over
/** Random slots a full table looks at for a half-open entry to evict: with a table
 *  full of a flood's entries the first one nearly always is; full of established
 *  connections, 64 reads are the price of refusing. */
const EVICT_PROBES = 64;

export class NewConnections {
  /** IPVS sysctls (net.ipv4.vs.*): conn_reuse_mode, expire_nodest_conn, expire_quiescent_template. */
  switches: Switches = DEFAULT_SWITCHES;
  /** Ports whose NAT TCP services get the FTP helper (the engine's FtpHelper.ports); none by default. */
  ftpPorts: Uint8Array = new Uint8Array(65536);

  constructor(
    readonly rt: ServiceRuntime,
    readonly conns: ConnTable,
    /** The engine's named counters (counters.ts): half-open evictions are counted there. */
    readonly counts: Float64Array = new Float64Array(N_FIELDS),
  ) {}

  /**
   * ConnTable.add, and when the table is full, once more after evicting a half-open
   * TCP entry (a SYN flood's): without it a full table refuses every client until
   * the flood's entries time out. 0 when nothing could be evicted.
   */
  private add(proto: number, caddr: number, cport: number, vaddr: number, vport: number,
      daddr: number, dport: number, dest: number, flags: number, control: number, now: number): number {
    const c = this.conns;
    const s = c.add(proto, caddr, cport, vaddr, vport, daddr, dport, dest, flags, control, now);
    if (s !== 0 || c.evictHalfOpen(EVICT_PROBES) === 0) return s;
    this.counts[N_HALF_OPEN_EVICTED]++;
    return c.add(proto, caddr, cport, vaddr, vport, daddr, dport, dest, flags, control, now);
  }

  /** add() for IPv6 (ConnTable.add6), with the same eviction of a half-open entry when full. */
  private add6(proto: number, a: Int32Array, cport: number, vport: number, daddr6: Int32Array, dOff: number,
      dport: number, dest: number, flags: number, control: number, now: number): number {
    const c = this.conns;
    const s = c.add6(proto, a, 0, cport, a, 4, vport, daddr6, dOff, dport, dest, flags, control, now);
    if (s !== 0 || c.evictHalfOpen(EVICT_PROBES) === 0) return s;
    this.counts[N_HALF_OPEN_EVICTED]++;
    return c.add6(proto, a, 0, cport, a, 4, vport, daddr6, dOff, dport, dest, flags, control, now);
  }

  /**
   * The order of ip_vs_in for a client packet that found connection `slot`: a SYN
   * may reuse the tuple of a finished connection (conn_reuse_mode); then a
   * connection whose server is gone is dropped, or with expire_nodest_conn
   * expired and the packet scheduled afresh.
   */
  hit(slot: number, syn: boolean): number {
    if (syn && this.reschedules(slot)) return HIT_NEW;
    if ((this.rt.dests.flags[this.conns.destOf(slot)] & DEST_F_AVAILABLE) !== 0) return HIT_KEEP;
    if (!this.switches.expireNodestConn) return HIT_GONE;
    this.conns.expireNow(slot);
    return HIT_NEW;
  }

  /**
   * conn_reuse_mode (ip_vs_in, is_new_conn_expected): a SYN that finds an old
   * connection is scheduled afresh when that connection is over (TIME_WAIT or
   * CLOSE, or with mode bit 2 FIN_WAIT of a DR connection), or, with
   * expire_nodest_conn, when its server was quiesced. Controlled connections
   * (persistence) keep their server. The old entry is expired unless it controls others.
   */
  private reschedules(slot: number): boolean {
    const sw = this.switches;
    if (sw.connReuseMode === 0) return false;
    const c = this.conns;
    let resched = false;
    if (sw.expireNodestConn && this.rt.dests.weight[c.destOf(slot)] === 0) resched = true;
    else if (c.control[slot] === 0) {
      const st = c.stateOf(slot);
      resched = st === TCP_S_TIME_WAIT || st === TCP_S_CLOSE || ((sw.connReuseMode & 2) !== 0 && st === TCP_S_FIN_WAIT && (c.flagsOf(slot) & CONN_F_NOOUTPUT) !== 0);
    }
    if (resched && c.nControl[slot] === 0) c.expireNow(slot);
    return resched;
  }

  /**
   * ip_vs_schedule for a packet of service svcId with no connection: a real
   * server from the persistence template or the scheduler, then the connection.
   * Returns its slot, or minus the drop reason (DROP_NO_DEST, DROP_TABLE_FULL).
   */
  create(svcId: number, proto: number, saddr: number, sport: number, daddr: number, dport: number, now: number): number {
    const rt = this.rt;
    const svc = rt.services[svcId];
    let control = 0;
    let dest: number;
    if (svc.persistMs > 0) {
      control = this.template(svcId, proto, saddr, sport, daddr, dport, now);
      dest = control === 0 ? 0 : this.conns.destOf(control);
    } else {
      dest = svc.scheduler.schedule(rt.dests, saddr, sport, daddr, dport, now);
    }
    if (dest === 0) return -DROP_NO_DEST;
    let flags = CONN_F_INACTIVE | (rt.destFwd[dest] === FWD_NAT ? CONN_F_NAT : CONN_F_NOOUTPUT);
    if (svc.model.onePacket && proto === PROTO_UDP) flags |= CONN_F_ONE_PACKET;
    // The packet's port first: one typed-array load settles it for every other port.
    if (this.ftpPorts[dport] !== 0) flags = this.withApp(svcId, proto, flags);
    const rport = rt.destPort[dest] || dport;
    const slot = this.add(proto, saddr, sport, daddr, dport, rt.destAddr[dest] | 0, rport, dest, flags, control, now);
    if (slot === 0) return -DROP_TABLE_FULL;
    rt.destConns[dest]++;
    return slot;
  }

  /**
   * create() for an IPv6 packet: its source address at a[0..3], its destination
   * (the VIP) at a[4..7]. The schedulers hash the addresses' XOR folds, as the
   * kernel's do for IPv6 (ip_vs_sh_hashkey and the others). Persistence keeps a
   * client network (the service's prefix length, /128 by default) to its server.
   */
  create6(svcId: number, proto: number, a: Int32Array, sport: number, dport: number, now: number): number {
    const rt = this.rt;
    const svc = rt.services[svcId];
    let control = 0;
    let dest: number;
    if (svc.persistMs > 0) {
      control = this.template6(svcId, proto, a, sport, dport, now);
      dest = control === 0 ? 0 : this.conns.destOf(control);
    } else {
      dest = svc.scheduler.schedule(rt.dests, a[0] ^ a[1] ^ a[2] ^ a[3], sport, a[4] ^ a[5] ^ a[6] ^ a[7], dport, now);
    }
    if (dest === 0) return -DROP_NO_DEST;
    let flags = CONN_F_INACTIVE | (rt.destFwd[dest] === FWD_NAT ? CONN_F_NAT : CONN_F_NOOUTPUT);
    if (svc.model.onePacket && proto === PROTO_UDP) flags |= CONN_F_ONE_PACKET;
    if (this.ftpPorts[dport] !== 0) flags = this.withApp(svcId, proto, flags);
    const slot = this.add6(proto, a, sport, dport, rt.destAddr6, 4 * dest, rt.destPort[dest] || dport, dest, flags, control, now);
    if (slot === 0) return -DROP_TABLE_FULL;
    rt.destConns[dest]++;
    return slot;
  }

  /**
   * An existing template keeps its real server while that server is available
   * (and, with expire_quiescent_template, not quiesced): touched and true;
   * otherwise it is expired and a new one is made.
   */
  private keeps(t: number, now: number): boolean {
    const conns = this.conns;
    const dests = this.rt.dests;
    const d = conns.destOf(t);
    if ((dests.flags[d] & DEST_F_AVAILABLE) !== 0 && !(this.switches.expireQuiescentTemplate && dests.weight[d] === 0)) {
      conns.touch(t, now);
      return true;
    }
    conns.expireNow(t);
    return false;
  }

  /** template6's key: the client address, then the VIP (or a firewall mark's words). */
  private readonly tkey6 = new Int32Array(8);

  /** template() for IPv6: keyed (proto, client network, VIP, port), as ip_vs_sched_persist with the service's prefix length. */
  private template6(svcId: number, proto: number, a: Int32Array, sport: number, dport: number, now: number): number {
    const rt = this.rt;
    const svc = rt.services[svcId];
    const conns = this.conns;
    const dests = rt.dests;
    const m = svc.model;
    // As template(): a firewall-mark service's templates are proto 0, "vaddr" the mark, port 0.
    // The client network: an IPv6 service's persistMask is a prefix length (ipvsadm -M 64), 128 by default.
    const k = this.tkey6;
    k.set(a);
    for (let w = 0, left = svc.persistMask || 128; w < 4; w++, left -= 32) k[w] &= left >= 32 ? -1 : left <= 0 ? 0 : ~(-1 >>> left);
    if (m.fwmark) {
      MARK_WORDS[0] = m.fwmark;
      k.set(MARK_WORDS, 4);
    }
    const tproto = m.fwmark ? 0 : proto;
    const tvport = m.fwmark || m.port === 21 || m.port === 0 ? 0 : dport;
    let t = conns.lookupTemplate6(tproto, k, 0, tvport);
    if (t !== 0 && this.keeps(t, now)) return t;
    const dest = svc.scheduler.schedule(dests, a[0] ^ a[1] ^ a[2] ^ a[3], sport, a[4] ^ a[5] ^ a[6] ^ a[7], dport, now);
    if (dest === 0) return 0;
    t = this.add6(tproto, k, 0, tvport, rt.destAddr6, 4 * dest, rt.destPort[dest], dest, CONN_F_TEMPLATE, 0, now);
    if (t === 0) return 0;
    conns.setTimeout(t, svc.persistMs, now);
    return t;
  }

  /**
   * ip_vs_bind_app: a TCP service on one of ip_vs_ftp's ports (not a firewall-mark
   * one, whose port is 0) gets the FTP helper, which acts in NAT only. Out of
   * create() and create6(), which every new connection runs.
   */
  private withApp(svcId: number, proto: number, flags: number): number {
    const ok = proto === PROTO_TCP && (flags & CONN_F_NAT) !== 0 && this.rt.services[svcId].model.fwmark === 0;
    return ok ? flags | CONN_F_APP : flags;
  }

  /**
   * ip_vs_sched_persist: the template for (client net, service) keeps its real
   * server while that server is available. Returns the template slot, or 0 when
   * no server could be scheduled (or the table is full).
   */
  private template(svcId: number, proto: number, saddr: number, sport: number, daddr: number, dport: number, now: number): number {
    const rt = this.rt;
    const svc = rt.services[svcId];
    const conns = this.conns;
    const dests = rt.dests;
    const snet = saddr & svc.persistMask;
    const m = svc.model;
    // Templates of a firewall-mark service span all its ports: proto 0 (IPPROTO_IP), vaddr = mark, vport 0.
    // A port-zero service and FTP (port 21, whose data connections use other ports) key theirs by port 0 too.
    const tproto = m.fwmark ? 0 : proto;
    const tvaddr = (m.fwmark ? m.fwmark : daddr) | 0;
    const tvport = m.fwmark || m.port === 21 || m.port === 0 ? 0 : dport;
    let t = conns.lookupTemplate(tproto, snet, tvaddr, tvport);
    if (t !== 0 && this.keeps(t, now)) return t;
    const dest = svc.scheduler.schedule(dests, saddr, sport, daddr, dport, now);
    if (dest === 0) return 0;
    t = this.add(tproto, snet, 0, tvaddr, tvport, rt.destAddr[dest] | 0, rt.destPort[dest], dest, CONN_F_TEMPLATE, 0, now);
    if (t === 0) return 0;
    conns.setTimeout(t, svc.persistMs, now);
    return t;
  }
}
