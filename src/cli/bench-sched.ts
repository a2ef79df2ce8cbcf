// tsvs bench sched: compares IPVS schedulers on one simulated workload, in
// virtual time, through the data plane's own ServiceRuntime and ConnTable (the
// simulator is src/schedbench/). Prints a table (or JSON with --json), writes
// <results>/sched.json and <results>/sched.svg, and with --svg PATH a copy of the
// chart there. This file only reads the flags, prints and writes files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveSchedOptions, SchedOptionsError, type SchedBenchInput } from '../schedbench/options.js';
import { chart, footnotes, headerLines, tableRows } from '../schedbench/report.js';
import { formatTable, report, resultsDir } from '../schedbench/results.js';
import { runSchedBench, type SchedBenchResult } from '../schedbench/run-bench.js';

export interface SchedCommandIo {
  out?: (text: string) => void;
  err?: (text: string) => void;
}

class UsageError extends Error {}

export const SCHED_USAGE = `usage: tsvs bench sched [options]
Compares IPVS schedulers on one simulated workload, in virtual time, through the
engine's ServiceRuntime and ConnTable. Defaults in brackets.
  --schedulers LIST      schedulers to compare, e.g. rr,wlc,mh [every implemented one]
  --servers LIST         capacity of each real server, requests/s [400,400,200,100]
  --weights MODE         capacity (capacities / their gcd), equal, or W,W,... [capacity]
  --rate N               new connections per second [900]
  --duration S           simulated seconds [120; 30 with --quick]
  --arrivals KIND        poisson, or bursty: on/off periods (1 s means) at twice the rate [poisson]
  --lifetime DIST        service demand: pareto, lognormal or exp [pareto]
  --lifetime-mean S      mean demand: a connection's lifetime on an idle server [1]
  --shape X              pareto shape [1.5], or lognormal sigma [1]
  --fail-at S            a server leaves the table (none = never) [duration/3]
  --return-at S          and comes back (none = never) [2 x duration/3]
  --fail-server N        which one, 1-based [the last]
  --proxy-share X        share of connections from one proxy address [0]
  --clients N            client addresses besides the proxy [20000]
  --persistence S        persistence timeout, ipvsadm -p (0 = off) [0]
  --trace FILE           replay a \`tsvs simulate\` trace instead of generating arrivals
  --seed N               random seed [1]
  --sample S             seconds between load samples [1]
  --warmup S             seconds left out of imbalance and response times [duration/10, at most 10]
  --quick                a short run
  --json                 print the whole result as JSON instead of the table
  --svg PATH             also write the chart to PATH
  --out-dir DIR          where sched.json and sched.svg go [bench/results]
`;

