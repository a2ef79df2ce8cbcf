// The data plane's own structures, driven directly: ServiceRuntime (dest ids,
// IPVS list order, counters, the scheduler) and ConnTable (connections bound to
// dests, the TCP state machine, the real timeouts). A connection's life is the
// packets the engine would see for a NAT flow (as router/simulator.ts sends them):
//   open:  SYN in, SYN+ACK out, ACK in   -> ESTABLISHED (ActiveConn)
//   close: FIN in, FIN out, ACK in       -> TIME_WAIT (InActConn) for 120 s, then gone
//   abort: RST in (the server died)      -> CLOSE (InActConn) for 10 s
// New connections go through the engine's own NewConnections (reuse checks,
// persistence templates, scheduling), with the kernel's default sysctls; a test
// checks the placements against the real Engine driven through the Simulator.
import { ConnTable } from '../conn/table.js';
import { DIR_INPUT, DIR_OUTPUT, TCP_FLAG_ACK, TCP_FLAG_FIN, TCP_FLAG_RST, TCP_FLAG_SYN } from '../conn/tcp-states.js';
import { Timeouts } from '../conn/timeouts.js';
import { DROP_NO_DEST } from '../engine/counters.js';
import { HIT_GONE, HIT_KEEP, NewConnections } from '../engine/new-conn.js';
import { ServiceRuntime, type ServiceEntry } from '../engine/services.js';
import { buildTable, PROTO_TCP, PROTO_UDP, type RealServer, type VirtualService } from '../model/index.js';
import type { Scheduler } from '../sched/types.js';
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

/** The table, counting what it adds and frees: the world's own tally, kept apart from ConnTable.count. */
class TalliedConnTable extends ConnTable {
  added = 0;
  freed = 0;

  override add(...a: Parameters<ConnTable['add']>): number {
    const s = super.add(...a);
    if (s !== 0) this.added++;
    return s;
  }

  override expireNow(slot: number): void {
    const before = this.count;
    super.expireNow(slot);
    this.freed += before - this.count;
  }

  override expire(now: number): number {
    const n = super.expire(now);
    this.freed += n;
    return n;
  }
}

/** The scheduler with every decision written to the log. */
function logged(inner: Scheduler, log: DecisionLog): Scheduler {
  const s: Scheduler = {
    name: inner.name,
    update: (ids, d) => inner.update(ids, d),
    schedule(d, saddr, sport, daddr, dport, now) {
      const chosen = inner.schedule(d, saddr, sport, daddr, dport, now);
      log.sched(saddr, sport, now, chosen);
      return chosen;
    },
  };
  if (inner.changed) s.changed = (d, v) => inner.changed!(d, v);
  if (inner.forget) s.forget = (d) => inner.forget!(d);
  return s;
}

export class World {
  readonly rt: ServiceRuntime;
  readonly conns: TalliedConnTable;
  readonly admit: NewConnections;
  readonly log: DecisionLog;
  readonly servers: RealServer[];
  readonly svc: VirtualService;
  entry!: ServiceEntry;
  scheduler!: Scheduler;
  /** Dest id -> index into servers (-1 none). */
  readonly srvOf: Int32Array;
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
    this.conns = new TalliedConnTable({ capacity: spec.connCapacity, dests: this.rt.dests, timeouts: new Timeouts(), seed: spec.seed });
    this.admit = new NewConnections(this.rt, this.conns);
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
    if (this.entry.scheduler !== this.scheduler) this.entry.scheduler = logged(this.entry.scheduler, this.log);
    this.scheduler = this.entry.scheduler;
    this.log.update(this.entry.ids, this.rt.dests);
    for (const d of this.entry.ids) this.srvOf[d] = this.rt.destAddr[d] - SERVER_BASE;
  }

  /** Table entries created and freed (an independent tally of ConnTable.count). */
  get added(): number {
    return this.conns.added;
  }

  get freed(): number {
    return this.conns.freed;
  }

  expire(now: number): void {
    this.conns.expire(now);
  }

  /**
   * A client opens a flow: returns the connection's slot (> 0) or an OPEN_* reason.
   * A tuple still in the table goes through NewConnections.hit as the engine's
   * packets do (a finished flow not under a template is expired and scheduled
   * afresh; otherwise the SYN goes to the old connection's server if it is still there).
   */
  open(client: number, cport: number, now: number): number {
    const c = this.conns;
    const s = c.lookupIn(this.proto, client | 0, cport, this.svc.address | 0, this.svc.port);
    if (s !== 0) {
      const h = this.admit.hit(s, this.tcp);
      if (h === HIT_GONE) return OPEN_DEST_GONE;
      if (h === HIT_KEEP) {
        this.reused++;
        this.handshake(s, now);
        return s;
      }
    }
    const slot = this.admit.create(this.entry.id, this.proto, client | 0, cport, this.svc.address | 0, this.svc.port, now);
    if (slot === -DROP_NO_DEST) return OPEN_NO_DEST;
    if (slot <= 0) return OPEN_TABLE_FULL;
    this.handshake(slot, now);
    return slot;
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
}
