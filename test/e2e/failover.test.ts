// Failover end to end (root): the guide's NAT cluster with two routers (tsvs lab
// up nat --ha), both running `tsvs start` on the same lvs.cf as pulse did. The
// client's ARP cache is the witness of who answers for the VIP: after every
// change of router it must name the active one (gratuitous ARP), and at no
// moment may both routers say they are active (split brain). Each test builds
// its own lab and takes it down even on failure.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/control/client.js';
import { labMac } from '../../src/lab/plan.js';
import { labUp, type Lab, type LabProcess } from '../../src/lab/index.js';
import { loadNative } from '../../src/io/native.js';
import { clientSeesVipAt, labName, MAIN, requests, ROOT, served, sleep } from './harness.js';

const nativeBuilt = ROOT && loadNative().addon !== null;
const run = ROOT && nativeBuilt ? describe : describe.skip;
const why = !ROOT ? 'needs root for network namespaces' : !nativeBuilt ? 'the native addon is not built' : '';

const PRIMARY_MAC = labMac(0x02, 0);
const BACKUP_MAC = labMac(0x04, 0);
const DEADTIME_S = 3;

interface Pair {
  lab: Lab;
  start(which: 'router' | 'backup'): LabProcess;
  api: { router: ControlClient; backup: ControlClient };
}

async function withPair(test: (p: Pair) => Promise<void>): Promise<void> {
  const lab = await labUp({ mode: 'nat', servers: 2, name: labName('ha'), ha: true });
  try {
    const sock = (which: string) => join(lab.stateDir, `${which}.sock`);
    const start = (which: 'router' | 'backup') =>
      lab.spawn(which, [process.execPath, MAIN, 'start', '-c', lab.configPath, '--backend', 'native', '--control-socket', sock(which)], { label: which });
    await test({ lab, start, api: { router: new ControlClient(sock('router')), backup: new ControlClient(sock('backup')) } });
  } finally {
    await lab.down();
  }
}

/** Whether a router says it is active; null while it does not answer (not started, or dead). */
async function active(api: ControlClient): Promise<boolean | null> {
  return api.failover().then((v) => v.active, () => null);
}

/**
 * Polls until cond holds, at most `ms`; every poll also checks that the two
 * routers are not active together, or (`overlapMs`) not for longer than that: at
 * failback pulse's rule is "both running: the backup stops", so the returning
 * primary is active a moment before its heartbeat stops the backup.
 */
