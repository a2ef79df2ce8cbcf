// tsvs demo: the README's main command. Builds the NAT lab in network
// namespaces, starts the router in it, drives real HTTP traffic from the client
// for a bounded time, shows live per-real-server figures, and tears everything
// down at the end or on Ctrl-C. Midway it stops one real server's web server and
// later starts it again: the health checks take it out and bring it back.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ControlClient } from '../control/client.js';
import type { HealthView } from '../control/types.js';
import { labUp, type Lab, type LabProcess } from '../lab/index.js';
import { httpdScript } from '../lab/servers.js';
import type { StatsSnapshot } from '../router/stats.js';
import { demoHa } from './demo-ha.js';
import { readStats, renderDemo, type ClientFigures } from './demo-view.js';
import { labNameOption } from './lab.js';
import { defineCommand, UsageError } from './registry.js';

export interface DemoOptions {
  durationS: number;
  servers: number;
  name: string;
  concurrency: number;
  keepAlive: boolean;
  /** Stop one real server's web server midway and start it again (needs 2 servers or more). */
  outage?: boolean;
  scheduler?: string;
  /** With --ha: the routers elect by VRRP (lab up nat --ha --vrrp) instead of pulse's heartbeat. */
  vrrp?: boolean;
  write?: (s: string) => void;
}

