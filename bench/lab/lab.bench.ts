// End to end in the lab, against the alternatives (STYLE.md habit 12): the same
// LVS-NAT topology (client, router, 3 real servers with the built-in httpd) under
// tsvs, the kernel's NAT (nftables) and HAProxy, one fresh lab each, in the same
// run (LAB-NOTES gotcha 11). Requests/s barely separate directors here, since the
// client and servers fill their core first; the router core's CPU time per
// operation does (LAB-NOTES, method). Root only.
import { cpus } from 'node:os';
import { labUp, run, type Lab } from '../../src/lab/index.js';
import { loadXdp } from '../../src/io/afxdp.js';
import { loadNative } from '../../src/io/native.js';
import type { Row } from '../lib/report.js';
import { onRouterCore, OTHER_CPU, pinLab, pinSelf, ROUTER_CPU } from './cpu.js';
import { DIRECTORS, udpSink, type Director } from './directors.js';
import { BULK_BYTES, runUdp, runWrk, type LoadRun, type Test } from './load.js';
import { formatLosses, readLosses, since, type Losses } from './losses.js';
import { writeMarkdown, type Measured, type TestKey } from './table.js';

/** Every test with offloads off, then the bulk GETs again in a lab with the veths' offloads on (GSO, checksum offload). */
const TESTS: Array<{ key: TestKey; test: Test; offloads: boolean }> = [
  { key: 'new-conn', test: 'new-conn', offloads: false },
  { key: 'keep-alive', test: 'keep-alive', offloads: false },
  { key: 'bulk', test: 'bulk', offloads: false },
  { key: 'udp', test: 'udp', offloads: false },
  { key: 'bulk-on', test: 'bulk', offloads: true },
];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface LabBenchPlan {
  seconds: number;
  repeats: number;
  quick: boolean;
  /** Test keys and directors (by a word of their name) to run: --tests=bulk,bulk-on --directors=kernel,tsvs. */
  tests: TestKey[];
}

async function has(cmd: string): Promise<boolean> {
  return (await run('sh', ['-c', `command -v ${cmd}`])).code === 0;
}

/** Why a director (or the UDP test) cannot run here, or null. */
async function missing(d: Director | 'udp'): Promise<string | null> {
  const native = loadNative();
  if ((d === 'udp' || d.native) && !native.addon) return `the native addon is not built (${native.reason})`;
  const xdp = d !== 'udp' && d.xdp ? loadXdp() : null;
  if (xdp && !xdp.addon) return `AF_XDP cannot be used: ${xdp.reason}`;
  for (const cmd of d === 'udp' ? [] : d.commands) {
    if (!(await has(cmd))) return `${cmd} is not installed (scripts/setup.sh installs it)`;
  }
  return null;
}

/**
 * One measured run: the figures of the test and the router core's busy time
 * meanwhile, less `base` (its share busy with no load); before it, that share again
 * (over 0.5 s), to tell when something else started running there.
 */
async function once(lab: Lab, d: Director, test: Test, seconds: number, base: number): Promise<{ run: LoadRun; busyS: number; util: number; idle: number; losses: Losses }> {
  await d.reset?.(lab);
  await sleep(200); // the last run's closing packets
  const idle = await onRouterCore(() => sleep(500));
  const stats = d.statsFile?.(lab);
  const before = await readLosses(lab, stats);
  const m = await onRouterCore(() => (test === 'udp' ? runUdp(lab, seconds) : runWrk(lab, test, seconds)));
  // tsvs publishes its backend counters at its 1 s tick and writes the stats file each second.
  await sleep(stats ? 2200 : 200);
  const losses = since(before, await readLosses(lab, stats));
  return { run: m.value, busyS: Math.max(0, m.busyS - base * m.elapsedS), util: m.utilisation, idle: idle.utilisation, losses };
}

const median = (xs: number[]): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : NaN;
};

