// Does checking 10,000 servers slow the data plane down? In the router's
// namespace (child.ts), the real router with the real worker data plane forwards
// bench/control's flood (stall.bench.ts: 256 UDP flows to a DR service, from the
// generator's namespace), and its sampler thread reads the frames the data plane
// sends; meanwhile this process, the router's, runs the HealthMonitor in its main
// thread (where the router runs its own), checking the responders through the
// router namespace's kernel stack. Three windows in a row: monitor off, on (after
// its warm-up), off again; the forwarding rate with it on is compared with the
// mean of the two off, which brackets any drift of the machine's other load.
// Twice, as the stall bench does: unpinned, then with the data plane's thread on
// a CPU of its own and everything else (the router's other threads, the
// generator, the responders) on the other: 2 CPUs here, so unpinned the monitor,
// the responders and the kernel's work for their connections compete with the
// data plane for CPU time, while pinned only what they share in the process can.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGenerator } from '../io/generator.js';
import type { Row } from '../lib/report.js';
import { clockMs, Sampler, windowStats, type Samples } from '../control/sampler.js';
import { lvsCf, ms, startRouter } from '../control/setup.js';
import { announce, flowFrames, type StallLabOptions } from '../control/stall.bench.js';
import { busiest, hasProc, pinDataPlane, schedstat, tids, type Pinning } from '../control/threads.js';
import { responderAddresses, type CheckKind } from './checks.js';
import { MonitorUnderTest, type Steady } from './monitor-run.js';
import { two } from './variant.js';

const sleep = (t: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, t));

export interface DataPlaneArgs {
  quick: boolean;
  /** How many responders the monitor checks (checks.ts's responderAddress). */
  servers: number;
  kind: CheckKind;
  responders: { ns: string; pid: number };
  genNs: string;
  genMac: string;
  devMac: string;
}

interface Window {
  name: string;
  t0: number;
  t1: number;
  dpWaitMs: number;
  /** The data plane thread's CPU time in the window (ms). */
  dpRunMs: number;
  mainPct: number;
  mainWaitPct: number;
  steady: Steady | null;
}

/** All threads of process `pid` onto `cpuList` (taskset -a). */
function pinProcess(pid: number, cpuList: string): boolean {
  return spawnSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' }).status === 0;
}

export async function runDataPlaneLab(a: DataPlaneArgs): Promise<Row[]> {
  const rows: Row[] = [];
  for (const pin of [false, true]) rows.push(...(await once(a, pin)));
  return rows;
}

