// The lower-level measure of the data plane's stall during a change, in one
// process: the real router with the data plane inline (InlineDataPlane, a memory
// port), a batch of frames through it before and after each change, and the
// longest step the data plane takes in one go for it, as the host reports them
// (DataPlaneHost.onStep): a big delta arrives in slices (model/diff.ts
// sliceDelta), staged in steps of about STEP_MS between batches (stageLater),
// then its staged services' next lists and scheduler state are prepared in
// steps, then the switch (applyLater), timed apart; the data plane's loop does
// nothing else during a step. In the router each piece
// crosses to the worker by postMessage first: `clone` is structuredClone of the
// largest piece, both halves of that copy, of which the worker's thread pays the
// deserializing one. The same changes as the lab's stall bench (scenarios.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { buildUdp } from '../../src/packet/build.js';
import { bigLvsCf } from '../reliability/big-config.js';
import { parseIPv4 } from '../../src/model/index.js';
import { InlineDataPlane, type DataPlane } from '../../src/router/dataplane.js';
import { sliceDelta, type TableDelta } from '../../src/model/diff.js';
import type { Row } from '../lib/report.js';
import { scenarios, startCf } from './scenarios.js';
import { ms, NAT_ROUTER, pct, startRouter, VIP, VPORT, type MemoryLivePort } from './setup.js';

const FRAMES = 256;

/** InlineDataPlane with apply() timed: its host tells each step it takes (DataPlaneHost.onStep). */
class TimedInline implements DataPlane {
  readonly apply_: number[] = [];
  /** The longest step the thread certainly ran through without waiting for a CPU (schedstat). */
  readonly unwaited: number[] = [];
  readonly switch_: number[] = [];
  readonly clone: number[] = [];
  readonly size: number[] = [];
  constructor(readonly inner: InlineDataPlane) {}
  get memory() {
    return this.inner.memory;
  }
  start: DataPlane['start'] = (d) => this.inner.start(d);
  /** InlineDataPlane.apply, each step timed, and the copy each piece would take to reach the worker. */
  async apply(delta: TableDelta) {
    const host = this.inner.host;
    const { stages, final } = sliceDelta(delta);
    let clone = 0;
    for (const piece of [...stages, final]) {
      const t0 = performance.now();
      structuredClone(piece);
      clone = Math.max(clone, performance.now() - t0);
    }
    let step = 0;
    let sw = 0;
    let clean = 0;
    let waited = waitedMs();
    host.onStep = (what, ms) => {
      step = Math.max(step, ms);
      if (what === 'switch') sw = Math.max(sw, ms); // a switch in parts: its longest part
      // The wait since the last step's end covers this step (and the turn before it): none, so no preemption inside.
      const w = waitedMs();
      if (w - waited < 0.02) clean = Math.max(clean, ms);
      waited = w;
    };
    try {
      const layouts = await this.inner.apply(delta);
      this.clone.push(clone);
      this.apply_.push(step);
      this.unwaited.push(clean);
      this.switch_.push(sw);
      this.size.push(delta.services.reduce((a, s) => a + s.upsert.length + s.remove.length / 2, 0) + delta.removed.length);
      return layouts;
    } finally {
      host.onStep = null;
    }
  }
  conns: DataPlane['conns'] = (o, l) => this.inner.conns(o, l);
  setSync: DataPlane['setSync'] = (s) => this.inner.setSync(s);
  resync: DataPlane['resync'] = () => this.inner.resync();
  announce(): void {
    this.inner.announce();
  }
  stop: DataPlane['stop'] = () => this.inner.stop();
  onFailure(): void {}
}

/** FRAMES client -> VIP datagrams of distinct flows, into the port, then one wake-up (what the port's readable event does). */
function batch(port: MemoryLivePort, round: number): void {
  const client = parseIPv4('198.18.128.0')!;
  for (let k = 0; k < FRAMES; k++) {
    port.inject(0, buildUdp({
      srcMac: '02:00:00:00:00:fe', dstMac: '02:00:00:00:00:01', src: client + ((round * FRAMES + k) % 30000), dst: parseIPv4(VIP)!,
      sport: 1024 + k, dport: VPORT, payload: new Uint8Array(18),
    }));
  }
  port.wake();
}

