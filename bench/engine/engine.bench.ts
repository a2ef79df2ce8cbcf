// Engine alone, 64-byte frames: established NAT flows (both directions), new
// connections (SYN -> schedule -> create), DR, LVS-TUN, lookups with 1 M live
// connections, bytes per connection, and heap growth over 10 M frames.
import type { Alloc } from '../../src/conn/memory.js';
import { Batch } from '../../src/frames/batch.js';
import type { Engine } from '../../src/engine/engine.js';
import { SyncQueue } from '../../src/engine/sync-queue.js';
import { writeTcp } from '../../src/packet/build.js';
import { benchEngine, client, FRAME, PEER_MAC, ROUTER_MAC, VIP } from './setup.js';
import type { Row } from '../lib/report.js';

const SYN = 0x02, ACK = 0x10;
const BATCH = 256;
const PAYLOAD = new Uint8Array(FRAME - 54);

/** Frames for flows [0, n) written back to back into one buffer (each processed once). */
export function frames(n: number, flags: number, pick: (k: number) => number = (k) => k): Uint8Array {
  const buf = new Uint8Array(n * FRAME);
  for (let k = 0; k < n; k++) {
    const [addr, port] = client(pick(k));
    writeTcp(buf, k * FRAME, { srcMac: PEER_MAC, dstMac: ROUTER_MAC[0], src: addr, dst: VIP, sport: port, dport: 80, flags, seq: 1, ack: flags & ACK ? 1 : 0, payload: PAYLOAD });
  }
  return buf;
}

/**
 * Runs every frame of `buf` through the engine in batches; returns frames/s. The
 * batch reads the frames where they are; `copy` (set-up only) copies each batch
 * into a buffer of its own with tailroom instead, since LVS-TUN writes the
 * frames it lengthens past the batch's last one, over the frames still to come.
 */
