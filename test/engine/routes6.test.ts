// The IPv6 route decision (routes6.ts), the kernel's IPv6 routes as `ip -j -6
// route` lists them (kernel-routes.ts), the engine's use of them for IPv6 real
// servers (next-hop6.ts: a server behind a gateway is sent through the
// gateway's MAC, a DR one there is refused) and the start-up plan's lines for
// IPv6 servers (router/egress.ts).
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { DROP_NO_NEIGH } from '../../src/engine/counters.js';
import { RouteTable, type Route } from '../../src/engine/routes.js';
import { RouteTable6, routes6Of } from '../../src/engine/routes6.js';
import { VERDICT_DROP, VERDICT_PASS, VERDICT_TX } from '../../src/frames/batch.js';
import { DEFAULT_SWITCHES, type ForwardMethod, type ServiceTable } from '../../src/model/index.js';
import { formatIPv6, ipv6Words } from '../../src/packet/ipv6.js';
import { parseIpRoutes6 } from '../../src/router/kernel-routes.js';
import { planEgress } from '../../src/router/egress.js';
import { frame6, icmp6Msg, ndBody, tcpSeg } from '../packet/helpers6.js';
import { ETH0_MAC, ETH1_MAC, hex, run } from './helpers.js';

const VIP6 = '2001:2:0:1::10';
const NAT6 = '2001:2:0:2::1';
const CLIENT6 = '2001:2:0:1::100';
const NEAR = '2001:2:0:2::11';
const FAR = '2001:2:0:4::11';
const GW = '2001:2:0:2::12';
const CLIENT_MAC = [0x02, 0xc1, 0, 0, 0, 0x01];
const GW_MAC = [0x02, 0x47, 0, 0, 0, 0x12];
const NEAR_MAC = [0x02, 0x52, 0, 0, 0, 0x11];
const FAR_MAC = [0x02, 0x52, 0, 0, 0, 0x44];

const r6 = (dst: string, o: Partial<Route> = {}): Route => {
  const [net, len] = dst === 'default' ? ['::', '0'] : dst.split('/');
  return { dst: 0, len: Number(len ?? 128), gateway: 0, dst6: net, gateway6: '', dev: 'eth1', metric: 0, type: 'unicast', ...o };
};
const show = (t: RouteTable6, a: string): string => {
  const e = t.egress(ipv6Words(a));
  return e ? `${e.dev} ${formatIPv6(e.hop)}${e.onLink ? ' on-link' : ''}` : 'none';
};

describe('IPv6 route decision', () => {
  const t = new RouteTable6(routes6Of([
    r6('default', { gateway6: 'fe80::1', dev: 'eth0' }),
    r6('2001:2:0:1::/64', { dev: 'eth0' }),
    r6('2001:2:0:2::/64', { dev: 'eth1' }),
    r6('2001:2:0:2:8000::/65', { dev: 'eth2' }),
    r6('2001:2:0:4::/64', { gateway6: GW, dev: 'eth1' }),
    r6('2001:2:0:4::/64', { gateway6: '2001:2:0:2::99', dev: 'eth1', metric: 1024 }),
    r6('2001:2:0:4:1::/80', { type: 'unreachable', dev: '' }),
    r6('2001:2:0:4::77', { dev: 'eth2' }),
  ]));

  it('takes the longest prefix that holds the address (prefixes past 64 bits too): a connected network reaches it on-link', () => {
    expect(show(t, NEAR)).toBe(`eth1 ${NEAR} on-link`);
    expect(show(t, '2001:2:0:2:8000::5')).toBe('eth2 2001:2:0:2:8000::5 on-link');
    expect(show(t, '2001:2:0:4::77')).toBe('eth2 2001:2:0:4::77 on-link');
  });

  it('sends through the gateway of the lowest-metric route; the default route catches the rest', () => {
    expect(show(t, FAR)).toBe(`eth1 ${GW}`);
    expect(show(t, '2001:db8::1')).toBe('eth0 fe80::1');
  });

  it('an unreachable route matches and reaches nothing; no default: no route', () => {
    expect(show(t, '2001:2:0:4:1::9')).toBe('none');
    expect(show(new RouteTable6([]), FAR)).toBe('none');
  });

  it('the owned IPv6 networks are connected routes (a /128 adds none), IPv4 addresses are skipped', () => {
    const o = new RouteTable6([]).withOwned([
      { address6: '2001:2:0:5::1', prefixLen: 64, device: 'eth3' },
      { address6: VIP6, prefixLen: 128, device: 'eth0' },
      { prefixLen: 24, device: 'eth0' },
    ]);
    expect(show(o, '2001:2:0:5::abcd')).toBe('eth3 2001:2:0:5::abcd on-link');
    expect(o.routes.length).toBe(1);
  });

  it('RouteTable keeps IPv4 decisions to IPv4 routes and carries the IPv6 ones (in its key too)', () => {
    const both = new RouteTable([{ dst: 0, len: 0, gateway: 0x0a000001, dev: 'eth0', metric: 0, type: 'unicast' }, r6('default', { gateway6: 'fe80::1' })]);
    expect(both.routes.length).toBe(1);
    expect(both.routes6.length).toBe(1);
    expect(both.egress(0x01020304)?.dev).toBe('eth0');
    expect(both.key()).not.toBe(new RouteTable(both.routes).key());
    expect(both.withOwned([{ address: 0, address6: VIP6, prefixLen: 64, device: 'eth0' }]).routes6.length).toBe(1);
  });
});

