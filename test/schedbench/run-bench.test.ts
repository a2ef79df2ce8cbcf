// The scheduler benchmark's simulator: determinism, its counts against
// independent tallies, and the scheduler properties it exists to show
// (consistent hashing on a server leaving, least-connection evening out
// heavy-tailed load).
import { describe, expect, it } from 'vitest';
import { capacityWeights, resolveSchedOptions, SchedOptionsError, type SchedBenchInput } from '../../src/schedbench/options.js';
import { runSchedBench, type SchedBenchResult } from '../../src/schedbench/run-bench.js';
import type { SchedRunResult } from '../../src/schedbench/run-scheduler.js';
import { implementedSchedulers } from '../../src/sched/registry.js';

const has = (s: string): boolean => implementedSchedulers().includes(s);
const pick = (...names: string[]): string[] => names.filter(has);

function bench(input: SchedBenchInput): SchedBenchResult {
  return runSchedBench(resolveSchedOptions(input));
}

function byName(res: SchedBenchResult, name: string): SchedRunResult {
  const r = res.results.find((x) => x.scheduler === name);
  if (!r) throw new Error(`no result for ${name}`);
  return r;
}

function moved(r: SchedRunResult, event: string): number {
  const ev = r.disruption.find((e) => e.name === event)!;
  expect(ev.clients).toBeGreaterThan(200); // enough returning clients for the share to mean something
  return ev.moved / ev.clients;
}

/** Everything but the wall-clock measurements. */
function simulated(res: SchedBenchResult): unknown {
  return res.results.map(({ decisionsPerSec: _d, wallMs: _w, eventsPerSec: _e, ...rest }) => rest);
}

const SMALL: SchedBenchInput = { rate: 300, duration: 30, clients: 1500, servers: [100, 100, 50], failAt: 10, returnAt: 20 };

