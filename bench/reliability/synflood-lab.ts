// Issue 15 item 4 end to end (root): a SYN flood of spoofed sources at the VIP
// of a NAT lab (`tsvs lab up nat`), sent raw from the client's namespace by
// test/e2e/syn-flood.py at the highest rate it reaches (or a given one), while a
// legitimate client in the same namespace opens a new connection (one HTTP GET,
// Connection: close) every few ms and times it. Printed per lvs.cf setting: the
// flood's rate as sent and as the router received it, the share of legitimate
// requests answered (a 5 s limit each, so a SYN lost once and retransmitted after
// 1 s still counts, slow), their latency percentiles, and the connection table's
// fullest (stats file, once a second). test/e2e/synflood.test.ts asserts the
// user-facing part at a paced rate; nothing here is asserted.
import { join } from 'node:path';
import { labUp, type Lab, type LabProcess } from '../../src/lab/index.js';
import type { StatsSnapshot } from '../../src/router/stats.js';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Row } from '../lib/report.js';

export const FLOOD_SCRIPT = join(process.cwd(), 'test/e2e/syn-flood.py');
const MAIN = join(process.cwd(), 'dist/src/cli/main.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// The legitimate client: open-loop (a new connection every INTERVAL ms whatever the
// others are doing, so a slow one does not hide the next), each timed from the
// request to the end of the answer; one JSON line at the end.
const CLIENT = `const [url, n, every, limit] = process.argv.slice(1).map((v, i) => i ? Number(v) : v);
const http = require('node:http');
const lat = []; let ok = 0, failed = 0, done = 0; const kinds = {};
const one = () => { const t0 = performance.now(); let end = false;
  const finish = (err) => { if (end) return; end = true; done++;
    if (err) { failed++; kinds[err] = (kinds[err] || 0) + 1; } else { ok++; lat.push(performance.now() - t0); }
    if (done === n) report(); };
  const req = http.get(url, { agent: false, timeout: limit, headers: { connection: 'close' } }, (res) => {
    let body = ''; res.on('data', (c) => { body += c; }); res.on('end', () => finish(body.startsWith('rs') ? null : 'bad_body'));
    res.on('error', (e) => finish(e.code || 'error')); });
  req.on('timeout', () => { req.destroy(); finish('timeout'); });
  req.on('error', (e) => finish(e.code || 'error')); };
const report = () => { lat.sort((a, b) => a - b); const p = (q) => lat.length ? +lat[Math.min(lat.length - 1, Math.floor(q * lat.length))].toFixed(1) : null;
  console.log(JSON.stringify({ tried: n, ok, failed, kinds, p50: p(0.5), p90: p(0.9), p99: p(0.99), max: lat.length ? +lat[lat.length - 1].toFixed(1) : null })); process.exit(0); };
for (let k = 0; k < n; k++) setTimeout(one, k * every);
setTimeout(() => { console.error('legit client: not done in time'); report(); }, n * every + limit + 2000);`;

export interface LegitResult {
  tried: number;
  ok: number;
  failed: number;
  kinds: Record<string, number>;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export interface FloodResult {
  sent: number;
  seconds: number;
  rate: number;
}

export interface RoundResult {
  flood: FloodResult;
  legit: LegitResult;
  /** Frames the router received during the round (both sides: the servers' SYN-ACKs too), per second of flood. */
  rxRate: number;
  /** The most connections the stats file showed during the round. */
  maxConns: number;
  counters: Record<string, number>;
}

export interface RoundOptions {
  /** Flood frames per second, 0: as fast as the generator goes. */
  rate: number;
  seconds: number;
  /** Legitimate connections, one every intervalMs from 1 s into the flood. */
  legit: number;
  intervalMs: number;
  statsPath: string;
}

const readStats = (p: string): StatsSnapshot | null => {
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as StatsSnapshot;
  } catch {
    return null;
  }
};

/** One flood with legitimate clients during it, against a router already serving in `lab`. */
export async function floodRound(lab: Lab, o: RoundOptions): Promise<RoundResult> {
  const cmac = (await lab.exec('client', ['cat', '/sys/class/net/eth0/address'], { check: true })).stdout.trim();
  const rmac = (await lab.exec('router', ['cat', '/sys/class/net/eth0/address'], { check: true })).stdout.trim();
  const rx0 = readStats(o.statsPath)?.counters.rx_frames ?? 0;
  // Spoofed sources off the client's /24 (the router answers them through the MAC they came from, as NAT replies do).
  const flood = lab.exec('client', ['python3', FLOOD_SCRIPT, 'eth0', cmac, rmac, lab.vip, '80', '198.18.128.0', '65536', '50000000', String(o.seconds), String(o.rate)],
    { timeoutMs: (o.seconds + 30) * 1000, check: true });
  let maxConns = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      maxConns = Math.max(maxConns, readStats(o.statsPath)?.connections ?? 0);
      await sleep(250);
    }
  })();
  await sleep(1000);
  const legit = lab.exec('client', [process.execPath, '-e', CLIENT, `http://${lab.vip}/`, String(o.legit), String(o.intervalMs), '5000'],
    { timeoutMs: o.legit * o.intervalMs + 20_000, check: true });
  const [f, l] = await Promise.all([flood, legit]);
  // One more stats write (each second) so that the counters cover the whole flood.
  await sleep(1200);
  sampling = false;
  await sampler;
  const after = readStats(o.statsPath);
  const floodRes = JSON.parse(f.stdout.trim().split('\n').at(-1)!) as FloodResult;
  return {
    flood: floodRes,
    legit: JSON.parse(l.stdout.trim().split('\n').at(-1)!) as LegitResult,
    rxRate: Math.round(((after?.counters.rx_frames ?? 0) - rx0) / Math.max(floodRes.seconds, 0.001)),
    maxConns,
    counters: after?.counters ?? {},
  };
}

