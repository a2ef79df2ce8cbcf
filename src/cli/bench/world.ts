// The data plane's own structures, driven directly: ServiceRuntime (dest ids,
// IPVS list order, counters, the scheduler) and ConnTable (connections bound to
// dests, the TCP state machine, the real timeouts). A connection's life is the
// packets the engine would see for a NAT flow (as router/simulator.ts sends them):
//   open:  SYN in, SYN+ACK out, ACK in   -> ESTABLISHED (ActiveConn)
//   close: FIN in, FIN out, ACK in       -> TIME_WAIT (InActConn) for 120 s, then gone
//   abort: RST in (the server died)      -> CLOSE (InActConn) for 10 s
// New-connection handling copies Engine.ipv4/newConnection/persistentTemplate
// for one service (conn_reuse_mode 1, expire_nodest_conn 0,
// expire_quiescent_template 0, the defaults); a test checks it against the
// real Engine driven through the Simulator.
import { ConnTable, CONN_F_INACTIVE, CONN_F_NAT, CONN_F_TEMPLATE } from '../../conn/table.js';
import { DEST_F_AVAILABLE } from '../../conn/dests.js';
import {
  DIR_INPUT, DIR_OUTPUT, TCP_FLAG_ACK, TCP_FLAG_FIN, TCP_FLAG_RST, TCP_FLAG_SYN, TCP_S_CLOSE, TCP_S_TIME_WAIT,
} from '../../conn/tcp-states.js';
import { Timeouts } from '../../conn/timeouts.js';
import { ServiceRuntime, type ServiceEntry } from '../../engine/services.js';
import { buildTable, PROTO_TCP, PROTO_UDP, type RealServer, type VirtualService } from '../../model/index.js';
import type { Scheduler } from '../../sched/types.js';
import { DecisionLog } from './decision-log.js';

/** Real servers are 10.0.0.1, 10.0.0.2, ... port 80, NAT. */
export const SERVER_BASE = 0x0a000001;
const SYN = TCP_FLAG_SYN, ACK = TCP_FLAG_ACK, FIN = TCP_FLAG_FIN, RST = TCP_FLAG_RST;

/** Why an open got no connection. */
export const OPEN_NO_DEST = -1;
export const OPEN_DEST_GONE = -2;
export const OPEN_TABLE_FULL = -3;
export const OPEN_BUSY = -4;

export interface WorldSpec {
  scheduler: string;
  weights: number[];
  proto: number;
  vip: number;
  vport: number;
  persistence: number;
  connCapacity: number;
  seed: number;
}

export class World {
  readonly rt: ServiceRuntime;
  readonly conns: ConnTable;
  readonly log: DecisionLog;
  readonly servers: RealServer[];
  readonly svc: VirtualService;
  entry!: ServiceEntry;
  scheduler!: Scheduler;
  /** Dest id -> index into servers (-1 none). */
  readonly srvOf: Int32Array;
  /** Table entries created and freed, counted here (an independent tally of ConnTable.count). */
  added = 0;
  freed = 0;
  /** Opens that found a finished flow of the same tuple and kept its server (conn_reuse_mode). */
  reused = 0;
  private readonly tcp: boolean;
  private readonly proto: number;

  constructor(spec: WorldSpec) {
    // A server that leaves and returns may get a second id if its first was freed meanwhile.
    const ids = 2 * spec.weights.length + 8;
    this.rt = new ServiceRuntime(ids);
    this.srvOf = new Int32Array(ids).fill(-1);
    this.tcp = spec.proto === PROTO_TCP;
    this.proto = this.tcp ? PROTO_TCP : PROTO_UDP;
    this.servers = spec.weights.map((weight, i) => ({
      name: `rs${i + 1}`, address: SERVER_BASE + i, port: 80, weight, forward: 'nat', upperThreshold: 0, lowerThreshold: 0,
    }));
    this.svc = {
      name: 'bench', protocol: this.tcp ? 'tcp' : 'udp', address: spec.vip, port: spec.vport, fwmark: 0,
      scheduler: spec.scheduler, schedFlags: [], persistence: spec.persistence, persistMask: 0xffffffff,
      onePacket: false, servers: this.servers,
    };
    this.conns = new ConnTable({ capacity: spec.connCapacity, dests: this.rt.dests, timeouts: new Timeouts(), seed: spec.seed });
    this.log = new DecisionLog(spec.scheduler, [], spec.vip, spec.vport);
    const inner = this.rt.dests.onChange;
    this.rt.dests.onChange = (d: number): void => {
      this.log.change(d, this.rt.dests);
      if (inner !== null) inner(d);
    };
    this.setServers(this.servers);
  }

  /** A new table with these servers, applied as a reload or a health-check verdict would be. */
  setServers(list: readonly RealServer[]): void {
    this.rt.apply(buildTable({ services: [{ ...this.svc, servers: list }] }));
    this.entry = this.rt.services[1];
    this.scheduler = this.entry.scheduler;
    this.log.update(this.entry.ids, this.rt.dests);
    for (const d of this.entry.ids) this.srvOf[d] = this.rt.destAddr[d] - SERVER_BASE;
  }

