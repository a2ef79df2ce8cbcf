// The dual-stack lab (--ipv6) end to end (root), without a router: every host has
// the IPv6 twins of its addresses and routes with none tentative (no DAD), the
// httpds answer over IPv6, the router's kernel holds neither v6 VIP nor v6
// nat_router, and a DR real server with the v6 VIP on lo does not answer
// Neighbor Solicitations for it (Linux looks an NS's target up on the interface
// it came in on only), so the v6 VIP is tsvs's to answer as the v4 one is.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatStatus, healthy, labDown, labStatus, labUp, type Lab } from '../../src/lab/index.js';
import { IS_ROOT, labNamespaces, ROOT_REASON, uniqueName } from './helpers.js';

const v6addrs = async (lab: Lab, ns: string, dev: string): Promise<string[]> =>
  [...(await lab.exec(ns, ['ip', '-6', '-o', 'addr', 'show', 'dev', dev], { check: true })).stdout.matchAll(/inet6 (\S+)/g)].map((m) => m[1]);
const tentative = async (lab: Lab, ns: string): Promise<string> => (await lab.exec(ns, ['ip', '-6', 'addr', 'show', 'tentative'], { check: true })).stdout.trim();
const v6default = async (lab: Lab, ns: string): Promise<string> => (await lab.exec(ns, ['ip', '-6', 'route', 'show', 'default'], { check: true })).stdout.trim();

