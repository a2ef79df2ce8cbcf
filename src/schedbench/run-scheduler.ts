// One scheduler through one workload, in virtual time: a discrete-event loop
// over arrivals, request completions (the processor-sharing servers), samples,
// keep-alive refreshes and membership events, with the connection table's
// timers swept at every step as the engine sweeps them at every batch.
import { PROTO_TCP } from '../model/index.js';
import { DisruptionMeter, ImbalanceMeter, Samples, type Disruption } from './metrics.js';
import { PsServer } from './ps-server.js';
import { checkTally, type Tally } from './tally.js';
import type { SchedBenchOptions } from './options.js';
import type { Workload } from './workload.js';
import { OPEN_BUSY, OPEN_TABLE_FULL, World } from './world.js';

/** Linux's default ip_local_port_range: where a client's ephemeral ports come from. */
const PORT_LO = 32768;
const PORTS = 61000 - PORT_LO;
const PORT_TRIES = 64;
/** RouterDaemon.tick(): "call about once a second"; it sweeps the connection table. */
export const TICK_MS = 1000;

export interface ServerStats {
  name: string;
  capacity: number;
  weight: number;
  /** New connections placed on it. */
  conns: number;
  /** Mean requests in progress over the samples. */
  meanActive: number;
}

export interface SchedRunResult {
  scheduler: string;
  arrivals: number;
  opened: number;
  closed: number;
  /** In progress on a server when it failed. */
  aborted: number;
  /** No server chosen (schedule() returned none) or the old server gone. */
  dropped: number;
  tableFull: number;
  /** Opens with no free client port (all tried in use), or a traced port whose flow is still open. */
  busy: number;
  /** Opens that reused a finished flow's entry (same client port) and its server. */
  reused: number;
  /** Still in progress at the end (counted in the percentiles with their time so far). */
  unfinished: number;
  /** At the end: connections open (opened - closed - aborted) vs ActiveConn summed over dests. */
  openAtEnd: number;
  activeAtEnd: number;
  tableCount: number;
  tableAdded: number;
  tableFreed: number;
  tally: Tally;
  decisions: number;
  decisionsPerSec: number;
  replayMismatches: number;
  /** Wall time of the simulation (without the replay) and simulated opens per wall second. */
  wallMs: number;
  eventsPerSec: number;
  maxMean: number;
  cv: number;
  worstMaxMean: number;
  p50: number;
  p95: number;
  p99: number;
  responses: number;
  disruption: Disruption[];
  servers: ServerStats[];
}

interface Mark {
  at: number;
  kind: 'baseline' | 'fail' | 'return';
}

/** Test hook: sees every connection opened (arrival index, server index, dest address). */
export type OpenObserver = (i: number, server: number, now: number) => void;

