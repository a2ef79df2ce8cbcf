// The longest stall of the data plane during a change, end to end (root, in the
// lab: lab.ts, run by lab-child.ts inside the router's namespace). The real
// router with the real worker data plane on the native AF_PACKET backend forwards
// a flood from the generator's namespace (256 UDP flows to the VIP, DR, sent back
// out of the same veth to real servers whose addresses the generator's namespace
// answers ARP for, and announces once at the start: the router asks for at most
// 200 addresses a second, which would take 50 s for 10,000). A sampler thread reads
// the batch count and the frames read and sent that the data plane publishes in
// shared memory. Then the scenarios (scenarios.ts) change the table through the
// control API, a few tens of ms apart. Per change, its window runs from the
// request to 10 ms after the answer; in it: the longest time without a batch, and
// the frames read short of the no-change rate, in ms of it. A stretch of flood
// with no change before them is the noise floor; the flood keeps the ring full
// (every batch full), so a gap is the loop not reading, not a lack of frames. The
// frames per batch of each kind of change say whether that held: on two CPUs the
// generator shares one with the control plane, and a long reload starves it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BATCH_FRAME_BOUNDS, BATCH_MICRO_BOUNDS } from '../../src/engine/published.js';
import { Batch, VERDICT_TX } from '../../src/frames/batch.js';
import { AfPacketPort } from '../../src/io/afpacket.js';
import { buildArp, buildUdp, ipv4Addr } from '../../src/packet/build.js';
import { startGenerator } from '../io/generator.js';
import type { Row } from '../lib/report.js';
import { TimedDataPlane } from './changes.bench.js';
import { busiest, hasProc, pinDataPlane, schedstat, tids, type Pinning } from './threads.js';
import { clockMs, Sampler, windowMaxima, windowStats, type Samples } from './sampler.js';
import { scenarios, startCf } from './scenarios.js';
import { ms, pct, rip, startRouter, VIP, VPORT } from './setup.js';

const sleep = (t: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, t));
/** How long after its answer a change's window stays open (a GC or a late batch it caused). */
const AFTER_MS = 10;

export interface StallLabOptions {
  quick?: boolean;
  schedulers?: string[];
  /** The generator's namespace and device, and the MACs of both ends of the link. */
  genNs: string;
  genDev: string;
  genMac: string;
  /** The router's device facing the generator (its namespace is this process's). */
  dev: string;
  devMac: string;
  /** Pin the data plane's thread to a CPU of its own (threads.ts). */
  pin?: boolean;
}

/**
 * Gratuitous ARP from the generator's side for real servers [0, n): the router
 * learns an address it wants from any ARP that names it as the sender.
 */
export function announce(o: StallLabOptions, n: number): void {
  const port = new AfPacketPort([o.genDev], { netns: o.genNs, blocks: 0, vnetHdr: false });
  try {
    const b = new Batch(256, 256 * 64);
    for (let first = 0; first < n; first += 256) {
      b.reset();
      for (let i = first; i < Math.min(n, first + 256); i++) {
        const ip = ipv4Addr(rip(i));
        b.push(buildArp({ srcMac: o.genMac, dstMac: 'ff:ff:ff:ff:ff:ff', op: 2, senderMac: o.genMac, senderIp: ip, targetMac: o.genMac, targetIp: ip }), 0);
        b.ifOut[b.count - 1] = 0;
        b.verdict[b.count - 1] = VERDICT_TX;
      }
      port.tx(b);
    }
  } finally {
    port.close();
  }
}

/** One frame per flow: 256 clients, one datagram each, all 60 bytes. */
export function flowFrames(o: StallLabOptions): Uint8Array[] {
  return Array.from({ length: 256 }, (_, k) => buildUdp({
    srcMac: o.genMac, dstMac: o.devMac, src: ipv4Addr('198.18.8.1') + k, dst: ipv4Addr(VIP), sport: 4000 + k, dport: VPORT, payload: new Uint8Array(18),
  }));
}