describe.skipIf(!IS_ROOT)(`NAT lab --ipv6, 2 real servers${ROOT_REASON}`, () => {
  const name = uniqueName('n');
  let lab: Lab;

  beforeAll(async () => {
    lab = await labUp({ mode: 'nat', servers: 2, name, ipv6: true, routerPrivateAddr: true });
  }, 30_000);
  afterAll(async () => {
    await labDown(name);
    expect(await labNamespaces(name)).toEqual([]);
  }, 30_000);

  it('has the v6 twins of every address and the real servers\' v6 default route through the v6 nat_router; nothing tentative', async () => {
    expect(lab.v6).toEqual({
      vip: '2001:2:0:1::10', natRouter: '2001:2:0:2::1', routerAddr: '2001:2:0:1::2', routerPrivateAddr: '2001:2:0:2::2', clientAddr: '2001:2:0:1::100',
      serverAddrs: ['2001:2:0:2::11', '2001:2:0:2::12'],
    });
    expect(await v6addrs(lab, 'client', 'eth0')).toContain('2001:2:0:1::100/64');
    const router = [...(await v6addrs(lab, 'router', 'eth0')), ...(await v6addrs(lab, 'router', 'eth1'))];
    expect(router).toContain('2001:2:0:1::2/64');
    expect(router).toContain('2001:2:0:2::2/64');
    // The router's kernel never holds the v6 VIP or nat_router (tsvs answers them), and forwards no IPv6.
    expect(router.join(' ')).not.toMatch(/2001:2:0:1::10\/|2001:2:0:2::1\//);
    expect((await lab.exec('router', ['sysctl', '-n', 'net.ipv6.conf.all.forwarding'], { check: true })).stdout.trim()).toBe('0');
    for (const [k, rs] of lab.serverNames.entries()) {
      expect(await v6addrs(lab, rs, 'eth0')).toContain(`${lab.v6!.serverAddrs[k]}/64`);
      expect(await v6default(lab, rs)).toMatch(/^default via 2001:2:0:2::1 dev eth0/);
    }
    for (const ns of ['client', 'router', ...lab.serverNames]) expect(await tentative(lab, ns), ns).toBe('');
    // The switches stay IPv4-only bridges (they pass IPv6 frames all the same).
    expect((await lab.exec('pub', ['sysctl', '-n', 'net.ipv6.conf.all.disable_ipv6'], { check: true })).stdout.trim()).toBe('1');
  });

  it('the httpds answer over IPv6 (and still IPv4); the client and the router\'s kernel find each other by NDP', async () => {
    for (const [k, rs] of lab.serverNames.entries()) {
      const other = lab.serverNames[1 - k];
      const v6 = await lab.exec(other, ['curl', '-6', '-g', '-sS', '--max-time', '3', `http://[${lab.v6!.serverAddrs[k]}]/`], { check: true });
      expect(v6.stdout).toBe(`${rs} ${lab.serverAddrs[k]}\n`);
      const v4 = await lab.exec(other, ['curl', '-sS', '--max-time', '3', `http://${lab.serverAddrs[k]}/`], { check: true });
      expect(v4.stdout).toBe(`${rs} ${lab.serverAddrs[k]}\n`);
    }
    await lab.exec('client', ['ping', '-6', '-c', '1', '-W', '2', lab.v6!.routerAddr], { check: true });
    await lab.exec('router', ['ping', '-6', '-c', '1', '-W', '2', lab.v6!.serverAddrs[0]], { check: true });
  });

  it('lab status asks each httpd over IPv4 and IPv6 and lists the global v6 addresses', async () => {
    const st = await labStatus(name);
    expect(healthy(st)).toBe(true);
    expect(st.servers.map((r) => [r.addr6, r.answers])).toEqual([['2001:2:0:2::11', true], ['2001:2:0:2::12', true]]);
    const text = formatStatus(st);
    expect(text).toContain('over IPv4 and IPv6');
    expect(text).toMatch(/eth0 198\.18\.0\.100\/24,2001:2:0:1::100\/64/);
    expect(text).not.toContain('fe80:');
  });

  it('writes lvs.cf with the v6 nat_router and a v6 virtual service of the v6 servers', () => {
    const cf = readFileSync(lab.configPath, 'utf8');
    expect(cf).toContain('nat_router = 198.19.0.1 eth1:0\nnat_nmask = 255.255.255.0\nnat_router = 2001:2:0:2::1 eth1:0\n');
    expect(cf).toMatch(/virtual http6 \{\n {4}active = 1\n {4}address = 2001:2:0:1::10 eth0:1\n/);
    expect(cf).toContain('        address = 2001:2:0:2::12\n');
  });
});

describe.skipIf(!IS_ROOT)(`DR lab --ipv6, 2 real servers${ROOT_REASON}`, () => {
  const name = uniqueName('d');
  let lab: Lab;

  beforeAll(async () => {
    lab = await labUp({ mode: 'dr', servers: 2, name, ipv6: true });
  }, 30_000);
  afterAll(async () => {
    await labDown(name);
    expect(await labNamespaces(name)).toEqual([]);
  }, 30_000);

  it('real servers hold the v6 VIP on lo (/128); the client\'s, router\'s and servers\' v6 default routes go through the gateway, which forwards IPv6', async () => {
    expect(lab.v6).toMatchObject({ vip: '2001:2:0:1::10', clientAddr: '2001:2:0:3::100', gatewayAddr: '2001:2:0:3::1', serverAddrs: ['2001:2:0:1::21', '2001:2:0:1::22'] });
    for (const rs of lab.serverNames) {
      expect(await v6addrs(lab, rs, 'lo')).toContain('2001:2:0:1::10/128');
      expect(await v6default(lab, rs)).toMatch(/^default via 2001:2:0:1::1 dev eth0/);
    }
    expect(await v6default(lab, 'client')).toMatch(/^default via 2001:2:0:3::1 dev eth0/);
    expect(await v6default(lab, 'router')).toMatch(/^default via 2001:2:0:1::1 dev eth0/);
    expect((await lab.exec('gw', ['sysctl', '-n', 'net.ipv6.conf.all.forwarding'], { check: true })).stdout.trim()).toBe('1');
    for (const ns of ['client', 'gw', 'router', ...lab.serverNames]) expect(await tentative(lab, ns), ns).toBe('');
  });

  it('no real server answers a Neighbor Solicitation for the v6 VIP on its lo (tsvs is not running); they answer for their own addresses', async () => {
    for (const ns of ['router', 'gw']) {
      const vip = await lab.exec(ns, ['ping', '-6', '-c', '1', '-W', '1', lab.v6!.vip], { timeoutMs: 5000 });
      expect(vip.code).not.toBe(0);
      expect((await lab.exec(ns, ['ip', '-6', 'neigh', 'show', lab.v6!.vip], { check: true })).stdout).not.toMatch(/lladdr/);
      await lab.exec(ns, ['ping', '-6', '-c', '1', '-W', '2', lab.v6!.serverAddrs[0]], { check: true });
      expect((await lab.exec(ns, ['ip', '-6', 'neigh', 'show', lab.v6!.serverAddrs[0]], { check: true })).stdout).toMatch(/lladdr 02:6c:61:62:11:00/);
    }
  });

  it('the client reaches each real server over IPv6 through the gateway, and its httpd answers', async () => {
    for (const [k, addr] of lab.v6!.serverAddrs.entries()) {
      const r = await lab.exec('client', ['curl', '-6', '-g', '-sS', '--max-time', '3', `http://[${addr}]/`], { check: true });
      expect(r.stdout).toBe(`rs${k + 1} ${lab.serverAddrs[k]}\n`);
    }
  });
});