describe('the kernel\'s IPv6 routes (ip -j -6 route show table main)', () => {
  it('reads networks, host routes, gateways, multipath, metrics and route types; skips what it cannot read', () => {
    const json = JSON.stringify([
      { dst: '2001:2:0:2::/64', dev: 'eth1', protocol: 'kernel', metric: 256, flags: [], pref: 'medium' },
      { dst: '2001:2:0:4::/64', gateway: '2001:2:0:2::12', dev: 'eth1', metric: 1024, flags: [] },
      { dst: '2001:2:0:9:0:0:0:7', dev: 'eth2', metric: 1024 },
      { dst: 'default', nexthops: [{ gateway: 'fe80::1', dev: 'eth0' }, { gateway: 'fe80::2', dev: 'eth0' }], metric: 1024 },
      { type: 'unreachable', dst: '2001:db8::/32', dev: 'lo', metric: 1024 },
      { type: 'multicast', dst: 'ff00::/8', dev: 'eth0' },
      { dst: 'bogus', dev: 'eth0' },
    ]);
    expect(parseIpRoutes6(json).map((r) => `${r.dst6}/${r.len} ${r.gateway6 || '-'} ${r.dev || '-'} ${r.metric} ${r.type}`)).toEqual([
      '2001:2:0:2::/64 - eth1 256 unicast',
      `2001:2:0:4::/64 ${GW} eth1 1024 unicast`,
      '2001:2:0:9::7/128 - eth2 1024 unicast',
      '::/0 fe80::1 eth0 1024 unicast',
      '2001:db8::/32 - - 1024 unreachable',
    ]);
    expect(parseIpRoutes6('not json')).toEqual([]);
  });
});

function table6(servers: Array<[string, ForwardMethod]>): ServiceTable {
  return {
    version: 1, marks: [], switches: DEFAULT_SWITCHES, timeouts: { tcp: 0, tcpfin: 0, udp: 0 },
    services: [{
      name: 'web6', protocol: 'tcp', address: 0, address6: VIP6, port: 80, fwmark: 0, scheduler: 'rr', schedFlags: [],
      persistence: 0, persistMask: 0xffffffff, onePacket: false,
      servers: servers.map(([a, forward], k) => ({ name: `rs${k + 1}`, address: 0, address6: a, port: 80, weight: 1, forward, upperThreshold: 0, lowerThreshold: 0 })),
    }],
    addresses: [
      { address: 0, address6: VIP6, prefixLen: 64, device: 'eth0', role: 'vip' },
      { address: 0, address6: NAT6, prefixLen: 64, device: 'eth1', role: 'nat_router' },
    ],
  };
}

const engine6 = (t: ServiceTable): Engine => new Engine({ interfaces: [{ name: 'eth0', mac: ETH0_MAC }, { name: 'eth1', mac: ETH1_MAC }], table: t, connCapacity: 1024 });
const advert = (addr: string, mac: number[]): Uint8Array => frame6({ src: addr, dst: 'ff02::1', hop: 255, proto: 58, srcMac: mac, dstMac: [0x33, 0x33, 0, 0, 0, 1], l4: icmp6Msg(136, 0, ndBody(0x20, addr, [2, 1, ...mac])) });
const syn = (sport: number): Uint8Array => frame6({ src: CLIENT6, dst: VIP6, proto: 6, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: tcpSeg(sport, 80, 0x02) });
/** The addresses the router solicits, with the interface each goes out of. */
const solicited = (e: Engine): string[] => e.v6.neigh.due(1e9).map((o) => `${formatIPv6(Int32Array.from([0, 1, 2, 3], (k) => new DataView(o.frame.buffer).getInt32(ETH_IP6_ND_TARGET + 4 * k)))}@${o.itf}`).sort();
const ETH_IP6_ND_TARGET = 14 + 40 + 8;
const ROUTES = [r6('2001:2:0:2::/64', { dev: 'eth1' }), r6('2001:2:0:1::/64', { dev: 'eth0' }), r6('2001:2:0:4::/64', { gateway6: GW, dev: 'eth1' })];

