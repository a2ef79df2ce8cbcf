// What a scheduler benchmark runs: the workload, the servers and the events,
// with every default in one place so the report can print the workload it ran.
// `tsvs bench sched` checks each flag's type and range; resolveSchedOptions
// fills in the defaults (some follow other options) and checks the options
// against each other. Its messages name the command's flags, which are these
// fields one for one.
import { implementedSchedulers } from '../sched/registry.js';
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
}

/** What a caller may give; anything left out takes its default. */
export interface SchedBenchInput {
  schedulers?: string[];
  /** Capacities, one per server. */
  servers?: number[];
  /** capacity (capacities / their gcd), equal, or one weight per server. */
  weights?: 'capacity' | 'equal' | number[];
  rate?: number;
  duration?: number;
  arrivals?: 'poisson' | 'bursty';
  lifetime?: LifetimeDist;
  lifetimeMean?: number;
  shape?: number;
  /** null = never. */
  failAt?: number | null;
  returnAt?: number | null;
  /** 1-based, as the command takes it. */
  failServer?: number;
  proxyShare?: number;
  clients?: number;
  persistence?: number;
  trace?: string | null;
  seed?: number;
  sample?: number;
  warmup?: number;
  /** A short run: the default duration is QUICK_DURATION. */
  quick?: boolean;
}

export const SCHED_DEFAULTS = {
  servers: [400, 400, 200, 100],
  rate: 900,
  duration: 120,
  quickDuration: 30,
  arrivals: 'poisson',
  lifetime: 'pareto',
  lifetimeMean: 1,
  paretoShape: 1.5,
  lognormalSigma: 1,
  proxyShare: 0,
  clients: 20000,
  persistence: 0,
  seed: 1,
  sample: 1,
  /** The warm-up is duration/10, at most this. */
  warmupMax: 10,
} as const;

/** Options that contradict each other or the scheduler registry. */
export class SchedOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchedOptionsError';
  }
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

export function resolveSchedOptions(i: SchedBenchInput = {}): SchedBenchOptions {
  const D = SCHED_DEFAULTS;
  const implemented = implementedSchedulers();
  const schedulers = i.schedulers ?? implemented;
  for (const s of schedulers) {
    if (!implemented.includes(s)) throw new SchedOptionsError(`--schedulers: ${s} is not implemented (implemented: ${implemented.join(', ')})`);
  }
  const capacities = i.servers ?? [...D.servers];
  let weightMode: SchedBenchOptions['weightMode'] = 'capacity';
  let weights = capacityWeights(capacities);
  if (i.weights === 'equal') {
    weightMode = 'equal';
    weights = capacities.map(() => 1);
  } else if (Array.isArray(i.weights)) {
    weightMode = 'list';
    weights = i.weights;
    if (weights.length !== capacities.length || weights.some((w) => !Number.isInteger(w) || w < 1 || w > 65535)) {
      throw new SchedOptionsError(`--weights ${weights.join(',')}: want ${capacities.length} whole numbers 1..65535 (one per server), or capacity, or equal`);
    }
  }
  const duration = i.duration ?? (i.quick ? D.quickDuration : D.duration);
  const lifetime = i.lifetime ?? D.lifetime;
  const shape = i.shape ?? (lifetime === 'lognormal' ? D.lognormalSigma : D.paretoShape);
  if (lifetime === 'pareto' && shape <= 1) throw new SchedOptionsError(`--shape ${shape}: a Pareto shape must be above 1 for the mean to exist`);
  const failServer = i.failServer ?? capacities.length;
  if (failServer < 1 || failServer > capacities.length) {
    throw new SchedOptionsError(`--fail-server ${failServer}: want a server from 1 to ${capacities.length}`);
  }
  const opts: SchedBenchOptions = {
    schedulers, capacities, weights, weightMode,
    rate: i.rate ?? D.rate,
    duration,
    arrivals: i.arrivals ?? D.arrivals,
    lifetime,
    lifetimeMean: i.lifetimeMean ?? D.lifetimeMean,
    shape,
    failAt: i.failAt !== undefined ? i.failAt : capacities.length > 1 ? duration / 3 : null,
    returnAt: i.returnAt !== undefined ? i.returnAt : capacities.length > 1 ? (2 * duration) / 3 : null,
    failServer: failServer - 1,
    proxyShare: i.proxyShare ?? D.proxyShare,
    clients: i.clients ?? D.clients,
    persistence: i.persistence ?? D.persistence,
    trace: i.trace ?? null,
    seed: i.seed ?? D.seed,
    sampleEvery: i.sample ?? D.sample,
    warmup: i.warmup ?? Math.min(D.warmupMax, duration / 10),
    eventsDefaulted: i.failAt === undefined && i.returnAt === undefined,
    warmupDefaulted: i.warmup === undefined,
  };
  if (opts.failAt === null) opts.returnAt = null;
  if (opts.failAt !== null && opts.returnAt !== null && opts.returnAt <= opts.failAt) {
    throw new SchedOptionsError(`--return-at ${opts.returnAt} must come after --fail-at ${opts.failAt}`);
  }
  if (opts.failAt !== null && capacities.length < 2) throw new SchedOptionsError('--fail-at needs at least two servers');
  return opts;
}
