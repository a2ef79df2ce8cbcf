// How per-worker scheduler state (tsvs start --workers N) changes the balance.
// Each worker runs its own scheduler over the same server list with its own
// counts (rr position, wlc/lc active and inactive counts), as IPVS keeps some
// state per CPU; the fanout program hands it the clients whose address hashes to
// it (router/fanout-bpf.ts). This simulation drives N of the scheduler bench's
// worlds (the engine's own ServiceRuntime, NewConnections and ConnTable), one per
// worker, with one stream of connections from 1,000 client addresses split by the
// program's hash, and measures what the servers see: the sum over workers.
//   imbalance: time-averaged max over servers of (active / weight) / (all active / all weights), 1 = perfect
//   (rr and lc ignore weights: for them every weight counts as 1)
//   conns spread: max deviation of a server's share of new connections from its weight's share
import { PROTO_TCP } from '../../src/model/index.js';
import { clientHash } from '../../src/router/fanout-bpf.js';
import { exponential, seededUniform } from '../../src/schedbench/rng.js';
import { World } from '../../src/schedbench/world.js';
import type { Row } from '../lib/report.js';

const WEIGHTS = [1, 2, 3, 4];
const CLIENTS = 1000;
const VIP = 0xc6120010;

interface Load { name: string; perSecond: number; lifetimeS: number }

function simulate(scheduler: string, workers: number, load: Load, seconds: number, seed: number): { imbalance: number; spread: number } {
  // rr and lc ignore weights: their fair share is equal.
  const fair = /^(rr|lc)$/.test(scheduler) ? WEIGHTS.map(() => 1) : WEIGHTS;
  const worlds = Array.from({ length: workers }, (_, k) => new World({
    scheduler, weights: WEIGHTS, proto: PROTO_TCP, vip: VIP, vport: 80, persistence: 0,
    connCapacity: Math.ceil(load.perSecond * (seconds + 130)) + 1024, seed: seed + k,
  }));
  const u = seededUniform(seed);
  const closes = new Map<number, Array<[number, number]>>();
  const placed = new Array<number>(WEIGHTS.length).fill(0);
  const port = new Uint16Array(CLIENTS);
  let imbalanceSum = 0;
  let samples = 0;
  let next = exponential(u, 1000 / load.perSecond);
  for (let ms = 0; ms < seconds * 1000; ms++) {
    for (const [k, s] of closes.get(ms) ?? []) worlds[k].close(s, ms);
    closes.delete(ms);
    while (next < ms + 1) {
      const c = Math.floor(u() * CLIENTS);
      const client = (0x0a010000 + c) >>> 0;
      const k = clientHash(client, 0xffffffff) % workers;
      port[c] = (port[c] + 1) % 28000;
      const s = worlds[k].open(client, 32768 + port[c], ms);
      if (s > 0) {
        placed[worlds[k].srvOf[worlds[k].conns.destOf(s)]]++;
        const end = Math.ceil(ms + exponential(u, load.lifetimeS * 1000));
        let list = closes.get(end);
        if (!list) closes.set(end, (list = []));
        list.push([k, s]);
      }
      next += exponential(u, 1000 / load.perSecond);
    }
    if (ms % 1000 === 999) for (const w of worlds) w.expire(ms);
    // Sampled every 100 ms after a warm-up of 10 lifetimes.
    if (ms % 100 === 0 && ms > 10 * load.lifetimeS * 1000) {
      const active = new Array<number>(WEIGHTS.length).fill(0);
      for (const w of worlds) for (const d of w.entry.ids) active[w.srvOf[d]] += w.rt.dests.active[d];
      const total = active.reduce((a, b) => a + b, 0);
      if (total > 0) {
        const mean = total / fair.reduce((a, b) => a + b, 0);
        imbalanceSum += Math.max(...active.map((a, i) => a / fair[i])) / mean;
        samples++;
      }
    }
  }
  const all = placed.reduce((a, b) => a + b, 0);
  const fsum = fair.reduce((a, b) => a + b, 0);
  const share = (i: number): number => fair[i] / fsum;
  const spread = Math.max(...placed.map((p, i) => Math.abs(p / all - share(i)) / share(i)));
  return { imbalance: samples ? imbalanceSum / samples : NaN, spread };
}

export function runWorkersBalance(opts: { quick?: boolean } = {}): Row[] {
  const seconds = opts.quick ? 30 : 120;
  const loads: Load[] = [
    { name: 'busy: ~2000 open', perSecond: 2000, lifetimeS: 1 },
    { name: 'light: ~8 open', perSecond: 8, lifetimeS: 1 },
  ];
  const rows: Row[] = [];
  for (const load of loads) {
    for (const scheduler of ['rr', 'wrr', 'lc', 'wlc', 'sed', 'nq']) {
      const row: Row = { load: load.name, scheduler };
      for (const n of [1, 2, 4]) {
        const r = simulate(scheduler, n, load, load.perSecond < 100 ? seconds * 5 : seconds, 42);
        row[`imbalance ${n}w`] = Number(r.imbalance.toFixed(3));
        row[`conns spread ${n}w (%)`] = Number((100 * r.spread).toFixed(1));
      }
      rows.push(row);
    }
  }
  return rows;
}
