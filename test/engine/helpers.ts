// A small NAT/DR world for engine tests: one VIP on eth0, the NAT router address
// on eth1, real servers as static neighbours, frames built from scratch.
import { Batch } from '../../src/frames/batch.js';
import { Engine } from '../../src/engine/engine.js';
import { buildTable, parseIPv4, type ForwardMethod, type RealServer, type ServiceTable, type Switches, type VirtualService } from '../../src/model/index.js';

export const ip = (s: string): number => parseIPv4(s)!;
export const VIP = ip('198.18.0.10');
export const NAT_ROUTER = ip('198.19.0.1');
export const CLIENT = ip('198.18.0.100');
export const ETH0_MAC = Uint8Array.from([0x02, 0, 0, 0, 0, 0x01]);
export const ETH1_MAC = Uint8Array.from([0x02, 0, 0, 0, 0, 0x02]);
export const CLIENT_MAC = Uint8Array.from([0x02, 0xc1, 0, 0, 0, 0x01]);
export const rsMac = (addr: number): Uint8Array => Uint8Array.from([0x02, 0x52, addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255]);

export interface ServerSpec {
  addr: string;
  port?: number;
  weight?: number;
  upper?: number;
  lower?: number;
}

export function service(servers: ServerSpec[], o: Partial<VirtualService> & { forward?: ForwardMethod } = {}): VirtualService {
  const forward = o.forward ?? 'nat';
  return {
    name: 'web', protocol: 'tcp', address: VIP, port: 80, fwmark: 0, scheduler: 'rr', schedFlags: [],
    persistence: 0, persistMask: 0xffffffff, onePacket: false, ...o,
    servers: servers.map((s, i): RealServer => ({
      name: `rs${i + 1}`, address: ip(s.addr), port: s.port ?? 80, weight: s.weight ?? 1, forward,
      upperThreshold: s.upper ?? 0, lowerThreshold: s.lower ?? 0,
    })),
  };
}

export function table(services: VirtualService[], timeouts = {}, switches: Partial<Switches> = {}): ServiceTable {
  return buildTable({
    switches,
    services,
    addresses: [
      { address: VIP, prefixLen: 24, device: 'eth0', role: 'vip' },
      { address: NAT_ROUTER, prefixLen: 24, device: 'eth1', role: 'nat_router' },
    ],
    timeouts,
  });
}

export function engine(t: ServiceTable, o: { connCapacity?: number; neighbours?: boolean } = {}): Engine {
  const e = new Engine({ interfaces: [{ name: 'eth0', mac: ETH0_MAC }, { name: 'eth1', mac: ETH1_MAC }], table: t, connCapacity: o.connCapacity ?? 1024 });
  if (o.neighbours !== false) addNeighbours(e, t);
  return e;
}

export function addNeighbours(e: Engine, t: ServiceTable): void {
  for (const s of t.services) {
    for (const r of s.servers) e.neigh.setStatic(r.address, rsMac(r.address), 0, r.forward === 'nat' ? 1 : 0);
  }
}

export interface Out {
  verdict: number;
  ifOut: number;
  reason: number;
  frame: Uint8Array;
}

/** Runs one frame through the engine at time `now` (ms). */
export function run(e: Engine, frame: Uint8Array, ifIn: number, now = 1000): Out {
  const b = new Batch(1, 1 << 16);
  b.push(frame, ifIn);
  e.process(b, now);
  return { verdict: b.verdict[0], ifOut: b.ifOut[0], reason: b.reason[0], frame: b.frame(0).slice() };
}

/** Runs one frame through the engine; every frame the batch then holds (those the engine appended too: fragments, segments). */
export function runAll(e: Engine, frame: Uint8Array, ifIn: number, now = 1000): Out[] {
  const b = new Batch(1, 1 << 17, 1 << 16, 64);
  b.push(frame, ifIn);
  e.process(b, now);
  return Array.from({ length: b.count }, (_, k) => ({ verdict: b.verdict[k], ifOut: b.ifOut[k], reason: b.reason[k], frame: b.frame(k).slice() }));
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
