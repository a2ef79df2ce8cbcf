// End-to-end harness: a lab in namespaces, the router started in it with a
// chosen backend, and bounded clients. Everything here needs root and cleans
// up after itself (lab.down() ends processes by PID and deletes namespaces).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillPattern } from '../../src/lab/httpd.js';
import { labUp, patternSha, type Lab, type LabProcess } from '../../src/lab/index.js';
import type { StatsSnapshot } from '../../src/router/stats.js';

export const ROOT = process.getuid?.() === 0;
export const MAIN = join(process.cwd(), 'dist/src/cli/main.js');
export const LOADGEN = join(process.cwd(), 'dist/src/lab/loadgen.js');
const DECAP = join(process.cwd(), 'test/e2e/helpers/ipip-decap.py');
let seq = 0;
export const labName = (tag: string): string => `e${tag}${process.pid % 10000}${seq++}`;
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Running {
  lab: Lab;
  router: LabProcess;
  statsPath: string;
}

/** `waitServing: false`: return once the servers are in the table, without waiting for the VIP to answer (LVS-TUN: the servers' decapsulators start after). */
export async function upWithRouter(o: {
  mode: 'nat' | 'dr'; backend: string; offloads?: boolean; edit?: (cf: string) => string; args?: string[]; waitServing?: boolean; servers?: number; privateLan?: boolean;
  /** A dual-stack lab (lab up --ipv6); the readiness checks here stay IPv4's (the first service). */
  ipv6?: boolean;
  /** Runs on the lab before the router starts (e.g. to change a link's MTU, which the router reads at start). */
  beforeStart?: (lab: Lab) => Promise<void>;
}): Promise<Running> {
  const lab = await labUp({ mode: o.mode, servers: o.servers ?? 3, name: labName(o.mode + o.backend.slice(0, 1)), offloads: o.offloads ?? true, privateLan: o.privateLan, ipv6: o.ipv6 });
  try {
    if (o.edit) writeFileSync(lab.configPath, o.edit(readFileSync(lab.configPath, 'utf8')));
    await o.beforeStart?.(lab);
    const statsPath = join(lab.stateDir, 'stats.json');
    const router = lab.spawn('router', [process.execPath, MAIN, 'start', '-c', lab.configPath, '--backend', o.backend, '--stats-file', statsPath, '--control-socket', join(lab.stateDir, 'tsvs.sock'), ...(o.args ?? [])], { label: 'router' });
    const running = { lab, router, statsPath };
    // As nanny, the health checks add each server at its first good check: wait for
    // every one before the first request, so that none of them starts with a head start.
    await serversInTable(running, lab.serverAddrs);
    if (o.waitServing === false) return running;
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (!router.alive()) throw new Error(`router exited: ${router.log().slice(-2000)}`);
      const r = await lab.exec('client', ['curl', '-s', '-m', '1', `http://${lab.vip}/`]);
      if (r.code === 0 && r.stdout.startsWith('rs')) break;
      if (Date.now() > deadline) throw new Error(`router not serving after 15 s: ${router.log().slice(-2000)}`);
      await sleep(200);
    }
    return running;
  } catch (e) {
    await lab.down();
    throw e;
  }
}

/**
 * Starts the userspace LVS-TUN decapsulator (helpers/ipip-decap.py) on every real
 * server of the lab, for `seconds` at most, with its mode arguments (none: IPIP):
 * each feeds a TUN device tun0, brought up once the helper says it is ready.
 * Returns the processes (the caller stops them).
 */
export async function startDecapsulators(lab: Lab, seconds: number, mode: string[] = []): Promise<LabProcess[]> {
  const decaps: LabProcess[] = [];
  for (const rs of lab.serverNames) {
    // tun0 is made by the helper: it inherits conf.default, so no reverse-path filter.
    await lab.exec(rs, ['sysctl', '-q', '-w', 'net.ipv4.conf.default.rp_filter=0'], { check: true });
    const p = lab.spawn(rs, ['/usr/bin/python3', DECAP, 'tun0', String(seconds), ...mode], { label: `decap-${rs}` });
    decaps.push(p);
    for (let k = 0; k < 50 && !p.log().includes('ready'); k++) await sleep(100);
    if (!p.log().includes('ready')) throw new Error(`decapsulator in ${rs} did not start: ${p.log()}`);
    await lab.exec(rs, ['ip', 'link', 'set', 'tun0', 'up'], { check: true });
  }
  return decaps;
}

/** n sequential new-connection requests (to the VIP's port 80 unless told); replies per real server name. */
export async function requests(lab: Lab, n: number, url = `http://${lab.vip}/`): Promise<Record<string, number>> {
  const r = await lab.exec('client', [process.execPath, LOADGEN, '--url', url, '--concurrency', '1', '--max-requests', String(n), '--duration', '60'], { timeoutMs: 70_000 });
  const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { ok: number; errors: number; byServer: Record<string, number> };
  if (last.errors) throw new Error(`${last.errors} requests failed: ${r.stdout.slice(-500)}`);
  return last.byServer;
}

export const expectedSha = patternSha;