describe('IPv6 real servers follow the routes', () => {
  it('NAT: a server behind a gateway is reached through the gateway\'s MAC, resolved by NDP; one on-link by its own', () => {
    const e = engine6(table6([[FAR, 'nat']]));
    e.setRoutes(new RouteTable(ROUTES), 0);
    expect(solicited(e)).toEqual([`${GW}@1`]);
    // The server's own advertisement teaches nothing: it is not the next hop.
    expect(run(e, advert(FAR, FAR_MAC), 1).verdict).toBe(VERDICT_PASS);
    expect(run(e, syn(40000), 0).reason).toBe(DROP_NO_NEIGH);
    expect(run(e, advert(GW, GW_MAC), 1).verdict).toBe(VERDICT_PASS);
    const out = run(e, syn(40001), 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(1);
    expect(hex(out.frame.subarray(0, 12))).toBe(hex(Uint8Array.from(GW_MAC)) + hex(ETH1_MAC));
    expect(formatIPv6(Int32Array.from([0, 1, 2, 3], (k) => new DataView(out.frame.buffer).getInt32(38 + 4 * k)))).toBe(FAR);
  });

  it('DR behind a gateway is refused (dropped as next hop unknown); DR on-link goes to the server\'s MAC', () => {
    const e = engine6(table6([[FAR, 'dr'], [NEAR, 'dr']]));
    e.setRoutes(new RouteTable(ROUTES), 0);
    expect(solicited(e)).toEqual([`${NEAR}@1`, `${GW}@1`].sort());
    run(e, advert(GW, GW_MAC), 1);
    run(e, advert(NEAR, NEAR_MAC), 1);
    // rr takes each server in turn: one SYN goes to NEAR's MAC, the other (FAR's) is dropped.
    const outs = [run(e, syn(40000), 0), run(e, syn(40001), 0)].map((o) => o.verdict === VERDICT_TX ? hex(o.frame.subarray(0, 6)) : o.verdict === VERDICT_DROP ? `drop ${o.reason}` : '?');
    expect(outs.sort()).toEqual([hex(Uint8Array.from(NEAR_MAC)), `drop ${DROP_NO_NEIGH}`].sort());
  });

  it('a link-local gateway (fe80::1) on two links is two neighbours: each server goes out through its own link\'s', () => {
    const e = engine6(table6([[FAR, 'nat'], ['2001:db8::9', 'nat']]));
    e.setRoutes(new RouteTable([r6('2001:2:0:4::/64', { gateway6: 'fe80::1', dev: 'eth1' }), r6('default', { gateway6: 'fe80::1', dev: 'eth0' })]), 0);
    expect(solicited(e)).toEqual(['fe80::1@0', 'fe80::1@1']);
    const GW0_MAC = [0x02, 0x47, 0, 0, 0, 0xa0];
    run(e, advert('fe80::1', GW0_MAC), 0);
    run(e, advert('fe80::1', GW_MAC), 1);
    const outs = [run(e, syn(40000), 0), run(e, syn(40001), 0)].map((o) => `${o.ifOut} ${hex(o.frame.subarray(0, 6))}`);
    expect(outs.sort()).toEqual([`0 ${hex(Uint8Array.from(GW0_MAC))}`, `1 ${hex(Uint8Array.from(GW_MAC))}`]);
  });

  it('without routes the owned networks decide as before (the server is its own next hop on the NAT router\'s device); a route change is followed', () => {
    const e = engine6(table6([[FAR, 'nat']]));
    expect(solicited(e)).toEqual([`${FAR}@1`]);
    run(e, advert(FAR, FAR_MAC), 1);
    expect(hex(run(e, syn(40000), 0).frame.subarray(0, 6))).toBe(hex(Uint8Array.from(FAR_MAC)));
    // Routes arrive: the gateway is the next hop now; then the route goes: no route, nothing wanted.
    e.setRoutes(new RouteTable(ROUTES), 2000);
    expect(solicited(e)).toEqual([`${GW}@1`]);
    run(e, advert(GW, GW_MAC), 1, 2000);
    expect(hex(run(e, syn(40001), 0, 2000).frame.subarray(0, 6))).toBe(hex(Uint8Array.from(GW_MAC)));
    e.setRoutes(new RouteTable(ROUTES.slice(0, 2)), 3000);
    expect(solicited(e)).toEqual([]);
    expect(run(e, syn(40002), 0, 3000).reason).toBe(DROP_NO_NEIGH);
  });
});

describe('start-up plan for IPv6 real servers (router/egress.ts)', () => {
  it('opens the device the routes reach a server through, says a server no route reaches and a DR one behind a gateway', () => {
    const t = table6([[FAR, 'dr'], [NEAR, 'nat'], ['2001:db8::5', 'nat']]);
    const routes = [r6('2001:2:0:2::/64', { dev: 'eth2' }), r6('2001:2:0:4::/64', { gateway6: GW, dev: 'eth2' })];
    const p = planEgress({ ...t, addresses: t.addresses.slice(0, 1) }, routes, ['eth0']);
    expect(p.extra).toEqual(['eth2']);
    expect(p.reached.get(NEAR)).toBe('eth2');
    expect(p.reached.get(FAR)).toBe(`eth2 via ${GW}`);
    expect(p.problems).toEqual([
      `real server ${FAR} (direct routing) is not on a directly connected network of this router (its route goes via ${GW} on eth2): ` +
        'LVS-DR sends the frame to the real server\'s own MAC, so it must be on a network the router is attached to; its frames are dropped',
      'real server 2001:db8::5: no interface of this router reaches it (no route to it); its frames are dropped as next hop unknown until a route does',
    ]);
  });
});
