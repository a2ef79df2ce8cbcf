// Failover as a client sees it (root): the two-router NAT lab (tsvs lab up nat
// --ha: keepalive 1 s, deadtime 3 s, failback), a client in it opening a new
// connection every 20 ms and holding long paced downloads, and the primary
// killed with SIGKILL mid-stream, then started again (failback). Printed per
// round: the takeover time (last reply before the kill to the first after), the
// new connections that failed, the established downloads that survived, and the
// same for the failback; with connection sync (the lab's lvs.cf) and without.
// With `vrrp` the pair elects by VRRP instead (tsvs lab up nat --ha --vrrp:
// advert_int 1 s, so a backup takes over 3 s + skew after the last advert, and
// the primary back preempts after its own master-down interval).
// Nothing here is asserted; the e2e tests assert the rules.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlClient } from '../../src/control/client.js';
import { labUp, type Lab, type LabProcess } from '../../src/lab/index.js';
import type { Row } from '../lib/report.js';

const MAIN = join(process.cwd(), 'dist/src/cli/main.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// The client: for `secs` seconds a GET on a new connection every 20 ms (200 ms
// timeout each), and `flows` downloads of `bytes` read at `rate` bytes/s. Prints
// one JSON line: the times (ms since the epoch) of answered GETs, the failed
// ones, and per download the bytes it got, whether it ended cleanly, its stalls
// and why it ended (the bench explains each lost one on stderr).
const CLIENT = `const [url, secs, flows, bytes, rate] = process.argv.slice(1).map((v, i) => (i ? Number(v) : v));
const http = require('node:http');
const ok = [], failed = [], downloads = [];
const end = Date.now() + secs * 1000;
const agent = new http.Agent({ keepAlive: false });
function probe() {
  if (Date.now() >= end) return;
  const t = Date.now();
  const req = http.get(url, { agent, timeout: 200 }, (res) => { res.resume(); res.on('end', () => ok.push(t)); });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => failed.push(t));
  setTimeout(probe, 20);
}
for (let k = 0; k < flows; k++) {
  const d = { got: 0, ok: false, ended: false, last: Date.now(), stalls: [], why: '', server: '', port: 0, endAt: 0 };
  downloads.push(d);
  const t0 = Date.now();
  const req = http.get(url.replace(/\\/$/, '') + '/bytes?n=' + bytes, { agent }, (res) => {
    d.server = res.headers['x-server'] || '';
    d.port = res.socket.localPort;
    res.on('data', (c) => {
      const now = Date.now();
      if (now - d.last > 500) d.stalls.push([d.last, now - d.last]);
      d.last = now;
      d.got += c.length;
      const wait = t0 + (d.got / rate) * 1000 - Date.now();
      if (wait > 0) { res.pause(); setTimeout(() => res.resume(), wait); }
    });
    res.on('end', () => { d.ok = d.got === bytes; d.ended = true; d.endAt = Date.now(); d.why = d.ok ? '' : 'short'; });
    res.on('error', (e) => { d.ended = true; d.endAt = Date.now(); d.why = e.message; });
  });
  req.setTimeout(30000, () => req.destroy(new Error('idle 30 s')));
  req.on('error', (e) => { d.ended = true; d.endAt = d.endAt || Date.now(); d.why = d.why || e.message; });
}
probe();
// Done when every download ended (a stalled flow can take a few retransmission
// timeouts to resume after a takeover) or, at the latest, 30 s after the probes.
const done = () => { console.log(JSON.stringify({ ok, failed, downloads })); process.exit(0); };
setInterval(() => { if (Date.now() >= end && downloads.every((d) => d.ended)) done(); }, 200);
setTimeout(done, secs * 1000 + 30000);`;

interface ClientResult {
  ok: number[];
  failed: number[];
  downloads: Array<{ got: number; ok: boolean; last: number; stalls: Array<[number, number]>; why: string; server: string; port: number; endAt: number }>;
}

async function active(api: ControlClient): Promise<boolean | null> {
  return api.failover().then((v) => v.active, () => null);
}

async function until(what: string, ms: number, cond: () => Promise<boolean>): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`bench set-up: ${what} not within ${ms} ms`);
    await sleep(100);
  }
}

/** The gap around `at`: last answered GET before it to the first after it (ms), and the GETs that failed within 10 s after it. */
function gap(r: ClientResult, at: number): { ms: number; failed: number } {
  const before = r.ok.filter((t) => t < at).at(-1) ?? at;
  const after = r.ok.find((t) => t >= at);
  return { ms: after === undefined ? NaN : after - before, failed: r.failed.filter((t) => t >= at && t < at + 10_000).length };
}

