// Scheduler decisions per second at 3, 100 and 10,000 real servers, measured
// with the `benchmark` package (suites run synchronously). Each decision is one
// schedule() call on a packet from a rotating client address (1,024 distinct
// destination addresses for lblc/lblcr). For the schedulers that read the
// connection counters (lc, wlc, sed, nq, lblc, lblcr, twos) a decision also
// binds a connection to the chosen dest (active++ and changed(), as the engine
// does) and, once a ring of 8 live connections per server is full, releases
// the oldest (active--, changed()), so their indexes are exercised as under
// steady load; the figure is decisions/s including that upkeep.
import Benchmark from 'benchmark';
import { createScheduler } from '../../src/sched/registry.js';
import { DEST_AVAILABLE, type DestView, type Scheduler } from '../../src/sched/types.js';
import type { Row } from '../lib/report.js';

const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'sed', 'nq', 'lblc', 'lblcr', 'dh', 'sh', 'mh', 'fo', 'ovf', 'twos'];
// ovf is left out: with every server past its weight it would only return 0.
const BINDING = new Set(['lc', 'wlc', 'sed', 'nq', 'lblc', 'lblcr', 'twos']);
const SIZES = [3, 100, 10_000];

interface Fixture {
  dests: DestView & { active: Uint32Array; inactive: Uint32Array };
  ids: Uint32Array;
}

function fixture(n: number): Fixture {
  const cap = n + 1;
  const dests = {
    weight: new Int32Array(cap),
    flags: new Uint8Array(cap),
    active: new Uint32Array(cap),
    inactive: new Uint32Array(cap),
    addr: new Uint32Array(cap),
    port: new Uint16Array(cap),
  };
  const ids = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const d = i + 1;
    ids[i] = d;
    dests.weight[d] = 1 + (i % 5); // mixed weights, so wrr and the weighted rules do real work
    dests.flags[d] = DEST_AVAILABLE;
    dests.addr[d] = (0x0a000000 + d) >>> 0;
    dests.port[d] = 80;
    dests.inactive[d] = i % 7;
  }
  return { dests, ids };
}

/** One decision as a closure over the scheduler and its fixture; returns the dest (kept live). */
function decision(name: string, s: Scheduler, f: Fixture, n: number): () => number {
  const { dests } = f;
  let client = 0;
  if (!BINDING.has(name)) {
    return () => {
      client = (client + 1) & 0xffff;
      return s.schedule(dests, (0xc0a80000 + client) >>> 0, 1024 + client, (0xc0000000 + (client & 1023)) >>> 0, 80, 0);
    };
  }
  // Live connections: a ring of bound dests, 8 per server; when full, the oldest is released.
  const ring = new Uint32Array(Math.max(64, 8 * n));
  let pos = 0;
  let live = 0;
  let now = 0;
  return () => {
    client = (client + 1) & 0xffff;
    now += 1;
    const d = s.schedule(dests, (0xc0a80000 + client) >>> 0, 1024 + client, (0xc0000000 + (client & 1023)) >>> 0, 80, now);
    if (d !== 0) {
      if (live === ring.length) {
        const old = ring[pos];
        dests.active[old]--;
        s.changed?.(old, dests);
      } else live++;
      ring[pos] = d;
      pos = pos + 1 === ring.length ? 0 : pos + 1;
      dests.active[d]++;
      s.changed?.(d, dests);
    }
    return d;
  };
}

export interface SchedBenchOptions {
  quick?: boolean;
  /** Subsets, for smoke tests: scheduler names and server counts. */
  schedulers?: string[];
  sizes?: number[];
}

export function runSchedBench(opts: SchedBenchOptions = {}): Row[] {
  const rows: Row[] = [];
  const options = opts.quick ? { minSamples: 3, maxTime: 0.1, initCount: 1 } : { minSamples: 20, maxTime: 1.5 };
  let sink = 0;
  for (const n of opts.sizes ?? SIZES) {
    const suite = new Benchmark.Suite(`sched ${n}`);
    for (const name of opts.schedulers ?? SCHEDULERS) {
      const f = fixture(n);
      const s = createScheduler(name);
      s.update(f.ids, f.dests);
      const decide = decision(name, s, f, n);
      for (let k = 0; k < 1000; k++) sink ^= decide(); // warm up, fill the ring
      suite.add(`${name}/${n}`, () => {
        sink ^= decide();
      }, options);
    }
    suite.run({ async: false });
    suite.forEach((b: Benchmark) => {
      const [scheduler] = b.name!.split('/');
      rows.push({ scheduler, servers: n, 'decisions/s': Math.round(b.hz), 'rme %': Number(b.stats.rme.toFixed(1)) });
    });
  }
  if (sink === -1) rows.push({ scheduler: 'sink', servers: 0, 'decisions/s': sink });
  return rows;
}