export function runOnce(engine: Engine, buf: Uint8Array, now: number, copy = false): number {
  const n = buf.length / FRAME;
  const batch = copy ? new Batch(BATCH, 3 * BATCH * FRAME, 2 * BATCH * FRAME) : new Batch(BATCH, 0);
  if (!copy) (batch as { buf: Uint8Array }).buf = buf;
  const t0 = process.hrtime.bigint();
  for (let first = 0; first < n; first += BATCH) {
    const count = Math.min(BATCH, n - first);
    if (copy) batch.buf.set(buf.subarray(first * FRAME, (first + count) * FRAME));
    for (let k = 0; k < count; k++) {
      batch.off[k] = (copy ? k : first + k) * FRAME;
      batch.len[k] = FRAME;
      batch.ifIn[k] = 0;
    }
    batch.count = count;
    engine.process(batch, now);
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return n / s;
}

/** Opens `flows` connections and makes them ESTABLISHED (SYN, then ACK). */
export function establish(engine: Engine, flows: number): void {
  runOnce(engine, frames(flows, SYN), 1000, true);
  runOnce(engine, frames(flows, ACK), 1001, true);
}

/**
 * Established flows: one reused batch, half client->VIP, half real server->client
 * (NAT) frames; restored from a pristine copy before each pass because the
 * engine rewrites in place (a 16 KiB copy per 256 frames, included in the time).
 */
export function establishedRate(engine: Engine, flows: number, withReplies: boolean, totalFrames: number, afterBatch?: () => void): number {
  // Tailroom where LVS-TUN writes the frames it makes longer (20 bytes each).
  const batch = new Batch(BATCH, 3 * BATCH * FRAME, 2 * BATCH * FRAME);
  for (let k = 0; k < BATCH; k++) {
    const f = (k * 7919) % flows;
    const [addr, port] = client(f);
    const reply = withReplies && k % 2 === 1;
    let len: number;
    if (reply) {
      const slot = engine.conns.lookupIn(6, addr, port, VIP, 80);
      len = writeTcp(batch.buf, k * FRAME, { srcMac: Uint8Array.from([2, 0x52, 0, 0, 0, 1]), dstMac: ROUTER_MAC[1], src: engine.conns.daddrOf(slot), dst: addr, sport: 80, dport: port, flags: ACK, seq: 1, ack: 1, payload: PAYLOAD });
    } else {
      len = writeTcp(batch.buf, k * FRAME, { srcMac: PEER_MAC, dstMac: ROUTER_MAC[0], src: addr, dst: VIP, sport: port, dport: 80, flags: ACK, seq: 1, ack: 1, payload: PAYLOAD });
    }
    batch.off[k] = k * FRAME;
    batch.len[k] = len;
    batch.ifIn[k] = reply ? 1 : 0;
  }
  batch.count = BATCH;
  const pristine = batch.buf.slice(0, BATCH * FRAME);
  // LVS-TUN moves its frames into the tailroom: each pass starts from the received layout.
  const offs = batch.off.slice();
  const lens = batch.len.slice();
  const rounds = Math.ceil(totalFrames / BATCH);
  let sent = 0;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) {
    batch.buf.set(pristine);
    batch.off.set(offs);
    batch.len.set(lens);
    sent += engine.process(batch, 2000 + r / 1000);
    afterBatch?.();
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (sent !== rounds * BATCH) throw new Error(`bench set-up wrong: ${sent} of ${rounds * BATCH} frames forwarded`);
  return (rounds * BATCH) / s;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** A row of a frames-per-second figure: M frames/s and ns/frame. */
export function frameRateRow(name: string, perSec: number, extra: Row = {}): Row {
  return { benchmark: name, 'M frames/s': +(perSec / 1e6).toFixed(2), 'ns/frame': +(1e9 / perSec).toFixed(0), ...extra };
}

export function runEngineBench(opts: { quick?: boolean } = {}): Row[] {
  const scale = opts.quick ? 0.1 : 1;
  const rows: Row[] = [];
  const rate = (name: string, perSec: number, extra: Row = {}): void => void rows.push(frameRateRow(name, perSec, extra));

  let e = benchEngine('nat', 1 << 16);
  establish(e, 10_000);
  establishedRate(e, 10_000, true, 2e6 * scale); // warm-up
  rate('NAT established, 10k flows (in+out)', establishedRate(e, 10_000, true, 10e6 * scale));

  // Connection sync on (a master): the packet path counts and queues; the ring is
  // emptied after each batch as the data plane's loop does before encoding.
  e = benchEngine('nat', 1 << 16);
  establish(e, 10_000);
  const q = new SyncQueue(e.conns);
  q.master = true;
  e.sync = q;
  const take = (): void => {
    while (q.take() !== 0);
  };
  establishedRate(e, 10_000, true, 2e6 * scale, take);
  rate('NAT established, 10k flows, sync master', establishedRate(e, 10_000, true, 10e6 * scale, take), { note: `ring drops ${q.drops}` });

  e = benchEngine('dr', 1 << 16);
  establish(e, 10_000);
  establishedRate(e, 10_000, false, 2e6 * scale);
  rate('DR established, 10k flows', establishedRate(e, 10_000, false, 10e6 * scale));

  e = benchEngine('tunnel', 1 << 16);
  establish(e, 10_000);
  establishedRate(e, 10_000, false, 2e6 * scale);
  rate('TUN established, 10k flows (IPIP)', establishedRate(e, 10_000, false, 10e6 * scale));
  for (const [label, tunnel] of [
    ['GUE, UDP checksum', { tunnelType: 'gue', tunnelPort: 6080, tunnelCsum: 'csum' }],
    ['GRE', { tunnelType: 'gre' }],
  ] as const) {
    e = benchEngine('tunnel', 1 << 16, 'wlc', undefined, tunnel);
    establish(e, 10_000);
    establishedRate(e, 10_000, false, 2e6 * scale);
    rate(`TUN established, 10k flows (${label})`, establishedRate(e, 10_000, false, 10e6 * scale));
  }

  // New connections into a table that stays cache-warm (200 k live) and into one
  // that does not (2 M live in a 4 M table): the cost is mostly the hash buckets' cache misses.
  for (const [live, cap] of [[2e5, 1 << 18], [2e6, 1 << 22]] as const) {
    const n = Math.round(live * scale);
    e = benchEngine('nat', cap);
    runOnce(e, frames(Math.round(2e4 * scale), SYN, (k) => 5e6 + k), 500); // warm-up on other tuples
    const syns = frames(n, SYN);
    rate(`NAT new connections (SYN -> wlc -> create), to ${n / 1e6} M live`, runOnce(e, syns, 1000), { conns: e.conns.count });
  }

  const live = Math.round(1e6 * scale);
  e = benchEngine('nat', 1 << 21);
  establish(e, live);
  const random = frames(live, ACK, (k) => (Math.imul(k, 2654435761) >>> 0) % live);
  rate(`NAT lookups, ${live / 1e6} M live conns (random order)`, runOnce(e, random, 2000), { conns: e.conns.count });

  // Heap growth over 10 M established frames: there should be none.
  e = benchEngine('nat', 1 << 16);
  establish(e, 10_000);
  establishedRate(e, 10_000, true, 1e6);
  gc();
  const before = process.memoryUsage().heapUsed;
  establishedRate(e, 10_000, true, 10e6 * scale);
  gc();
  const growth = process.memoryUsage().heapUsed - before;
  rows.push({ benchmark: `heap growth over ${10 * scale} M frames`, bytes: growth, note: (globalThis as { gc?: unknown }).gc ? 'after gc' : 'run with --expose-gc' });
  return rows;
}

/**
 * The engine rows as repeatable short passes, for bench/engine/ab.ts: each call of a
 * workload measures one pass and returns frames (or connections) per second. A
 * build's own modules are used, so two builds can be timed side by side. `alloc`:
 * where the engine's counters live (bench/engine/alloc-ab.ts; older builds ignore it).
 */
export function abWorkloads(opts: { quick?: boolean; alloc?: Alloc } = {}): Record<string, () => number> {
  const scale = opts.quick ? 0.05 : 1;
  const alloc = opts.alloc;
  const nat = benchEngine('nat', 1 << 16, 'wlc', alloc);
  establish(nat, 10_000);
  const dr = benchEngine('dr', 1 << 16, 'wlc', alloc);
  establish(dr, 10_000);
  const tun = benchEngine('tunnel', 1 << 16, 'wlc', alloc);
  establish(tun, 10_000);
  const n = Math.round(1e5 * scale);
  const syns = frames(n, SYN);
  const warm = frames(Math.round(2e4 * scale), SYN, (k) => 5e6 + k);
  const pristine = syns.slice();
  return {
    'NAT established, 10k flows (in+out)': () => establishedRate(nat, 10_000, true, 1e6 * scale),
    'DR established, 10k flows': () => establishedRate(dr, 10_000, false, 1e6 * scale),
    'TUN established, 10k flows (IPIP)': () => establishedRate(tun, 10_000, false, 1e6 * scale),
    [`NAT new connections, ${n / 1000} k into a fresh table`]: () => {
      const e = benchEngine('nat', 1 << 18, 'wlc', alloc);
      syns.set(pristine);
      runOnce(e, warm.slice(), 500);
      return runOnce(e, syns, 1000);
    },
  };
}

/** Memory: bytes per connection from the table's arrays, and 10 M live connections. */
export function runMemoryBench(opts: { quick?: boolean } = {}): Row[] {
  const n = opts.quick ? 1_000_000 : 10_000_000;
  gc();
  const rss0 = process.memoryUsage().rss;
  const e = benchEngine('nat', n);
  const conns = e.conns;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const [addr, port] = client(i);
    if (conns.add(6, addr, port, VIP, 80, 0xc6130000 + (i % 3) + 11, 80, 1 + (i % 3), 0x4 | 0x1, 0, 1000) === 0) throw new Error(`table full at ${i}`);
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  gc();
  const rss = process.memoryUsage().rss - rss0;
  return [
    { benchmark: 'connection table', 'bytes/conn (arrays)': +(conns.bytes / n).toFixed(1), [`RSS for ${n / 1e6} M conns (MiB)`]: Math.round(rss / 2 ** 20), 'M adds/s': +(n / s / 1e6).toFixed(2) },
  ];
}
