// The fence's set elements kept as the table changes (router/fence-elements.ts):
// each change names exactly the elements that enter and leave their sets,
// whatever path the table took, and nothing moves until the plan is committed.
import { describe, expect, it } from 'vitest';
import { FenceElements, type Sets } from '../../src/router/fence-elements.js';
import { assembleTable, type RealServer, type ServiceTable, type VirtualService } from '../../src/model/index.js';
import { ip, service, table } from '../engine/helpers.js';

const list = (s: Sets) => Object.fromEntries(Object.entries(s).filter(([, v]) => v.size).map(([k, v]) => [k, [...v]]));
const nat = (addr: string, port = 80): RealServer => ({ name: addr, address: ip(addr), port, weight: 1, forward: 'nat', upperThreshold: 0, lowerThreshold: 0 });
const withServers = (t: ServiceTable, i: number, servers: RealServer[]): ServiceTable =>
  assembleTable({ ...t, services: t.services.map((s, k) => (k === i ? { ...s, servers } : s)) });

function start(t: ServiceTable): FenceElements {
  const f = new FenceElements([ip('198.18.0.2')]);
  f.plan(t).commit();
  return f;
}

describe('fence elements', () => {
  it("holds the owned addresses (sorted), the router's own and every NAT server's address and port", () => {
    const f = start(table([service([{ addr: '198.19.0.12' }, { addr: '198.19.0.11', port: 8080 }])]));
    expect(list(f.current())).toEqual({
      owned: ['198.18.0.10', '198.19.0.1'], local: ['198.18.0.2'], nat_tcp: ['198.19.0.12 . 80', '198.19.0.11 . 8080'],
    });
  });

  it('an added server enters, a removed one leaves; a weight change moves nothing; nothing moves before commit()', () => {
    const t0 = table([service([{ addr: '198.19.0.11' }, { addr: '198.19.0.12' }])]);
    const f = start(t0);
    const t1 = withServers(t0, 0, [...t0.services[0].servers, nat('198.19.0.13')]);
    const p = f.plan(t1);
    expect([list(p.add), list(p.del)]).toEqual([{ nat_tcp: ['198.19.0.13 . 80'] }, {}]);
    expect(list(f.plan(t1).add)).toEqual({ nat_tcp: ['198.19.0.13 . 80'] }); // not committed: the same again
    p.commit();
    const t2 = withServers(t1, 0, [{ ...t1.services[0].servers[0], weight: 5 }, ...t1.services[0].servers.slice(2)]);
    const q = f.plan(t2);
    expect([list(q.add), list(q.del)]).toEqual([{}, { nat_tcp: ['198.19.0.12 . 80'] }]);
    q.commit();
    expect(list(f.current()).nat_tcp).toEqual(['198.19.0.11 . 80', '198.19.0.13 . 80']);
  });

  it('an element two services need stays until the last one goes', () => {
    const web = service([{ addr: '198.19.0.11' }]);
    const other: VirtualService = { ...web, name: 'other', address: ip('198.18.0.20') };
    const t0 = assembleTable({ ...table([web]), services: [web, other] });
    const f = start(t0);
    const t1 = assembleTable({ ...t0, services: [t0.services[0]] });
    expect(list(f.plan(t1).del)).toEqual({});
    f.plan(t1).commit();
    const t2 = assembleTable({ ...t1, services: [] });
    expect(list(f.plan(t2).del)).toEqual({ nat_tcp: ['198.19.0.11 . 80'] });
  });

  it('a server turned from NAT to DR leaves; a firewall-mark server with port 0 fences every port; a protocol change moves its elements', () => {
    const t0 = table([service([{ addr: '198.19.0.11' }])]);
    const f = start(t0);
    const dr = withServers(t0, 0, [{ ...t0.services[0].servers[0], forward: 'dr' }]);
    expect(list(f.plan(dr).del)).toEqual({ nat_tcp: ['198.19.0.11 . 80'] });
    const udp = assembleTable({ ...t0, services: [{ ...t0.services[0], protocol: 'udp' }] });
    const p = f.plan(udp);
    expect([list(p.add), list(p.del)]).toEqual([{ nat_udp: ['198.19.0.11 . 80'] }, { nat_tcp: ['198.19.0.11 . 80'] }]);
    const mark = assembleTable({ ...t0, services: [{ ...t0.services[0], fwmark: 7, address: 0, port: 0, servers: [nat('198.19.0.11', 0)] }] });
    expect(list(f.plan(mark).add)).toEqual({ nat_any: ['198.19.0.11'] });
  });

  it("IPv6: owned6 from the v6 addresses, local6 from the kernel's, nat6_* from v6 NAT servers, planned per change like IPv4", () => {
    const rs6 = (a: string, port = 80): RealServer => ({ name: a, address: 0, address6: a, port, weight: 1, forward: 'nat', upperThreshold: 0, lowerThreshold: 0 });
    const v4 = service([{ addr: '198.19.0.11' }]);
    const v6: VirtualService = { ...v4, name: 'web6', address: 0, address6: '2001:2:0:1::10', servers: [rs6('2001:2:0:2::11'), rs6('2001:2:0:2::12', 8080)] };
    const base = table([v4]);
    const t0 = assembleTable({
      ...base,
      services: [v4, v6],
      addresses: [...base.addresses, { address: 0, address6: '2001:2:0:2::1', prefixLen: 64, device: 'eth1', role: 'nat_router' }, { address: 0, address6: '2001:2:0:1::10', prefixLen: 64, device: 'eth0', role: 'vip' }],
    });
    const f = new FenceElements([ip('198.18.0.2')], ['2001:2:0:1::2', 'fe80::6c:61ff:fe62:200']);
    f.plan(t0).commit();
    expect(list(f.current())).toEqual({
      owned: ['198.18.0.10', '198.19.0.1'], local: ['198.18.0.2'], nat_tcp: ['198.19.0.11 . 80'],
      owned6: ['2001:2:0:1::10', '2001:2:0:2::1'], local6: ['2001:2:0:1::2', 'fe80::6c:61ff:fe62:200'],
      nat6_tcp: ['2001:2:0:2::11 . 80', '2001:2:0:2::12 . 8080'],
    });
    // A v6 server added and one removed: only those move; the v4 sets do not.
    const t1 = withServers(t0, 1, [t0.services[1].servers[0], rs6('2001:2:0:2::13')]);
    const p = f.plan(t1);
    expect([list(p.add), list(p.del)]).toEqual([{ nat6_tcp: ['2001:2:0:2::13 . 80'] }, { nat6_tcp: ['2001:2:0:2::12 . 8080'] }]);
    p.commit();
    // UDP and every-port (port 0) services go to nat6_udp and nat6_any; the v6 VIP leaving takes its owned6 element.
    const udp = assembleTable({ ...t1, services: [t1.services[0], { ...t1.services[1], protocol: 'udp', servers: [rs6('2001:2:0:2::11', 53)] }] });
    expect(list(f.plan(udp).add)).toEqual({ nat6_udp: ['2001:2:0:2::11 . 53'] });
    const any = assembleTable({ ...t1, services: [t1.services[0], { ...t1.services[1], port: 0, persistence: 300, servers: [rs6('2001:2:0:2::11', 0)] }] });
    expect(list(f.plan(any).add)).toEqual({ nat6_any: ['2001:2:0:2::11'] });
    const gone = assembleTable({ ...t1, services: [t1.services[0]], addresses: t1.addresses.filter((a) => a.address6 !== '2001:2:0:1::10') });
    expect(list(f.plan(gone).del)).toEqual({ owned6: ['2001:2:0:1::10'], nat6_tcp: ['2001:2:0:2::11 . 80', '2001:2:0:2::13 . 80'] });
  });
});