async function until(p: Pair, what: string, ms: number, cond: () => Promise<boolean>, overlapMs = 0): Promise<number> {
  const t0 = Date.now();
  let both: number | null = null;
  for (;;) {
    const [a, b] = [await active(p.api.router), await active(p.api.backup)];
    both = a && b ? both ?? Date.now() : null;
    if (both !== null && Date.now() - both >= overlapMs) throw new Error(`split brain while waiting for ${what}: both routers active${overlapMs ? ` for ${overlapMs} ms` : ''}`);
    if (await cond()) return (Date.now() - t0) / 1000;
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}

run(`failover: two routers from one lvs.cf ${why}`, () => {
  it('the primary serves; killed, the backup takes over after deadtime and the client learns its MAC; the primary back takes over again; standby hands over', async () => {
    await withPair(async (p) => {
      const { lab } = p;
      const primary = p.start('router');
      p.start('backup');
      await until(p, 'the primary active and the backup inactive', 15_000, async () => (await active(p.api.router)) === true && (await active(p.api.backup)) === false);
      await until(p, 'the VIP served', 10_000, () => served(lab));
      const before = await requests(lab, 20);
      expect(Object.values(before).reduce((a, b) => a + b, 0)).toBe(20);
      expect(await clientSeesVipAt(lab)).toBe(PRIMARY_MAC);

      // The primary dies without a word (no STOPPED heartbeat, its fence left behind).
      process.kill(primary.pid, 'SIGKILL');
      const took = await until(p, 'the VIP served by the backup', 15_000, async () => (await active(p.api.backup)) === true && (await served(lab)));
      const b = await p.api.backup.failover();
      expect(b).toMatchObject({ role: 'backup', active: true, reason: 'partner dead', partnerSays: 'RUNNING' });
      // Dead after deadtime of silence, at most a second more to notice (and the polling's own pace).
      expect(took).toBeLessThan(DEADTIME_S + 2.5);
      await until(p, 'the client to learn the backup\'s MAC', 6_000, async () => (await clientSeesVipAt(lab)) === BACKUP_MAC);
      const during = await requests(lab, 20);
      expect(Object.values(during).reduce((a, c) => a + c, 0)).toBe(20);

      // The primary comes back (the lab's lvs.cf has failback = 1): it takes the addresses back after deadtime.
      p.start('router');
      await until(p, 'the primary back, inactive', 15_000, async () => (await p.api.router.failover().catch(() => null))?.partnerSays === 'RUNNING');
      expect(await active(p.api.router)).toBe(false);
      // Both active at most a heartbeat interval (1 s): the returning primary's first RUNNING stops the backup.
      await until(p, 'the primary active again (failback)', (DEADTIME_S + 5) * 1000, async () => (await active(p.api.router)) === true && (await active(p.api.backup)) === false, 1000);
      expect((await p.api.router.failover()).reason).toBe('failback');
      expect((await p.api.backup.failover()).reason).toBe('partner active');
      // Linux takes a gratuitous ARP over a fresh entry only after its locktime (1 s): one of the five does it.
      await until(p, 'the client to learn the primary\'s MAC again', 6_000, async () => (await clientSeesVipAt(lab)) === PRIMARY_MAC);
      expect(Object.values(await requests(lab, 20)).reduce((a, c) => a + c, 0)).toBe(20);

      // Maintenance: standby on the primary hands over to the backup at once and keeps it there.
      expect((await p.api.router.standby(true)).active).toBe(false);
      await until(p, 'the backup active for the standby', 10_000, async () => (await active(p.api.backup)) === true && (await served(lab)));
      await sleep(DEADTIME_S * 1000);
      expect(await active(p.api.router)).toBe(false);
      await until(p, 'the client to learn the backup\'s MAC', 6_000, async () => (await clientSeesVipAt(lab)) === BACKUP_MAC);
    });
  }, 120_000);

  it('with one heartbeat path cut the other keeps the pair together (no split brain); monitor_links hands over when the active router loses a link', async () => {
    await withPair(async (p) => {
      const { lab } = p;
      writeFileSync(lab.configPath, readFileSync(lab.configPath, 'utf8').replace('deadtime = 3', 'deadtime = 3\nmonitor_links = 1'));
      p.start('router');
      p.start('backup');
      await until(p, 'the primary active', 15_000, async () => (await active(p.api.router)) === true && (await active(p.api.backup)) === false);
      // Heartbeats over the public LAN are dropped at the backup; the private ones still arrive.
      await lab.exec('backup', ['nft', '-f', '-'], { check: true, input: 'table inet hbcut {\n chain in { type filter hook input priority 0; iifname "eth0" udp dport 539 drop; }\n}\n' });
      await until(p, 'still one active router after 3 x deadtime', DEADTIME_S * 3000 + 5000, async () => {
        await sleep(DEADTIME_S * 3000);
        return true;
      });
      expect(await active(p.api.router)).toBe(true);
      expect(await active(p.api.backup)).toBe(false);
      expect((await p.api.backup.failover()).lastHeard).toBeLessThan(2);
      await lab.exec('backup', ['nft', 'delete', 'table', 'inet', 'hbcut'], { check: true });

      // The primary's private link goes down: it releases the addresses at once and the backup, still
      // hearing its STOPPED over the public LAN, takes over; the link back, the primary stays inactive.
      await lab.exec('router', ['ip', 'link', 'set', 'eth1', 'down'], { check: true });
      await until(p, 'the backup active after the primary lost a link', 10_000, async () => (await active(p.api.backup)) === true && (await served(lab)));
      expect(await p.api.router.failover()).toMatchObject({ active: false, state: 'primary inactive (link failure)', links: { eth0: true, eth1: false } });
      await until(p, 'the client to learn the backup\'s MAC', 6_000, async () => (await clientSeesVipAt(lab)) === BACKUP_MAC);
      await lab.exec('router', ['ip', 'link', 'set', 'eth1', 'up'], { check: true });
      await until(p, 'the primary\'s link restored', 10_000, async () => (await p.api.router.failover()).links.eth1 === true);
      expect(await active(p.api.router)).toBe(false);
      expect(Object.values(await requests(lab, 10)).reduce((a, c) => a + c, 0)).toBe(10);
    });
  }, 120_000);
});
