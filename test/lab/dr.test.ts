// LVS-DR lab end to end (root): real servers hold the VIP on lo and do not
// answer ARP for it; the client reaches the real servers through the public
// router; offloads can be turned off.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileLvsCf, parseLvsCf } from '../../src/config/index.js';
import { labDown, labMac, labUp, type Lab } from '../../src/lab/index.js';
import { formatIPv4 } from '../../src/model/index.js';
import { IS_ROOT, labNamespaces, ROOT_REASON } from './helpers.js';

/** The neighbour entry the namespace's kernel has for `addr`, e.g. "198.18.0.21 dev eth0 lladdr 02:... REACHABLE". */
async function neigh(lab: Lab, ns: string, addr: string): Promise<string> {
  return (await lab.exec(ns, ['ip', 'neigh', 'show', addr], { check: true })).stdout.trim();
}

describe.skipIf(!IS_ROOT)(`DR lab, 2 real servers, offloads off${ROOT_REASON}`, () => {
  const name = `t${process.pid}d`;
  let lab: Lab;

  beforeAll(async () => {
    lab = await labUp({ mode: 'dr', servers: 2, name, offloads: false });
  }, 30_000);
  afterAll(async () => {
    await labDown(name);
    expect(await labNamespaces(name)).toEqual([]);
  }, 30_000);

  it('real servers hold the VIP on lo with arp_ignore=1 and arp_announce=2 (all, eth0, lo)', async () => {
    for (const rs of lab.serverNames) {
      const lo = await lab.exec(rs, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'lo'], { check: true });
      expect(lo.stdout).toMatch(/inet 198\.18\.0\.10\/32/);
      const keys = ['all', 'eth0', 'lo'].flatMap((d) => [`net.ipv4.conf.${d}.arp_ignore`, `net.ipv4.conf.${d}.arp_announce`]);
      const v = await lab.exec(rs, ['sysctl', '-n', ...keys], { check: true });
      expect(v.stdout.trim().split('\n')).toEqual(['1', '2', '1', '2', '1', '2']);
      const rp = await lab.exec(rs, ['sysctl', '-n', 'net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.eth0.rp_filter'], { check: true });
      expect(rp.stdout.trim().split('\n')).toEqual(['0', '0']);
    }
  });

  it('nobody answers ARP for the VIP (tsvs is not running), while the real servers answer for their own addresses', async () => {
    for (const ns of ['router', 'gw']) {
      // An attempt to reach each address makes this namespace's kernel ARP for it.
      const vip = await lab.exec(ns, ['ping', '-c', '1', '-W', '1', lab.vip], { timeoutMs: 5000 });
      expect(vip.code).not.toBe(0);
      expect(await neigh(lab, ns, lab.vip)).not.toMatch(/lladdr/);
      const rs1 = await lab.exec(ns, ['ping', '-c', '1', '-W', '1', lab.serverAddrs[0]], { timeoutMs: 5000 });
      expect(rs1.code).toBe(0);
      expect(await neigh(lab, ns, lab.serverAddrs[0])).toMatch(new RegExp(`lladdr ${labMac(0x11, 0)}`));
    }
  });

  it('the client reaches the public router, and the real servers through it (replies return via 198.18.0.1)', async () => {
    await lab.exec('client', ['ping', '-c', '1', '-W', '2', '198.18.1.1'], { check: true });
    await lab.exec('client', ['ping', '-c', '1', '-W', '2', '198.18.0.1'], { check: true });
    for (const [k, addr] of lab.serverAddrs.entries()) {
      const r = await lab.exec('client', ['curl', '-sS', '--max-time', '3', `http://${addr}/`], { check: true });
      expect(r.stdout).toBe(`rs${k + 1} ${addr}\n`);
    }
    const route = await lab.exec('client', ['ip', '-4', 'route', 'show', 'default'], { check: true });
    expect(route.stdout).toMatch(/^default via 198\.18\.1\.1 /);
  });

  it('the router namespace holds only 198.18.0.2 on eth0, does not forward, and has offloads off on both veth ends', async () => {
    const addrs = await lab.exec('router', ['ip', '-4', '-o', 'addr', 'show'], { check: true });
    expect(addrs.stdout).toMatch(/\beth0\s+inet 198\.18\.0\.2\/24/);
    expect(addrs.stdout).not.toMatch(/198\.18\.0\.10\b/);
    expect((await lab.exec('router', ['sysctl', '-n', 'net.ipv4.ip_forward'], { check: true })).stdout.trim()).toBe('0');
    for (const [ns, dev] of [['router', 'eth0'], ['lan', 'router']]) {
      const k = (await lab.exec(ns, ['ethtool', '-k', dev], { check: true })).stdout;
      for (const f of ['tcp-segmentation-offload', 'generic-segmentation-offload', 'generic-receive-offload', 'tx-checksumming', 'rx-checksumming']) {
        expect(k).toMatch(new RegExp(`^${f}: off`, 'm'));
      }
    }
  });

  it('writes a direct-routing lvs.cf for the real servers on the VIP LAN', () => {
    const { table } = compileLvsCf(parseLvsCf(readFileSync(lab.configPath, 'utf8'), lab.configPath));
    expect(table.addresses.map((a) => `${formatIPv4(a.address)} ${a.device} ${a.role}`)).toEqual(['198.18.0.10 eth0 vip']);
    expect(table.services[0].servers.map((s) => `${formatIPv4(s.address)} ${s.forward}`)).toEqual(['198.18.0.21 dr', '198.18.0.22 dr']);
  });
});
