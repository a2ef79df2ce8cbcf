// Authenticated heartbeats and config sync end to end (root): the two-router NAT
// lab (tsvs lab up nat --ha), each router with its own copy of lvs.cf and of the
// shared key, as two machines would have. With the key the pair forms as
// without it; raising serial_no on the active primary and reloading it puts its
// lvs.cf on the backup, whose table follows. The lab is taken down even on failure.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/control/client.js';
import { labUp } from '../../src/lab/index.js';
import { loadNative } from '../../src/io/native.js';
import { labName, MAIN, ROOT, sleep } from './harness.js';

const nativeBuilt = ROOT && loadNative().addon !== null;
const run = ROOT && nativeBuilt ? describe : describe.skip;
const why = !ROOT ? 'needs root for network namespaces' : !nativeBuilt ? 'the native addon is not built' : '';

async function until(what: string, ms: number, cond: () => Promise<boolean>): Promise<void> {
  const t0 = Date.now();
  while (!(await cond().catch(() => false))) {
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(200);
  }
}

run(`config sync and authenticated heartbeats ${why}`, () => {
  it('the keyed pair forms; serial_no raised and reloaded on the primary reaches the backup\'s lvs.cf and table', async () => {
    const lab = await labUp({ mode: 'nat', servers: 2, name: labName('cs'), ha: true });
    try {
      const key = join(lab.stateDir, 'ha.key');
      writeFileSync(key, 'k8Qw1bZr5mJt0xY3pV7cN2sL9fH4gD6a\n', { mode: 0o600 });
      const shared = readFileSync(lab.configPath, 'utf8').replace('failback = 1', `failback = 1\nha_key_file = ${key}\nconfig_sync = 1`);
      const cf = { router: join(lab.stateDir, 'router.cf'), backup: join(lab.stateDir, 'backup.cf') };
      const sock = (which: string) => join(lab.stateDir, `${which}.sock`);
      const api = { router: new ControlClient(sock('router')), backup: new ControlClient(sock('backup')) };
      for (const which of ['router', 'backup'] as const) {
        writeFileSync(cf[which], shared, { mode: 0o640 });
        lab.spawn(which, [process.execPath, MAIN, 'start', '-c', cf[which], '--backend', 'native', '--control-socket', sock(which)], { label: which });
      }
      await until('the primary active and the backup hearing it', 15_000, async () => (await api.router.failover()).active && (await api.backup.failover()).partnerSays === 'RUNNING');
      const hb = await api.backup.failover();
      expect(hb.auth).toMatchObject({ unauthenticated: 0, forged: 0, replayed: 0 });
      expect(hb.auth!.ok).toBeGreaterThan(0);
      // Becoming active, the primary offered serial_no 1: the backup has it.
      await until('the first offer answered', 10_000, async () => (await api.router.status()).configSync?.partnerSerial === 1);

      // A new scheduler: unlike a weight, which the health checks' slow start ramps, it shows at once.
      expect((await api.backup.table()).services[0].scheduler).toBe('wlc');
      const next = shared.replace('serial_no = 1', 'serial_no = 2').replace('scheduler = wlc', 'scheduler = rr');
      expect(next).not.toBe(shared);
      writeFileSync(cf.router, next);
      expect((await api.router.reload()).ok).toBe(true);
      await until('the backup to install the primary\'s lvs.cf', 10_000, async () => readFileSync(cf.backup, 'utf8') === next);
      await until('the backup\'s table to follow', 10_000, async () => (await api.backup.table()).services[0].scheduler === 'rr');
      const st = await api.backup.status();
      expect(st.reloads.last).toMatchObject({ ok: true, trigger: 'config sync from 198.18.0.2 (serial_no 1 -> 2)' });
      expect(st.configSync?.received).toMatchObject({ applied: 1, invalid: 0 });
      expect((await api.router.status()).configSync).toMatchObject({ partnerSerial: 2, sent: { applied: 1 } });
    } finally {
      await lab.down();
    }
  }, 90_000);
});
