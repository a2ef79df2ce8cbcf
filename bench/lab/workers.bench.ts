// tsvs start --workers N, swept (1 and 2 here): 64-byte UDP frames from 128 client
// addresses through the NAT lab's router to the real servers (the lab's UDP
// generator, bench/io/generator.ts, pinned to the last CPU). Per run: the rate that
// reached the servers, the router process's own CPU per packet (every thread's
// run time from /proc/<pid>/task/*/schedstat, clocked at each switch, not sampled),
// the machine's CPU per packet less the generator's (both cores' busy time from
// /proc/stat, less the generator's own run time: the router's threads plus the
// kernel's receive and send work), and each worker's share of the frames (the
// stats file). Root only. Printed, not asserted.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { labUp, type Lab, type LabProcess } from '../../src/lab/index.js';
import { loadNative } from '../../src/io/native.js';
import { buildUdp, ipv4Addr } from '../../src/packet/build.js';
import type { StatsSnapshot } from '../../src/router/stats.js';
import type { Row } from '../lib/report.js';
import { startGenerator } from '../io/generator.js';
import { coreIdle } from './cpu.js';
import { tsvsConfig, udpSink, UDP_PORT, waitServing } from './directors.js';

const MAIN = join(process.cwd(), 'dist/src/cli/main.js');
const SOURCES = 128;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Seconds every thread of `pid` has run (schedstat's first field, ns). */
function threadSeconds(pid: number): number {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that ended meanwhile
    }
  }
  return ns / 1e9;
}

const allIdle = (): number => cpus().reduce((a, _, k) => a + coreIdle(k), 0);

async function serversRx(lab: Lab): Promise<number> {
  let sum = 0;
  for (const rs of lab.serverNames) sum += Number((await lab.exec(rs, ['cat', '/sys/class/net/eth0/statistics/rx_packets'], { check: true })).stdout.trim());
  return sum;
}

interface Run { kpps: number; routerUs: number; systemUs: number; loss: number; ringDrops: number; shares: number[] }

async function once(lab: Lab, router: LabProcess, statsPath: string, frames: Uint8Array[], seconds: number): Promise<Run> {
  const before = await serversRx(lab);
  const s0 = JSON.parse(readFileSync(statsPath, 'utf8')) as StatsSnapshot;
  const w0 = s0.workers?.map((w) => w.rxFrames) ?? [];
  const r0 = threadSeconds(router.pid);
  const i0 = allIdle();
  const t0 = performance.now();
  const gen = startGenerator(lab.ns('client'), 'eth0', frames, seconds, Math.round(seconds * 3e6), join(lab.stateDir, 'udp-gen.json'));
  let g = 0;
  try {
    const deadline = Date.now() + (seconds + 10) * 1000;
    let res = gen.result();
    while (!res) {
      if (Date.now() > deadline) throw new Error('the UDP generator did not finish');
      try {
        if (gen.child.pid) g = threadSeconds(gen.child.pid);
      } catch {
        // it just ended
      }
      await sleep(50);
      res = gen.result();
    }
    await sleep(300); // the last frames still crossing the router
    const elapsed = (performance.now() - t0) / 1000;
    const busy = elapsed * cpus().length - (allIdle() - i0);
    const routerS = threadSeconds(router.pid) - r0;
    const got = (await serversRx(lab)) - before;
    await sleep(1100); // the stats file is written every second
    const s1 = JSON.parse(readFileSync(statsPath, 'utf8')) as StatsSnapshot;
    const w1 = s1.workers?.map((w) => w.rxFrames) ?? [];
    const ringDrops = (s1.counters.backend_ring_drops ?? 0) - (s0.counters.backend_ring_drops ?? 0);
    const delta = w1.map((v, k) => v - (w0[k] ?? 0));
    const sum = delta.reduce((a, b) => a + b, 0);
    return {
      kpps: got / res.seconds / 1000, routerUs: (routerS * 1e6) / got, systemUs: ((busy - g) * 1e6) / got,
      loss: (100 * (res.sent - got)) / Math.max(1, res.sent), ringDrops: (100 * ringDrops) / Math.max(1, res.sent), shares: delta.map((d) => (sum ? Math.round((100 * d) / sum) : 0)),
    };
  } finally {
    if (gen.child.exitCode === null) gen.child.kill('SIGKILL');
  }
}