describe('the scheduler benchmark', () => {
  it('is deterministic for a fixed seed, and the seed matters', () => {
    const args = { ...SMALL, schedulers: pick('rr', 'wlc', 'mh', 'twos'), proxyShare: 0.1 };
    const a = bench({ ...args, seed: 7 });
    const b = bench({ ...args, seed: 7 });
    const c = bench({ ...args, seed: 8 });
    expect(simulated(a)).toEqual(simulated(b));
    expect(a.workload).toBe(b.workload);
    expect(byName(c, 'wlc').p99).not.toBe(byName(a, 'wlc').p99);
    expect(byName(c, 'rr').arrivals).not.toBe(byName(a, 'rr').arrivals);
  });

  it('sees the counts an independent tally gives: opened - closed - aborted = ActiveConn, table = added - freed', () => {
    const runs = [
      { extra: {}, schedulers: implementedSchedulers() },
      { extra: { persistence: 30, proxyShare: 0.3 }, schedulers: pick('rr', 'wlc', 'sh') },
      { extra: { arrivals: 'bursty' as const }, schedulers: pick('rr', 'wlc', 'sh') },
    ];
    for (const { extra, schedulers } of runs) {
      const res = bench({ ...SMALL, schedulers, ...extra });
      for (const r of res.results) {
        const at = `${r.scheduler} ${JSON.stringify(extra)}`;
        expect(r.tally, at).toMatchObject({ mismatches: 0, first: null });
        expect(r.tally.checks, at).toBeGreaterThan(25);
        expect(r.opened + r.dropped + r.tableFull + r.busy, at).toBe(r.arrivals);
        expect(r.opened - r.closed - r.aborted, at).toBe(r.openAtEnd);
        expect(r.activeAtEnd, at).toBe(r.openAtEnd);
        expect(r.unfinished, at).toBe(r.openAtEnd);
        expect(r.tableCount, at).toBe(r.tableAdded - r.tableFreed);
        // Connections closed more than TIME_WAIT (120 s) ago are gone; these runs are 30 s long,
        // so every connection made is still in the table (aborted ones in CLOSE linger 10 s).
        expect(r.tableFreed, at).toBeLessThanOrEqual(r.aborted + (Object.keys(extra).length ? r.opened : 0));
        expect(r.replayMismatches, at).toBe(0);
        expect(r.decisions, at).toBeGreaterThan(0);
        expect(r.servers.reduce((s, x) => s + x.conns, 0), at).toBe(r.opened);
      }
    }
  });

  it('a server leaving moves about 1/N of clients under mh, most of them under rr', () => {
    const res = bench({
      servers: [100, 100, 100, 100], rate: 300, duration: 60, lifetimeMean: 0.5,
      clients: 1500, failAt: 30, returnAt: null, failServer: 2, schedulers: pick('rr', 'wlc', 'mh', 'sh'),
    });
    const rr = byName(res, 'rr');
    expect(moved(rr, 'fail')).toBeGreaterThan(0.6);
    expect(moved(rr, 'baseline')).toBeGreaterThan(0.6); // rr moves everyone anyway
    if (has('mh')) {
      const mh = byName(res, 'mh');
      expect(moved(mh, 'fail')).toBeGreaterThan(0.15);
      expect(moved(mh, 'fail')).toBeLessThan(0.35);
      expect(moved(mh, 'baseline')).toBe(0);
    }
    if (has('sh')) expect(moved(byName(res, 'sh'), 'baseline')).toBe(0); // a hash: no event, no move
  });

  it('wlc keeps equal servers more even than rr when lifetimes are heavy-tailed', () => {
    for (const seed of [1, 2, 3]) {
      const res = bench({ servers: [200, 200, 200, 200], rate: 600, duration: 40, lifetime: 'pareto',
        shape: 1.3, failAt: null, schedulers: ['rr', 'wlc'], seed });
      const rr = byName(res, 'rr');
      const wlc = byName(res, 'wlc');
      expect(wlc.cv, `seed ${seed}`).toBeLessThan(rr.cv / 2);
      expect(wlc.maxMean, `seed ${seed}`).toBeLessThan(rr.maxMean);
      expect(wlc.p99, `seed ${seed}`).toBeLessThanOrEqual(rr.p99);
    }
  });

  it('derives weights from capacities, or equal ones', () => {
    expect(capacityWeights([400, 400, 200, 100])).toEqual([4, 4, 2, 1]);
    expect(capacityWeights([1000, 3])).toEqual([255, 1]);
    expect(capacityWeights([1.5, 3])).toEqual([128, 255]);
    expect(resolveSchedOptions({ servers: [4, 2], weights: 'equal' }).weights).toEqual([1, 1]);
    expect(resolveSchedOptions({ servers: [4, 2], weights: [3, 1] })).toMatchObject({ weights: [3, 1], weightMode: 'list' });
  });

  it('fills in defaults that follow other options, and rejects options that contradict each other', () => {
    const o = resolveSchedOptions({ duration: 60 });
    expect(o).toMatchObject({ rate: 900, capacities: [400, 400, 200, 100], weights: [4, 4, 2, 1], failAt: 20, returnAt: 40, failServer: 3, warmup: 6 });
    expect(resolveSchedOptions({ quick: true }).duration).toBe(30);
    expect(resolveSchedOptions({ failAt: null, returnAt: 5 }).returnAt).toBeNull();
    expect(() => resolveSchedOptions({ schedulers: ['nope'] })).toThrow(/nope is not implemented/);
    expect(() => resolveSchedOptions({ failAt: 50, returnAt: 10 })).toThrow(SchedOptionsError);
    expect(() => resolveSchedOptions({ servers: [1, 2], weights: [1] })).toThrow(/want 2 whole numbers/);
    expect(() => resolveSchedOptions({ servers: [1, 2], failServer: 3 })).toThrow(/--fail-server 3: want a server from 1 to 2/);
    expect(() => resolveSchedOptions({ servers: [1], failAt: 3 })).toThrow(/needs at least two servers/);
    expect(() => resolveSchedOptions({ shape: 1 })).toThrow(/Pareto shape must be above 1/);
  });
});
