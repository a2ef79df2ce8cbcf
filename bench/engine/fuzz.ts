// The engine fuzzer (issue 15): seeded, mutated frames through Engine.process in
// batches, as captured traffic would come. The frames start valid and aimed at
// what the router handles (a VIP's TCP, UDP and fragments, replies from real
// servers, ICMP errors quoting flows, echo, ARP for owned addresses, VLAN tags),
// then are cut short or have bits flipped (their IP checksum often repaired, so
// the damage reaches TCP, UDP and the ICMP quote). Every frame must get a verdict
// and nothing may throw; test/engine/fuzz.test.ts runs a million in CI, `npm run
// bench -- fuzz` ten million with its rate and the verdicts printed.
import { Engine } from '../../src/engine/engine.js';
import { Batch, VERDICT_DROP, VERDICT_PASS, VERDICT_TX } from '../../src/frames/batch.js';
import { buildTable, parseIPv4, type RealServer, type ServiceTable, type VirtualService } from '../../src/model/index.js';
import { buildArp, buildIcmpEcho, buildIcmpError, buildTcp, buildUdp, fragmentFrame, ipv4Datagram } from '../../src/packet/build.js';
import { ipv4SetChecksum } from '../../src/packet/ipv4.js';
import { seededUniform, type Uniform } from '../../src/schedbench/rng.js';

const ip = (s: string): number => parseIPv4(s)!;
export const FUZZ_VIP = ip('198.18.0.10');
const NAT_ROUTER = ip('198.19.0.1');
const ETH0 = Uint8Array.from([2, 0, 0, 0, 0, 1]);
const ETH1 = Uint8Array.from([2, 0, 0, 0, 0, 2]);
const SERVERS = ['198.19.0.11', '198.19.0.12', '198.18.0.21'].map(ip);

type Rnd = Uniform;

/** 0..n-1 from the seeded stream (which is in (0, 1]), so a failure replays from its seed. */
const int = (r: Rnd, n: number): number => Math.min(n - 1, Math.floor(r() * n));
const bytes = (r: Rnd, n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(r, 256));

function server(addr: number, i: number, forward: RealServer['forward'], port = 80): RealServer {
  return { name: `rs${i}`, address: addr, port, weight: 1 + i, forward, upperThreshold: 0, lowerThreshold: 0 };
}

/** NAT with persistence, DR, LVS-TUN, UDP and a one-packet service: most of what the engine branches on. */
export function fuzzTable(): ServiceTable {
  const base = { fwmark: 0, schedFlags: [], persistMask: 0xffffffff, onePacket: false, persistence: 0 };
  const services: VirtualService[] = [
    { ...base, name: 'nat', protocol: 'tcp', address: FUZZ_VIP, port: 80, scheduler: 'wlc', persistence: 30, servers: [server(SERVERS[0], 1, 'nat', 8080), server(SERVERS[1], 2, 'nat', 8080)] },
    { ...base, name: 'dr', protocol: 'tcp', address: FUZZ_VIP, port: 443, scheduler: 'rr', servers: [server(SERVERS[2], 3, 'dr', 443)] },
    { ...base, name: 'tun', protocol: 'tcp', address: FUZZ_VIP, port: 8443, scheduler: 'sh', servers: [server(SERVERS[2], 4, 'tunnel', 8443)] },
    { ...base, name: 'dns', protocol: 'udp', address: FUZZ_VIP, port: 53, scheduler: 'lc', onePacket: true, servers: [server(SERVERS[0], 5, 'nat', 53)] },
  ];
  return buildTable({
    services,
    addresses: [
      { address: FUZZ_VIP, prefixLen: 24, device: 'eth0', role: 'vip' },
      { address: NAT_ROUTER, prefixLen: 24, device: 'eth1', role: 'nat_router' },
    ],
  });
}

export function fuzzEngine(): Engine {
  const table = fuzzTable();
  const e = new Engine({ interfaces: [{ name: 'eth0', mac: ETH0 }, { name: 'eth1', mac: ETH1 }], table, connCapacity: 1 << 16 });
  // Two servers resolved, one not: frames for it wait for an ARP reply (or are given up).
  e.neigh.setStatic(SERVERS[0], Uint8Array.from([2, 0x52, 0, 0, 0, 11]), 0, 1);
  e.neigh.setStatic(SERVERS[2], Uint8Array.from([2, 0x52, 0, 0, 0, 21]), 0, 0);
  return e;
}