async function once(a: DataPlaneArgs, pin: boolean): Promise<Row[]> {
  const stall: StallLabOptions = { quick: a.quick, genNs: a.genNs, genDev: 'g0', genMac: a.genMac, dev: 'mg', devMac: a.devMac };
  const n = a.servers; // the data plane's DR service has as many real servers as the monitor checks
  const winMs = a.quick ? 3000 : 10_000;
  const warmMs = a.quick ? 2500 : 4000;
  const budgetS = Math.ceil((1700 + 3 * winMs + warmMs + 1000) / 1000) + 5;
  const before = hasProc() ? tids() : [];
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-health-dp-'));
  const windows: Window[] = [];
  let note = 'not pinned';
  let samples: Samples;
  try {
    const r = await startRouter({ kind: 'worker', cf: lvsCf({ scheduler: 'wlc', forward: 'dr', vipDevice: 'mg', count: n }) });
    const sampler = new Sampler(r.dp.memory, budgetS);
    const gen = startGenerator(a.genNs, 'g0', flowFrames(stall), budgetS, 2e9, join(dir, 'gen.json'));
    const mut = new MonitorUnderTest({ addresses: responderAddresses(n), kind: a.kind, responders: a.responders });
    let pinning: Pinning | null = null;
    let started = false;
    try {
      announce(stall, n);
      await sleep(1500); // the flows' connections made, their real servers known
      const dpTid = hasProc() ? busiest(tids().filter((t) => !before.includes(t))) : 0;
      if (pin && dpTid) {
        pinning = pinDataPlane(dpTid);
        const rest = String(cpus().length - 1);
        note = pinning.note + (cpus().length > 1 && pinProcess(a.responders.pid, rest) ? `, the responders on ${rest}` : '');
      }
      await sleep(200);
      const window = async (name: string, during: () => Promise<Steady | null>): Promise<void> => {
        const dp0 = dpTid ? schedstat(dpTid) : { runNs: NaN, waitNs: NaN };
        const m0 = schedstat(process.pid);
        const t0 = clockMs();
        const steady = await during();
        const t1 = clockMs();
        const dp1 = dpTid ? schedstat(dpTid) : { runNs: NaN, waitNs: NaN };
        const m1 = schedstat(process.pid);
        const pctOf = (ns: number): number => (ns / 1e6 / (t1 - t0)) * 100;
        windows.push({
          name, t0, t1, dpWaitMs: (dp1.waitNs - dp0.waitNs) / 1e6, dpRunMs: (dp1.runNs - dp0.runNs) / 1e6,
          mainPct: pctOf(m1.runNs - m0.runNs), mainWaitPct: pctOf(m1.waitNs - m0.waitNs), steady,
        });
      };
      await window('monitor off', () => sleep(winMs).then(() => null));
      mut.start();
      started = true;
      await sleep(warmMs);
      await window(`monitor on: ${n} ${a.kind} checks every 2 s`, () => mut.steady(winMs));
      await mut.stop();
      started = false;
      await sleep(1000);
      await window('monitor off again', () => sleep(winMs).then(() => null));
    } finally {
      if (started) await mut.stop();
      pinning?.undo();
      if (pinning) pinProcess(a.responders.pid, `0-${cpus().length - 1}`);
      samples = await sampler.stop();
      if (gen.child.exitCode === null) gen.child.kill('SIGKILL');
      await r.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return summarize(samples, windows, note);
}

/**
 * One row per window; `fwd / mean off`: its forwarding rate over the mean of the
 * two windows without the monitor. While the flood keeps every batch full (256
 * frames), the data plane forwards as fast as the CPU time it gets allows, so
 * three figures tell the causes apart: its CPU share falls when others take its
 * CPU (`dp waited for CPU` rises with it); fewer frames per batch mean the
 * generator, which shares a CPU with the monitor and the responders when pinned,
 * fell behind and the ring ran dry (the lab's doing, not the router's); fewer
 * frames per ms of its CPU would mean the data plane itself was slowed.
 */
function summarize(s: Samples, ws: Window[], note: string): Row[] {
  const st = ws.map((w) => windowStats(s, w.t0, w.t1));
  const fwd = st.map((x, i) => x.sent / (ws[i].t1 - ws[i].t0)); // frames per ms: k/s
  const off = (fwd[0] + fwd[2]) / 2;
  return ws.map((w, i) => {
    const x = st[i];
    const row: Row = {
      cpus: note, window: w.name, 'fwd k/s': Math.round(fwd[i]), 'fwd / mean off': +(fwd[i] / off).toFixed(3),
      'read k/s': Math.round(x.read / (w.t1 - w.t0)), 'frames/batch': +(x.read / Math.max(1, x.batches)).toFixed(1),
      'gap max ms': ms(x.proven), 'dp CPU %': +((100 * w.dpRunMs) / (w.t1 - w.t0)).toFixed(1), 'dp waited for CPU ms': ms(w.dpWaitMs),
      'fwd per dp CPU ms': Math.round(x.sent / w.dpRunMs), 'router main thread CPU %': +w.mainPct.toFixed(1),
      'main waited for CPU %': +w.mainWaitPct.toFixed(1),
    };
    const m = w.steady;
    if (m) {
      Object.assign(row, {
        'rounds/s': Math.round(m.rounds / m.seconds), 'failed rounds': m.roundsFailed,
        'attempt ms p50/p99': two(m.attempt), 'late ms p50/p99': two(m.late),
        'loop delay ms p99/max': `${m.loopDelay.p99} / ${m.loopDelay.max}`, 'responders CPU %': m.respondersPct,
      });
    }
    return row;
  });
}
