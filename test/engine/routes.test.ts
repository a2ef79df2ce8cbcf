// The route decision (routes.ts) as the kernel's fib lookup makes it, and the
// engine's use of it: the interface and the neighbour each real server is
// reached through, followed when the routes change.
import { describe, expect, it } from 'vitest';
import { RouteTable, type Route } from '../../src/engine/routes.js';
import { DROP_NO_NEIGH } from '../../src/engine/counters.js';
import { VERDICT_DROP, VERDICT_TX } from '../../src/frames/batch.js';
import { buildTcp } from '../../src/packet/build.js';
import { formatIPv4 } from '../../src/model/index.js';
import { importSyncConn, IMPORTED, newSyncImportStats } from '../../src/engine/sync-import.js';
import { CLIENT, CLIENT_MAC, ETH0_MAC, ETH1_MAC, engine, ip, rsMac, run, service, table, VIP } from './helpers.js';

const route = (dst: string, o: Partial<Route> = {}): Route => {
  const [net, len] = dst === 'default' ? ['0.0.0.0', '0'] : dst.split('/');
  return { dst: ip(net), len: Number(len ?? 32), gateway: 0, dev: 'eth1', metric: 0, type: 'unicast', ...o };
};
const show = (t: RouteTable, a: string): string => {
  const e = t.egress(ip(a));
  return e ? `${e.dev} ${formatIPv4(e.hop)}${e.onLink ? ' on-link' : ''}` : 'none';
};

describe('route decision', () => {
  const t = new RouteTable([
    route('default', { gateway: ip('198.18.0.1'), dev: 'eth0' }),
    route('198.18.0.0/24', { dev: 'eth0' }),
    route('198.19.0.0/24', { dev: 'eth1' }),
    route('198.19.0.128/25', { dev: 'eth2' }),
    route('10.20.0.0/16', { gateway: ip('198.19.0.254'), dev: 'eth1' }),
    route('10.20.30.0/24', { type: 'blackhole', dev: '' }),
  ]);

  it('takes the longest prefix that holds the address: a directly connected network reaches it on-link', () => {
    expect(show(t, '198.19.0.11')).toBe('eth1 198.19.0.11 on-link');
    expect(show(t, '198.19.0.200')).toBe('eth2 198.19.0.200 on-link');
    expect(show(t, '198.18.0.100')).toBe('eth0 198.18.0.100 on-link');
  });

  it('sends through the gateway of a route that has one: the neighbour is the gateway', () => {
    expect(show(t, '10.20.1.1')).toBe('eth1 198.19.0.254');
    expect(show(t, '203.0.113.9')).toBe('eth0 198.18.0.1');
  });

  it('reaches nothing through a blackhole route, nor without a matching route', () => {
    expect(show(t, '10.20.30.4')).toBe('none');
    const noDefault = new RouteTable(t.routes.filter((r) => r.len !== 0));
    expect(show(noDefault, '203.0.113.9')).toBe('none');
    expect(show(new RouteTable([]), '198.19.0.11')).toBe('none');
  });

  it('prefers the lower metric among routes of one prefix, and an owned network over the kernel\'s route', () => {
    const m = new RouteTable([route('198.19.0.0/24', { dev: 'eth1', metric: 200 }), route('198.19.0.0/24', { dev: 'eth3', metric: 100 })]);
    expect(show(m, '198.19.0.5')).toBe('eth3 198.19.0.5 on-link');
    const owned = m.withOwned([{ address: ip('198.19.0.1'), prefixLen: 24, device: 'eth1' }]);
    expect(show(owned, '198.19.0.5')).toBe('eth1 198.19.0.5 on-link');
    // withOwned replaces the owned networks, it does not pile them up; key() ignores them.
    expect(owned.withOwned([]).routes).toHaveLength(2);
    expect(owned.key()).toBe(m.key());
  });
});

