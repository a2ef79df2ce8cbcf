// tsvs bench sched: compares IPVS schedulers on one simulated workload, in
// virtual time, through the data plane's own ServiceRuntime and ConnTable (the
// simulator is src/schedbench/). Prints a table (or JSON with --json), writes
// sched.json and sched.svg to --out-dir (default: the current directory, never
// the installed package's own directory, which may not be writable), and with --svg PATH a copy of the
// chart there. This file only reads the flags, prints and writes files.
import { writeFileSync } from 'node:fs';
import { makeDirs } from '../io/make-dirs.js';
import { dirname, join } from 'node:path';
import { resolveSchedOptions, SCHED_DEFAULTS, SchedOptionsError, type SchedBenchInput } from '../schedbench/options.js';
import { chart, footnotes, headerLines, tableRows } from '../schedbench/report.js';
import { formatTable, report } from '../schedbench/results.js';
import { runSchedBench, type SchedBenchResult } from '../schedbench/run-bench.js';
import { decimal } from './options.js';
import { defineCommand, EXIT_FAILURE, EXIT_OK, UsageError, type Io } from './registry.js';

const D = SCHED_DEFAULTS;

function positiveList(raw: string): number[] {
  const out = raw.split(',').map(decimal);
  if (out.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error('want positive numbers separated by commas');
  return out;
}

function weights(raw: string): SchedBenchInput['weights'] {
  if (raw === 'capacity' || raw === 'equal') return raw;
  const out = raw.split(',').map(decimal);
  if (out.some((n) => !Number.isInteger(n) || n < 1 || n > 65535)) throw new Error('want capacity, equal, or whole numbers 1..65535 separated by commas');
  return out;
}

function secondsOrNone(raw: string): number | null {
  if (raw === 'none' || raw === 'off') return null;
  const n = decimal(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error('want seconds (a number, at least 0) or none');
  return n;
}

const names = (raw: string): string[] => raw.split(',').map((s) => s.trim()).filter(Boolean);

export const benchSchedCommand = defineCommand({
  name: 'sched',
  summary: 'compare schedulers on simulated workloads: table, JSON, SVG chart',
  usage: '[options]',
  description: 'Compares IPVS schedulers on one simulated workload, in virtual time, through the engine\'s\n' +
    'ServiceRuntime and ConnTable. Prints a table (or JSON), writes sched.json and sched.svg to the\n' +
    'results directory. Exit status 1 when the simulator\'s self-checks find a mismatch. Defaults in brackets.',
  options: {
    schedulers: { type: 'custom', arg: 'LIST', want: 'scheduler names separated by commas', parse: names, defaultText: 'every implemented one', help: 'schedulers to compare, e.g. rr,wlc,mh' },
    servers: { type: 'custom', arg: 'LIST', want: 'positive numbers separated by commas', parse: positiveList, defaultText: D.servers.join(','), help: 'capacity of each real server, requests/s' },
    weights: { type: 'custom', arg: 'MODE', want: 'capacity, equal, or W,W,...', parse: weights, defaultText: 'capacity', help: 'capacity (capacities / their gcd), equal, or W,W,...' },
    rate: { type: 'number', arg: 'N', min: 0.001, defaultText: String(D.rate), help: 'new connections per second' },
    duration: { type: 'number', arg: 'S', min: 1, defaultText: `${D.duration}; ${D.quickDuration} with --quick`, help: 'simulated seconds' },
    arrivals: { type: 'enum', arg: 'KIND', choices: ['poisson', 'bursty'], defaultText: D.arrivals, help: 'poisson, or bursty: on/off periods (1 s means) at twice the rate' },
    lifetime: { type: 'enum', arg: 'DIST', choices: ['pareto', 'lognormal', 'exp'], defaultText: D.lifetime, help: 'service demand: pareto, lognormal or exp' },
    'lifetime-mean': { type: 'number', arg: 'S', min: 0.000001, defaultText: String(D.lifetimeMean), help: 'mean demand: a connection\'s lifetime on an idle server' },
    shape: { type: 'number', arg: 'X', min: 0.01, defaultText: `${D.paretoShape}; lognormal ${D.lognormalSigma}`, help: 'pareto shape, or lognormal sigma' },
    'fail-at': { type: 'custom', arg: 'S', want: 'seconds or none', parse: secondsOrNone, defaultText: 'duration/3', help: 'a server leaves the table (none = never)' },
    'return-at': { type: 'custom', arg: 'S', want: 'seconds or none', parse: secondsOrNone, defaultText: '2 x duration/3', help: 'and comes back (none = never)' },
    'fail-server': { type: 'number', arg: 'N', integer: true, min: 1, defaultText: 'the last', help: 'which one, 1-based' },
    'proxy-share': { type: 'number', arg: 'X', min: 0, max: 1, defaultText: String(D.proxyShare), help: 'share of connections from one proxy address' },
    clients: { type: 'number', arg: 'N', integer: true, min: 1, max: 1 << 24, defaultText: String(D.clients), help: 'client addresses besides the proxy' },
    persistence: { type: 'number', arg: 'S', integer: true, min: 0, max: 4294967, defaultText: String(D.persistence), help: 'persistence timeout in seconds, ipvsadm -p; 0 = off' },
    trace: { type: 'string', arg: 'FILE', help: 'replay a `tsvs simulate` trace instead of generating arrivals' },
    seed: { type: 'number', arg: 'N', integer: true, min: 0, max: 0xffffffff, defaultText: String(D.seed), help: 'random seed' },
    sample: { type: 'number', arg: 'S', min: 0.001, defaultText: String(D.sample), help: 'seconds between load samples' },
    warmup: { type: 'number', arg: 'S', min: 0, defaultText: `duration/10, at most ${D.warmupMax}`, help: 'seconds left out of imbalance and response times' },
    quick: { type: 'boolean', help: 'a short run' },
    json: { type: 'boolean', help: 'print the whole result as JSON instead of the table' },
    svg: { type: 'string', arg: 'PATH', help: 'also write the chart to PATH' },
    'out-dir': { type: 'string', arg: 'DIR', defaultText: 'the current directory, or $TSVS_BENCH_RESULTS', help: 'where sched.json and sched.svg go' },
  },
  run({ values: v, io }) {
    let opts;
    try {
      opts = resolveSchedOptions({
        schedulers: v.schedulers, servers: v.servers, weights: v.weights, rate: v.rate, duration: v.duration,
        arrivals: v.arrivals, lifetime: v.lifetime, lifetimeMean: v['lifetime-mean'], shape: v.shape,
        failAt: v['fail-at'], returnAt: v['return-at'], failServer: v['fail-server'], proxyShare: v['proxy-share'],
        clients: v.clients, persistence: v.persistence, trace: v.trace, seed: v.seed, sample: v.sample,
        warmup: v.warmup, quick: v.quick,
      });
    } catch (e) {
      if (e instanceof SchedOptionsError) throw new UsageError(e.message);
      throw e;
    }
    return run(opts, { json: v.json, svg: v.svg ?? null, outDir: v['out-dir'] ?? null }, io);
  },
});

function writeFile(path: string, text: string): void {
  makeDirs(dirname(path));
  writeFileSync(path, text);
}

interface Output {
  json: boolean;
  svg: string | null;
  outDir: string | null;
}

function run(opts: ReturnType<typeof resolveSchedOptions>, o: Output, io: Io): number {
  const { out, err } = io;
  const res: SchedBenchResult = runSchedBench(opts, o.json ? undefined : (line) => err(`  ${line}\n`));
  const dir = o.outDir ?? process.env.TSVS_BENCH_RESULTS ?? process.cwd();
  const svg = chart(res);
  const rows = tableRows(res);
  if (o.json) {
    report('sched', rows, { dir, quiet: true });
    out(JSON.stringify(res, null, 2) + '\n');
  } else {
    out(headerLines(res).join('\n') + '\n');
    const saved = report('sched', rows, { dir, quiet: true });
    // report() would print its own one-word title; the header above says more.
    out(formatTable(saved.rows) + '\n\n' + footnotes(res).join('\n') + '\n');
  }
  writeFile(join(dir, 'sched.svg'), svg);
  if (o.svg) writeFile(o.svg, svg);
  if (!o.json) out(`wrote ${join(dir, 'sched.json')}, ${join(dir, 'sched.svg')}${o.svg ? `, ${o.svg}` : ''}\n`);
  const broken = res.results.some((r) => r.tally.mismatches > 0 || r.replayMismatches > 0);
  return broken ? EXIT_FAILURE : EXIT_OK;
}