export function startFloodRouter(lab: Lab, statsPath: string, capacity: number): LabProcess {
  return lab.spawn('router', [process.execPath, MAIN, 'start', '-c', lab.configPath, '--no-health-checks', '--conn-capacity', String(capacity),
    '--stats-file', statsPath, '--control-socket', join(lab.stateDir, 'tsvs.sock')], { label: 'router' });
}

/** Waits until a request through the VIP is answered (at most limitMs). */
export async function untilServing(lab: Lab, router: LabProcess, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (!router.alive()) throw new Error(`router exited: ${router.log().slice(-1500)}`);
    if ((await lab.exec('client', ['curl', '-s', '-m', '0.5', `http://${lab.vip}/`])).stdout.startsWith('rs')) return;
    await sleep(100);
  }
  throw new Error(`not serving within ${limitMs} ms: ${router.log().slice(-1500)}`);
}

/** lvs.cf with these global settings added (e.g. { syn_proxy: 1 }). */
export function withGlobals(cf: string, globals: Record<string, number>): string {
  const lines = Object.entries(globals).map(([k, v]) => `${k} = ${v}`).join('\n');
  return lines ? `${lines}\n${cf}` : cf;
}

export interface Setting {
  label: string;
  globals: Record<string, number>;
}

export const SETTINGS: Setting[] = [
  { label: 'defaults (half-open eviction)', globals: {} },
  { label: 'drop_entry=1 secure_tcp=1', globals: { drop_entry: 1, secure_tcp: 1 } },
  { label: 'syn_proxy=1 (SYN cookies under pressure)', globals: { syn_proxy: 1 } },
  { label: 'syn_proxy=3 (SYN cookies always)', globals: { syn_proxy: 3 } },
];

/** Flood rates: 0 is as fast as the generator goes (on 2 shared cores the router's one thread saturates first); 50 k/s paced. */
const RATES = [0, 50_000];

export async function runSynFloodLabBench(o: { quick: boolean; settings?: Setting[] }): Promise<Row[]> {
  if (process.getuid?.() !== 0) return [{ setting: 'skipped: needs root (network namespaces, AF_PACKET)' }];
  const capacity = 10_000;
  const rows: Row[] = [];
  for (const s of o.settings ?? SETTINGS) for (const rate of RATES) {
    const lab = await labUp({ mode: 'nat', servers: 2, name: `sfl${process.pid % 10000}${rows.length}` });
    try {
      writeFileSync(lab.configPath, withGlobals(readFileSync(lab.configPath, 'utf8'), s.globals));
      const statsPath = join(lab.stateDir, 'stats.json');
      const router = startFloodRouter(lab, statsPath, capacity);
      await untilServing(lab, router);
      const seconds = o.quick ? 6 : 15;
      const r = await floodRound(lab, { rate, seconds, legit: (seconds - 2) * 50, intervalMs: 20, statsPath });
      if (!router.alive()) throw new Error(`router exited during the flood: ${router.log().slice(-1500)}`);
      await router.stop(5000);
      const c = r.counters;
      rows.push({
        setting: s.label,
        conn_capacity: capacity,
        flood_paced_to: rate || 'max',
        flood_sent_per_s: r.flood.rate,
        router_rx_per_s: r.rxRate,
        ring_drops: c.backend_ring_drops ?? 0,
        legit_tried: r.legit.tried,
        legit_ok_pct: +((100 * r.legit.ok) / r.legit.tried).toFixed(2),
        p50_ms: r.legit.p50 ?? 0,
        p90_ms: r.legit.p90 ?? 0,
        p99_ms: r.legit.p99 ?? 0,
        max_ms: r.legit.max ?? 0,
        max_conns: r.maxConns,
        half_open_evicted: c.defense_half_open_evicted ?? 0,
        table_full_drops: c.drop_conn_table_full ?? 0,
        syn_cookies_sent: c.synproxy_cookies_sent ?? 0,
        proxied_conns: c.synproxy_conns ?? 0,
      });
    } finally {
      await lab.down();
    }
  }
  return rows;
}