export async function runStallLab(o: StallLabOptions): Promise<Row[]> {
  const n = o.quick ? 500 : 10_000;
  const rows: Row[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-stall-'));
  try {
    for (const sched of o.schedulers ?? ['wlc', 'rr']) {
      const so = { n, quick: o.quick, cf: { scheduler: sched, forward: 'dr' as const, vipDevice: o.dev } };
      let timed: TimedDataPlane | undefined;
      const before = hasProc() ? tids() : [];
      const r = await startRouter({ kind: 'worker', cf: startCf(so), wrap: (dp) => (timed = new TimedDataPlane(dp)) });
      const budgetS = o.quick ? 30 : 150;
      const sampler = new Sampler(r.dp.memory, budgetS);
      const gen = startGenerator(o.genNs, o.genDev, flowFrames(o), budgetS, 2e9, join(dir, `gen-${sched}.json`));
      const windows: Window[] = [];
      let base0 = 0, base1 = 0, mem0: Float64Array[] = [], mem1: Float64Array[] = [], baseWait = NaN;
      let pinning: Pinning | null = null;
      try {
        announce(o, n);
        await sleep(o.quick ? 800 : 1500); // the flows' connections made, their real servers known
        // The data plane's thread: new with this router, and the busiest under the flood.
        const dpTid = hasProc() ? busiest(tids().filter((t) => !before.includes(t))) : 0;
        if (o.pin && dpTid) pinning = pinDataPlane(dpTid);
        const waited = (): number => (dpTid ? schedstat(dpTid).waitNs / 1e6 : NaN);
        await sleep(200);
        const m = r.dp.memory;
        mem0 = [m.batchFrames.slice(), m.batchMicros.slice()];
        const w0 = waited();
        base0 = clockMs();
        await sleep(o.quick ? 500 : 3000);
        base1 = clockMs();
        baseWait = waited() - w0;
        mem1 = [m.batchFrames.slice(), m.batchMicros.slice()];
        for (const s of scenarios(r, so)) {
          for (let k = 0; k < s.count; k++) {
            await sleep(30);
            const w = waited();
            const t0 = clockMs();
            await s.change(k);
            const t1 = clockMs();
            await sleep(AFTER_MS);
            windows.push({ scenario: s.name, t0, t1, applies: timed!.applies.length, waitMs: waited() - w });
          }
        }
        await sleep(100);
      } finally {
        pinning?.undo();
        const samples = await sampler.stop();
        if (gen.child.exitCode === null) gen.child.kill('SIGKILL');
        await r.stop();
        if (base1 > 0) {
          const note = pinning?.note ?? 'not pinned';
          rows.push(...summarize(sched, samples, [base0, base1], baseWait, mem0, mem1, windows, timed!.applies).map((x) => ({ ...x, cpus: note })));
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

interface Window {
  scenario: string;
  /** The request sent, and its answer (clockMs). */
  t0: number;
  t1: number;
  /** The data plane round trips (TimedDataPlane.applies) made up to its end. */
  applies: number;
  /** Time the data plane's thread waited for a CPU during the window (schedstat), ms. */
  waitMs: number;
}

/** The baseline row, then one row per scenario. */
function summarize(sched: string, s: Samples, [b0, b1]: [number, number], baseWait: number, mem0: Float64Array[], mem1: Float64Array[], windows: Window[], applies: number[]): Row[] {
  const base = windowStats(s, b0, b1);
  const perMs = base.read / (b1 - b0);
  const delta = (i: number, bounds: readonly number[]): number => {
    const d = mem1[i].map((v, j) => v - mem0[i][j]);
    return +(d[bounds.length + 2] / Math.max(1, d[bounds.length + 1])).toFixed(1);
  };
  const rows: Row[] = [{
    sched, change: `none: ${((b1 - b0) / 1000).toFixed(1)} s of flood with no change`, changes: 0,
    'gap p50 ms': '', 'gap max ms': ms(base.proven), 'gap max, bounded': ms(base.bounded),
    'read k/s': Math.round(perMs), 'fwd k/s': Math.round(base.sent / (b1 - b0)), 'frames/batch': delta(0, BATCH_FRAME_BOUNDS), 'µs/batch': delta(1, BATCH_MICRO_BOUNDS),
    'dp waited for CPU ms': ms(baseWait), 'sampler max ms': ms(base.samplerMax),
  }];
  let prevApplies = 0;
  for (const name of [...new Set(windows.map((w) => w.scenario))]) {
    const ws = windows.filter((w) => w.scenario === name);
    const st = ws.map((w) => windowStats(s, w.t0, w.t1 + AFTER_MS));
    const len = ws.map((w) => w.t1 + AFTER_MS - w.t0).sort((a, b) => a - b);
    const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
    const gap = sorted(st.map((x) => x.proven));
    const lost = sorted(st.map((x, i) => (perMs * (ws[i].t1 + AFTER_MS - ws[i].t0) - x.read) / perMs));
    const api = sorted(ws.map((w) => w.t1 - w.t0));
    const noChange = sorted(windowMaxima(s, b0, b1, pct(len, 50)));
    const last = ws[ws.length - 1].applies;
    const dp = sorted(applies.slice(prevApplies, last));
    prevApplies = last;
    rows.push({
      sched, change: name, changes: ws.length, 'API p50 ms': ms(pct(api, 50)), 'API max ms': ms(api[api.length - 1]),
      'dp round trip p50 ms': ms(pct(dp, 50)),
      'gap p50 ms': ms(pct(gap, 50)), 'gap max ms': ms(gap[gap.length - 1]), 'gap max, bounded': ms(Math.max(...st.map((x) => x.bounded))),
      'no change, same length: gap p50 / max ms': `${ms(pct(noChange, 50))} / ${ms(noChange[noChange.length - 1])}`,
      'read lost p50 / max ms': `${ms(pct(lost, 50))} / ${ms(lost[lost.length - 1])}`,
      // Full batches: the ring had frames waiting all along, so reading less was the loop's doing, not a lack of frames.
      'frames/batch': +pct(sorted(st.map((x) => x.read / Math.max(1, x.batches))), 50).toFixed(1),
      'dp waited for CPU ms': `${ms(pct(sorted(ws.map((w) => w.waitMs)), 50))} / ${ms(Math.max(...ws.map((w) => w.waitMs)))}`,
      'sampler max ms': ms(Math.max(...st.map((x) => x.samplerMax))),
    });
  }
  return rows;
}
