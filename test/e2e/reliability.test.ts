// Issue 15 items 10-12 and its end-to-end checks, against real `tsvs start`
// processes in NAT labs (root only; every lab is taken down even on failure):
// a stats file that cannot be written (refused before start; breaking later
// stops nothing), kill -9 and a new start that replaces the leftover fence, an
// ARP flood of 20,000 spoofed senders on both segments followed by a real server
// added by reload, and the 10,000-server config served after a reload (its
// times are bench/reliability's, printed by `npm run bench -- big`, not asserted).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labUp, type Lab, type LabProcess } from '../../src/lab/index.js';
import { BIG_SERVER_NET, bigLvsCf, bigServerAddr } from '../../bench/reliability/big-config.js';
import { labName, MAIN, requests, ROOT, served, sleep, stats } from './harness.js';

const FLOOD = join(process.cwd(), 'test/e2e/arp-flood.py');
const run = ROOT ? describe : describe.skip;

function startRouter(lab: Lab, args: string[] = []): LabProcess {
  return lab.spawn('router', [process.execPath, MAIN, 'start', '-c', lab.configPath, '--no-health-checks', '--control-socket', join(lab.stateDir, 'tsvs.sock'), ...args], { label: 'router' });
}

/** Waits (at most limitMs) until a request through the VIP is answered by a real server. */
async function untilServed(lab: Lab, router: LabProcess, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (!router.alive()) throw new Error(`router exited: ${router.log().slice(-1500)}`);
    if (await served(lab)) return;
    await sleep(100);
  }
  throw new Error(`not served within ${limitMs} ms: ${router.log().slice(-1500)}`);
}

async function untilLogged(p: LabProcess, text: string, from = 0, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (p.log().slice(from).includes(text)) return;
    if (!p.alive()) throw new Error(`router exited before "${text}": ${p.log().slice(-1500)}`);
    await sleep(50);
  }
  throw new Error(`no "${text}" within ${limitMs} ms: ${p.log().slice(-1500)}`);
}

async function untilExit(p: LabProcess, limitMs = 30_000): Promise<number | null> {
  if (p.child.exitCode !== null) return p.child.exitCode;
  return await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`router still running after ${limitMs} ms`)), limitMs);
    p.child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

const fenceThere = async (lab: Lab): Promise<boolean> => (await lab.exec('router', ['nft', 'list', 'table', 'netdev', 'tsvs'])).code === 0;

async function withLab(tag: string, servers: number, fn: (lab: Lab) => Promise<void>): Promise<void> {
  const lab = await labUp({ mode: 'nat', servers, name: labName(tag) });
  try {
    await fn(lab);
  } finally {
    await lab.down();
  }
}

