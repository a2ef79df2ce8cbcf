// tsvs bench sched: determinism, its counts against independent tallies, and
// the scheduler properties it exists to show (consistent hashing on a server
// leaving, least-connection evening out heavy-tailed load).
import { describe, expect, it } from 'vitest';
import { runSchedBench, type SchedBenchResult } from '../../src/cli/bench/sched-bench.js';
import { benchSchedCommand } from '../../src/cli/bench/sched-command.js';
import { capacityWeights, parseSchedOptions, schedOptions } from '../../src/cli/bench/sched-options.js';
import type { SchedRunResult } from '../../src/cli/bench/sched-run.js';
import { implementedSchedulers } from '../../src/sched/registry.js';

const has = (s: string): boolean => implementedSchedulers().includes(s);
const pick = (...names: string[]): string => names.filter(has).join(',');

function bench(args: string[]): SchedBenchResult {
  return runSchedBench(schedOptions(args));
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

const SMALL = ['--rate', '300', '--duration', '30', '--clients', '1500', '--servers', '100,100,50', '--fail-at', '10', '--return-at', '20'];

describe('tsvs bench sched', () => {
  it('is deterministic for a fixed seed, and the seed matters', () => {
    const args = [...SMALL, '--schedulers', pick('rr', 'wlc', 'mh', 'twos'), '--proxy-share', '0.1'];
    const a = bench([...args, '--seed', '7']);
    const b = bench([...args, '--seed', '7']);
    const c = bench([...args, '--seed', '8']);
    expect(simulated(a)).toEqual(simulated(b));
    expect(a.workload).toBe(b.workload);
    expect(byName(c, 'wlc').p99).not.toBe(byName(a, 'wlc').p99);
    expect(byName(c, 'rr').arrivals).not.toBe(byName(a, 'rr').arrivals);
  });

  it('sees the counts an independent tally gives: opened - closed - aborted = ActiveConn, table = added - freed', () => {
    const runs = [
      { extra: [], schedulers: implementedSchedulers().join(',') },
      { extra: ['--persistence', '30', '--proxy-share', '0.3'], schedulers: pick('rr', 'wlc', 'sh') },
      { extra: ['--arrivals', 'bursty'], schedulers: pick('rr', 'wlc', 'sh') },
    ];
    for (const { extra, schedulers } of runs) {
      const res = bench([...SMALL, '--schedulers', schedulers, ...extra]);
      for (const r of res.results) {
        const at = `${r.scheduler} ${extra.join(' ')}`;
        expect(r.tally, at).toMatchObject({ mismatches: 0, first: null });
        expect(r.tally.checks, at).toBeGreaterThan(25);
        expect(r.opened + r.dropped + r.tableFull + r.busy, at).toBe(r.arrivals);
        expect(r.opened - r.closed - r.aborted, at).toBe(r.openAtEnd);
        expect(r.activeAtEnd, at).toBe(r.openAtEnd);
        expect(r.unfinished, at).toBe(r.openAtEnd);
        expect(r.tableCount, at).toBe(r.tableAdded - r.tableFreed);
        // Connections closed more than TIME_WAIT (120 s) ago are gone; these runs are 30 s long,
        // so every connection made is still in the table (aborted ones in CLOSE linger 10 s).
        expect(r.tableFreed, at).toBeLessThanOrEqual(r.aborted + (extra.length ? r.opened : 0));
        expect(r.replayMismatches, at).toBe(0);
        expect(r.decisions, at).toBeGreaterThan(0);
        expect(r.servers.reduce((s, x) => s + x.conns, 0), at).toBe(r.opened);
      }
    }
  });

  it('a server leaving moves about 1/N of clients under mh, most of them under rr', () => {
    const args = ['--servers', '100,100,100,100', '--rate', '300', '--duration', '60', '--lifetime-mean', '0.5',
      '--clients', '1500', '--fail-at', '30', '--return-at', 'none', '--fail-server', '2'];
    const res = bench([...args, '--schedulers', pick('rr', 'wlc', 'mh', 'sh')]);
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
    for (const seed of ['1', '2', '3']) {
      const res = bench(['--servers', '200,200,200,200', '--rate', '600', '--duration', '40', '--lifetime', 'pareto',
        '--shape', '1.3', '--fail-at', 'none', '--schedulers', 'rr,wlc', '--seed', seed]);
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
    const o = parseSchedOptions(['--servers', '4,2', '--weights', 'equal']);
    expect(o !== 'help' && o.weights).toEqual([1, 1]);
  });

  it('rejects bad options with status 2 and the usage', async () => {
    let err = '';
    const io = { out: () => undefined, err: (t: string) => void (err += t) };
    expect(await benchSchedCommand(['--schedulers', 'nope'], io)).toBe(2);
    expect(err).toContain('nope is not implemented');
    expect(await benchSchedCommand(['--rate', 'fast'], io)).toBe(2);
    expect(await benchSchedCommand(['--fail-at', '50', '--return-at', '10'], io)).toBe(2);
    expect(await benchSchedCommand(['--bogus'], io)).toBe(2);
    let out = '';
    expect(await benchSchedCommand(['--help'], { out: (t) => void (out += t) })).toBe(0);
    expect(out).toContain('--schedulers');
  });
});