/** Downloads per round and each one's read rate (bytes/s): 20 MB/s in all on the full run. */
interface Flows {
  flows: number;
  rate: number;
}

export async function runTakeoverBench(o: { quick?: boolean; vrrp?: boolean } = {}): Promise<Row[]> {
  const rounds = o.quick ? 1 : 3;
  const f: Flows = o.quick ? { flows: 5, rate: 2_000_000 } : { flows: 50, rate: 400_000 };
  if (o.vrrp) return runVariant(true, rounds, f, true);
  const rows: Row[] = [];
  for (const syncOn of [true, false]) rows.push(...(await runVariant(syncOn, rounds, f)));
  return rows;
}

/** One lab, `rounds` kill-and-failback cycles; the lab's lvs.cf has connection sync on, or off for the baseline. */
async function runVariant(syncOn: boolean, rounds: number, { flows, rate }: Flows, vrrp = false): Promise<Row[]> {
  const lab = await labUp({ mode: 'nat', servers: 2, name: `bha${process.pid % 10000}${vrrp ? 'v' : syncOn ? 's' : 'n'}`, ha: true, vrrp });
  const rows: Row[] = [];
  try {
    if (!syncOn) writeFileSync(lab.configPath, readFileSync(lab.configPath, 'utf8').replace('syncdaemon = 1', 'syncdaemon = 0'));
    const sock = (which: string) => join(lab.stateDir, `${which}.sock`);
    const start = (which: 'router' | 'backup'): LabProcess =>
      lab.spawn(which, [process.execPath, MAIN, 'start', '-c', lab.configPath, '--backend', 'native', '--control-socket', sock(which)], { label: which });
    const api = { router: new ControlClient(sock('router')), backup: new ControlClient(sock('backup')) };
    let primary = start('router');
    start('backup');
    for (let round = 1; round <= rounds; round++) {
      await until('the primary active', 30_000, async () => (await active(api.router)) === true && (await active(api.backup)) === false);
      await sleep(1000);
      const secs = 20;
      const client = clientRun(lab, secs, flows, rate);
      await sleep(3000);
      const killedAt = Date.now();
      process.kill(primary.pid, 'SIGKILL');
      await until('the backup active', 15_000, async () => (await active(api.backup)) === true);
      await sleep(2000);
      primary = start('router');
      await until('the primary back (failback)', 20_000, async () => (await active(api.router)) === true);
      const backAt = Date.now();
      const r = await client;
      explainLost(r, killedAt, backAt);
      const kill = gap(r, killedAt);
      const back = gap(r, backAt);
      rows.push({
        ...(vrrp ? { election: 'vrrp' } : {}), sync: syncOn ? 'on' : 'off', round, 'new conns tried': r.ok.length + r.failed.length,
        'takeover ms (last reply -> first)': kill.ms, 'failed in 10 s after kill': kill.failed,
        'failback gap ms': back.ms, 'failed in 10 s after failback': back.failed,
        [`downloads intact of ${flows}`]: r.downloads.filter((d) => d.ok).length,
        'established lost per 1,000': Math.round((1000 * r.downloads.filter((d) => !d.ok).length) / flows),
      });
    }
  } finally {
    await lab.down();
  }
  return rows;
}

/** One stderr line per download that did not finish: what it got, when it stopped, why. */
function explainLost(r: ClientResult, killedAt: number, backAt: number): void {
  const at = (t: number) => `kill${t >= killedAt ? '+' : ''}${((t - killedAt) / 1000).toFixed(1)}s`;
  console.error(`  (failback at ${at(backAt)})`);
  for (const d of r.downloads) {
    const stalls = d.stalls.map(([t, ms]) => `${at(t)} for ${(ms / 1000).toFixed(1)}s`).join(', ');
    const how = d.why ? `, ${d.why} at ${at(d.endAt)}` : '';
    console.error(`  download ${d.ok ? 'intact' : 'LOST'} (port ${d.port}, ${d.server}): ${(d.got / 1e6).toFixed(1)} MB, last byte ${at(d.last)}${how}${stalls ? `; stalls: ${stalls}` : ''}`);
  }
}

function clientRun(lab: Lab, secs: number, flows: number, rate: number): Promise<ClientResult> {
  // Each download lasts `secs` at `rate`: far more than the sockets' buffers hold
  // (a few MB), so most of it crosses the routers after the kill at 3 s.
  return lab.exec('client', [process.execPath, '-e', CLIENT, `http://${lab.vip}/`, String(secs), String(flows), String(rate * secs), String(rate)], { timeoutMs: (secs + 40) * 1000 })
    .then((res) => JSON.parse(res.stdout.trim().split('\n').at(-1)!) as ClientResult);
}