run(`reliability: the stats file, kill -9, floods, a large config${ROOT ? '' : ' (skipped: needs root for network namespaces)'}`, () => {
  it('an unwritable stats path is refused before start: one line, exit 1, no fence, nothing left', async () => {
    await withLab('st', 1, async (lab) => {
      const path = join(lab.stateDir, 'no-such-dir', 'stats.json');
      const router = startRouter(lab, ['--stats-file', path]);
      expect(await untilExit(router)).toBe(1);
      const lines = router.log().trim().split('\n').filter((l) => l.startsWith('tsvs start:'));
      expect(lines).toEqual([`tsvs start: --stats-file ${path}: cannot be written (ENOENT: no such file or directory)`]);
      expect(router.log()).not.toContain('router started');
      expect(router.log()).not.toContain('    at ');
      expect(await fenceThere(lab)).toBe(false);
      expect(existsSync(join(lab.stateDir, 'no-such-dir'))).toBe(false);
    });
  }, 120_000);

  it('a stats file that cannot be written after start: logged once, forwarding goes on, SIGTERM removes the fence', async () => {
    await withLab('sw', 1, async (lab) => {
      const dir = join(lab.stateDir, 'stats');
      mkdirSync(dir);
      const path = join(dir, 'stats.json');
      const router = startRouter(lab, ['--stats-file', path]);
      await untilServed(lab, router);
      // The first write comes within a second of the start, which serving may beat.
      for (const end = Date.now() + 10_000; !existsSync(path) && Date.now() < end; ) await sleep(50);
      // The file's place becomes a non-empty directory: every write (each second) fails.
      rmSync(path);
      mkdirSync(path);
      writeFileSync(join(path, 'x'), '');
      await sleep(3500);
      expect(router.alive()).toBe(true);
      expect(await requests(lab, 5)).toEqual({ rs1: 5 });
      const failed = router.log().split('\n').filter((l) => l.includes('stats-file failed'));
      expect(failed).toHaveLength(1);
      expect(router.log()).not.toContain('    at ');
      rmSync(path, { recursive: true });
      await untilLogged(router, 'stats-file works again');
      expect(stats(path).services).toHaveLength(1);
      process.kill(router.pid, 'SIGTERM');
      expect(await untilExit(router)).toBe(0);
      expect(await fenceThere(lab)).toBe(false);
      expect(readdirSync(dir)).toEqual(['stats.json']);
    });
  }, 120_000);

  it('kill -9 leaves the fence (the VIP unanswered); the next start replaces it and serves', async () => {
    await withLab('k9', 1, async (lab) => {
      const first = startRouter(lab);
      await untilServed(lab, first);
      process.kill(first.pid, 'SIGKILL');
      expect(await untilExit(first)).toBe(null);
      expect(await fenceThere(lab)).toBe(true);
      expect(await served(lab)).toBe(false);
      const second = startRouter(lab);
      await untilServed(lab, second);
      expect(second.log()).toContain('replacing a leftover nftables table netdev tsvs (an earlier run did not exit cleanly)');
      const tables = await lab.exec('router', ['nft', 'list', 'tables'], { check: true });
      expect(tables.stdout.trim().split('\n')).toEqual(['table netdev tsvs']);
      await second.stop(5000);
      expect(await fenceThere(lab)).toBe(false);
    });
  }, 120_000);

  it('after an ARP flood of 20,000 spoofed senders on each segment, a real server added by reload is resolved and served', async () => {
    await withLab('af', 2, async (lab) => {
      // rs2 is left out at first; the private LAN is a /16 so that the spoofed senders are on-link there.
      const full = readFileSync(lab.configPath, 'utf8').replace('nat_nmask = 255.255.255.0', 'nat_nmask = 255.255.0.0');
      const rs2 = /\n {4}server rs2 \{[^}]*\}\n/.exec(full)![0];
      writeFileSync(lab.configPath, full.replace(rs2, '\n'));
      const statsPath = join(lab.stateDir, 'stats.json');
      const router = startRouter(lab, ['--stats-file', statsPath]);
      await untilServed(lab, router);
      expect(await requests(lab, 4)).toEqual({ rs1: 4 });
      const rx0 = stats(statsPath).counters.rx_frames;
      // Requests for the NAT router address from 198.19.1.0 on, and for the VIP from 198.18.1.0 on.
      const [priv, pub] = await Promise.all([
        lab.exec('rs1', ['python3', FLOOD, 'eth0', '198.19.0.1', '198.19.1.0', '20000', '30'], { timeoutMs: 40_000, check: true }),
        lab.exec('client', ['python3', FLOOD, 'eth0', lab.vip, '198.18.1.0', '20000', '30'], { timeoutMs: 40_000, check: true }),
      ]);
      expect([priv.stdout.trim(), pub.stdout.trim()]).toEqual(['20000', '20000']);
      await sleep(1500);
      // The frames reached the router (not dropped on the way by a bridge's netfilter).
      expect(stats(statsPath).counters.rx_frames - rx0).toBeGreaterThanOrEqual(40_000);
      const from = router.log().length;
      writeFileSync(lab.configPath, full);
      process.kill(router.pid, 'SIGHUP');
      await untilLogged(router, 'reloaded lvs.cf', from);
      // rs2 is asked for at once; rr-like wlc with sequential requests then alternates.
      let got: Record<string, number> = {};
      for (let k = 0; k < 50 && !got.rs2; k++) {
        await sleep(200);
        got = await requests(lab, 4);
      }
      expect(got.rs2).toBeGreaterThan(0);
      expect(router.log()).not.toContain('table full');
      expect(router.alive()).toBe(true);
    });
  }, 180_000);

  it('1,000 services x 10,000 real servers: started, served, reloaded under traffic, served after the reload', async () => {
    await withLab('bg', 1, async (lab) => {
      await lab.exec('rs1', ['ip', 'route', 'add', 'local', BIG_SERVER_NET, 'dev', 'lo'], { check: true });
      const cfg = { services: 1000, perService: 10, vip: lab.vip, natRouter: lab.natRouter! };
      writeFileSync(lab.configPath, bigLvsCf(cfg));
      const router = startRouter(lab);
      await untilLogged(router, 'router started', 0, 120_000);
      await untilServed(lab, router);
      // One more server for every service, while a client keeps fetching.
      const during = requests(lab, 40);
      writeFileSync(lab.configPath, bigLvsCf({ ...cfg, perService: 11 }));
      const from = router.log().length;
      process.kill(router.pid, 'SIGHUP');
      await untilLogged(router, 'reloaded lvs.cf', from, 120_000);
      expect(router.log().slice(from)).toContain('services=1000');
      expect(Object.values(await during).reduce((a, b) => a + b, 0)).toBe(40);
      // The last service's new server, on port 80 + 999, answers through the VIP.
      const last = await lab.exec('client', ['curl', '-s', '-m', '5', '--retry', '5', '--retry-all-errors', `http://${lab.vip}:1079/`]);
      expect(last.stdout.startsWith('rs')).toBe(true);
      expect(await fenceThere(lab)).toBe(true);
      const set = await lab.exec('router', ['nft', 'list', 'set', 'netdev', 'tsvs', 'nat_tcp'], { check: true });
      expect(set.stdout).toContain(`${bigServerAddr({ ...cfg, perService: 11 }, 999, 10)} . 80`);
      await router.stop(5000);
      expect(await fenceThere(lab)).toBe(false);
    });
  }, 300_000);
});