export const demoCommand = defineCommand({
  name: 'demo',
  summary: 'NAT lab + router + live HTTP traffic with live figures, then teardown (root)',
  description: 'Builds the NAT lab in network namespaces, starts the router in it, drives HTTP traffic from the\n' +
    'client for a bounded time with live per-real-server figures, and tears everything down at the end\n' +
    'or on Ctrl-C. A third of the way in it stops the web server of one real server and starts it again\n' +
    'at half time: nanny\'s check (every second here) takes it out and brings it back after 3 s of passing.\n' +
    'Exit status 1 when no request succeeded, or one failed other than in the moment between that stop\n' +
    'and the check that noticed it (as with nanny, a check sees a failure only when it runs).\n' +
    'With --ha: the two-router lab instead, failover and failback live; exit status 1 when the long\n' +
    'download is broken, no request succeeded, or the failback did not happen. --ha --vrrp: the same\n' +
    'with the routers electing by VRRP (failover = vrrp) instead of pulse\'s heartbeat.',
  options: {
    duration: { type: 'number', integer: true, min: 1, max: 600, default: 20, arg: 'S', help: 'seconds of traffic' },
    servers: { type: 'number', integer: true, min: 1, max: 16, default: 3, arg: 'N', help: 'real servers' },
    concurrency: { type: 'number', integer: true, min: 1, max: 256, default: 8, arg: 'C', help: 'requests in flight' },
    name: labNameOption('demo'),
    'keep-alive': { type: 'boolean', help: 'reuse connections (default: a new connection per request)' },
    'no-outage': { type: 'boolean', help: 'do not stop a real server midway' },
    ha: { type: 'boolean', help: 'two routers (lab up nat --ha): kill the primary with SIGKILL a third of the way in, start it again at two thirds (failback), and check that a long download survives both' },
    vrrp: { type: 'boolean', help: 'with --ha: the routers elect the active one by VRRP (failover = vrrp, VRID 51) instead of pulse\'s heartbeat' },
  },
  run: ({ values }) => {
    if (values.vrrp && !values.ha) throw new UsageError('--vrrp: VRRP elects between two routers; add --ha');
    return (values.ha ? demoHa : demo)({
    durationS: values.duration,
    servers: values.servers,
    concurrency: values.concurrency,
    name: values.name,
    keepAlive: values['keep-alive'],
    outage: !values['no-outage'],
    vrrp: values.vrrp,
  });
  },
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function demo(o: DemoOptions): Promise<number> {
  const write = o.write ?? ((s: string) => void process.stdout.write(s));
  const tty = o.write === undefined && process.stdout.isTTY === true;
  const mainJs = fileURLToPath(new URL('./main.js', import.meta.url));
  const loadgenJs = fileURLToPath(new URL('../lab/loadgen.js', import.meta.url));
  write(`building the NAT lab "${o.name}" (client, router, ${o.servers} real servers) in network namespaces...\n`);
  const lab = await labUp({ mode: 'nat', servers: o.servers, name: o.name });
  // Checks every second, back after 3 s of passing: a demo's time scale (the lab's lvs.cf says 6 s and 15 s).
  writeFileSync(lab.configPath, readFileSync(lab.configPath, 'utf8').replace(/timeout = \d+/, 'timeout = 1').replace(/reentry = \d+/, 'reentry = 3'));
  let router: LabProcess | null = null;
  let stopping = false;
  const teardown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (router?.alive()) await router.stop(3000).catch(() => undefined);
    await lab.down();
    write('lab torn down: namespaces and processes removed, router fence gone with it\n');
  };
  const onSignal = (): void => {
    write('\nstopping...\n');
    void teardown().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const statsPath = join(lab.stateDir, 'stats.json');
    router = lab.spawn('router', [process.execPath, mainJs, 'start', '-c', lab.configPath, '--stats-file', statsPath, '--control-socket', join(lab.stateDir, 'tsvs.sock')], { label: 'router' });
    await waitRouter(lab, router, statsPath);
    write(`router up in ${lab.ns('router')}; VIP ${lab.vip}; ${o.durationS} s of HTTP from ${lab.clientAddr}\n`);
    const gen = lab.spawn('client', [process.execPath, loadgenJs, '--url', `http://${lab.vip}/`, '--concurrency', String(o.concurrency), '--duration', String(o.durationS), ...(o.keepAlive ? ['--keep-alive'] : [])], { label: 'loadgen', pipeStdout: true });
    const client: ClientFigures = { ok: 0, errors: 0, rate: 0 };
    let final: { byServer?: Record<string, number> } = {};
    createInterface({ input: gen.child.stdout! }).on('line', (l) => {
      const m = JSON.parse(l) as { done?: boolean; ok: number; errors: number; byServer?: Record<string, number> };
      if (m.done) {
        final = m;
        client.ok = m.ok;
        client.errors = m.errors;
      } else {
        client.ok += m.ok;
        client.errors += m.errors;
        client.rate = m.ok;
      }
    });
    const started = Date.now();
    const api = new ControlClient(join(lab.stateDir, 'tsvs.sock'));
    const outage = o.outage !== false && o.servers >= 2 ? new Outage(lab, o.durationS, started) : null;
    let prev: StatsSnapshot | null = null;
    let last = '';
    while (gen.alive() || gen.child.exitCode === null) {
      await sleep(1000);
      const health = await api.health().catch(() => null);
      await outage?.step(health, client.errors);
      const cur = readStats(statsPath);
      if (!cur) continue;
      last = renderDemo(prev, cur, client, { title: `tsvs demo: LVS-NAT, ${o.servers} real servers`, secondsLeft: o.durationS - (Date.now() - started) / 1000, health, events: outage?.events });
      write(tty ? `\x1b[H\x1b[2J${last}\n` : `${last}\n\n`);
      prev = cur;
      if (Date.now() - started > (o.durationS + 15) * 1000) break;
    }
    await sleep(1100);
    const end = readStats(statsPath);
    if (end) write(`\nfinal figures:\n${renderDemo(null, end, client, { title: 'tsvs demo: LVS-NAT', secondsLeft: 0 })}\n`);
    if (final.byServer) write(`replies per real server (as the client saw them): ${Object.entries(final.byServer).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
    if (outage) write(`${outage.summary()}\n`);
    const excused = outage?.excusedErrors ?? 0;
    return client.ok > 0 && client.errors === excused ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await teardown();
  }
}

async function waitRouter(lab: Lab, router: LabProcess, statsPath: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (!router.alive()) throw new Error(`the router exited:\n${router.log().slice(-3000)}`);
    if (existsSync(statsPath)) {
      // Up; make sure the VIP answers before the clock starts (ARP settles within a second).
      const probe = await lab.exec('client', ['curl', '-s', '-m', '2', '-o', '/dev/null', '-w', '%{http_code}', `http://${lab.vip}/`]);
      if (probe.stdout.trim() === '200') return;
    }
    await sleep(300);
  }
  throw new Error(`the router did not start serving within 15 s:\n${router.log().slice(-3000)}`);
}

/**
 * The demo's outage: a third of the way in, the web server of the second real
 * server is stopped (by its PID); at half time it is started again. The
 * requests that fail between the stop and the check that takes the server out
 * are counted apart: that moment is what any checker costs (nanny checks once
 * per interval), and the demo says so instead of hiding it.
 */
class Outage {
  readonly events: string[] = [];
  private stoppedAt = 0;
  private outAt = 0;
  private restartedAt = 0;
  private backAt = 0;
  private errorsAtStop = 0;
  excusedErrors = 0;

  constructor(
    private readonly lab: Lab,
    private readonly durationS: number,
    private readonly started: number,
  ) {}

  private get name(): string {
    return this.lab.serverNames[1];
  }

  private get address(): string {
    return this.lab.serverAddrs[1];
  }

  private at(t: number): string {
    return `${((t - this.started) / 1000).toFixed(1)} s`;
  }

  /** Called about once a second with the health checks' view and the client's failures so far. */
  async step(health: HealthView | null, errors: number): Promise<void> {
    const now = Date.now();
    const serving = health?.services.flatMap((s) => s.servers).find((r) => r.address === this.address)?.serving;
    if (!this.stoppedAt && now - this.started >= (this.durationS * 1000) / 3) {
      const p = this.lab.processes.find((x) => x.label === `httpd ${this.name}`);
      if (!p) return;
      process.kill(p.pid, 'SIGTERM');
      this.stoppedAt = now;
      this.errorsAtStop = errors;
      this.events.push(`${this.at(now)}: stopped ${this.name}'s web server (${this.address}:80)`);
    } else if (this.stoppedAt && !this.outAt && serving === false) {
      this.outAt = now;
      this.excusedErrors = errors - this.errorsAtStop;
      this.events.push(`${this.at(now)}: its check took ${this.name} out of the table`);
    } else if (this.outAt && now - this.outAt < 2000) {
      // The client reports once a second: failures of that moment may arrive a report late.
      this.excusedErrors = errors - this.errorsAtStop;
    } else if (this.outAt && !this.restartedAt && now - this.started >= (this.durationS * 1000) / 2) {
      const script = await httpdScript(this.lab.stateDir);
      this.lab.spawn(this.name, [process.execPath, script, '--port', '80', '--name', this.name, '--addr', this.address], { label: `httpd ${this.name}` });
      this.restartedAt = now;
      this.events.push(`${this.at(now)}: started ${this.name}'s web server again`);
    } else if (this.restartedAt && !this.backAt && serving === true) {
      this.backAt = now;
      this.events.push(`${this.at(now)}: ${this.name} passed its checks for the reentry time and is back in the table`);
    }
  }

  summary(): string {
    if (!this.stoppedAt) return 'outage: the demo ended before it stopped a real server';
    const out = this.outAt ? `taken out ${((this.outAt - this.stoppedAt) / 1000).toFixed(1)} s after its web server stopped` : 'not taken out before the end';
    const back = this.backAt ? `, back ${((this.backAt - this.restartedAt) / 1000).toFixed(1)} s after its restart` : this.restartedAt ? ', not back before the end' : '';
    return `outage of ${this.name}: ${out}${back}; ${this.excusedErrors} requests failed in that moment (a check sees a failure only when it runs)`;
  }
}
