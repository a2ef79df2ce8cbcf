// tsvs demo --ha: the guide's two-router NAT cluster (tsvs lab up nat --ha) and
// its failover, watched live. Both routers run from one lvs.cf (pulse with
// keepalive 1 s, deadtime 3 s, failback; connection sync on the private LAN).
// The client makes a new HTTP connection per request and holds one long paced
// download. A third of the way in the primary is killed with SIGKILL: the
// backup takes over after deadtime; at two thirds the primary is started again
// and takes the addresses back (failback), knowing the flows from the backup.
// At the end the download's checksum says whether the established flow
// survived both changes. Everything is torn down at the end or on Ctrl-C.
// With --vrrp the routers elect by VRRP (priorities 150 and 100, the primary
// preempts) instead: takeover after three missed adverts plus the skew time.
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ControlClient } from '../control/client.js';
import type { FailoverView, SyncView, VrrpView } from '../control/types.js';
import { labUp, type Lab, type LabProcess } from '../lab/index.js';
import { patternSha } from '../lab/httpd.js';
import type { StatsSnapshot } from '../router/stats.js';
import { readStats, renderDemo, type ClientFigures } from './demo-view.js';
import type { DemoOptions } from './demo.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** The download's read rate: slow enough to last the whole demo, through both changes. */
const DOWNLOAD_RATE = 1_000_000;
const ROUTERS = ['router', 'backup'] as const;
type Which = (typeof ROUTERS)[number];

interface RouterState {
  failover: FailoverView | null;
  sync: SyncView | null;
}

export async function demoHa(o: DemoOptions): Promise<number> {
  const write = o.write ?? ((s: string) => void process.stdout.write(s));
  const tty = o.write === undefined && process.stdout.isTTY === true;
  const mainJs = fileURLToPath(new URL('./main.js', import.meta.url));
  const loadgenJs = fileURLToPath(new URL('../lab/loadgen.js', import.meta.url));
  const election = o.vrrp ? 'VRRP' : 'pulse heartbeat';
  write(`building the two-router NAT lab "${o.name}" (client, primary and backup router, ${election}, ${o.servers} real servers) in network namespaces...\n`);
  const lab = await labUp({ mode: 'nat', servers: o.servers, name: o.name, ha: true, vrrp: o.vrrp });
  const procs: Partial<Record<Which, LabProcess>> = {};
  let stopping = false;
  const teardown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    for (const p of Object.values(procs)) if (p?.alive()) await p.stop(3000).catch(() => undefined);
    await lab.down();
    write('lab torn down: namespaces and processes removed\n');
  };
  const onSignal = (): void => {
    write('\nstopping...\n');
    void teardown().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const file = (which: Which, what: string): string => join(lab.stateDir, `${which}.${what}`);
  const start = (which: Which): void => {
    procs[which] = lab.spawn(which, [process.execPath, mainJs, 'start', '-c', lab.configPath, '--stats-file', file(which, 'stats.json'), '--control-socket', file(which, 'sock')], { label: which });
  };
  const api = { router: new ControlClient(file('router', 'sock')), backup: new ControlClient(file('backup', 'sock')) };
  const state = async (which: Which): Promise<RouterState> => {
    if (!procs[which]?.alive()) return { failover: null, sync: null };
    const st = await api[which].status().catch(() => null);
    return { failover: st?.failover ?? null, sync: st?.sync ?? null };
  };
  try {
    start('router');
    start('backup');
    await waitActive(lab, api.router, procs.router!);
    write(`primary active in ${lab.ns('router')}, backup ready in ${lab.ns('backup')}; VIP ${lab.vip}; ${o.durationS} s of HTTP from ${lab.clientAddr}\n`);
    const bytes = DOWNLOAD_RATE * o.durationS;
    const download = lab.exec('client', ['sh', '-c', `{ curl -sS --max-time ${o.durationS + 60} --limit-rate ${DOWNLOAD_RATE} -w '%{stderr}%{size_download} bytes, ' 'http://${lab.vip}/bytes?n=${bytes}'; echo "curl exit $?" >&2; } | sha256sum`], { timeoutMs: (o.durationS + 70) * 1000 });
    const gen = lab.spawn('client', [process.execPath, loadgenJs, '--url', `http://${lab.vip}/`, '--concurrency', String(o.concurrency), '--duration', String(o.durationS)], { label: 'loadgen', pipeStdout: true });
    const client: ClientFigures = { ok: 0, errors: 0, rate: 0 };
    createInterface({ input: gen.child.stdout! }).on('line', (l) => {
      const m = JSON.parse(l) as { done?: boolean; ok: number; errors: number };
      if (m.done) [client.ok, client.errors] = [m.ok, m.errors];
      else [client.ok, client.errors, client.rate] = [client.ok + m.ok, client.errors + m.errors, m.ok];
    });
    const script = new Script(o.durationS, Date.now());
    const prev: Partial<Record<Which, StatsSnapshot>> = {};
    // Until the traffic ends and the failback is done (or 15 s past the end at most).
    while ((gen.child.exitCode === null || !script.completed) && script.left() > -15) {
      await sleep(1000);
      const states = { router: await state('router'), backup: await state('backup') };
      const action = script.step(states, client.rate);
      if (action === 'kill') process.kill(procs.router!.pid, 'SIGKILL');
      if (action === 'restart') {
        start('router');
        delete prev.router; // a new process: its counters start again from 0
      }
      const active: Which = states.backup.failover?.active ? 'backup' : 'router';
      const cur = readStats(file(active, 'stats.json'));
      if (!cur) continue;
      const view = renderDemo(prev[active] ?? null, cur, client, { title: `tsvs demo --ha: two routers (${election}), LVS-NAT, ${o.servers} real servers`, secondsLeft: script.left(), events: script.events });
      const screen = `${haLines(states)}\n\n${view}`;
      write(tty ? `\x1b[H\x1b[2J${screen}\n` : `${screen}\n\n`);
      prev[active] = cur;
    }
    const got = await download;
    const sum = got.stdout.trim().split(/\s+/)[0];
    const intact = sum === patternSha(bytes);
    write(`\n${script.summary()}\n`);
    write(`client: ${client.ok} requests answered, ${client.errors} failed (new connections while no router answered)\n`);
    write(`the long download (${(bytes / 1e6).toFixed(0)} MB at ${DOWNLOAD_RATE / 1e6} MB/s, one TCP connection through both changes): ${intact ? 'intact, checksum matches' : `BROKEN: checksum differs (${got.stderr.trim().split('\n').slice(-2).join('; ')})`}\n`);
    return client.ok > 0 && intact && script.completed ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await teardown();
  }
}