async function sweepOne(n: number, k: number, seconds: number, repeats: number): Promise<Row> {
  const lab = await labUp({ mode: 'nat', servers: 3, name: `bw${process.pid % 100000}${k}`, offloads: false });
  const abort = (sig: NodeJS.Signals): void => void lab.down().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  process.once('SIGINT', abort).once('SIGTERM', abort);
  try {
    await udpSink(lab);
    writeFileSync(lab.configPath, tsvsConfig(readFileSync(lab.configPath, 'utf8'), lab));
    const statsPath = join(lab.stateDir, 'stats.json');
    const router = lab.spawn('router', [process.execPath, MAIN, 'start', '-c', lab.configPath, '--backend', 'native', '--log-level', 'warn',
      '--workers', String(n), '--no-health-checks', '--stats-file', statsPath, '--control-socket', join(lab.stateDir, 'tsvs.sock')], { label: 'tsvs' });
    await waitServing(lab, () => router.alive(), () => router.log());
    for (let k = 0; k < 50 && !existsSync(statsPath); k++) await sleep(100);
    const mac = async (role: string): Promise<string> => (await lab.exec(role, ['cat', '/sys/class/net/eth0/address'], { check: true })).stdout.trim();
    const [src, dst] = [await mac('client'), await mac('router')];
    const frames = Array.from({ length: SOURCES }, (_, i) => buildUdp({
      srcMac: src, dstMac: dst, src: (ipv4Addr('198.18.2.0') + i) >>> 0, dst: ipv4Addr(lab.vip), sport: 4000, dport: UDP_PORT, payload: new Uint8Array(18),
    }));
    await once(lab, router, statsPath, frames, 1); // warm-up: JIT, ARP, the servers' MACs
    const runs: Run[] = [];
    for (let r = 0; r < repeats; r++) runs.push(await once(lab, router, statsPath, frames, seconds));
    const pick = (f: (x: Run) => number): number => median(runs.map(f));
    return {
      workers: n,
      'rate (kpps)': Math.round(pick((x) => x.kpps)),
      'router threads (us/pkt)': Number(pick((x) => x.routerUs).toFixed(3)),
      'all CPUs less generator (us/pkt)': Number(pick((x) => x.systemUs).toFixed(3)),
      'loss (%)': Number(pick((x) => x.loss).toFixed(1)),
      'of which ring drops (%)': Number(pick((x) => x.ringDrops).toFixed(1)),
      'per-worker share (%)': runs.at(-1)!.shares.join(' / '),
    };
  } finally {
    process.off('SIGINT', abort).off('SIGTERM', abort);
    await lab.down();
  }
}

/** Rows for bench/lib/report.ts: one per worker count. */
export async function runWorkersBench(opts: { quick?: boolean; workers?: number[] } = {}): Promise<Row[]> {
  if (process.getuid?.() !== 0) return [{ workers: 'all', skipped: 'needs root (network namespaces, AF_PACKET)' }];
  const native = loadNative();
  if (!native.addon) return [{ workers: 'all', skipped: `the native addon is not built (${native.reason})` }];
  const counts = (opts.workers ?? [1, 2]).filter((n) => n <= cpus().length);
  const seconds = opts.quick ? 2 : 5;
  const repeats = opts.quick ? 1 : 3;
  const rows: Row[] = [];
  for (const [k, n] of counts.entries()) {
    process.stderr.write(`workers bench: --workers ${n} ...\n`);
    try {
      rows.push(await sweepOne(n, k, seconds, repeats));
    } catch (e) {
      rows.push({ workers: n, failed: (e as Error).message.split('\n')[0] });
    }
  }
  return rows;
}
