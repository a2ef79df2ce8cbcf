// tsvs bench sched: compares IPVS schedulers on one simulated workload, in
// virtual time, through the data plane's own ServiceRuntime and ConnTable.
// Prints a table (or JSON with --json), writes <results>/sched.json and
// <results>/sched.svg, and with --svg PATH a copy of the chart there.
//
// The model, file by file:
// - workload.ts: arrivals generated once (Poisson, or on/off bursts), heavy-tailed
//   demands, client addresses with an optional proxy share; or a trace.
// - world.ts: each arrival is a NAT flow's packets as the engine sees them (SYN,
//   SYN+ACK, ACK; later FIN, FIN, ACK), so wlc & co. read IPVS's real ActiveConn and
//   InActConn, TIME_WAIT included; persistence uses templates in the ConnTable as
//   Engine.persistentTemplate does. A test checks every placement against the Engine.
// - ps-server.ts: each real server is a processor-sharing queue; a connection
//   closes when its request is served, so lifetimes stretch on a loaded server.
// - sched-run.ts: the event loop; timers are swept when the engine and the
//   daemon's 1 s tick sweep them; a membership change is ServiceRuntime.apply
//   of a new table, as a reload or a health-check verdict is.
// - decision-log.ts: decisions/s from replaying the run's own scheduler calls.
// - metrics.ts, tally.ts: imbalance, percentiles, disruption; self-checks.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable, report } from '../../../bench/lib/report.js';
import { runSchedBench, type SchedBenchResult } from './sched-bench.js';
import { parseSchedOptions, SCHED_USAGE, UsageError } from './sched-options.js';
import { chart, footnotes, headerLines, tableRows } from './sched-report.js';

export interface SchedCommandIo {
  out?: (text: string) => void;
  err?: (text: string) => void;
}

/** bench/results of the repository (or $TSVS_BENCH_RESULTS), as bench/lib/report.ts chooses it. */
export function resultsDir(): string {
  if (process.env.TSVS_BENCH_RESULTS) return process.env.TSVS_BENCH_RESULTS;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return join(process.cwd(), 'bench', 'results');
    dir = up;
  }
  return join(dir, 'bench', 'results');
}

function writeFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

export async function benchSchedCommand(args: string[], io: SchedCommandIo = {}): Promise<number> {
  const out = io.out ?? ((t: string) => void process.stdout.write(t));
  const err = io.err ?? ((t: string) => void process.stderr.write(t));
  let opts;
  try {
    opts = parseSchedOptions(args);
  } catch (e) {
    if (!(e instanceof UsageError) && !(e instanceof TypeError)) throw e;
    err(`tsvs bench sched: ${e.message}\n${SCHED_USAGE}`);
    return 2;
  }
  if (opts === 'help') {
    out(SCHED_USAGE);
    return 0;
  }
  let res: SchedBenchResult;
  try {
    res = runSchedBench(opts, opts.json ? undefined : (line) => err(`  ${line}\n`));
  } catch (e) {
    err(`tsvs bench sched: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const dir = opts.outDir ?? resultsDir();
  const svg = chart(res);
  const rows = tableRows(res);
  if (opts.json) {
    report('sched', rows, { dir, quiet: true });
    out(JSON.stringify(res, null, 2) + '\n');
  } else {
    out(headerLines(res).join('\n') + '\n');
    const saved = report('sched', rows, { dir, quiet: true });
    // report() would print its own one-word title; the header above says more.
    out(formatTable(saved.rows) + '\n\n' + footnotes(res).join('\n') + '\n');
  }
  writeFile(join(dir, 'sched.svg'), svg);
  if (opts.svg) writeFile(opts.svg, svg);
  if (!opts.json) out(`wrote ${join(dir, 'sched.json')}, ${join(dir, 'sched.svg')}${opts.svg ? `, ${opts.svg}` : ''}\n`);
  const broken = res.results.some((r) => r.tally.mismatches > 0 || r.replayMismatches > 0);
  return broken ? 1 : 0;
}
