// Issue 15 item 10 in a namespace lab (root): 1,000 virtual services with 10,000
// NAT real servers (big-config.ts), the router started on it with `tsvs start`,
// then reloaded by SIGHUP while a client pings the VIP every millisecond (the
// engine answers echo itself, so a gap between replies is a pause of the data
// plane) and fetches through it over HTTP. Printed: `tsvs check` time, start-up
// (spawn to "router started", and to the first request served), each reload
// (SIGHUP to "reloaded lvs.cf"), the longest gap between echo replies, echo
// replies lost, and HTTP requests ok/failed during the reloads; and, from the
// router's own histograms (GET /v1/dataplane before and after each reload: what
// the data plane's thread published), every step the reload took between two
// batches and every GC pause of that thread, so a gap between echo replies can be
// told apart: tsvs's own pause, or the VM's scheduler. Nothing asserted here;
// test/e2e/reliability.test.ts asserts that traffic is served after a reload.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labUp, type Lab, type LabProcess } from '../../src/lab/index.js';
import { ControlClient } from '../../src/control/client.js';
import type { Histogram } from '../../src/control/types.js';
import type { Row } from '../lib/report.js';
import { BIG_SERVER_NET, bigLvsCf, type BigConfigOptions } from './big-config.js';

const MAIN = join(process.cwd(), 'dist/src/cli/main.js');
const LOADGEN = join(process.cwd(), 'dist/src/lab/loadgen.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until the log has `text` after `from` characters; resolves with the ms waited, or throws after `limitMs`. */
export async function waitLog(p: LabProcess, text: string, from: number, limitMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    if (p.log().slice(from).includes(text)) return performance.now() - t0;
    if (!p.alive()) throw new Error(`router exited: ${p.log().slice(-1500)}`);
    await sleep(5);
  }
  throw new Error(`no "${text}" within ${limitMs} ms: ${p.log().slice(-1500)}`);
}

/**
 * The longest gap (ms) between consecutive echo replies in `ping -D` output: the
 * longest of those that end within `windowMs` after one of `marks` (epoch ms, the
 * SIGHUPs), and the longest of the others (the machine's own noise), and the
 * replies counted.
 */
export function pingGaps(out: string, marks: number[], windowMs: number): { reloadGapMs: number; otherGapMs: number; replies: number } {
  const times = [...out.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from/gm)].map((m) => Number(m[1]) * 1000);
  let reload = 0, other = 0;
  for (let k = 1; k < times.length; k++) {
    const gap = times[k] - times[k - 1];
    const near = marks.some((t) => times[k] >= t && times[k - 1] <= t + windowMs);
    if (near) reload = Math.max(reload, gap);
    else other = Math.max(other, gap);
  }
  return { reloadGapMs: reload, otherGapMs: other, replies: times.length };
}

/** Lab with one real-server namespace answering for every address of the big config. */
export async function bigLab(name: string): Promise<Lab> {
  const lab = await labUp({ mode: 'nat', servers: 1, name });
  try {
    await lab.exec('rs1', ['ip', 'route', 'add', 'local', BIG_SERVER_NET, 'dev', 'lo'], { check: true });
    return lab;
  } catch (e) {
    await lab.down();
    throw e;
  }
}

export function startRouter(lab: Lab, extraArgs: string[] = []): LabProcess {
  return lab.spawn('router', [process.execPath, MAIN, 'start', '-c', lab.configPath, '--no-health-checks', '--control-socket', join(lab.stateDir, 'tsvs.sock'), ...extraArgs], { label: 'router' });
}

/** Waits until a request to the VIP's first port is served (at most limitMs); resolves with the ms waited. */
export async function untilServed(lab: Lab, limitMs: number, port = 80): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    const r = await lab.exec('client', ['curl', '-s', '-m', '0.5', `http://${lab.vip}:${port}/`]);
    if (r.code === 0 && r.stdout.startsWith('rs')) return performance.now() - t0;
    await sleep(20);
  }
  throw new Error(`not served within ${limitMs} ms`);
}

/** What a histogram gained between two reads: count, the longest bucket that gained (its bound, ms), and how many past 1 ms. */
export function histDelta(a: Histogram | undefined, b: Histogram | undefined): { count: number; maxMs: number; over1ms: number; sumMs: number } {
  if (!a || !b) return { count: NaN, maxMs: NaN, over1ms: NaN, sumMs: NaN };
  const d = b.counts.map((c, i) => c - a.counts[i]);
  const count = b.count - a.count;
  // Cumulative counts: a bucket gained if its count rose more than the one below it.
  let maxMs = count > d[d.length - 1] ? Infinity : 0;
  for (let i = d.length - 1; i >= 0 && maxMs === 0; i--) if (d[i] > (i > 0 ? d[i - 1] : 0)) maxMs = b.le[i] / 1000;
  const at1 = b.le.indexOf(1000);
  return { count, maxMs, over1ms: count - (at1 >= 0 ? d[at1] : 0), sumMs: (b.sum - a.sum) / 1000 };
}

