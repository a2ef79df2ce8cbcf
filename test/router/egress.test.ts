// Reading `ip -j route` and deciding, from the routes, which devices the real
// servers need and which of them the router cannot serve as configured.
import { describe, expect, it } from 'vitest';
import { parseIpRoutes } from '../../src/router/kernel-routes.js';
import { planEgress } from '../../src/router/egress.js';
import { RouteFollower } from '../../src/router/route-follow.js';
import { buildTable, formatIPv4, parseIPv4, type ForwardMethod, type ServiceTable } from '../../src/model/index.js';
import type { Route } from '../../src/engine/routes.js';
import type { HostInfo } from '../../src/router/preflight.js';

const ip = (s: string): number => parseIPv4(s)!;

// As `ip -j -4 route show table main` prints them on the guide's DR router (iproute2 6.x).
const IP_JSON = JSON.stringify([
  { dst: 'default', gateway: '198.18.0.1', dev: 'eth0', flags: [] },
  { dst: '198.18.0.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '198.18.0.2', flags: [] },
  { dst: '198.19.0.0/24', dev: 'eth1', protocol: 'kernel', scope: 'link', prefsrc: '198.19.0.2', flags: [] },
  { dst: '10.7.0.0/16', gateway: '198.19.0.254', dev: 'eth1', metric: 20, flags: [] },
  { type: 'blackhole', dst: '10.66.0.0/16', flags: [] },
  { dst: '10.8.0.0/16', nexthops: [{ gateway: '198.19.0.253', dev: 'eth1', weight: 1, flags: [] }, { gateway: '198.18.0.254', dev: 'eth0', weight: 1, flags: [] }], flags: [] },
  { type: 'multicast', dst: '224.0.0.0/4', dev: 'eth0', flags: [] },
]);

function drTable(servers: Array<[string, ForwardMethod]>): ServiceTable {
  return buildTable({
    services: [{
      name: 'web', protocol: 'tcp', address: ip('198.18.0.10'), port: 80, fwmark: 0, scheduler: 'wlc', schedFlags: [], persistence: 0, persistMask: 0xffffffff, onePacket: false,
      servers: servers.map(([a, forward], i) => ({ name: `rs${i}`, address: ip(a), port: 80, weight: 1, forward, upperThreshold: 0, lowerThreshold: 0 })),
    }],
    addresses: [{ address: ip('198.18.0.10'), prefixLen: 32, device: 'eth0', role: 'vip' }],
    timeouts: {},
    switches: {},
  });
}

describe('ip -j route', () => {
  it('reads networks, gateways, metrics, blackholes and the first next hop of a multipath route; skips other types', () => {
    const r = parseIpRoutes(IP_JSON);
    expect(r.map((x) => `${formatIPv4(x.dst)}/${x.len} ${x.gateway ? formatIPv4(x.gateway) : '-'} ${x.dev || '-'} ${x.metric} ${x.type}`)).toEqual([
      '0.0.0.0/0 198.18.0.1 eth0 0 unicast',
      '198.18.0.0/24 - eth0 0 unicast',
      '198.19.0.0/24 - eth1 0 unicast',
      '10.7.0.0/16 198.19.0.254 eth1 20 unicast',
      '10.66.0.0/16 - - 0 blackhole',
      '10.8.0.0/16 198.19.0.253 eth1 0 unicast',
    ]);
  });

  it('reads garbage as no routes rather than throwing', () => {
    expect(parseIpRoutes('not json')).toEqual([]);
    expect(parseIpRoutes('{}')).toEqual([]);
    expect(parseIpRoutes('[{"dst":"300.1.1.1/8","dev":"eth0"}]')).toEqual([]);
  });
});

describe('egress plan', () => {
  const routes = parseIpRoutes(IP_JSON);

  it('the guide\'s DR figure: servers on the private LAN need eth1, which lvs.cf never names', () => {
    const p = planEgress(drTable([['198.19.0.11', 'dr'], ['198.19.0.12', 'dr']]), routes, ['eth0']);
    expect(p.extra).toEqual(['eth1']);
    expect(p.problems).toEqual([]);
    expect([...p.reached.values()]).toEqual(['eth1', 'eth1']);
  });

  it('DR behind a gateway: said, because DR needs the server on-link; NAT behind one is fine', () => {
    const p = planEgress(drTable([['10.7.1.1', 'dr'], ['10.7.1.2', 'nat']]), routes, ['eth0']);
    expect(p.problems).toHaveLength(1);
    expect(p.problems[0]).toMatch(/^real server 10\.7\.1\.1 \(direct routing\) is not on a directly connected network .*via 198\.19\.0\.254 on eth1.*must be on a network the router is attached to/);
    expect(p.reached.get(ip('10.7.1.2'))).toBe('eth1 via 198.19.0.254');
  });

  it('a server no route reaches (a blackhole, or no route at all) is one line', () => {
    const noDefault = routes.filter((r) => r.len !== 0);
    const p = planEgress(drTable([['10.66.0.5', 'nat'], ['203.0.113.9', 'nat']]), noDefault, ['eth0']);
    expect(p.problems).toEqual([
      'real server 10.66.0.5: no interface of this router reaches it (a blackhole route to it); its frames are dropped as next hop unknown until a route does',
      'real server 203.0.113.9: no interface of this router reaches it (no route to it); its frames are dropped as next hop unknown until a route does',
    ]);
    expect(p.extra).toEqual([]);
  });

  it('once running, a server the routes move to a device not opened at start is said, not opened', () => {
    const p = planEgress(drTable([['198.19.0.11', 'nat']]), routes, ['eth0'], () => true, false);
    expect(p.problems[0]).toMatch(/now through device eth1, which tsvs did not open at start; restart/);
  });
});

describe('route follower', () => {
  function host(routes: () => Route[] | null): HostInfo {
    return { isRoot: () => true, hasDevice: () => true, macOf: () => new Uint8Array(6), kernelAddresses: () => new Map(), routes };
  }

  it('logs each problem once, when it starts, and says when it is gone; re-reads report only changes', () => {
    let current = parseIpRoutes(IP_JSON).filter((r) => r.len !== 0);
    const lines: string[] = [];
    const log = { debug: () => {}, info: (m: string, f?: Record<string, unknown>) => lines.push(`info ${m} ${f ? JSON.stringify(f) : ''}`), warn: (m: string) => lines.push(`warn ${m}`), error: () => {} };
    const f = new RouteFollower(host(() => current), log);
    const t = drTable([['203.0.113.9', 'nat'], ['198.19.0.11', 'dr']]);
    expect(f.start(t, ['eth0'])).toEqual(['eth1']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^warn real server 203\.0\.113\.9: no interface/);
    expect(f.reread()).toBeNull();
    f.check(t, ['eth0', 'eth1']);
    expect(lines).toHaveLength(1);
    current = parseIpRoutes(IP_JSON);
    expect(f.reread()).toHaveLength(6);
    f.check(t, ['eth0', 'eth1']);
    expect(lines[1]).toMatch(/^info resolved .*203\.0\.113\.9/);
  });

  it('without routes from the host (no ip command), opens nothing more and says nothing', () => {
    const f = new RouteFollower(host(() => null), { debug: () => {}, info: () => {}, warn: () => { throw new Error('no'); }, error: () => {} });
    expect(f.start(drTable([['203.0.113.9', 'nat']]), ['eth0'])).toEqual([]);
    expect(f.routes).toBeNull();
  });
});
