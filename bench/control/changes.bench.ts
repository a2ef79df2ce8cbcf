// Table changes through the control API, end to end: the ControlClient's request
// over the unix socket, the ControlServer, Router.change() or reload() (plan,
// validate, diff, fence, the data plane's apply, commit), the answer. N real servers
// (10,000; --quick 500) reach one service three ways: one add-server per request,
// one POST /v1/ops with all N, and one reload of an lvs.cf that lists them. The
// router start is set-up and is shown apart. Runs wherever startRouter() can run
// its kind of data plane: inline anywhere, the worker in the lab (lab-child.ts).
import { writeFileSync } from 'node:fs';
import type { Op } from '../../src/control/types.js';
import type { DataPlane } from '../../src/router/dataplane.js';
import type { Row } from '../lib/report.js';
import { lvsCf, ms, pct, rip, SERVICE, startRouter, VPORT, type BenchRouter, type DataPlaneKind, type Forward } from './setup.js';

export interface ChangesOptions {
  kind: DataPlaneKind;
  quick?: boolean;
  schedulers?: string[];
  /** Devices named in the lvs.cf: eth0/eth1 inline, the lab's veths for the worker. */
  vipDevice?: string;
  natDevice?: string;
  /** Extra rows with NAT servers (each change re-fences every NAT server's replies). */
  nat?: boolean;
}

/** Times each apply() the router makes its data plane do (for the worker: the round trip to its thread). */
export class TimedDataPlane implements DataPlane {
  readonly applies: number[] = [];
  constructor(readonly inner: DataPlane) {}
  get memory() {
    return this.inner.memory;
  }
  start: DataPlane['start'] = (d) => this.inner.start(d);
  async apply(delta: Parameters<DataPlane['apply']>[0]) {
    const t = performance.now();
    const r = await this.inner.apply(delta);
    this.applies.push(performance.now() - t);
    return r;
  }
  conns: DataPlane['conns'] = (o, l) => this.inner.conns(o, l);
  setSync: DataPlane['setSync'] = (s) => this.inner.setSync(s);
  resync: DataPlane['resync'] = () => this.inner.resync();
  announce(): void {
    this.inner.announce();
  }
  stop: DataPlane['stop'] = () => this.inner.stop();
  onFailure(cb: (why: string) => void): void {
    this.inner.onFailure(cb);
  }
}

const addOp = (i: number, forward: Forward): Op => ({ op: 'add-server', service: SERVICE, server: { address: rip(i), port: VPORT }, forward, weight: 1 });

async function withRouter<T>(o: ChangesOptions, cf: string, fn: (r: BenchRouter, dp: TimedDataPlane) => Promise<T>): Promise<T> {
  let timed: TimedDataPlane | undefined;
  const r = await startRouter({ kind: o.kind, cf, wrap: (dp) => (timed = new TimedDataPlane(dp)) });
  try {
    return await fn(r, timed!);
  } finally {
    await r.stop();
  }
}

async function serverCount(r: BenchRouter): Promise<number> {
  return (await r.client.table()).services[0]?.servers.length ?? -1;
}

