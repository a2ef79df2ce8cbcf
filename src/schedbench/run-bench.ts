// Runs every chosen scheduler over the same workload and gathers the results:
// the whole benchmark without any printing, for the command and the tests.
//
// The model, file by file:
// - workload.ts: arrivals generated once (Poisson, or on/off bursts), heavy-tailed
//   demands, client addresses with an optional proxy share; or a trace (trace.ts).
// - world.ts: each arrival is a NAT flow's packets as the engine sees them (SYN,
//   SYN+ACK, ACK; later FIN, FIN, ACK), so wlc & co. read IPVS's real ActiveConn and
//   InActConn, TIME_WAIT included; persistence uses templates in the ConnTable as
//   Engine.persistentTemplate does. A test checks every placement against the Engine.
// - ps-server.ts: each real server is a processor-sharing queue; a connection
//   closes when its request is served, so lifetimes stretch on a loaded server.
// - run-scheduler.ts: the event loop; timers are swept when the engine and the
//   daemon's 1 s tick sweep them; a membership change is ServiceRuntime.apply
//   of a new table, as a reload or a health-check verdict is.
// - decision-log.ts: decisions/s from replaying the run's own scheduler calls.
// - metrics.ts, tally.ts: imbalance, percentiles, disruption; self-checks.
// - report.ts, svg-chart.ts, results.ts: the table, the chart and the JSON file.
import { runScheduler, type SchedRunResult } from './run-scheduler.js';
import type { SchedBenchOptions } from './options.js';
import { generateWorkload, traceWorkload, type Workload } from './workload.js';

export interface SchedBenchResult {
  workload: string;
  servers: { capacity: number; weight: number; slots: number }[];
  options: SchedBenchOptions;
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
  return {
    workload: w.describe,
    servers: o.capacities.map((capacity, k) => ({ capacity, weight: o.weights[k], slots: (capacity * w.meanDemandMs) / 1000 })),
    options: { ...o },
    results,
    wallMs: performance.now() - t0,
  };
}
