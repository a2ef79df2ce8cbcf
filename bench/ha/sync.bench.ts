// Connection sync's costs in one process (no lab, no root): what sending sync
// costs the active router's packet path (the ring, the encoder, the messages, on
// established NAT flows at the kernel's threshold 3 / period 50), how fast a
// master sends its whole table to a partner that came back (resync), and how
// many sync messages and conns a backup absorbs per second, creating conns and
// then updating them. Socket costs are not in these figures: one sendto per
// message of up to 40 conns (v1, 1500-byte MTU) on each side.
//   npm run bench -- sync [--quick]
import { H_FIELDS } from '../../src/engine/published.js';
import { ConnSync } from '../../src/router/conn-sync.js';
import { parseIPv4 } from '../../src/model/index.js';
import type { Engine } from '../../src/engine/engine.js';
import { establish, establishedRate, frameRateRow } from '../engine/engine.bench.js';
import { benchEngine } from '../engine/setup.js';
import type { Row } from '../lib/report.js';

const MASTER = parseIPv4('198.19.0.2')!;
const BACKUP = parseIPv4('198.19.0.3')!;

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

function master(e: Engine, onMessage: (b: Uint8Array) => void): ConnSync {
  return new ConnSync(e, { role: 'master', address: MASTER }, onMessage, new Float64Array(H_FIELDS));
}

export function runSyncBench(opts: { quick?: boolean } = {}): Row[] {
  const scale = opts.quick ? 0.1 : 1;
  return [...packetPathCost(scale), ...resyncAndAbsorb(opts.quick ? 100_000 : 1_000_000)];
}

/** Established NAT flows (both directions) without sync, then as a sync master flushing after each batch. */
function packetPathCost(scale: number): Row[] {
  const frames = 10e6 * scale;
  const rows: Row[] = [];
  const row = (name: string, perSec: number, extra: Row = {}): void => void rows.push(frameRateRow(name, perSec, extra));
  let e = benchEngine('nat', 1 << 16);
  establish(e, 10_000);
  establishedRate(e, 10_000, true, 2e6 * scale); // warm-up
  row('NAT established, 10k flows: sync off', establishedRate(e, 10_000, true, frames));

  e = benchEngine('nat', 1 << 16);
  establish(e, 10_000);
  let messages = 0;
  const cs = master(e, () => messages++);
  const flush = (): void => cs.flush(false);
  establishedRate(e, 10_000, true, 2e6 * scale, flush);
  const before = messages;
  const rate = establishedRate(e, 10_000, true, frames, flush);
  // Half the frames are the client's, and one client packet in 50 syncs its conn.
  row('NAT established, 10k flows: sync master (queue + encode)', rate, {
    'messages per M frames': Math.round(((messages - before) / frames) * 1e6), 'ring drops': cs.stats.ringDrops,
  });
  return rows;
}

/** A master's whole table of `n` established conns swept into messages; a backup taking them (new, then again as updates). */
function resyncAndAbsorb(n: number): Row[] {
  let cap = 1 << 16;
  while (cap < n * 1.25) cap <<= 1;
  const e = benchEngine('nat', cap);
  establish(e, n);
  const msgs: Uint8Array[] = [];
  let bytes = 0;
  const cs = master(e, (b) => {
    msgs.push(b.slice());
    bytes += b.length;
  });
  cs.resync();
  const t0 = process.hrtime.bigint();
  while (cs.sweep(1024));
  const sweep = seconds(t0);
  const sent = cs.stats.synced;

  const b = benchEngine('nat', cap);
  const backup = new ConnSync(b, { role: 'backup', address: BACKUP }, () => {}, new Float64Array(H_FIELDS));
  const absorb = (): number => {
    const t = process.hrtime.bigint();
    for (const m of msgs) backup.receive(m, MASTER, 5000);
    return seconds(t);
  };
  const create = absorb();
  const update = absorb();
  const im = backup.stats.imported;
  const k = (x: number): number => Math.round(x / 1000);
  return [
    { benchmark: `resync: master sweeps ${n / 1000} k established conns into messages`, 'k conns/s': k(sent / sweep), 'k messages/s': k(msgs.length / sweep), 'MB sent': +(bytes / 1e6).toFixed(1), conns: sent },
    { benchmark: `backup absorbs them: ${n / 1000} k new conns`, 'k conns/s': k(n / create), 'k messages/s': k(msgs.length / create), conns: im.created },
    { benchmark: 'backup absorbs them again: updates of conns it has', 'k conns/s': k(n / update), 'k messages/s': k(msgs.length / update), conns: im.updated },
  ];
}