const upTo = (ms: number): string => (ms === Infinity ? 'over the last bound' : `<= ${ms} ms`);

export async function runBigConfigBench(o: { quick: boolean }): Promise<Row[]> {
  if (process.getuid?.() !== 0) return [{ step: 'skipped: needs root (network namespaces, AF_PACKET)', services: 0, servers: 0, ms: 0 }];
  const services = o.quick ? 100 : 1000;
  const cfg: BigConfigOptions = { services, perService: 10, vip: '198.18.0.10', natRouter: '198.19.0.1' };
  const reloads = o.quick ? 2 : 3;
  const lab = await bigLab(`big${process.pid % 10000}`);
  try {
    writeFileSync(lab.configPath, bigLvsCf(cfg));
    const c0 = performance.now();
    execFileSync(process.execPath, [MAIN, 'check', '-c', lab.configPath], { stdio: 'ignore' });
    const checkMs = performance.now() - c0;
    const router = startRouter(lab);
    const startMs = await waitLog(router, 'router started', 0, 300_000);
    const serveMs = startMs + (await untilServed(lab, 60_000));
    // The client: echo every ms and HTTP on new connections, for the reloads' duration.
    const secs = 4 + reloads * 4;
    const pingOut = lab.exec('client', ['sh', '-c', `ping -D -n -i 0.001 -c ${secs * 1000} -w ${secs + 2} ${lab.vip}`], { timeoutMs: (secs + 10) * 1000 });
    const load = lab.exec('client', [process.execPath, LOADGEN, '--url', `http://${lab.vip}/`, '--concurrency', '2', '--duration', String(secs)], { timeoutMs: (secs + 10) * 1000 });
    await sleep(2000);
    const client = new ControlClient(join(lab.stateDir, 'tsvs.sock'));
    const reloadMs: number[] = [];
    const marks: number[] = [];
    const steps: Array<ReturnType<typeof histDelta>> = [];
    const gcs: Array<ReturnType<typeof histDelta>> = [];
    for (let k = 1; k <= reloads; k++) {
      // Each reload changes every service (one more server each: 1,000 adds) or takes them out again.
      const extra = k % 2 ? { ...cfg, perService: cfg.perService + 1 } : cfg;
      writeFileSync(lab.configPath, bigLvsCf(extra));
      const from = router.log().length;
      const before = await client.dataplane();
      marks.push(Date.now());
      process.kill(router.pid, 'SIGHUP');
      reloadMs.push(await waitLog(router, 'reloaded lvs.cf', from, 300_000));
      await sleep(2500);
      const after = await client.dataplane();
      steps.push(histDelta(before.stepMicros, after.stepMicros));
      gcs.push(histDelta(before.gcMicros, after.gcMicros));
    }
    const [p, l] = await Promise.all([pingOut, load]);
    const gaps = pingGaps(p.stdout, marks, Math.max(...reloadMs) + 500);
    const last = JSON.parse(l.stdout.trim().split('\n').at(-1)!) as { ok: number; errors: number };
    await router.stop(5000);
    const fenceLeft = (await lab.exec('router', ['nft', 'list', 'table', 'netdev', 'tsvs'])).code === 0;
    const servers = services * cfg.perService;
    return [
      { step: 'tsvs check', services, servers, ms: Math.round(checkMs) },
      { step: 'tsvs start: spawn to "router started"', services, servers, ms: Math.round(startMs) },
      { step: 'tsvs start: spawn to first request served', services, servers, ms: Math.round(serveMs) },
      ...reloadMs.map((ms, k) => ({ step: `SIGHUP ${k + 1} (${k % 2 ? 'remove' : 'add'} one server per service): to "reloaded lvs.cf"`, services, servers, ms: Math.round(ms) })),
      { step: 'longest gap between echo replies (1 ms apart) during a reload', services, servers, ms: Math.round(gaps.reloadGapMs * 10) / 10 },
      { step: `longest gap between echo replies at other times (${secs} s in all)`, services, servers, ms: Math.round(gaps.otherGapMs * 10) / 10 },
      ...steps.map((h, k) => ({ step: `SIGHUP ${k + 1}: the data plane's steps between batches: ${h.count}, ${h.sumMs.toFixed(1)} ms in all, longest ${upTo(h.maxMs)}, over 1 ms: ${h.over1ms}`, services, servers, ms: h.maxMs })),
      ...gcs.map((h, k) => ({ step: `SIGHUP ${k + 1} and 2.5 s after: GC pauses of the data plane's thread: ${h.count}, longest ${upTo(h.maxMs)}, over 1 ms: ${h.over1ms}`, services, servers, ms: h.maxMs })),
      { step: `echo replies: ${gaps.replies} of ${secs * 1000}; HTTP requests meanwhile: ${last.ok} ok, ${last.errors} failed`, services, servers, ms: 0 },
      { step: `fence left after SIGTERM: ${fenceLeft ? 'yes' : 'no'}`, services, servers, ms: 0 },
    ];
  } finally {
    await lab.down();
  }
}
