// Connection table micro-benchmarks: memory per connection, add, lookup with 1 M live
// connections (hits from both sides and misses), TCP transitions, expiry, and heap
// growth over a long lookup loop (which must be ~0: lookups allocate nothing).
// Set-up (tuple generation) is kept out of the timed sections.
// Run: node --expose-gc dist/bench/conn/table.bench.js (prints JSON), or call run().
import { PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { CONN_F_NAT, CONN_F_NOOUTPUT, ConnTable, Dests } from '../../src/conn/index.js';

const TCP = 6;
const LIVE = 1_000_000;
const LOOKUPS = 4_000_000;
const PROBES = 1 << 20;
const HEAP_LOOKUPS = 20_000_000;
const T0 = 1_700_000_000_000;

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
}

/** Counts garbage collections while fn runs: a loop that allocates nothing triggers none. */
async function gcEvents(fn: () => void): Promise<number> {
  let n = 0;
  const obs = new PerformanceObserver((list) => {
    n += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  fn();
  await new Promise((r) => setTimeout(r, 50)); // entries are delivered asynchronously
  obs.disconnect();
  return n;
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export async function run(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  // Tuples: clients over a /12, 4 VIPs, 64 real servers; every 4th conn DR, the rest NAT.
  let x = 0x9e3779b9;
  const rand = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  // Addresses are int32, as the engine reads them (DataView.getInt32): see ConnTable.lookup.
  const caddr = new Int32Array(LIVE), cport = new Uint16Array(LIVE), vaddr = new Int32Array(LIVE);
  const daddr = new Int32Array(LIVE), dport = new Uint16Array(LIVE);
  for (let i = 0; i < LIVE; i++) {
    caddr[i] = 0x0a000000 + (rand() & 0xfffff);
    cport[i] = 1024 + (i % 60000);
    vaddr[i] = 0xc0a80001 + (i & 3);
    daddr[i] = 0xac100000 + (i & 63);
    dport[i] = 8080;
  }
  // Probe tuples copied out in visiting order, so that reading them is sequential (as a
  // packet's own header is in cache) and the timed loops measure the table's misses.
  const pc = new Int32Array(PROBES), pcp = new Uint16Array(PROBES), pv = new Int32Array(PROBES);
  const pd = new Int32Array(PROBES), pdp = new Uint16Array(PROBES);
  for (let k = 0; k < PROBES; k++) {
    const i = rand() % LIVE;
    pc[k] = caddr[i];
    pcp[k] = cport[i];
    pv[k] = vaddr[i];
    pd[k] = daddr[i];
    pdp[k] = dport[i];
  }

  const dests = new Dests(256);
  const t0 = process.hrtime.bigint();
  const t = new ConnTable({ capacity: LIVE, dests, seed: 7 });
  out['construct_ms_1M'] = seconds(t0) * 1000;
  out['bytes_per_conn'] = t.bytes / t.capacity;
  out['table_bytes_1M'] = t.bytes;

  let start = process.hrtime.bigint();
  let added = 0;
  for (let i = 0; i < LIVE; i++) {
    const flags = (i & 3) === 3 ? CONN_F_NOOUTPUT : CONN_F_NAT;
    if (t.add(TCP, caddr[i], cport[i], vaddr[i], 80, daddr[i], dport[i], 1 + (i & 63), flags, 0, T0) !== 0) added++;
  }
  out['adds_per_s'] = LIVE / seconds(start);
  out['live'] = t.count;

  // Hits from the client side (the engine's lookupIn: the packet is to a VIP).
  start = process.hrtime.bigint();
  let found = 0;
  for (let k = 0; k < LOOKUPS; k++) {
    const i = k & (PROBES - 1);
    if (t.lookupIn(TCP, pc[i], pcp[i], pv[i], 80) !== 0) found++;
  }
  out['lookups_per_s_hit_in'] = LOOKUPS / seconds(start);
  out['hit_ratio_in'] = found / LOOKUPS;

  // Replies from the real server side (lookupOut: NAT conns found, DR ones miss).
  start = process.hrtime.bigint();
  found = 0;
  for (let k = 0; k < LOOKUPS; k++) {
    const i = k & (PROBES - 1);
    if (t.lookupOut(TCP, pd[i], pdp[i], pc[i], pcp[i]) !== 0) found++;
  }
  out['lookups_per_s_reply'] = LOOKUPS / seconds(start);
  out['hit_ratio_reply'] = found / LOOKUPS;

  // Misses (unknown client ports).
  start = process.hrtime.bigint();
  found = 0;
  for (let k = 0; k < LOOKUPS; k++) {
    const i = k & (PROBES - 1);
    if (t.lookupIn(TCP, pc[i] ^ 0x00f00000, pcp[i], pv[i], 80) !== 0) found++;
  }
  out['lookups_per_s_miss'] = LOOKUPS / seconds(start);

  // Handshake transitions on every conn: SYN, ACK (counters move, timers re-arm).
  start = process.hrtime.bigint();
  for (let s = 1; s <= LIVE; s++) t.tcpTransition(s, 0, 0x02, T0 + 1000);
  for (let s = 1; s <= LIVE; s++) t.tcpTransition(s, 0, 0x10, T0 + 2000);
  out['transitions_per_s'] = (2 * LIVE) / seconds(start);

  // Heap growth, and collections, over a long lookup loop.
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  found = 0;
  out['gc_events_20M_lookups'] = await gcEvents(() => {
    for (let k = 0; k < HEAP_LOOKUPS; k++) {
      const i = k & (PROBES - 1);
      if (t.lookupIn(TCP, pc[i], pcp[i], pv[i], 80) !== 0) found++;
    }
  });
  gc();
  out['heap_growth_bytes_20M_lookups'] = process.memoryUsage().heapUsed - heapBefore;
  out['gc_exposed'] = (globalThis as { gc?: unknown }).gc ? 1 : 0;

  // Steady churn at 1 M live: each round expires the oldest conns and adds as many,
  // with transitions and touches; it must not allocate either.
  const churn = await churnLoop(t);
  out['churn_ops_per_s'] = churn.opsPerS;
  out['gc_events_churn'] = churn.gcs;

  // Expiry of everything still live, in budgeted sweeps.
  start = process.hrtime.bigint();
  const liveBefore = t.count;
  let expired = 0;
  let sweeps = 0;
  const later = churn.now + 900_000 + 64;
  while (t.count > 0 && sweeps < 1000) {
    expired += t.expire(later);
    sweeps++;
  }
  out['expiries_per_s'] = expired / seconds(start);
  out['expire_sweeps'] = sweeps;
  out['dest_counters_left'] = dests.active.reduce((a, b) => a + b, 0) + dests.inactive.reduce((a, b) => a + b, 0);
  if (added !== LIVE || expired !== liveBefore || t.count !== 0 || found !== HEAP_LOOKUPS) throw new Error('table bench: inconsistent results');
  return out;
}

/** 20 rounds of: 100 ms pass, 50 000 conns (the ones armed earliest) expire, 50 000 new ones
 *  arrive and go through a handshake. The first 4 rounds warm the code up and are not measured. */
async function churnLoop(t: ConnTable): Promise<{ opsPerS: number; gcs: number; now: number }> {
  const PER = 50_000;
  const ROUNDS = 20;
  const WARM = 4;
  let now = T0 + 3000;
  // Give the table a staircase of deadlines: 20 groups, 100 ms apart. Every conn was
  // added in the same tick, so they all wait in one wheel slot to be re-filed (lazily,
  // their expiry only moved later): settle that before timing.
  for (let s = 1; s <= t.capacity; s++) t.setTimeout(s, 1000 + 100 * Math.floor((s - 1) / PER), now);
  const nowTick = Math.floor(now / 64) | 0;
  for (let i = 0; i < 100 && ((nowTick - t.wheel.cursor) | 0) >= 0; i++) t.expire(now);
  for (let r = 0; r < WARM; r++) churnRound(t, r, PER, (now += 100));
  let ops = 0;
  const start = process.hrtime.bigint();
  const gcs = await gcEvents(() => {
    for (let r = WARM; r < ROUNDS; r++) ops += churnRound(t, r, PER, (now += 100));
  });
  return { opsPerS: ops / seconds(start), gcs, now };
}

function churnRound(t: ConnTable, r: number, per: number, now: number): number {
  // `now` is ms since the epoch, beyond V8's small integers: a freshly computed one
  // passed to a call is boxed, so each is computed once per round, like once per batch.
  const sweepAt = now + 1000;
  const later = now + 1;
  let ops = t.expire(sweepAt);
  for (let k = 0; k < per; k++) {
    const c = 0x0b000000 + r * per + k;
    const s = t.add(TCP, c, k & 0xffff, 0xc0a80001 | 0, 80, 0xac100001 | 0, 8080, 1 + (k & 63), CONN_F_NAT, 0, now);
    if (s === 0) throw new Error('table bench: churn found the table full');
    t.tcpTransition(s, 0, 0x02, now);
    t.tcpTransition(s, 1, 0x12, now);
    t.tcpTransition(s, 0, 0x10, now);
    t.touch(s, later);
    ops += 5;
  }
  return ops;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then((r) => console.log(JSON.stringify(r, null, 2)));
}
