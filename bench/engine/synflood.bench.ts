// A SYN flood through the engine alone, on a simulated clock: spoofed SYNs at the
// rate issue 15 measured (133 k/s) into a 10,000-entry table, while a legitimate
// client opens a connection (SYN, then its ACK one batch later) every 10 ms. What
// it prints is the share of those connections that got through, per defence
// setting, and the wall time the engine spent per flood SYN. Bounded: a fixed
// number of simulated seconds; no I/O.
import { Engine } from '../../src/engine/engine.js';
import { Batch, VERDICT_TX } from '../../src/frames/batch.js';
import { buildTable, parseIPv4, type Switches } from '../../src/model/index.js';
import { buildTcp } from '../../src/packet/build.js';
import type { Row } from '../lib/report.js';

const ip = (s: string): number => parseIPv4(s)!;
const VIP = ip('198.18.0.10');
const RS = ip('198.19.0.11');
const MAC0 = Uint8Array.from([2, 0, 0, 0, 0, 1]);
const MAC1 = Uint8Array.from([2, 0, 0, 0, 0, 2]);
const CMAC = Uint8Array.from([2, 0xc1, 0, 0, 0, 1]);
const RATE = 133_000;
const BATCH = 64;
const CAPACITY = 10_000;

function makeEngine(sw: Partial<Switches>): Engine {
  const table = buildTable({
    switches: sw,
    services: [{
      name: 'web', protocol: 'tcp', address: VIP, port: 80, fwmark: 0, scheduler: 'rr', schedFlags: [], persistence: 0, persistMask: 0xffffffff, onePacket: false,
      servers: [{ name: 'rs1', address: RS, port: 80, weight: 1, forward: 'nat', upperThreshold: 0, lowerThreshold: 0 }],
    }],
    addresses: [{ address: VIP, prefixLen: 24, device: 'eth0', role: 'vip' }, { address: ip('198.19.0.1'), prefixLen: 24, device: 'eth1', role: 'nat_router' }],
  });
  const e = new Engine({ interfaces: [{ name: 'eth0', mac: MAC0 }, { name: 'eth1', mac: MAC1 }], table, connCapacity: CAPACITY });
  e.neigh.setStatic(RS, Uint8Array.from([2, 0x52, 0, 0, 0, 11]), 0, 1);
  return e;
}

const seg = (src: number, sport: number, flags: number): Uint8Array =>
  buildTcp({ srcMac: CMAC, dstMac: MAC0, src, dst: VIP, sport, dport: 80, flags });

interface Outcome {
  ok: number;
  tried: number;
  floodSyns: number;
  engineMs: number;
  evicted: number;
  fullDrops: number;
}

/** `seconds` of flood; a legitimate handshake every 10 ms from the 2nd second on (the table is full by then). */
function flood(sw: Partial<Switches>, seconds: number): Outcome {
  const e = makeEngine(sw);
  // Distinct spoofed sources, built once: 65,536 addresses x a few ports cover the run.
  const pool: Uint8Array[] = [];
  for (let k = 0; k < 65_536; k++) pool.push(seg((ip('198.18.128.0') + k) >>> 0, 1024 + (k % 7), 0x02));
  const b = new Batch(BATCH + 2, (BATCH + 2) * 128);
  const batchMs = (BATCH / RATE) * 1000;
  let now = 1000, next = 0, sent = 0, ok = 0, tried = 0, engineMs = 0, legitAt = 2000, pendingAck: Uint8Array | null = null, synOk = false;
  const end = 1000 + seconds * 1000;
  let legitPort = 10_000;
  while (now < end) {
    b.reset();
    for (let k = 0; k < BATCH; k++) b.push(pool[next++ & 0xffff], 0);
    let legitIdx = -1;
    if (pendingAck) {
      legitIdx = b.count;
      b.push(pendingAck, 0);
    } else if (now >= legitAt) {
      legitAt += 10;
      tried++;
      legitIdx = b.count;
      b.push(seg(ip('198.18.0.100'), legitPort, 0x02), 0);
    }
    const t = performance.now();
    e.process(b, now);
    engineMs += performance.now() - t;
    sent += BATCH;
    if (legitIdx >= 0) {
      const tx = b.verdict[legitIdx] === VERDICT_TX;
      if (pendingAck) {
        if (synOk && tx) ok++;
        pendingAck = null;
        legitPort = legitPort === 60_000 ? 10_000 : legitPort + 1;
      } else {
        synOk = tx;
        pendingAck = seg(ip('198.18.0.100'), legitPort, 0x10);
      }
    }
    now += batchMs;
  }
  const c = e.counters.snapshot();
  return { ok, tried, floodSyns: sent, engineMs, evicted: c.defense_half_open_evicted ?? 0, fullDrops: c.drop_conn_table_full ?? 0 };
}

const SETTINGS: readonly [string, Partial<Switches>][] = [
  ['defaults (half-open eviction)', {}],
  ['secure_tcp = 1', { secureTcp: 1 }],
  ['drop_entry = 1, secure_tcp = 1', { dropEntry: 1, secureTcp: 1 }],
  ['drop_packet = 1 (refuses clients too)', { dropPacket: 1 }],
];

export function runSynFloodBench(o: { quick?: boolean } = {}): Row[] {
  const seconds = o.quick ? 3 : 20;
  return SETTINGS.map(([setting, sw]) => {
    const r = flood(sw, seconds);
    return {
      setting,
      'flood SYN/s (simulated)': RATE,
      'seconds': seconds,
      'legit ok': `${r.ok}/${r.tried}`,
      'success %': Number(((100 * r.ok) / Math.max(1, r.tried)).toFixed(2)),
      'half-open evicted': r.evicted,
      'conn_table_full': r.fullDrops,
      'engine ns/frame': Math.round((r.engineMs * 1e6) / r.floodSyns),
    };
  });
}
