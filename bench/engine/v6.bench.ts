// The engine rows for IPv6 beside IPv4's (issue 13: "the same rows for IPv6"):
// established NAT flows (both directions), established DR flows and new NAT
// connections, with the smallest frames each family allows for a TCP segment
// with 10 bytes of payload (IPv4: 64 bytes; IPv6: 84), and the IPv4 rows
// measured in the same run for the ratio.
import { Batch } from '../../src/frames/batch.js';
import { Engine } from '../../src/engine/engine.js';
import { setL4Checksum6 } from '../../src/packet/checksum.js';
import { ipv6Words, writeAddr6 } from '../../src/packet/ipv6.js';
import { DEFAULT_SWITCHES, type ForwardMethod, type ServiceTable } from '../../src/model/index.js';
import { establish, establishedRate, frameRateRow, frames, runOnce } from './engine.bench.js';
import { benchEngine, ROUTER_MAC, PEER_MAC } from './setup.js';
import type { Row } from '../lib/report.js';

const FRAME6 = 84;
const BATCH = 256;
const SYN = 0x02, ACK = 0x10;
const VIP6 = ipv6Words('2001:2:0:1::10');
const SERVERS6 = ['2001:2:0:2::11', '2001:2:0:2::12', '2001:2:0:2::13'];
const CLIENT_NET = ipv6Words('2001:2:0:100::');

function table6(forward: ForwardMethod): ServiceTable {
  return {
    version: 1, marks: [], switches: DEFAULT_SWITCHES, timeouts: { tcp: 0, tcpfin: 0, udp: 0 },
    services: [{
      name: 'web6', protocol: 'tcp', address: 0, address6: '2001:2:0:1::10', port: 80, fwmark: 0, scheduler: 'wlc', schedFlags: [],
      persistence: 0, persistMask: 0xffffffff, onePacket: false,
      servers: SERVERS6.map((a, i) => ({ name: `rs${i + 1}`, address: 0, address6: forward === 'dr' ? a.replace(':2::', ':1::') : a, port: 80, weight: 1, forward, upperThreshold: 0, lowerThreshold: 0 })),
    }],
    addresses: [
      { address: 0, address6: '2001:2:0:1::10', prefixLen: 64, device: 'eth0', role: 'vip' },
      { address: 0, address6: '2001:2:0:2::1', prefixLen: 64, device: 'eth1', role: 'nat_router' },
    ],
  };
}

/** An engine with the IPv6 service, its servers' MACs learned from advertisements. */
function engine6(forward: ForwardMethod, connCapacity: number): Engine {
  const e = new Engine({ interfaces: [{ name: 'eth0', mac: ROUTER_MAC[0] }, { name: 'eth1', mac: ROUTER_MAC[1] }], table: table6(forward), connCapacity });
  const n = e.v6.neigh;
  const frame = new Uint8Array(6);
  for (let k = 1; k <= n.size; k++) {
    frame.set([2, 0x52, 0, 0, 0, k]);
    const at = new Uint8Array(16);
    writeAddr6(at, 0, n.addr, 4 * k);
    const buf = new Uint8Array(22);
    buf.set(at, 0);
    buf.set(frame, 16);
    n.heard(buf, 0, 16, n.itf[k], 0);
  }
  return e;
}

/** Client i: an address in 2001:2:0:100::/64 and a port. */
function client6(i: number, out: Int32Array, o: number): number {
  out.set(CLIENT_NET, o);
  out[o + 3] = i % 32749;
  return 1024 + Math.floor(i / 32749);
}

const a = new Int32Array(8);
/** Writes an 84-byte TCP segment (10 bytes of payload) from src to dst at buf[off]. */
function writeTcp6(buf: Uint8Array, off: number, srcMac: Uint8Array, dstMac: Uint8Array, sport: number, dport: number, flags: number): number {
  buf.set(dstMac, off);
  buf.set(srcMac, off + 6);
  buf[off + 12] = 0x86; buf[off + 13] = 0xdd;
  const l3 = off + 14;
  buf[l3] = 0x60; buf[l3 + 1] = buf[l3 + 2] = buf[l3 + 3] = 0;
  buf[l3 + 4] = 0; buf[l3 + 5] = 30; buf[l3 + 6] = 6; buf[l3 + 7] = 64;
  writeAddr6(buf, l3 + 8, a, 0);
  writeAddr6(buf, l3 + 24, a, 4);
  const l4 = l3 + 40;
  buf.fill(0, l4, l4 + 30);
  buf[l4] = sport >> 8; buf[l4 + 1] = sport & 255; buf[l4 + 2] = dport >> 8; buf[l4 + 3] = dport & 255;
  buf[l4 + 7] = 1; buf[l4 + 11] = flags & ACK ? 1 : 0;
  buf[l4 + 12] = 0x50; buf[l4 + 13] = flags; buf[l4 + 14] = 0xff;
  setL4Checksum6(buf, l3, l4, 30, 6);
  return FRAME6;
}