/** A valid frame the router has something to do with, from a small set of clients (so flows repeat). */
function validFrame(r: Rnd): Uint8Array {
  const client = ip('198.18.1.0') + int(r, 64);
  const port = [80, 443, 8443, 53, 22][int(r, 5)];
  const sport = 1024 + int(r, 512);
  const vlan = r() < 0.03 ? int(r, 4096) : undefined;
  const payload = bytes(r, int(r, 3) === 0 ? int(r, 1400) : int(r, 64));
  const toVip = { srcMac: Uint8Array.from([2, 0xc1, 0, 0, 0, 1]), dstMac: r() < 0.97 ? ETH0 : Uint8Array.from([2, 9, 9, 9, 9, 9]), src: client, dst: FUZZ_VIP, vlan };
  switch (int(r, 9)) {
    case 0: case 1: case 2:
      return buildTcp({ ...toVip, sport, dport: port, flags: [0x02, 0x10, 0x18, 0x11, 0x04, 0x12, 0x02 | 0x10][int(r, 7)], seq: int(r, 2 ** 32), ack: int(r, 2 ** 32), payload });
    case 3: return buildUdp({ ...toVip, sport, dport: port, payload });
    case 4: {
      // A NAT reply from a real server to a client.
      const rs = SERVERS[int(r, 2)];
      return buildTcp({ srcMac: Uint8Array.from([2, 0x52, 0, 0, 0, 11]), dstMac: ETH1, src: rs, dst: client, sport: 8080, dport: sport, flags: [0x12, 0x10, 0x11, 0x04][int(r, 4)], seq: int(r, 2 ** 32), ack: 1, payload });
    }
    case 5: {
      const orig = buildTcp({ src: FUZZ_VIP, dst: client, sport: port, dport: sport, flags: 0x12, payload: bytes(r, 8) });
      return buildIcmpError({ ...toVip, type: [3, 11, 4][int(r, 3)], code: int(r, 5), original: ipv4Datagram(orig), quoteLen: int(r, 64) });
    }
    case 6: return buildIcmpEcho({ ...toVip, echoId: int(r, 65536), echoSeq: int(r, 65536), payload });
    case 7: return buildArp({ srcMac: toVip.srcMac, op: 1 + int(r, 2), senderMac: toVip.srcMac, senderIp: r() < 0.5 ? client : SERVERS[int(r, 3)], targetIp: r() < 0.7 ? FUZZ_VIP : NAT_ROUTER, vlan });
    default: {
      // A fragment of a big UDP or TCP datagram to the VIP.
      const big = r() < 0.5 ? buildUdp({ ...toVip, sport, dport: 53, payload: bytes(r, 1500 + int(r, 2000)) }) : buildTcp({ ...toVip, sport, dport: 80, flags: 0x18, payload: bytes(r, 1500 + int(r, 1500)) });
      const frags = fragmentFrame(big, 8 * (32 + int(r, 150)));
      return frags[int(r, frags.length)];
    }
  }
}

/** Cut short, bits flipped, the IP header checksum often made right again. */
function mutate(r: Rnd, f: Uint8Array): Uint8Array {
  const g = f.slice(0, r() < 0.3 ? int(r, f.length + 1) : f.length);
  const flips = int(r, 5);
  for (let k = 0; k < flips && g.length > 0; k++) {
    // Mostly the headers past the MACs: a flipped destination MAC is only "another host's frame".
    const at = r() < 0.9 && g.length > 12 ? 12 + int(r, Math.min(g.length - 12, 60)) : int(r, g.length);
    g[at] ^= 1 << int(r, 8);
  }
  const l3 = g.length >= 14 && g[12] === 0x81 && g[13] === 0 ? 18 : 14;
  if (r() < 0.7 && g.length >= l3 + 20 && (g[l3] >> 4) === 4) {
    const ihl = (g[l3] & 15) * 4;
    if (ihl >= 20 && g.length >= l3 + ihl) ipv4SetChecksum(g, l3, ihl);
  }
  return g;
}