describe('the engine follows the routes', () => {
  const SYN = 0x02;
  const RS = '10.20.1.1';
  const GW = ip('198.19.0.254');
  const syn = (sport: number) => buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport, dport: 80, flags: SYN, seq: 1, ack: 0 });
  const routes = new RouteTable([route('10.20.0.0/16', { gateway: GW, dev: 'eth1' }), route('198.18.0.0/24', { dev: 'eth0' })]);

  it('NAT: wants the gateway, not the server, and forwards to the gateway\'s MAC on its interface', () => {
    const e = engine(table([service([{ addr: RS }, { addr: '10.20.1.2' }])]), { neighbours: false });
    e.setRoutes(routes, 0);
    expect(e.neigh.size).toBe(1);
    expect(e.neigh.resolve(ip(RS))).toBe(0);
    const n = e.neigh.resolve(GW);
    expect(n).toBeGreaterThan(0);
    expect(e.neigh.neighIf[n]).toBe(1);
    // Unresolved: held for the gateway's ARP reply (the neighbour entry it waits on is the gateway's).
    expect(run(e, syn(40000), 0).reason).toBe(0);
    expect(e.counters.snapshot().next_hop_frames_held).toBe(1);
    expect(e.neigh.neighAddr[e.held.neigh[0]]).toBe(e.held.addr[0]);
    expect(e.held.addr[0]).toBe(GW);
    e.neigh.setStatic(GW, rsMac(GW), 0, 1);
    const out = run(e, syn(40001), 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(1);
    expect([...out.frame.subarray(0, 6)]).toEqual([...rsMac(GW)]);
  });

  it('keeps a gateway while a server still goes through it, and lets it go with the last', () => {
    const e = engine(table([service([{ addr: RS }, { addr: '10.20.1.2' }])]), { neighbours: false });
    e.setRoutes(routes, 0);
    e.apply(table([service([{ addr: RS }])]));
    e.services.collectDests();
    e.syncNeighbours(0);
    expect(e.neigh.resolve(GW)).toBeGreaterThan(0);
    e.apply(table([service([{ addr: '198.18.0.50' }])]));
    e.services.collectDests();
    e.syncNeighbours(0);
    expect(e.neigh.resolve(GW)).toBe(0);
    expect(e.neigh.resolve(ip('198.18.0.50'))).toBeGreaterThan(0);
  });

  it('DR: a server behind a gateway is never resolved (DR needs it on-link); frames to it are dropped', () => {
    const e = engine(table([service([{ addr: RS }], { forward: 'dr' })]), { neighbours: false });
    e.setRoutes(routes, 0);
    e.neigh.setStatic(GW, rsMac(GW), 0, 1);
    const out = run(e, syn(40000), 0);
    expect([out.verdict, out.reason]).toEqual([VERDICT_DROP, DROP_NO_NEIGH]);
  });

  it('a route change moves a server to the new interface, connections and all, without a new table', () => {
    const e = engine(table([service([{ addr: '10.9.0.5' }], { forward: 'dr' })]), { neighbours: false });
    e.setRoutes(new RouteTable([route('10.9.0.0/24', { dev: 'eth0' })]), 0);
    const a = ip('10.9.0.5');
    e.neigh.heard(a, rsMac(a), 0, 0, 0);
    expect(run(e, syn(40000), 0).ifOut).toBe(0);
    e.setRoutes(new RouteTable([route('10.9.0.0/24', { dev: 'eth1' })]), 1);
    const n = e.neigh.resolve(a);
    expect(e.neigh.neighIf[n]).toBe(1);
    expect(e.neigh.heard(a, rsMac(a), 0, 1, 2)).toBe(n);
    // The established flow's next frame leaves by eth1 now.
    const out = run(e, buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 40000, dport: 80, flags: 0x10, seq: 2, ack: 1 }), 0, 3);
    expect([out.verdict, out.ifOut]).toEqual([VERDICT_TX, 1]);
  });

  it('TUN: the IPIP packet goes to the gateway\'s MAC, addressed to the server behind it, as the kernel routes it', () => {
    const e = engine(table([service([{ addr: RS }], { forward: 'tunnel' })]), { neighbours: false });
    e.setRoutes(routes, 0);
    e.neigh.setStatic(GW, rsMac(GW), 0, 1);
    const out = run(e, syn(40000), 0);
    expect([out.verdict, out.ifOut]).toEqual([VERDICT_TX, 1]);
    expect([...out.frame.subarray(0, 6)]).toEqual([...rsMac(GW)]);
    // Outer header: protocol 4, destination the real server itself.
    expect(out.frame[14 + 9]).toBe(4);
    expect(formatIPv4(((out.frame[30] << 24) | (out.frame[31] << 16) | (out.frame[32] << 8) | out.frame[33]) >>> 0)).toBe(RS);
  });

  it('a conn taken over by sync, its client never seen: the reply goes to the gateway the route to the client names', () => {
    const e = engine(table([service([{ addr: '198.19.0.11' }])]));
    const OUT_GW = ip('198.18.0.1');
    e.setRoutes(new RouteTable([route('default', { gateway: OUT_GW, dev: 'eth0' })]), 0);
    const far = ip('203.0.113.7');
    const c = { protocol: 6, caddr: far, cport: 5000, vaddr: VIP, vport: 80, daddr: ip('198.19.0.11'), dport: 80, flags: 0, state: 1, fwmark: 0, timeout: 900 };
    expect(importSyncConn(e, c, 1, newSyncImportStats(), 0)).toBe(IMPORTED);
    const reply = () => buildTcp({ srcMac: rsMac(ip('198.19.0.11')), dstMac: ETH1_MAC, src: ip('198.19.0.11'), dst: far, sport: 80, dport: 5000, flags: 0x10, seq: 9, ack: 1 });
    expect(run(e, reply(), 1).reason).toBe(DROP_NO_NEIGH);
    // The gateway, not the far client, is asked for on eth0; once it answers, the reply goes to it.
    expect(e.neigh.resolve(far)).toBe(0);
    const n = e.neigh.resolve(OUT_GW);
    expect(e.neigh.neighIf[n]).toBe(0);
    e.neigh.heard(OUT_GW, rsMac(OUT_GW), 0, 0, 1);
    const out = run(e, reply(), 1, 2);
    expect([out.verdict, out.ifOut]).toEqual([VERDICT_TX, 0]);
    expect([...out.frame.subarray(0, 6)]).toEqual([...rsMac(OUT_GW)]);
  });

  it('a server no route reaches is not wanted at all', () => {
    const e = engine(table([service([{ addr: '10.99.0.1' }])]), { neighbours: false });
    e.setRoutes(new RouteTable([route('198.18.0.0/24', { dev: 'eth0' })]), 0);
    expect(e.neigh.size).toBe(0);
    expect(e.egress(ip('10.99.0.1'))).toBeNull();
  });
});