/** Downloads n bytes through the VIP (port 80 unless told) in the background; resolves to the sha256 of what arrived. */
export function download(lab: Lab, n: number, rate?: string, port = 80): Promise<string> {
  const limit = rate ? `--limit-rate ${rate}` : '';
  return lab.exec('client', ['sh', '-c', `curl -s -m 100 ${limit} 'http://${lab.vip}:${port}/bytes?n=${n}' | sha256sum`], { timeoutMs: 110_000 }).then((r) => r.stdout.split(' ')[0]);
}

/**
 * Uploads n bytes of the httpd's pattern to the VIP (POST /sha256) from the client;
 * resolves to what the real server answered: the sha256 of the body it received and its length.
 */
export async function upload(lab: Lab, n: number, port = 80, host = lab.vip): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-upload-'));
  try {
    const file = join(dir, 'body');
    const body = new Uint8Array(n);
    fillPattern(body, 0);
    writeFileSync(file, body);
    // An IPv6 host is bracketed in the URL (curl -g: no globbing of the brackets).
    const url = host.includes(':') ? `http://[${host}]:${port}/sha256` : `http://${host}:${port}/sha256`;
    const r = await lab.exec('client', ['curl', '-g', '-s', '-m', '100', '--data-binary', `@${file}`, '-H', 'Content-Type: application/octet-stream', url], { timeoutMs: 110_000 });
    return r.stdout.trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// A reader that keeps to its pace from the first byte: curl's --limit-rate averages
// over "the last few seconds, though always at least three" and can finish a
// download limited to 2M at several times that (seen here: 8 MiB in 0.4 s), which
// is no use when a test needs the connection to stay open for a known time.
const PACED = `const [url, n, rate] = process.argv.slice(1);
const h = require('node:crypto').createHash('sha256');
let got = 0;
const t0 = Date.now();
setTimeout(() => { console.error('paced download: no end within 100 s'); process.exit(1); }, 100000).unref();
require('node:http').get(url, (res) => {
  res.on('data', (c) => {
    h.update(c);
    got += c.length;
    const wait = t0 + (got / Number(rate)) * 1000 - Date.now();
    if (wait > 0) { res.pause(); setTimeout(() => res.resume(), wait); }
  });
  res.on('end', () => console.log(h.digest('hex') + ' ' + got));
}).on('error', (e) => { console.error(e.message); process.exit(1); });`;

/**
 * Downloads n bytes through the VIP at `bytesPerSecond` (read no faster, from the
 * start: it lasts n / bytesPerSecond seconds); resolves to the sha256 of what arrived.
 */
export function pacedDownload(lab: Lab, n: number, bytesPerSecond: number, port = 80): Promise<string> {
  return lab.exec('client', [process.execPath, '-e', PACED, `http://${lab.vip}:${port}/bytes?n=${n}`, String(n), String(bytesPerSecond)], { timeoutMs: 110_000 })
    .then((r) => r.stdout.split(' ')[0]);
}

/** Waits (at most 15 s) until the first service's table lists every one of these addresses. */
export async function serversInTable(run: Running, addrs: string[]): Promise<void> {
  for (let k = 0; k < 150; k++) {
    if (!run.router.alive()) throw new Error(`router exited: ${run.router.log().slice(-2000)}`);
    try {
      const listed = stats(run.statsPath).services[0]?.dests.map((d) => d.address.split(':')[0]) ?? [];
      if (addrs.every((a) => listed.includes(a))) return;
    } catch {
      // not written yet
    }
    await sleep(100);
  }
  throw new Error(`real servers ${addrs.join(', ')} not all in the table within 15 s: ${run.router.log().slice(-1500)}`);
}

export function stats(path: string): StatsSnapshot {
  return JSON.parse(readFileSync(path, 'utf8')) as StatsSnapshot;
}

/** Rewrites lvs.cf and sends SIGHUP; waits until the router logged the outcome. */
export async function reload(run: Running, edit: (cf: string) => string): Promise<void> {
  const before = run.router.log().split('\n').length;
  writeFileSync(run.lab.configPath, edit(readFileSync(run.lab.configPath, 'utf8')));
  process.kill(run.router.pid, 'SIGHUP');
  for (let k = 0; k < 50; k++) {
    const fresh = run.router.log().split('\n').slice(before - 1).join('\n');
    if (fresh.includes('reloaded lvs.cf')) return;
    if (fresh.includes('reload failed')) throw new Error(fresh);
    await sleep(100);
  }
  throw new Error('no reload logged');
}

export const setWeight = (server: string, w: number) => (cf: string): string =>
  cf.replace(new RegExp(`(server ${server} \\{[^}]*weight = )\\d+`), `$1${w}`);
export const setScheduler = (s: string) => (cf: string): string => cf.replace(/scheduler = \w+/, `scheduler = ${s}`);

/** The MAC the client's kernel has for the VIP (from ARP replies and gratuitous ARPs). */
export async function clientSeesVipAt(lab: Lab): Promise<string | null> {
  const r = await lab.exec('client', ['ip', '-4', 'neigh', 'show', lab.vip]);
  return /lladdr (\S+)/.exec(r.stdout)?.[1] ?? null;
}

/** Whether one request to the VIP from the client gets a real server's answer. */
export const served = async (lab: Lab): Promise<boolean> => (await lab.exec('client', ['curl', '-s', '-m', '0.5', `http://${lab.vip}/`])).stdout.startsWith('rs');