export interface FuzzResult {
  frames: number;
  /** Verdicts as the engine gave them. */
  tx: number;
  drop: number;
  pass: number;
  /** Frames whose verdict was none of the three (must be 0). */
  other: number;
  /** The engine's own count of frames received (must equal frames). */
  rxCounted: number;
  /** Non-zero counters by name, for the bench's table. */
  counters: Record<string, number>;
  ms: number;
}

/** `frames` mutated frames (a valid one in ten kept whole) through one engine, 64 a batch, the clock moving 1 ms a batch. */
export function runFuzz(seed: number, frames: number, engine: Engine = fuzzEngine()): FuzzResult {
  const r = seededUniform(seed);
  const batch = new Batch(64, 64 * 2048);
  const res: FuzzResult = { frames, tx: 0, drop: 0, pass: 0, other: 0, rxCounted: 0, counters: {}, ms: 0 };
  // A pool of frames reused across batches: building frames costs more than the engine.
  const pool: Uint8Array[] = [];
  for (let k = 0; k < 4096; k++) pool.push(r() < 0.1 ? validFrame(r) : mutate(r, validFrame(r)));
  const t0 = performance.now();
  let now = 1000;
  for (let done = 0; done < frames;) {
    batch.reset();
    const n = Math.min(64, frames - done);
    for (let k = 0; k < n; k++) {
      const f = pool[int(r, pool.length)];
      // In on the interface whose MAC it is sent to (eth1's: a real server's reply), now and then the other.
      const itf = (f.length >= 6 && f[0] === 2 && f[5] === 2 ? 1 : 0) ^ (int(r, 16) === 0 ? 1 : 0);
      batch.push(f.length <= 2048 ? f : f.subarray(0, 2048), itf);
    }
    engine.process(batch, now);
    // Only the frames received count: released ones appended after them are the engine's own.
    for (let k = 0; k < n; k++) {
      const v = batch.verdict[k];
      if (v === VERDICT_TX) res.tx++;
      else if (v === VERDICT_DROP) res.drop++;
      else if (v === VERDICT_PASS) res.pass++;
      else res.other++;
    }
    done += n;
    now += 1;
    // Now and then a fresh frame replaces one of the pool, so the mix keeps changing.
    pool[int(r, pool.length)] = mutate(r, validFrame(r));
  }
  res.ms = performance.now() - t0;
  res.rxCounted = engine.counters.rxFrames;
  res.counters = engine.counters.snapshot();
  return res;
}

/** `npm run bench -- fuzz`: ten million frames (a million with --quick) in rounds of seeds; rate, verdicts, counters. */
export function runFuzzBench(o: { quick?: boolean }): Array<Record<string, string | number>> {
  const rounds = o.quick ? 1 : 10;
  const rows: Array<Record<string, string | number>> = [];
  let frames = 0, ms = 0, tx = 0, drop = 0, pass = 0, other = 0, counted = 0;
  const counters: Record<string, number> = {};
  for (let k = 0; k < rounds; k++) {
    const r = runFuzz(0x5eed + k, 1_000_000);
    frames += r.frames;
    ms += r.ms;
    [tx, drop, pass, other, counted] = [tx + r.tx, drop + r.drop, pass + r.pass, other + r.other, counted + r.rxCounted];
    for (const [name, v] of Object.entries(r.counters)) counters[name] = (counters[name] ?? 0) + v;
  }
  rows.push({ what: 'frames through the engine', value: frames });
  rows.push({ what: 'M frames/s (mutated mix, one thread)', value: Math.round((frames / ms / 1000) * 100) / 100 });
  rows.push({ what: 'exceptions', value: 0 });
  rows.push({ what: 'verdicts: sent / dropped / passed / none', value: `${tx} / ${drop} / ${pass} / ${other}` });
  rows.push({ what: 'counted as received', value: counted });
  const top = Object.entries(counters).filter(([n]) => n.startsWith('drop_') || n.startsWith('pass_')).sort((a, b) => b[1] - a[1]).slice(0, 12);
  for (const [name, v] of top) rows.push({ what: name, value: v });
  return rows;
}
