// Frames the kernel would not accept, end to end (issue 15 items 5, 6, 8 and 20):
// sent raw from the lab's client through the public bridge, each kind must reach
// the router and be counted there under its own reason (so the test proves the
// bridge delivered it: with br_netfilter loaded and bridge-nf-call-* on, a bridge
// drops malformed IPv4 itself and such a test would check nothing), no real server
// may see a connection from them, and an echo request with a bad checksum is not
// answered while good ones are.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNative } from '../../src/io/native.js';
import { ROOT, sleep, stats, upWithRouter } from './harness.js';

const SENDER = join(process.cwd(), 'test/e2e/helpers/bad-frames.py');
const run = ROOT && loadNative().addon ? describe : describe.skip;
const COUNT = 7;

run(`frames the kernel would not accept${ROOT ? '' : ' (skipped: needs root for network namespaces)'}`, () => {
  it('each reaches the router and is dropped under its own counter; none opens a connection; a bad echo is not answered', async () => {
    const { lab, router, statsPath } = await upWithRouter({ mode: 'nat', backend: 'native', args: ['--no-health-checks'] });
    try {
      // The lab turns the bridges' netfilter hooks off wherever br_netfilter is loaded.
      for (const sw of [lab.ns('pub'), lab.ns('priv')]) {
        const nf = await lab.exec(sw, ['sh', '-c', 'cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo absent']);
        expect(['0', 'absent']).toContain(nf.stdout.trim());
      }
      const mac = async (ns: string) => (await lab.exec(ns, ['cat', '/sys/class/net/eth0/address'], { check: true })).stdout.trim();
      // A snapshot written after the harness's last probe request (the file is rewritten about once a second).
      const t0 = Date.now();
      for (let i = 0; i < 50 && stats(statsPath).now <= t0; i++) await sleep(100);
      const before = stats(statsPath);
      const r = await lab.exec('client', ['python3', SENDER, 'eth0', await mac('client'), await mac('router'), lab.clientAddr, lab.vip, String(COUNT)], { check: true, timeoutMs: 20_000 });
      const out = JSON.parse(r.stdout) as { sent: Record<string, number>; replies: { good: number; bad: number } };
      expect(out.replies).toEqual({ good: COUNT, bad: 0 });

      // The stats file is written about once a second: wait for the counts to land.
      const want: Record<string, number> = {
        drop_malformed_bad_ip_checksum: COUNT, drop_malformed_bad_ip_total_length: COUNT, drop_vlan_tagged: COUNT,
        drop_other_host: COUNT, drop_bad_icmp_checksum: COUNT,
      };
      let got: Record<string, number> = {};
      for (let t = 0; t < 50; t++) {
        const c = stats(statsPath).counters;
        got = Object.fromEntries(Object.keys(want).map((k) => [k, (c[k] ?? 0) - (before.counters[k] ?? 0)]));
        if (Object.entries(want).every(([k, v]) => got[k] >= v)) break;
        await sleep(100);
      }
      expect(got).toEqual(want);
      expect(Object.keys(out.sent).sort()).toEqual(['bad_icmp_checksum', 'bad_ip_checksum', 'bad_ip_total_length', 'other_host', 'vlan_tagged']);
      // None of the SYNs among them opened a connection.
      const after = stats(statsPath).counters;
      expect((after.conns_created ?? 0) - (before.counters.conns_created ?? 0)).toBe(0);
      expect(router.alive()).toBe(true);
    } finally {
      await lab.down();
    }
  }, 90_000);
});