/** Client frames of flows [0, n) back to back. */
function clientFrames(n: number, flags: number): Uint8Array {
  const buf = new Uint8Array(n * FRAME6);
  for (let k = 0; k < n; k++) {
    const port = client6(k, a, 0);
    a.set(VIP6, 4);
    writeTcp6(buf, k * FRAME6, PEER_MAC, ROUTER_MAC[0], port, 80, flags);
  }
  return buf;
}

function runFrames(e: Engine, buf: Uint8Array, now: number): number {
  const n = buf.length / FRAME6;
  const batch = new Batch(BATCH, 0);
  (batch as { buf: Uint8Array }).buf = buf;
  const t0 = process.hrtime.bigint();
  for (let first = 0; first < n; first += BATCH) {
    const count = Math.min(BATCH, n - first);
    for (let k = 0; k < count; k++) {
      batch.off[k] = (first + k) * FRAME6;
      batch.len[k] = FRAME6;
      batch.ifIn[k] = 0;
    }
    batch.count = count;
    e.process(batch, now);
  }
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

/** Established IPv6 flows, as establishedRate does for IPv4: one batch restored before each pass. */
function establishedRate6(e: Engine, flows: number, withReplies: boolean, total: number): number {
  const batch = new Batch(BATCH, 2 * BATCH * FRAME6);
  const srv = new Int32Array(4);
  for (let k = 0; k < BATCH; k++) {
    const f = (k * 7919) % flows;
    const reply = withReplies && k % 2 === 1;
    const port = client6(f, a, 0);
    a.set(VIP6, 4);
    if (reply) {
      const slot = e.conns.lookupIn6(6, a, port, 80);
      srv.set(e.conns.addr6.subarray(slot * 12 + 8, slot * 12 + 12));
      a.copyWithin(4, 0, 4);
      a.set(srv, 0);
      writeTcp6(batch.buf, k * FRAME6, Uint8Array.from([2, 0x52, 0, 0, 0, 1]), ROUTER_MAC[1], 80, port, ACK);
    } else writeTcp6(batch.buf, k * FRAME6, PEER_MAC, ROUTER_MAC[0], port, 80, ACK);
    batch.off[k] = k * FRAME6;
    batch.len[k] = FRAME6;
    batch.ifIn[k] = reply ? 1 : 0;
  }
  batch.count = BATCH;
  const pristine = batch.buf.slice(0, BATCH * FRAME6);
  const rounds = Math.ceil(total / BATCH);
  let sent = 0;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) {
    batch.buf.set(pristine);
    sent += e.process(batch, 2000 + r / 1000);
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (sent !== rounds * BATCH) throw new Error(`bench set-up wrong: ${sent} of ${rounds * BATCH} IPv6 frames forwarded`);
  return (rounds * BATCH) / s;
}

function establish6(e: Engine, flows: number): void {
  runFrames(e, clientFrames(flows, SYN), 1000);
  runFrames(e, clientFrames(flows, ACK), 1001);
}

export function runEngineBench6(opts: { quick?: boolean } = {}): Row[] {
  const scale = opts.quick ? 0.1 : 1;
  const rows: Row[] = [];
  const pair = (name: string, v4: () => number, v6: () => number): void => {
    v4();
    v6(); // warm-up
    const r4 = v4();
    const r6 = v6();
    rows.push(frameRateRow(`${name}, IPv4 (64 B)`, r4));
    rows.push(frameRateRow(`${name}, IPv6 (84 B)`, r6, { 'IPv6 / IPv4': +(r6 / r4).toFixed(2) }));
  };
  const nat4 = benchEngine('nat', 1 << 16);
  establish(nat4, 10_000);
  const nat6 = engine6('nat', 1 << 16);
  establish6(nat6, 10_000);
  pair('NAT established, 10k flows (in+out)', () => establishedRate(nat4, 10_000, true, 5e6 * scale), () => establishedRate6(nat6, 10_000, true, 5e6 * scale));
  // Heap growth over established IPv6 frames (both directions): the path allocates nothing per packet.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  establishedRate6(nat6, 10_000, true, 5e6 * scale);
  gc?.();
  rows.push({ benchmark: `IPv6 heap growth over ${5 * scale} M frames`, bytes: process.memoryUsage().heapUsed - before, note: gc ? 'after gc' : 'run with --expose-gc' });
  const dr4 = benchEngine('dr', 1 << 16);
  establish(dr4, 10_000);
  const dr6 = engine6('dr', 1 << 16);
  establish6(dr6, 10_000);
  pair('DR established, 10k flows', () => establishedRate(dr4, 10_000, false, 5e6 * scale), () => establishedRate6(dr6, 10_000, false, 5e6 * scale));
  const n = Math.round(2e5 * scale);
  const syns4 = frames(n, SYN);
  const syns6 = clientFrames(n, SYN);
  const pristine4 = syns4.slice();
  const pristine6 = syns6.slice();
  pair(`NAT new connections (SYN -> wlc -> create), ${n / 1000} k into a fresh table`, () => {
    syns4.set(pristine4);
    return runOnce(benchEngine('nat', 1 << 18), syns4, 1000);
  }, () => {
    syns6.set(pristine6);
    return runFrames(engine6('nat', 1 << 18), syns6, 1000);
  });
  return rows;
}
