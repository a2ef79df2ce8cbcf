// Drives the real engine with synthetic frames to answer "where would this flow
// go?": an open is a TCP handshake (or one UDP datagram), a close a FIN exchange,
// each frame going through Engine.process exactly as captured traffic would.
import { Batch, VERDICT_TX } from '../frames/batch.js';
import { DROP_NO_DEST, dropName, PASS_NAMES } from '../engine/counters.js';
import { Engine } from '../engine/engine.js';
import { FWD_NAT } from '../engine/services.js';
import { formatIPv4, PROTO_TCP, PROTO_UDP, type ServiceTable } from '../model/index.js';
import { buildTcp, buildUdp } from '../packet/build.js';
import { interfaceFor, routerInterfaces } from './setup.js';

const FIN = 0x01, SYN = 0x02, ACK = 0x10;
/** The client side's next hop as the router sees it (a gateway or the client). */
const CLIENT_MAC = Uint8Array.from([0x02, 0x63, 0x6c, 0x00, 0x00, 0x01]);

export interface Decision {
  server: number;
  port: number;
  /** Why no server was chosen (a drop or pass reason); empty when one was. */
  reason: string;
}

export interface FlowSpec {
  proto: 'tcp' | 'udp';
  client: number;
  cport: number;
  vip: number;
  vport: number;
}

export class Simulator {
  readonly engine: Engine;
  private readonly batch = new Batch(1, 8192, 4096); // tailroom: frames that grow (LVS-TUN)
  private readonly table: ServiceTable;

  constructor(table: ServiceTable, connCapacity = 1 << 20) {
    this.table = table;
    this.engine = new Engine({ interfaces: routerInterfaces(table), table, connCapacity });
    this.addServerNeighbours(table);
  }

  /** Real servers answer as static neighbours with a MAC made from their address. */
  private addServerNeighbours(table: ServiceTable): void {
    const names = this.engine.l2.ifNames;
    for (const svc of table.services) {
      for (const rs of svc.servers) {
        const mac = Uint8Array.from([0x02, 0x72, rs.address >>> 24, (rs.address >>> 16) & 255, (rs.address >>> 8) & 255, rs.address & 255]);
        this.engine.neigh.setStatic(rs.address, mac, 0, interfaceFor(table, names, rs.address));
      }
    }
  }

  open(f: FlowSpec, now: number): Decision {
    const first = f.proto === 'tcp' ? this.fromClient(f, SYN, now) : this.fromClient(f, 0, now);
    if (first !== '') return { server: 0, port: 0, reason: first };
    const slot = this.slotOf(f);
    // Transmitted with no connection: the router answered itself (ip_vs_leave's
    // ICMP port unreachable when no real server is usable), it placed nothing.
    if (slot === 0) return { server: 0, port: 0, reason: dropName(DROP_NO_DEST) };
    const conns = this.engine.conns;
    const decision = { server: conns.daddrOf(slot), port: conns.dportOf(slot), reason: '' };
    const nat = this.engine.services.destFwd[conns.destOf(slot)] === FWD_NAT;
    if (f.proto === 'tcp') {
      if (nat) this.fromServer(f, slot, SYN | ACK, now);
      this.fromClient(f, ACK, now);
    } else if (nat) {
      this.fromServer(f, slot, 0, now);
    }
    return decision;
  }

  /** FIN exchange for TCP (UDP flows simply time out, as in IPVS). */
  close(f: FlowSpec, now: number): void {
    if (f.proto !== 'tcp') return;
    const slot = this.slotOf(f);
    if (slot === 0) return;
    const nat = this.engine.services.destFwd[this.engine.conns.destOf(slot)] === FWD_NAT;
    this.fromClient(f, FIN | ACK, now);
    if (nat) this.fromServer(f, slot, FIN | ACK, now);
    this.fromClient(f, ACK, now);
  }

  slotOf(f: FlowSpec): number {
    return this.engine.conns.lookupIn(f.proto === 'tcp' ? PROTO_TCP : PROTO_UDP, f.client, f.cport, f.vip, f.vport);
  }

  /** Sends one client frame; returns '' when the router forwarded it, else the reason it did not. */
  private fromClient(f: FlowSpec, flags: number, now: number): string {
    const itf = Math.max(0, interfaceFor(this.table, this.engine.l2.ifNames, f.vip, false));
    const dstMac = this.engine.l2.ifMac.subarray(6 * itf, 6 * itf + 6);
    const o = { srcMac: CLIENT_MAC, dstMac, src: f.client, dst: f.vip, sport: f.cport, dport: f.vport };
    const frame = f.proto === 'tcp' ? buildTcp({ ...o, flags, seq: 1, ack: flags & ACK ? 1 : 0 }) : buildUdp({ ...o, payload: new Uint8Array(16) });
    return this.send(frame, itf, now);
  }

  private fromServer(f: FlowSpec, slot: number, flags: number, now: number): void {
    const c = this.engine.conns;
    const l2 = this.engine.l2;
    const nb = this.engine.neigh;
    const neigh = nb.resolve(c.daddrOf(slot));
    const itf = nb.neighIf[neigh];
    const o = {
      srcMac: nb.neighMac.subarray(6 * neigh, 6 * neigh + 6),
      dstMac: l2.ifMac.subarray(6 * itf, 6 * itf + 6),
      src: c.daddrOf(slot), dst: f.client, sport: c.dportOf(slot), dport: f.cport,
    };
    const frame = f.proto === 'tcp' ? buildTcp({ ...o, flags, seq: 1, ack: 1 }) : buildUdp({ ...o, payload: new Uint8Array(16) });
    this.send(frame, itf, now);
  }

  private send(frame: Uint8Array, itf: number, now: number): string {
    const b = this.batch;
    b.reset();
    b.push(frame, itf);
    this.engine.process(b, now);
    if (b.verdict[0] === VERDICT_TX) return '';
    return b.reason[0] ? dropName(b.reason[0]) : PASS_NAMES[1];
  }
}

export function formatEndpoint(addr: number, port: number): string {
  return `${formatIPv4(addr)}:${port}`;
}