/**
 * What the demo does and sees, second by second: kill the primary a third of the
 * way in, note when the backup is active, start the primary again at two thirds,
 * note when it is active again (failback).
 */
class Script {
  readonly events: string[] = [];
  private killedAt = 0;
  private takenAt = 0;
  private restartedAt = 0;
  private backAt = 0;

  constructor(
    private readonly durationS: number,
    private readonly started: number,
  ) {}

  left(): number {
    return this.durationS - (Date.now() - this.started) / 1000;
  }

  get completed(): boolean {
    return this.backAt > 0;
  }

  private at(t: number): string {
    return `${((t - this.started) / 1000).toFixed(1)} s`;
  }

  step(s: Record<Which, RouterState>, rate: number): 'kill' | 'restart' | null {
    const now = Date.now(), elapsed = now - this.started, d = this.durationS * 1000;
    if (!this.killedAt && elapsed >= d / 3) {
      this.killedAt = now;
      this.events.push(`${this.at(now)}: killed the primary router (SIGKILL): no heartbeat, no goodbye (${rate} req/s before)`);
      return 'kill';
    }
    if (this.killedAt && !this.takenAt && s.backup.failover?.active) {
      this.takenAt = now;
      this.events.push(`${this.at(now)}: the backup is active (${s.backup.failover.reason}), ${((now - this.killedAt) / 1000).toFixed(1)} s after the kill; it announced the VIP and the NAT router address`);
    }
    if (this.takenAt && !this.restartedAt && elapsed >= (2 * d) / 3 && now - this.takenAt >= 2000) {
      this.restartedAt = now;
      this.events.push(`${this.at(now)}: started the primary again; it learns the flows from the backup's sync, then takes over (pulse: after deadtime, failback = 1; VRRP: preempts with its higher priority)`);
      return 'restart';
    }
    if (this.restartedAt && !this.backAt && s.router.failover?.active && !s.backup.failover?.active) {
      this.backAt = now;
      this.events.push(`${this.at(now)}: the primary is active again (failback), ${((now - this.restartedAt) / 1000).toFixed(1)} s after its start`);
    }
    return null;
  }

  summary(): string {
    const s = (a: number, b: number): string => (a && b ? `${((b - a) / 1000).toFixed(1)} s` : 'did not happen');
    return `takeover after the kill: ${s(this.killedAt, this.takenAt)}; failback after the restart: ${s(this.restartedAt, this.backAt)}`;
  }
}

/** Two lines: each router's failover state and sync counters. */
function haLines(s: Record<Which, RouterState>): string {
  return ROUTERS.map((w) => {
    const f = s[w].failover, y = s[w].sync;
    const name = w === 'router' ? 'primary' : 'backup ';
    if (!f) return `${name}  not running`;
    const sync = y ? `   sync ${y.role}: sent ${y.sent.conns} conns, applied ${y.received.conns}` : '';
    return `${name}  ${f.active ? 'ACTIVE  ' : 'inactive'}  ${f.vrrp ? vrrpLine(f.vrrp) : heardLine(f)}${sync}`;
  }).join('\n');
}

function heardLine(f: FailoverView): string {
  return f.lastHeard === null ? 'partner never heard' : `partner heard ${f.lastHeard.toFixed(1)} s ago (says ${f.partnerSays})`;
}

/** VRRP's side: priority, adverts and elections as keepalived counts them. */
function vrrpLine(v: VrrpView): string {
  const n = (k: string): number => v.stats[k] ?? 0;
  return `VRRPv${v.version} VRID ${v.vrid} priority ${v.priority}: adverts sent ${n('advert_sent')}, received ${n('advert_rcvd')}, became master ${n('become_master')}x`;
}

async function waitActive(lab: Lab, api: ControlClient, p: LabProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (!p.alive()) throw new Error(`the primary router exited:\n${p.log().slice(-3000)}`);
    const f = await api.failover().catch(() => null);
    if (f?.active) {
      const probe = await lab.exec('client', ['curl', '-s', '-m', '2', '-o', '/dev/null', '-w', '%{http_code}', `http://${lab.vip}/`]);
      if (probe.stdout.trim() === '200') return;
    }
    await sleep(300);
  }
  throw new Error(`the primary did not become active and serve within 20 s:\n${p.log().slice(-3000)}`);
}