  expire(now: number): void {
    this.freed += this.conns.expire(now);
  }

  /**
   * A client opens a flow: returns the connection's slot (> 0) or an OPEN_* reason.
   * A tuple still in the table is handled as Engine.ipv4 does: a finished flow
   * (TIME_WAIT, CLOSE) not under a template is expired and scheduled afresh;
   * otherwise the SYN goes to the old connection's server if it is still there.
   */
  open(client: number, cport: number, now: number): number {
    const c = this.conns;
    const s = c.lookupIn(this.proto, client | 0, cport, this.svc.address | 0, this.svc.port);
    if (s !== 0) {
      const available = (this.rt.dests.flags[c.destOf(s)] & DEST_F_AVAILABLE) !== 0;
      const finished = c.control[s] === 0 && (c.stateOf(s) === TCP_S_TIME_WAIT || c.stateOf(s) === TCP_S_CLOSE);
      if (!(this.tcp && finished)) {
        if (!available) return OPEN_DEST_GONE;
        this.reused++;
        this.handshake(s, now);
        return s;
      }
      if (c.nControl[s] === 0) this.expireNow(s);
    }
    return this.newConnection(client, cport, now);
  }

  private newConnection(client: number, cport: number, now: number): number {
    const c = this.conns;
    const rt = this.rt;
    let control = 0;
    let d: number;
    if (this.entry.persistMs > 0) {
      control = this.template(client, cport, now);
      if (control < 0) return control;
      d = c.destOf(control);
    } else {
      d = this.schedule(client, cport, now);
      if (d === 0) return OPEN_NO_DEST;
    }
    const s = c.add(this.proto, client | 0, cport, this.svc.address | 0, this.svc.port,
      rt.destAddr[d] | 0, rt.destPort[d] || this.svc.port, d, CONN_F_INACTIVE | CONN_F_NAT, control, now);
    if (s === 0) return OPEN_TABLE_FULL;
    this.added++;
    this.handshake(s, now);
    return s;
  }

  /** ip_vs_sched_persist, as Engine.persistentTemplate: the template's slot, or an OPEN_* reason. */
  private template(client: number, cport: number, now: number): number {
    const c = this.conns;
    const rt = this.rt;
    const proto = this.proto;
    const snet = client & this.entry.persistMask;
    const vport = this.svc.port === 21 ? 0 : this.svc.port;
    let t = c.lookupTemplate(proto, snet, this.svc.address, vport);
    if (t !== 0) {
      if ((rt.dests.flags[c.destOf(t)] & DEST_F_AVAILABLE) !== 0) {
        c.touch(t, now);
        return t;
      }
      this.expireNow(t);
    }
    const d = this.schedule(client, cport, now);
    if (d === 0) return OPEN_NO_DEST;
    t = c.add(proto, snet, 0, this.svc.address | 0, vport, rt.destAddr[d] | 0, rt.destPort[d], d, CONN_F_TEMPLATE, 0, now);
    if (t === 0) return OPEN_TABLE_FULL;
    this.added++;
    c.setTimeout(t, this.entry.persistMs, now);
    return t;
  }

  private schedule(client: number, cport: number, now: number): number {
    const d = this.scheduler.schedule(this.rt.dests, client | 0, cport, this.svc.address | 0, this.svc.port, now);
    this.log.sched(client, cport, now, d);
    return d;
  }

  private handshake(s: number, now: number): void {
    const c = this.conns;
    if (!this.tcp) {
      c.udpTransition(s, now);
      return;
    }
    c.tcpTransition(s, DIR_INPUT, SYN, now);
    c.tcpTransition(s, DIR_OUTPUT, SYN | ACK, now);
    c.tcpTransition(s, DIR_INPUT, ACK, now);
  }

  close(s: number, now: number): void {
    if (!this.tcp) return; // a UDP flow just goes quiet and times out
    const c = this.conns;
    c.tcpTransition(s, DIR_INPUT, FIN | ACK, now);
    c.tcpTransition(s, DIR_OUTPUT, FIN | ACK, now);
    c.tcpTransition(s, DIR_INPUT, ACK, now);
  }

  /** Data still flowing on a long connection: re-arms its timer as any packet would. */
  refresh(s: number, now: number): void {
    if (this.tcp) this.conns.tcpTransition(s, DIR_INPUT, ACK, now);
    else this.conns.udpTransition(s, now);
  }

  /** The client gives up on a connection whose server died. */
  abort(s: number, now: number): void {
    if (this.tcp) this.conns.tcpTransition(s, DIR_INPUT, RST, now);
  }

  private expireNow(s: number): void {
    const before = this.conns.count;
    this.conns.expireNow(s);
    this.freed += before - this.conns.count;
  }
}