export async function runChangesBench(o: ChangesOptions): Promise<Row[]> {
  const n = o.quick ? 500 : 10_000;
  const cf = (scheduler: string, count: number, forward: Forward, weight?: (i: number) => number): string =>
    lvsCf({ scheduler, count, forward, weight, vipDevice: o.vipDevice ?? 'eth0', natDevice: o.natDevice ?? 'eth1' });
  const rows: Row[] = [];
  const row = (sched: string, fwd: Forward, what: string, ops: number, times: number[], dp: number[], extra: Row): void => {
    const s = [...times].sort((a, b) => a - b);
    const total = times.reduce((a, b) => a + b, 0);
    const d = [...dp].sort((a, b) => a - b);
    rows.push({
      sched, fwd, change: what, ops, 'total s': +(total / 1000).toFixed(2), 'ops/s': Math.round(ops / (total / 1000)),
      'p50 ms': ms(pct(s, 50)), 'p90 ms': ms(pct(s, 90)), 'p99 ms': ms(pct(s, 99)), 'max ms': ms(s[s.length - 1]),
      'dp p50 ms': ms(pct(d, 50)), 'dp max ms': ms(d[d.length - 1] ?? NaN), ...extra,
    });
  };

  for (const sched of o.schedulers ?? ['wlc', 'rr']) {
    // One add-server per request, as `tsvs admin -a` does it N times.
    await withRouter(o, cf(sched, 0, 'dr'), async (r, dp) => {
      const lat: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await r.client.change([addOp(i, 'dr')]);
        lat.push(performance.now() - t);
      }
      const tenth = Math.max(1, Math.floor(n / 10));
      const p50 = (xs: number[]): number => pct([...xs].sort((a, b) => a - b), 50);
      row(sched, 'dr', `${n} x add-server, one per request`, n, lat, dp.applies, {
        'p50 first/last 10% ms': `${ms(p50(lat.slice(0, tenth)))} / ${ms(p50(lat.slice(-tenth)))}`, servers: await serverCount(r),
      });
    });
    // All of them in one list: one table version.
    await withRouter(o, cf(sched, 0, 'dr'), async (r, dp) => {
      const ops = Array.from({ length: n }, (_, i) => addOp(i, 'dr'));
      const t = performance.now();
      await r.client.change(ops);
      row(sched, 'dr', `one POST /v1/ops of ${n} add-server`, n, [performance.now() - t], dp.applies, { servers: await serverCount(r) });
    });
    // lvs.cf: from none to N, and N to N with one weight changed (the everyday edit).
    await withRouter(o, cf(sched, 0, 'dr'), async (r, dp) => {
      writeFileSync(r.cfg, cf(sched, n, 'dr'));
      const t = performance.now();
      const v = await r.client.reload();
      if (!v.ok) throw new Error(`reload failed: ${v.errors.join('; ')}`);
      row(sched, 'dr', `reload lvs.cf: 0 -> ${n} servers`, n, [performance.now() - t], dp.applies, { servers: await serverCount(r) });
    });
    await withRouter(o, cf(sched, n, 'dr'), async (r, dp) => {
      const times: number[] = [];
      for (let k = 0; k < 5; k++) {
        writeFileSync(r.cfg, cf(sched, n, 'dr', (i) => (i === 0 && k % 2 === 0 ? 2 : 1)));
        const t = performance.now();
        const v = await r.client.reload();
        times.push(performance.now() - t);
        if (!v.ok) throw new Error(`reload failed: ${v.errors.join('; ')}`);
      }
      row(sched, 'dr', `reload lvs.cf: ${n} -> ${n}, one weight changed (x5)`, 5, times, dp.applies, {
        servers: await serverCount(r), 'set-up: start ms': Math.round(r.startMs),
      });
    });
  }

  if (o.nat) {
    // NAT: the fence drops each NAT server's replies in the kernel, one rule per
    // server, and a change re-installs the whole table (router/fence.ts).
    const sched = o.schedulers?.[0] ?? 'wlc';
    const budgetMs = o.quick ? 1000 : 20_000;
    await withRouter(o, cf(sched, n, 'nat'), async (r, dp) => {
      const lat: number[] = [];
      const end = performance.now() + budgetMs;
      for (let k = 0; k < 500 && performance.now() < end; k++) {
        const t = performance.now();
        await r.client.change([addOp(n + k, 'nat')]);
        lat.push(performance.now() - t);
      }
      row(sched, 'nat', `add-server to a ${n}-server service, one per request (${budgetMs / 1000} s budget)`, lat.length, lat, dp.applies, {
        servers: await serverCount(r), 'set-up: start ms': Math.round(r.startMs),
      });
    });
    await withRouter(o, cf(sched, n, 'nat'), async (r, dp) => {
      const times: number[] = [];
      for (let k = 0; k < 3; k++) {
        writeFileSync(r.cfg, cf(sched, n, 'nat', (i) => (i === 0 && k % 2 === 0 ? 2 : 1)));
        const t = performance.now();
        const v = await r.client.reload();
        times.push(performance.now() - t);
        if (!v.ok) throw new Error(`reload failed: ${v.errors.join('; ')}`);
      }
      row(sched, 'nat', `reload lvs.cf: ${n} -> ${n}, one weight changed (x3)`, 3, times, dp.applies, { servers: await serverCount(r) });
    });
  }
  return rows;
}