function num(v: string | undefined, name: string, min: number, max = Infinity): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} ${v}: want a number from ${min} to ${max}`);
  return n;
}

function time(v: string | undefined, name: string): number | null | undefined {
  if (v === 'none' || v === 'off') return null;
  return num(v, name, 0);
}

function list(v: string, name: string): number[] {
  const out = v.split(',').map((s) => Number(s.trim()));
  if (out.length === 0 || out.some((n) => !Number.isFinite(n) || n <= 0)) throw new UsageError(`--${name} ${v}: want positive numbers separated by commas`);
  return out;
}

const round = (n: number | undefined): number | undefined => (n === undefined ? undefined : Math.round(n));

interface Parsed {
  input: SchedBenchInput;
  json: boolean;
  svg: string | null;
  outDir: string | null;
}

function parseSchedArgs(args: string[]): Parsed | 'help' {
  const { values: v, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      schedulers: { type: 'string' }, servers: { type: 'string' }, weights: { type: 'string' },
      rate: { type: 'string' }, duration: { type: 'string' }, arrivals: { type: 'string' },
      lifetime: { type: 'string' }, 'lifetime-mean': { type: 'string' }, shape: { type: 'string' },
      'fail-at': { type: 'string' }, 'return-at': { type: 'string' }, 'fail-server': { type: 'string' },
      'proxy-share': { type: 'string' }, clients: { type: 'string' }, persistence: { type: 'string' },
      trace: { type: 'string' }, seed: { type: 'string' }, sample: { type: 'string' }, warmup: { type: 'string' },
      quick: { type: 'boolean' }, json: { type: 'boolean' }, svg: { type: 'string' }, 'out-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) return 'help';
  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
  const arrivals = v.arrivals;
  if (arrivals !== undefined && arrivals !== 'poisson' && arrivals !== 'bursty') throw new UsageError(`--arrivals ${arrivals}: want poisson or bursty`);
  const lifetime = v.lifetime;
  if (lifetime !== undefined && lifetime !== 'pareto' && lifetime !== 'lognormal' && lifetime !== 'exp') throw new UsageError(`--lifetime ${lifetime}: want pareto, lognormal or exp`);
  const weights = v.weights === undefined || v.weights === 'capacity' || v.weights === 'equal' ? v.weights : list(v.weights, 'weights');
  return {
    input: {
      schedulers: v.schedulers?.split(',').map((s) => s.trim()).filter(Boolean),
      servers: v.servers === undefined ? undefined : list(v.servers, 'servers'),
      weights,
      rate: num(v.rate, 'rate', 0.001),
      duration: num(v.duration, 'duration', 1),
      arrivals,
      lifetime,
      lifetimeMean: num(v['lifetime-mean'], 'lifetime-mean', 0.000001),
      shape: num(v.shape, 'shape', 0.01),
      failAt: time(v['fail-at'], 'fail-at'),
      returnAt: time(v['return-at'], 'return-at'),
      failServer: round(num(v['fail-server'], 'fail-server', 1)),
      proxyShare: num(v['proxy-share'], 'proxy-share', 0, 1),
      clients: round(num(v.clients, 'clients', 1, 1 << 24)),
      persistence: round(num(v.persistence, 'persistence', 0, 4294967)),
      trace: v.trace,
      seed: round(num(v.seed, 'seed', 0, 0xffffffff)),
      sample: num(v.sample, 'sample', 0.001),
      warmup: num(v.warmup, 'warmup', 0),
      quick: v.quick === true,
    },
    json: v.json === true,
    svg: v.svg ?? null,
    outDir: v['out-dir'] ?? null,
  };
}

function writeFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

export async function benchSchedCommand(args: string[], io: SchedCommandIo = {}): Promise<number> {
  const out = io.out ?? ((t: string) => void process.stdout.write(t));
  const err = io.err ?? ((t: string) => void process.stderr.write(t));
  let parsed;
  let opts;
  try {
    parsed = parseSchedArgs(args);
    if (parsed === 'help') {
      out(SCHED_USAGE);
      return 0;
    }
    opts = resolveSchedOptions(parsed.input);
  } catch (e) {
    if (!(e instanceof UsageError) && !(e instanceof SchedOptionsError) && !(e instanceof TypeError)) throw e;
    err(`tsvs bench sched: ${e.message}\n${SCHED_USAGE}`);
    return 2;
  }
  let res: SchedBenchResult;
  try {
    res = runSchedBench(opts, parsed.json ? undefined : (line) => err(`  ${line}\n`));
  } catch (e) {
    err(`tsvs bench sched: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const dir = parsed.outDir ?? resultsDir();
  const svg = chart(res);
  const rows = tableRows(res);
  if (parsed.json) {
    report('sched', rows, { dir, quiet: true });
    out(JSON.stringify(res, null, 2) + '\n');
  } else {
    out(headerLines(res).join('\n') + '\n');
    const saved = report('sched', rows, { dir, quiet: true });
    // report() would print its own one-word title; the header above says more.
    out(formatTable(saved.rows) + '\n\n' + footnotes(res).join('\n') + '\n');
  }
  writeFile(join(dir, 'sched.svg'), svg);
  if (parsed.svg) writeFile(parsed.svg, svg);
  if (!parsed.json) out(`wrote ${join(dir, 'sched.json')}, ${join(dir, 'sched.svg')}${parsed.svg ? `, ${parsed.svg}` : ''}\n`);
  const broken = res.results.some((r) => r.tally.mismatches > 0 || r.replayMismatches > 0);
  return broken ? 1 : 0;
}
