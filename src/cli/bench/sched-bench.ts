// Runs every chosen scheduler over the same workload and gathers the results:
// the whole benchmark without any printing, for the command and the tests.
import { runScheduler, type SchedRunResult } from './sched-run.js';
import type { SchedBenchOptions } from './sched-options.js';
import { generateWorkload, traceWorkload, type Workload } from './workload.js';

export interface SchedBenchResult {
  workload: string;
  servers: { capacity: number; weight: number; slots: number }[];
  options: Omit<SchedBenchOptions, 'json' | 'svg' | 'outDir' | 'quick'>;
  results: SchedRunResult[];
  wallMs: number;
}

export function loadWorkload(o: SchedBenchOptions): Workload {
  if (o.trace === null) return generateWorkload(o);
  const w = traceWorkload(o.trace);
  // The duration is the trace's; default event times follow it.
  o.duration = w.endMs / 1000;
  if (o.eventsDefaulted && o.failAt !== null) {
    o.failAt = o.duration / 3;
    o.returnAt = (2 * o.duration) / 3;
  }
  if (o.warmupDefaulted) o.warmup = 0;
  return w;
}

export function runSchedBench(o: SchedBenchOptions, progress?: (line: string) => void): SchedBenchResult {
  const t0 = performance.now();
  const w = loadWorkload(o);
  const results: SchedRunResult[] = [];
  for (const name of o.schedulers) {
    const res = runScheduler(name, w, o);
    results.push(res);
    progress?.(`${name}: ${res.opened} connections in ${res.wallMs.toFixed(0)} ms`);
  }
  const { json: _j, svg: _s, outDir: _d, quick: _q, ...options } = o;
  return {
    workload: w.describe,
    servers: o.capacities.map((capacity, k) => ({ capacity, weight: o.weights[k], slots: (capacity * w.meanDemandMs) / 1000 })),
    options,
    results,
    wallMs: performance.now() - t0,
  };
}
