// Options of `tsvs bench sched`: parsed once, checked, with every default in
// one place so the report can print the workload it ran.
import { parseArgs } from 'node:util';
import { implementedSchedulers } from '../../sched/registry.js';
import type { LifetimeDist } from './rng.js';

export interface SchedBenchOptions {
  schedulers: string[];
  /** Per real server: requests/s it completes when saturated with requests of the mean demand. */
  capacities: number[];
  /** ipvsadm weights, one per server. */
  weights: number[];
  weightMode: 'capacity' | 'equal' | 'list';
  /** New connections per second (the long-run mean for bursty arrivals). */
  rate: number;
  /** Simulated seconds (a trace: its own length). */
  duration: number;
  arrivals: 'poisson' | 'bursty';
  lifetime: LifetimeDist;
  /** Mean service demand in seconds: a connection's lifetime on an idle server. */
  lifetimeMean: number;
  /** Pareto shape a, or lognormal sigma. */
  shape: number;
  /** Seconds; null = no such event. */
  failAt: number | null;
  returnAt: number | null;
  /** Index (0-based) into servers of the one that fails. */
  failServer: number;
  /** Share of connections from one proxy address. */
  proxyShare: number;
  /** Distinct client addresses besides the proxy. */
  clients: number;
  /** Persistence timeout in seconds (ipvsadm -p); 0 = off. */
  persistence: number;
  trace: string | null;
  seed: number;
  /** Seconds between samples of the active counts. */
  sampleEvery: number;
  /** Seconds at the start left out of imbalance and response times. */
  warmup: number;
  /** The fail/return times and the warm-up were not given (a trace then sets them from its length). */
  eventsDefaulted: boolean;
  warmupDefaulted: boolean;
  quick: boolean;
  json: boolean;
  svg: string | null;
  outDir: string | null;
}

export class UsageError extends Error {}

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

function num(v: string | undefined, name: string, dflt: number, min: number, max = Infinity): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} ${v}: want a number from ${min} to ${max}`);
  return n;
}

function time(v: string | undefined, name: string, dflt: number | null): number | null {
  if (v === undefined) return dflt;
  if (v === 'none' || v === 'off') return null;
  return num(v, name, 0, 0);
}

function list(v: string, name: string): number[] {
  const out = v.split(',').map((s) => Number(s.trim()));
  if (out.length === 0 || out.some((n) => !Number.isFinite(n) || n <= 0)) throw new UsageError(`--${name} ${v}: want positive numbers separated by commas`);
  return out;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Weights from capacities: divided by their gcd (400,400,200,100 -> 4,4,2,1),
 * since IPVS only cares about ratios and sh gives each dest `weight` of its 256
 * buckets; non-integers or weights above 255 are scaled to a largest of 255.
 */
export function capacityWeights(caps: number[]): number[] {
  if (caps.every((c) => Number.isInteger(c))) {
    const g = caps.reduce(gcd);
    const w = caps.map((c) => c / g);
    if (Math.max(...w) <= 255) return w;
  }
  const max = Math.max(...caps);
  return caps.map((c) => Math.max(1, Math.round((255 * c) / max)));
}

export function parseSchedOptions(args: string[]): SchedBenchOptions | 'help' {
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
  const quick = v.quick === true;
  const implemented = implementedSchedulers();
  const schedulers = v.schedulers ? v.schedulers.split(',').map((s) => s.trim()).filter(Boolean) : implemented;
  for (const s of schedulers) {
    if (!implemented.includes(s)) throw new UsageError(`--schedulers: ${s} is not implemented (implemented: ${implemented.join(', ')})`);
  }
  const capacities = list(v.servers ?? '400,400,200,100', 'servers');
  let weightMode: SchedBenchOptions['weightMode'] = 'capacity';
  let weights = capacityWeights(capacities);
  if (v.weights === 'equal') {
    weightMode = 'equal';
    weights = capacities.map(() => 1);
  } else if (v.weights !== undefined && v.weights !== 'capacity') {
    weightMode = 'list';
    weights = list(v.weights, 'weights');
    if (weights.length !== capacities.length || weights.some((w) => !Number.isInteger(w) || w > 65535)) {
      throw new UsageError(`--weights ${v.weights}: want ${capacities.length} whole numbers 1..65535 (one per server), or capacity, or equal`);
    }
  }
  const duration = num(v.duration, 'duration', quick ? 30 : 120, 1);
  const arrivals = v.arrivals ?? 'poisson';
  if (arrivals !== 'poisson' && arrivals !== 'bursty') throw new UsageError(`--arrivals ${arrivals}: want poisson or bursty`);
  const lifetime = v.lifetime ?? 'pareto';
  if (lifetime !== 'pareto' && lifetime !== 'lognormal' && lifetime !== 'exp') throw new UsageError(`--lifetime ${lifetime}: want pareto, lognormal or exp`);
  const shape = num(v.shape, 'shape', lifetime === 'lognormal' ? 1 : 1.5, 0.01);
  if (lifetime === 'pareto' && shape <= 1) throw new UsageError(`--shape ${shape}: a Pareto shape must be above 1 for the mean to exist`);
  const failServer = Math.round(num(v['fail-server'], 'fail-server', capacities.length, 1, capacities.length)) - 1;
  const opts: SchedBenchOptions = {
    schedulers, capacities, weights, weightMode,
    rate: num(v.rate, 'rate', 900, 0.001),
    duration,
    arrivals,
    lifetime,
    lifetimeMean: num(v['lifetime-mean'], 'lifetime-mean', 1, 0.000001),
    shape,
    failAt: time(v['fail-at'], 'fail-at', capacities.length > 1 ? duration / 3 : null),
    returnAt: time(v['return-at'], 'return-at', capacities.length > 1 ? (2 * duration) / 3 : null),
    failServer,
    proxyShare: num(v['proxy-share'], 'proxy-share', 0, 0, 1),
    clients: Math.round(num(v.clients, 'clients', 20000, 1, 1 << 24)),
    persistence: Math.round(num(v.persistence, 'persistence', 0, 0, 4294967)),
    trace: v.trace ?? null,
    seed: Math.round(num(v.seed, 'seed', 1, 0, 0xffffffff)),
    sampleEvery: num(v.sample, 'sample', 1, 0.001),
    warmup: num(v.warmup, 'warmup', Math.min(10, duration / 10), 0),
    eventsDefaulted: v['fail-at'] === undefined && v['return-at'] === undefined,
    warmupDefaulted: v.warmup === undefined,
    quick,
    json: v.json === true,
    svg: v.svg ?? null,
    outDir: v['out-dir'] ?? null,
  };
  if (opts.failAt === null) opts.returnAt = null;
  if (opts.failAt !== null && opts.returnAt !== null && opts.returnAt <= opts.failAt) {
    throw new UsageError(`--return-at ${opts.returnAt} must come after --fail-at ${opts.failAt}`);
  }
  if (opts.failAt !== null && capacities.length < 2) throw new UsageError('--fail-at needs at least two servers');
  return opts;
}

/** The options a command line gives (tests and scripts); throws UsageError like the command. */
export function schedOptions(args: string[] = []): SchedBenchOptions {
  const parsed = parseSchedOptions(args);
  if (parsed === 'help') throw new UsageError('--help asks for the usage, not a run');
  return parsed;
}