export function runScheduler(name: string, w: Workload, o: SchedBenchOptions, observe?: OpenObserver): SchedRunResult {
  const nSrv = o.capacities.length;
  const world = new World({
    scheduler: name, weights: o.weights, proto: w.proto, vip: w.vip, vport: w.vport,
    persistence: Math.round(o.persistence), seed: o.seed,
    connCapacity: Math.min(1 << 22, w.n + (o.persistence > 0 ? Math.min(w.n, w.clients) : 0) + 1024),
  });
  const tcp = w.proto === PROTO_TCP;
  const ps = o.capacities.map((cap) => new PsServer((cap * w.meanDemandMs) / 1000));
  const jobSlot = new Uint32Array(w.n);
  const slotJob = new Uint32Array(world.conns.capacity + 1);
  const placed = new Float64Array(nSrv);
  const activeSum = new Float64Array(nSrv);
  const nextPort = new Uint16Array(w.clients);
  for (let k = 0; k < w.clients; k++) nextPort[k] = (k * 7919) % PORTS;
  const imbalance = new ImbalanceMeter();
  const responses = new Samples();
  const disruption = new DisruptionMeter(w.clients);
  const tally: Tally = { checks: 0, mismatches: 0, first: null };
  const r = { opened: 0, closed: 0, aborted: 0, dropped: 0, tableFull: 0, busy: 0, unfinished: 0 };
  let open = 0;
  let samples = 0;

  const warmMs = o.warmup * 1000;
  const end = w.endMs;
  const marks: Mark[] = [];
  const failAt = o.failAt === null ? null : o.failAt * 1000;
  const returnAt = o.returnAt === null ? null : o.returnAt * 1000;
  marks.push({ at: (failAt ?? end) / 2, kind: 'baseline' });
  if (failAt !== null) marks.push({ at: failAt, kind: 'fail' });
  if (failAt !== null && returnAt !== null) marks.push({ at: returnAt, kind: 'return' });
  const failed = o.failServer;
  const tm = world.conns.timeouts;
  const refreshMs = Math.max(1000, Math.min(tm.tcpMs[1], tm.udpMs) / 3);
  const sampleMs = o.sampleEvery * 1000;

  const pickPort = (i: number): number => {
    if (w.cport[i] >= 0) {
      // A traced port: busy when the sim still has that flow open (it ran slower than traced).
      const slot = world.conns.lookupIn(w.proto, w.client[i] | 0, w.cport[i], w.vip | 0, w.vport);
      return slot !== 0 && slotJob[slot] !== 0 ? -1 : w.cport[i];
    }
    const k = w.key[i];
    for (let tries = 0; tries < PORT_TRIES; tries++) {
      const p = PORT_LO + nextPort[k];
      nextPort[k] = nextPort[k] + 1 === PORTS ? 0 : nextPort[k] + 1;
      // A port whose previous flow is still open is in use on the client; one in
      // TIME_WAIT on the director only is free to the client and gets reused.
      const slot = world.conns.lookupIn(w.proto, w.client[i] | 0, p, w.vip | 0, w.vport);
      if (slot === 0 || slotJob[slot] === 0) return p;
    }
    return -1;
  };

  const arrive = (i: number, now: number): void => {
    const port = pickPort(i);
    const s = port < 0 ? OPEN_BUSY : world.open(w.client[i], port, now);
    if (s <= 0) {
      if (s === OPEN_TABLE_FULL) r.tableFull++;
      else if (s === OPEN_BUSY) r.busy++;
      else r.dropped++;
      return;
    }
    const srv = world.srvOf[world.conns.destOf(s)];
    ps[srv].add(i, w.demand[i], now);
    jobSlot[i] = s;
    slotJob[s] = i + 1;
    placed[srv]++;
    open++;
    r.opened++;
    disruption.conn(w.key[i], srv);
    observe?.(i, srv, now);
  };

  const finish = (i: number, now: number): void => {
    const s = jobSlot[i];
    world.close(s, now);
    slotJob[s] = 0;
    open--;
    r.closed++;
    if (w.time[i] >= warmMs) responses.push(now - w.time[i]);
  };

  const check = (now: number): void => checkTally(tally, world, ps, tcp, now);

  const sample = (now: number): void => {
    check(now);
    if (now < warmMs) return;
    samples++;
    const loads: number[] = [];
    for (const id of world.entry.ids) {
      const k = world.srvOf[id];
      loads.push(ps[k].n / o.capacities[k]);
    }
    for (let k = 0; k < nSrv; k++) activeSum[k] += ps[k].n;
    imbalance.add(loads);
  };

  const membership = (m: Mark, now: number): void => {
    if (m.kind === 'baseline') {
      disruption.mark('baseline', now);
      return;
    }
    if (m.kind === 'fail') {
      world.setServers(world.servers.filter((_, k) => k !== failed));
      const gone = ps[failed].inProgress().slice();
      for (const i of gone) {
        world.abort(jobSlot[i], now);
        slotJob[jobSlot[i]] = 0;
        open--;
        r.aborted++;
      }
      ps[failed].clear(now);
    } else {
      world.setServers(world.servers);
    }
    disruption.mark(m.kind, now);
  };

  const t0 = performance.now();
  let i = 0;
  let mi = 0;
  let nextTick = TICK_MS;
  let nextSample = 0;
  let nextRefresh = refreshMs;
  for (;;) {
    let tDone = Infinity;
    let sDone = -1;
    for (let k = 0; k < nSrv; k++) {
      const t = ps[k].nextDone();
      if (t < tDone) {
        tDone = t;
        sDone = k;
      }
    }
    const tArr = i < w.n ? w.time[i] : Infinity;
    const tMark = mi < marks.length ? marks[mi].at : Infinity;
    const now = Math.min(tDone, tArr, tMark, nextTick, nextSample, nextRefresh);
    if (now > end || now === Infinity) break;
    // The table's timers run when the engine runs them: before each packet batch
    // (Engine.process) and on the daemon's tick (RouterDaemon.tick). A sweep's
    // time matters: a template still controlling conns is re-armed 60 s from it.
    if (tDone === now) {
      world.expire(now);
      // The first finisher is due by construction (rounding cannot stall the loop); others may tie.
      const srv = ps[sDone];
      srv.advance(now);
      do finish(srv.pop(), now);
      while (srv.due());
    } else if (tMark === now) {
      world.expire(now);
      membership(marks[mi++], now);
    } else if (nextTick === now) {
      world.expire(now);
      nextTick += TICK_MS;
    } else if (nextSample === now) {
      sample(now);
      nextSample += sampleMs;
    } else if (nextRefresh === now) {
      // Stands for the data packets of long transfers, whose times are not modelled: a touch, no sweep.
      for (const srv of ps) for (const j of srv.inProgress()) world.refresh(jobSlot[j], now);
      nextRefresh += refreshMs;
    } else {
      world.expire(now);
      arrive(i++, now);
    }
  }
  const wallMs = performance.now() - t0;
  check(end);
  for (const srv of ps) {
    for (const j of srv.inProgress()) {
      r.unfinished++;
      if (w.time[j] >= warmMs) responses.push(end - w.time[j]);
    }
  }
  let activeAtEnd = 0;
  for (let id = 1; id < world.srvOf.length; id++) activeAtEnd += world.rt.dests.active[id];
  const replay = world.log.replay();
  const [p50, p95, p99] = responses.percentiles([50, 95, 99]);
  return {
    scheduler: name,
    arrivals: w.n,
    ...r,
    reused: world.reused,
    openAtEnd: open,
    activeAtEnd,
    tableCount: world.conns.count,
    tableAdded: world.added,
    tableFreed: world.freed,
    tally,
    decisions: replay.decisions,
    decisionsPerSec: replay.decisions / replay.seconds,
    replayMismatches: replay.mismatches,
    wallMs,
    eventsPerSec: w.n / (wallMs / 1000),
    maxMean: imbalance.maxMean,
    cv: imbalance.cv,
    worstMaxMean: imbalance.worstMaxMean,
    p50, p95, p99,
    responses: responses.n,
    disruption: disruption.events,
    servers: world.servers.map((s, k) => ({
      name: s.name, capacity: o.capacities[k], weight: s.weight, conns: placed[k], meanActive: samples ? activeSum[k] / samples : 0,
    })),
  };
}