/** Milliseconds this thread has waited for a CPU so far (Linux schedstat); NaN elsewhere. */
function waitedMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return NaN;
  }
}

/** One table's rows: each kind of change, its longest steps. */
function rowOf(t: TimedInline, from: number, sched: string, change: string, api: number[]): Row {
  const sorted = (xs: number[]): number[] => [...xs].sort((x, y) => x - y);
  const a = sorted(t.apply_.slice(from));
  const u = sorted(t.unwaited.slice(from));
  const sw = sorted(t.switch_.slice(from));
  const c = sorted(t.clone.slice(from));
  const sz = sorted(t.size.slice(from));
  return {
    sched, change, changes: a.length, 'servers in delta (p50)': pct(sz, 50),
    'longest step p50 ms': ms(pct(a, 50)), 'longest step max ms': ms(a[a.length - 1]),
    'longest unpreempted step max ms': ms(u[u.length - 1]),
    'switch p50 ms': ms(pct(sw, 50)), 'switch max ms': ms(sw[sw.length - 1]),
    'clone p50 ms': ms(pct(c, 50)), 'clone max ms': ms(c[c.length - 1]),
    'API p50 ms': ms(pct(sorted(api), 50)),
  };
}

export async function runApplyBench(o: { quick?: boolean; schedulers?: string[] } = {}): Promise<Row[]> {
  const n = o.quick ? 500 : 10_000;
  const rows: Row[] = [];
  for (const sched of o.schedulers ?? ['wlc', 'rr']) {
    const so = { n, quick: o.quick, cf: { scheduler: sched, forward: 'dr' as const, vipDevice: 'eth0' } };
    let timed: TimedInline | undefined;
    const r = await startRouter({ kind: 'inline', cf: startCf(so), wrap: (dp) => (timed = new TimedInline(dp as InlineDataPlane)) });
    try {
      const t = timed!;
      let round = 0;
      for (const s of scenarios(r, so)) {
        const from = t.apply_.length;
        const api: number[] = [];
        for (let k = 0; k < s.count; k++) {
          batch(r.port!, round++);
          const t0 = performance.now();
          await s.change(k);
          api.push(performance.now() - t0);
          batch(r.port!, round++);
        }
        rows.push(rowOf(t, from, sched, s.name, api));
      }
      const rx = r.dp.memory.totals[0];
      if (rx !== round * FRAMES) throw new Error(`bench set-up wrong: the data plane read ${rx} of ${round * FRAMES} frames`);
    } finally {
      await r.stop();
    }
  }
  rows.push(...(await runBigApply(o)));
  return rows;
}

/**
 * Issue 15 item 10's config (1,000 services x 10 NAT servers, big-config.ts) in
 * the same set-up: reloads that add one server to every service, then take
 * them out again (as `npm run bench -- big` does by SIGHUP in the lab).
 */
export async function runBigApply(o: { quick?: boolean }): Promise<Row[]> {
  const cfg = { services: o.quick ? 100 : 1000, perService: 10, vip: VIP, natRouter: NAT_ROUTER };
  const cf = (per: number): string => bigLvsCf({ ...cfg, perService: per });
  let timed: TimedInline | undefined;
  const r = await startRouter({ kind: 'inline', cf: cf(10), wrap: (dp) => (timed = new TimedInline(dp as InlineDataPlane)) });
  try {
    const from = timed!.apply_.length;
    const api: number[] = [];
    for (let k = 0; k < (o.quick ? 2 : 6); k++) {
      writeFileSync(r.cfg, cf(k % 2 === 0 ? 11 : 10));
      const t0 = performance.now();
      const v = await r.client.reload();
      api.push(performance.now() - t0);
      if (!v.ok) throw new Error(`reload failed: ${v.errors.join('; ')}`);
    }
    return [rowOf(timed!, from, 'rr', `reload lvs.cf, ${cfg.services} services x ${cfg.perService} servers, one server more or less in each`, api)];
  } finally {
    await r.stop();
  }
}
