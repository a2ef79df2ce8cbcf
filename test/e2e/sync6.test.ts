// Connection sync of an IPv6 flow across a takeover, end to end (root): the
// guide's NAT cluster with two routers (lab up nat --ha --ipv6, lvs.cf with
// syncdaemon = 1), both running `tsvs start`. A client holds one HTTP
// keep-alive connection to the v6 VIP; the backup learns it from the primary's
// sync messages (v1, IPv6 entries); the primary is killed, the backup takes
// over, and the client's next requests go on over the same connection to the
// server the primary chose (without sync the backup would reset it). The client
// sends first after the takeover: a synced IPv6 conn learns the client's MAC
// from the client's next packet (see README, connection sync).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/control/client.js';
import { labUp, type Lab } from '../../src/lab/index.js';
import { loadNative } from '../../src/io/native.js';
import { labName, MAIN, ROOT, sleep } from './harness.js';

const nativeBuilt = ROOT && loadNative().addon !== null;
const run = ROOT && nativeBuilt ? describe : describe.skip;
const why = !ROOT ? ' (skipped: needs root for network namespaces)' : !nativeBuilt ? ' (skipped: the native addon is not built)' : '';

/**
 * One keep-alive connection to [vip]:80: 5 requests, then the file `ready` (its
 * local port), then waits (at most 30 s) for the file `go`, then 5 more. One JSON
 * line per request.
 */
const CLIENT = `const [vip, ready, go] = process.argv.slice(1);
const fs = require('node:fs'), http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function get(phase) {
  return new Promise((resolve) => {
    const req = http.get({ host: vip, family: 6, port: 80, path: '/', agent }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ phase, port: req.socket.localPort, reused: req.reusedSocket, body: body.trim() }));
    });
    req.setTimeout(15000, () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', (e) => resolve({ phase, error: e.code || e.message }));
  });
}
(async () => {
  let port = 0;
  for (let i = 0; i < 5; i++) { const a = await get(1); port = a.port || port; console.log(JSON.stringify(a)); await sleep(200); }
  fs.writeFileSync(ready, String(port));
  for (let t = 0; t < 300 && !fs.existsSync(go); t++) await sleep(100);
  for (let i = 0; i < 5; i++) { console.log(JSON.stringify(await get(2))); await sleep(200); }
  agent.destroy();
})();`;

interface Answer { phase: number; port?: number; reused?: boolean; body?: string; error?: string }

async function active(api: ControlClient): Promise<boolean | null> {
  return api.failover().then((v) => v.active, () => null);
}

async function until(what: string, ms: number, cond: () => Promise<boolean>): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}

async function withPair(test: (lab: Lab, start: (w: 'router' | 'backup') => number, api: Record<'router' | 'backup', ControlClient>) => Promise<void>): Promise<void> {
  const lab = await labUp({ mode: 'nat', servers: 2, name: labName('s6'), ha: true, ipv6: true });
  try {
    const sock = (which: string) => join(lab.stateDir, `${which}.sock`);
    const start = (which: 'router' | 'backup') =>
      lab.spawn(which, [process.execPath, MAIN, 'start', '-c', lab.configPath, '--backend', 'native', '--control-socket', sock(which)], { label: which }).pid;
    await test(lab, start, { router: new ControlClient(sock('router')), backup: new ControlClient(sock('backup')) });
  } finally {
    await lab.down();
  }
}

run(`IPv6 connection sync across a takeover${why}`, () => {
  it('an established IPv6 NAT connection goes on through the backup after the primary dies', async () => {
    await withPair(async (lab, start, api) => {
      const vip = lab.v6!.vip;
      const primary = start('router');
      start('backup');
      await until('the primary active and the backup inactive', 15_000, async () => (await active(api.router)) === true && (await active(api.backup)) === false);
      await until('the v6 VIP served', 10_000, async () =>
        (await lab.exec('client', ['curl', '-6', '-g', '-s', '-m', '0.5', `http://[${vip}]/`])).stdout.startsWith('rs'));

      const ready = join(lab.stateDir, 'sync6-ready'), go = join(lab.stateDir, 'sync6-go');
      const client = lab.exec('client', [process.execPath, '-e', CLIENT, vip, ready, go], { timeoutMs: 60_000 });
      await until('the client\'s first requests', 10_000, async () => existsSync(ready) && readFileSync(ready, 'utf8') !== '');
      // The backup has the connection, from the primary's sync messages, bound to the same server.
      const port = Number(readFileSync(ready, 'utf8'));
      const onPrimary = (await api.router.connections(0, 100)).conns.filter((c) => c.virtual === vip && c.clientPort === port && c.state === 'ESTABLISHED');
      expect(onPrimary).toHaveLength(1);
      const want = onPrimary[0];
      await until('the backup to hold the synced connection', 5_000, async () =>
        (await api.backup.connections(0, 100)).conns.some((c) => c.client === want.client && c.clientPort === want.clientPort && c.dest === want.dest));

      process.kill(primary, 'SIGKILL');
      await until('the backup active', 15_000, async () => (await active(api.backup)) === true);
      writeFileSync(go, '');
      const answers = (await client).stdout.trim().split('\n').map((l) => JSON.parse(l) as Answer);

      expect(answers.filter((a) => a.error)).toEqual([]);
      expect(answers).toHaveLength(10);
      // One connection all along (the first request opened it), and after the takeover the same server answers.
      expect(new Set(answers.map((a) => a.port))).toEqual(new Set([want.clientPort]));
      expect(answers.slice(1).every((a) => a.reused)).toBe(true);
      const server = answers[0].body!.split(' ')[0];
      expect(answers.every((a) => a.body!.startsWith(`${server} `))).toBe(true);
      const synced = (await api.backup.connections(0, 100)).conns.find((c) => c.client === want.client && c.clientPort === want.clientPort);
      expect(synced?.dest).toBe(want.dest);
    });
  }, 90_000);
});
