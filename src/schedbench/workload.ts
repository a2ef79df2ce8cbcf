// The connection arrivals every scheduler is run against: generated once per
// run (so each scheduler sees exactly the same clients, times and demands) or
// read from a `tsvs simulate` trace. Columns of typed arrays, one row per open.
import { readFileSync } from 'node:fs';
import { formatIPv4, PROTO_TCP, PROTO_UDP } from '../model/index.js';
import { parseTrace } from './trace.js';
import { demandSampler, exponential, seededUniform } from './rng.js';
import type { SchedBenchOptions } from './options.js';

/** Clients are 198.18.0.0/15 (RFC 2544 benchmarking), the proxy its last address. */
export const CLIENT_BASE = 0xc6120001;
export const PROXY_ADDR = 0xc613fffe;
export const VIP = 0xc000020a; // 192.0.2.10
export const VPORT = 80;
/** Bursty arrivals: on and off periods, exponential with these means (ms); twice the rate while on. */
export const BURST_ON_MS = 1000;
export const BURST_OFF_MS = 1000;

export interface Workload {
  n: number;
  /** Open time, ms. */
  time: Float64Array;
  client: Uint32Array;
  /** Client port; -1 = the run picks a free ephemeral port, as the client's stack would. */
  cport: Int32Array;
  /** Service demand, ms at full speed; Infinity = never closes. */
  demand: Float64Array;
  /** Dense client number 0..clients-1 (the disruption tracker's key). */
  key: Uint32Array;
  clients: number;
  proto: number;
  vip: number;
  vport: number;
  /** End of the simulation, ms. */
  endMs: number;
  /** Mean of the finite demands, ms: sets the servers' parallelism. */
  meanDemandMs: number;
  /** Trace events left out (other services, closes of unknown flows, repeated opens). */
  skipped: number;
  describe: string;
}

function alloc(n: number): Pick<Workload, 'time' | 'client' | 'cport' | 'demand' | 'key'> {
  return { time: new Float64Array(n), client: new Uint32Array(n), cport: new Int32Array(n).fill(-1), demand: new Float64Array(n), key: new Uint32Array(n) };
}

export function generateWorkload(o: SchedBenchOptions): Workload {
  const u = seededUniform(o.seed);
  const demand = demandSampler(u, o.lifetime, o.lifetimeMean * 1000, o.shape);
  const endMs = o.duration * 1000;
  const bursty = o.arrivals === 'bursty';
  const meanGap = 1000 / (bursty ? (o.rate * (BURST_ON_MS + BURST_OFF_MS)) / BURST_ON_MS : o.rate);
  const cap = Math.ceil(o.rate * o.duration * (bursty ? 1.3 : 1.1) + 64);
  let cols = alloc(cap);
  let n = 0;
  let t = 0;
  let onUntil = bursty ? exponential(u, BURST_ON_MS) : Infinity;
  for (;;) {
    t += exponential(u, meanGap);
    // An off period pushes the next arrival past it; arrivals are memoryless, so
    // the gap simply restarts at the next on period.
    while (t >= onUntil) {
      const offEnd = onUntil + exponential(u, BURST_OFF_MS);
      t = offEnd + exponential(u, meanGap);
      onUntil = offEnd + exponential(u, BURST_ON_MS);
    }
    if (t >= endMs) break;
    if (n === cols.time.length) cols = grow(cols, n);
    const proxy = o.proxyShare > 0 && u() <= o.proxyShare;
    const k = proxy ? o.clients : Math.min(o.clients - 1, Math.floor(u() * o.clients));
    cols.time[n] = t;
    cols.key[n] = k;
    cols.client[n] = proxy ? PROXY_ADDR : CLIENT_BASE + k;
    cols.demand[n] = demand();
    n++;
  }
  const shape = o.lifetime === 'exp' ? '' : o.lifetime === 'pareto' ? ` a=${o.shape}` : ` sigma=${o.shape}`;
  return {
    n, ...cols, clients: o.clients + 1, proto: PROTO_TCP, vip: VIP, vport: VPORT, endMs,
    meanDemandMs: o.lifetimeMean * 1000, skipped: 0,
    describe: `${o.arrivals} ${o.rate}/s for ${o.duration} s, ${o.lifetime}${shape} demand mean ${o.lifetimeMean} s, ` +
      `${o.clients} clients${o.proxyShare ? `, ${o.proxyShare * 100}% via one proxy` : ''}`,
  };
}

function grow<T extends ReturnType<typeof alloc>>(c: T, n: number): T {
  const next = alloc(n * 2);
  next.time.set(c.time);
  next.client.set(c.client);
  next.cport.set(c.cport);
  next.demand.set(c.demand);
  next.key.set(c.key);
  return next as T;
}

/**
 * A trace as a workload: the service is the one the first open names (other
 * services' events are skipped); each open's demand is its traced duration
 * (close - open), taken as its lifetime on an idle server; an open with no
 * close lasts past the end.
 */
export function traceWorkload(file: string, text = readFileSync(file, 'utf8')): Workload {
  const events = parseTrace(text, file);
  const first = events.find((e) => e.kind === 'open');
  if (!first) throw new Error(`${file}: the trace has no open events`);
  const proto = first.proto === 'udp' ? PROTO_UDP : PROTO_TCP;
  let cols = alloc(Math.max(16, events.length));
  const open = new Map<string, number>();
  const keys = new Map<number, number>();
  let n = 0;
  let skipped = 0;
  for (const e of events) {
    if (e.proto !== first.proto || e.vip !== first.vip || e.vport !== first.vport) {
      skipped++;
      continue;
    }
    const tuple = `${e.client}:${e.cport}`;
    const ms = e.time * 1000;
    if (e.kind === 'close') {
      const i = open.get(tuple);
      if (i === undefined) skipped++;
      else {
        cols.demand[i] = ms - cols.time[i];
        open.delete(tuple);
      }
      continue;
    }
    if (open.has(tuple)) {
      skipped++; // an open of a flow that is open: the engine would not schedule it again
      continue;
    }
    let k = keys.get(e.client);
    if (k === undefined) keys.set(e.client, (k = keys.size));
    cols.time[n] = ms;
    cols.client[n] = e.client;
    cols.cport[n] = e.cport;
    cols.key[n] = k;
    cols.demand[n] = Infinity;
    open.set(tuple, n);
    n++;
  }
  const endMs = events.length ? events[events.length - 1].time * 1000 : 0;
  let sum = 0;
  let finite = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(cols.demand[i])) {
      sum += cols.demand[i];
      finite++;
    }
  }
  return {
    n, ...cols, clients: Math.max(1, keys.size), proto, vip: first.vip, vport: first.vport, endMs,
    meanDemandMs: finite ? Math.max(sum / finite, 1e-3) : 1000, skipped,
    describe: `trace ${file}: ${n} opens to ${first.proto} ${formatIPv4(first.vip)}:${first.vport} over ${(endMs / 1000).toFixed(1)} s` +
      `${skipped ? `, ${skipped} events skipped` : ''}`,
  };
}
