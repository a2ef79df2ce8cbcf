// Shared set-up for the engine benchmarks: a NAT and a DR table with three real
// servers, an engine with static neighbours, and batches of 64-byte frames.
import { Batch } from '../../src/frames/batch.js';
import type { Alloc } from '../../src/conn/memory.js';
import { Engine } from '../../src/engine/engine.js';
import { buildTable, parseIPv4, type ForwardMethod, type RealServer } from '../../src/model/index.js';
import { writeTcp } from '../../src/packet/build.js';

export const VIP = parseIPv4('198.18.0.10')!;
export const RIPS = ['198.19.0.11', '198.19.0.12', '198.19.0.13'].map((a) => parseIPv4(a)!);
export const CLIENT_BASE = parseIPv4('198.18.128.0')!;
export const ROUTER_MAC = [Uint8Array.from([2, 0, 0, 0, 0, 1]), Uint8Array.from([2, 0, 0, 0, 0, 2])];
export const PEER_MAC = Uint8Array.from([2, 0, 0, 0, 0, 0xfe]);
export const FRAME = 64;
const PAYLOAD = new Uint8Array(FRAME - 54);

/** `alloc`: where the counters live (shared memory as in the router's worker, or private; bench/engine/alloc-ab.ts). */
/** `tunnel`: a tunnel server's encapsulation (GUE/GRE settings), for forward = 'tunnel'. */
export function benchEngine(forward: ForwardMethod, connCapacity: number, scheduler = 'wlc', alloc?: Alloc, tunnel: Partial<RealServer> = {}): Engine {
  const table = buildTable({
    services: [{
      name: 'web', protocol: 'tcp', address: VIP, port: 80, fwmark: 0, scheduler, schedFlags: [],
      persistence: 0, persistMask: 0xffffffff, onePacket: false,
      servers: RIPS.map((address, i) => ({ name: `rs${i + 1}`, address, port: 80, weight: 1, forward, upperThreshold: 0, lowerThreshold: 0, ...tunnel })),
    }],
    addresses: [
      { address: VIP, prefixLen: 24, device: 'eth0', role: 'vip' },
      { address: parseIPv4('198.19.0.1')!, prefixLen: 24, device: 'eth1', role: 'nat_router' },
    ],
  });
  const engine = new Engine({ interfaces: [{ name: 'eth0', mac: ROUTER_MAC[0] }, { name: 'eth1', mac: ROUTER_MAC[1] }], table, connCapacity, alloc });
  RIPS.forEach((a, i) => engine.neigh.setStatic(a, Uint8Array.from([2, 0x52, 0, 0, 0, i + 1]), 0, forward === 'nat' ? 1 : 0));
  return engine;
}

/** Client i's address and port: spread over a /17 and the ephemeral range. */
export function client(i: number): [number, number] {
  return [(CLIENT_BASE + (i % 32749)) >>> 0, 1024 + Math.floor(i / 32749)];
}

/** Fills a batch with `n` 64-byte client->VIP TCP frames for flows first..first+n-1 (mod flows). */
export function fillBatch(batch: Batch, n: number, flows: number, first: number, flags: number): void {
  batch.reset();
  for (let k = 0; k < n; k++) {
    const [addr, port] = client((first + k) % flows);
    const off = k * FRAME;
    const len = writeTcp(batch.buf, off, { srcMac: PEER_MAC, dstMac: ROUTER_MAC[0], src: addr, dst: VIP, sport: port, dport: 80, flags, seq: 1, ack: 1, payload: PAYLOAD });
    batch.off[k] = off;
    batch.len[k] = len;
    batch.ifIn[k] = 0;
  }
  batch.count = n;
}