/** A fresh lab (offloads on or off), the director in it, every test of `keys` `repeats` times; medians per figure, losses summed. */
async function benchDirector(d: Director, k: number, p: LabBenchPlan, udpWhy: string | null, offloads: boolean, out: Measured): Promise<void> {
  const keys = TESTS.filter((t) => t.offloads === offloads && p.tests.includes(t.key));
  if (keys.length === 0) return;
  const t0 = Date.now();
  const lab = await labUp({ mode: 'nat', servers: 3, name: `bl${process.pid % 100000}${k}${offloads ? 'g' : ''}`, offloads });
  // Ctrl-C or a kill mid-run: take the lab down before leaving (finally blocks do not run then).
  const abort = (sig: NodeJS.Signals): void => void lab.down().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  process.once('SIGINT', abort).once('SIGTERM', abort);
  try {
    await udpSink(lab);
    await pinLab(lab); // before the director starts: it is the only thing on the router core
    await d.start(lab);
    if (!offloads) out.setupS = (Date.now() - t0) / 1000;
    let background = 0;
    await runWrk(lab, 'keep-alive', p.quick ? 1 : 2); // warm-up (JIT, ARP, caches): not measured
    // What the router core does with no load (timers, interrupts, wake-ups: about 3 % in this VM) is no operation's cost.
    await sleep(300);
    const base = (await onRouterCore(() => sleep(p.quick ? 1000 : 2000))).utilisation;
    if (!offloads) out.baseline = base;
    for (const { key, test } of keys) {
      if (test === 'udp' && (!d.udp || udpWhy)) {
        if (d.udp) out.notes.push(`UDP: ${udpWhy}`);
        continue;
      }
      const runs: Array<Record<string, number>> = [];
      for (let r = 0; r < p.repeats; r++) {
        try {
          const { run: x, busyS, util, idle, losses } = await once(lab, d, test, p.seconds, base);
          background = Math.max(background, idle);
          const sum = (out.losses[key] ??= {});
          for (const [c, v] of Object.entries(losses)) sum[c] = (sum[c] ?? 0) + v;
          process.stderr.write(`  ${key}: ${x.p99 !== undefined ? `p99 ${x.p99} ms, ` : ''}losses: ${formatLosses(losses)}\n`);
          const lat: Record<string, number> = x.p99 !== undefined ? { p50: x.p50!, p90: x.p90!, p99: x.p99 } : {};
          if (x.errors && test !== 'udp') out.notes.push(`${test}: ${x.errors} errors of ${x.ops + x.errors}`);
          const perOp = x.ops > 0 ? (busyS * 1e6) / x.ops : NaN;
          runs.push(
            test === 'bulk'
              ? { rate: (x.bytes * 8) / x.seconds / 1e9, cpu: x.bytes > 0 ? (busyS * 1e6) / (x.bytes / BULK_BYTES) : NaN, util, ...lat }
              : test === 'udp'
                ? { rate: x.ops / x.seconds / 1000, cpu: perOp, util, loss: (100 * (x.sent! - x.ops)) / Math.max(1, x.sent!) }
                : { rate: x.ops / x.seconds, cpu: perOp, util, ...lat },
          );
        } catch (e) {
          out.notes.push(`${test}: ${(e as Error).message.split('\n')[0]}`);
          break;
        }
      }
      if (runs.length) out.figures[key] = Object.fromEntries(Object.keys(runs[0]).map((f) => [f, median(runs.map((x) => x[f]))]));
    }
    if (background > base + 0.05) out.notes.push(`the router core was up to ${Math.round(background * 100)} % busy with no load between runs: something else ran there, so CPU/op is inflated`);
  } finally {
    process.off('SIGINT', abort).off('SIGTERM', abort);
    await lab.down();
  }
}

/** `--name=a,b` from the command line, or null. */
function listArg(name: string): string[] | null {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3).split(',').filter(Boolean) : null;
}

/** tsvs, kernel NAT and HAProxy side by side; rows for bench/lib/report.ts, and bench/results/lab.md. */
export async function runLabBench(opts: { quick?: boolean } = {}): Promise<Row[]> {
  if (process.getuid?.() !== 0) return [{ director: 'all', skipped: 'needs root (network namespaces, AF_PACKET, nftables)' }];
  if (cpus().length < 2) return [{ director: 'all', skipped: 'needs 2 CPUs: the router on one, the load and the real servers on the other' }];
  for (const tool of ['wrk', 'nft', 'taskset', 'ethtool', 'curl']) {
    if (!(await has(tool))) return [{ director: 'all', skipped: `${tool} is not installed (scripts/setup.sh installs it)` }];
  }
  const quick = opts.quick ?? false;
  const tests = (listArg('tests') ?? TESTS.map((t) => t.key)) as TestKey[];
  const bad = tests.filter((t) => !TESTS.some((x) => x.key === t));
  if (bad.length) return [{ director: 'all', skipped: `unknown test ${bad.join(', ')}: --tests= takes ${TESTS.map((t) => t.key).join(', ')}` }];
  const only = listArg('directors');
  const p: LabBenchPlan = { seconds: quick ? 3 : 5, repeats: quick ? 1 : 3, quick, tests };
  const t0 = Date.now();
  const udpWhy = await missing('udp');
  const results: Measured[] = [];
  const unpin = await pinSelf(); // this process and what it starts: the other core
  try {
    for (const [k, d] of DIRECTORS.entries()) {
      if (only && !only.some((w) => d.name.toLowerCase().includes(w.toLowerCase()))) continue;
      const why = await missing(d);
      if (why) {
        results.push({ director: d.name, figures: {}, losses: {}, notes: [`not run: ${why}`] });
        continue;
      }
      process.stderr.write(`lab bench: ${d.name} ...\n`);
      const m: Measured = { director: d.name, figures: {}, notes: [], losses: {} };
      for (const offloads of [false, true]) {
        if (offloads && d.offloadsOff) {
          if (tests.includes('bulk-on')) m.notes.push(`bulk-on not run: ${d.offloadsOff}`);
          continue;
        }
        try {
          await benchDirector(d, k, p, udpWhy, offloads, m);
        } catch (e) {
          m.notes.push(`failed${offloads ? ' (offloads on)' : ''}: ${(e as Error).message.split('\n')[0]}`);
        }
      }
      results.push(m);
    }
  } finally {
    await unpin();
  }
  const totalS = (Date.now() - t0) / 1000;
  const setup = `${p.repeats} x ${p.seconds} s per figure (median), router on CPU ${ROUTER_CPU}, load and real servers on CPU ${OTHER_CPU}, offloads off (bulk again with offloads on), total ${totalS.toFixed(0)} s`;
  return writeMarkdown(results, setup);
}
