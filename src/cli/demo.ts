// tsvs demo: the README's main command. Builds the NAT lab in network
// namespaces, starts the router in it, drives real HTTP traffic from the client
// for a bounded time, shows live per-real-server figures, and tears everything
// down at the end or on Ctrl-C.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { labUp, type Lab, type LabProcess } from '../lab/index.js';
import type { StatsSnapshot } from '../router/stats.js';
import { renderDemo, type ClientFigures } from './demo-view.js';
import { labNameOption } from './lab.js';
import { defineCommand } from './registry.js';

export interface DemoOptions {
  durationS: number;
  servers: number;
  name: string;
  concurrency: number;
  keepAlive: boolean;
  scheduler?: string;
  write?: (s: string) => void;
}

export const demoCommand = defineCommand({
  name: 'demo',
  summary: 'NAT lab + router + live HTTP traffic with live figures, then teardown (root)',
  description: 'Builds the NAT lab in network namespaces, starts the router in it, drives HTTP traffic from the\n' +
    'client for a bounded time with live per-real-server figures, and tears everything down at the end\n' +
    'or on Ctrl-C. Exit status 1 when no request succeeded or any failed.',
  options: {
    duration: { type: 'number', integer: true, min: 1, max: 600, default: 20, arg: 'S', help: 'seconds of traffic' },
    servers: { type: 'number', integer: true, min: 1, max: 16, default: 3, arg: 'N', help: 'real servers' },
    concurrency: { type: 'number', integer: true, min: 1, max: 256, default: 8, arg: 'C', help: 'requests in flight' },
    name: labNameOption('demo'),
    'keep-alive': { type: 'boolean', help: 'reuse connections (default: a new connection per request)' },
  },
  run: ({ values }) => demo({
    durationS: values.duration,
    servers: values.servers,
    concurrency: values.concurrency,
    name: values.name,
    keepAlive: values['keep-alive'],
  }),
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function demo(o: DemoOptions): Promise<number> {
  const write = o.write ?? ((s: string) => void process.stdout.write(s));
  const tty = o.write === undefined && process.stdout.isTTY === true;
  const mainJs = fileURLToPath(new URL('./main.js', import.meta.url));
  const loadgenJs = fileURLToPath(new URL('../lab/loadgen.js', import.meta.url));
  write(`building the NAT lab "${o.name}" (client, router, ${o.servers} real servers) in network namespaces...\n`);
  const lab = await labUp({ mode: 'nat', servers: o.servers, name: o.name });
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
    let prev: StatsSnapshot | null = null;
    let last = '';
    while (gen.alive() || gen.child.exitCode === null) {
      await sleep(1000);
      const cur = readStats(statsPath);
      if (!cur) continue;
      last = renderDemo(prev, cur, client, { title: `tsvs demo: LVS-NAT, ${o.servers} real servers`, secondsLeft: o.durationS - (Date.now() - started) / 1000 });
      write(tty ? `\x1b[H\x1b[2J${last}\n` : `${last}\n\n`);
      prev = cur;
      if (Date.now() - started > (o.durationS + 15) * 1000) break;
    }
    await sleep(1100);
    const end = readStats(statsPath);
    if (end) write(`\nfinal figures:\n${renderDemo(null, end, client, { title: 'tsvs demo: LVS-NAT', secondsLeft: 0 })}\n`);
    if (final.byServer) write(`replies per real server (as the client saw them): ${Object.entries(final.byServer).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
    return client.ok > 0 && client.errors === 0 ? 0 : 1;
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

function readStats(path: string): StatsSnapshot | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StatsSnapshot;
  } catch {
    return null;
  }
}
