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
});
