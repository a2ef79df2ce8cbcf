// The control API's changes on a table, as the kernel applies ipvsadm's
// commands: defaults, list order, refusals with the kernel's errno, and a list
// of ops taken whole or not at all.
import { describe, expect, it } from 'vitest';
import { OpError, planOps } from '../../src/control/ops.js';
import type { Op } from '../../src/control/types.js';
import { buildTable, formatIPv4, parseIPv4, type OwnedAddress, type ServiceTable } from '../../src/model/index.js';

const ip = (s: string): number => parseIPv4(s)!;
const ADDRS: OwnedAddress[] = [
  { address: ip('198.18.0.10'), prefixLen: 24, device: 'eth0', role: 'vip' },
  { address: ip('198.19.0.1'), prefixLen: 24, device: 'eth1', role: 'nat_router' },
];
const DEVICES = ['eth0', 'eth1'];
const WEB = { protocol: 'tcp', address: '198.18.0.10', port: 80 } as const;

function base(): ServiceTable {
  return buildTable({
    addresses: ADDRS,
    services: [{
      name: 'web', protocol: 'tcp', address: ip('198.18.0.10'), port: 80, fwmark: 0, scheduler: 'wlc', schedFlags: [], persistence: 0,
      persistMask: 0xffffffff, onePacket: false,
      servers: [{ name: 'rs1', address: ip('198.19.0.11'), port: 80, weight: 1, forward: 'nat', upperThreshold: 0, lowerThreshold: 0 }],
    }],
  });
}

const plan = (ops: Op[], t = base()) => planOps(t, ops, DEVICES, ADDRS);
const refused = (ops: Op[]): { code: string; index: number; message: string } => {
  try {
    plan(ops);
  } catch (e) {
    if (e instanceof OpError) return { code: e.code, index: e.index, message: e.message };
    throw e;
  }
  throw new Error('not refused');
};

describe('control ops', () => {
  it('adds a service with ipvsadm\'s defaults (wlc, not persistent, /32) and answers its VIP on the device whose network holds it', () => {
    const p = plan([{ op: 'add-service', service: { protocol: 'udp', address: '198.18.0.20', port: 53 } }]);
    const s = p.services[1];
    expect([s.protocol, formatIPv4(s.address), s.port, s.scheduler, s.persistence, formatIPv4(s.persistMask), s.name]).toEqual(['udp', '198.18.0.20', 53, 'wlc', 0, '255.255.255.255', 'UDP 198.18.0.20:53']);
    expect(p.addresses.find((a) => a.address === ip('198.18.0.20'))).toEqual({ address: ip('198.18.0.20'), prefixLen: 32, device: 'eth0', role: 'vip' });
    expect(p.done).toEqual(['added service UDP 198.18.0.20:53 (wlc)']);
  });

  it('adds real servers after the others (the data plane puts each new one at the head), with -g and weight 1 by default', () => {
    const p = plan([{ op: 'add-server', service: WEB, server: { address: '198.19.0.12', port: 0 } }]);
    const rs = p.services[0].servers.map((r) => [formatIPv4(r.address), r.port, r.forward, r.weight]);
    expect(rs).toEqual([['198.19.0.11', 80, 'nat', 1], ['198.19.0.12', 80, 'dr', 1]]);
  });

  it('edits only the fields given; -g and -i take the service port, as ipvsadm sends them', () => {
    const p = plan([
      { op: 'edit-server', service: WEB, server: { address: '198.19.0.11', port: 80 }, weight: 0 },
      { op: 'edit-service', service: WEB, scheduler: 'rr', persistence: 300, persistMask: '255.255.255.0' },
      { op: 'add-server', service: WEB, server: { address: '198.19.0.13', port: 8080 }, forward: 'dr' },
    ]);
    const s = p.services[0];
    expect([s.scheduler, s.persistence, formatIPv4(s.persistMask)]).toEqual(['rr', 300, '255.255.255.0']);
    expect(s.servers.map((r) => [formatIPv4(r.address), r.port, r.weight, r.forward])).toEqual([['198.19.0.11', 80, 0, 'nat'], ['198.19.0.13', 80, 1, 'dr']]);
  });

  it('refuses with the kernel\'s errno, naming the op, and changes nothing', () => {
    const t = base();
    expect(refused([{ op: 'add-service', service: WEB }])).toMatchObject({ code: 'EEXIST', index: 0 });
    expect(refused([{ op: 'edit-service', service: { ...WEB, port: 81 } }])).toMatchObject({ code: 'ESRCH' });
    expect(refused([{ op: 'add-server', service: { ...WEB, port: 81 }, server: { address: '198.19.0.12', port: 80 } }])).toMatchObject({ code: 'ESRCH' });
    expect(refused([{ op: 'add-server', service: WEB, server: { address: '198.19.0.11', port: 80 } }])).toMatchObject({ code: 'EEXIST' });
    expect(refused([{ op: 'delete-server', service: WEB, server: { address: '198.19.0.99', port: 80 } }])).toMatchObject({ code: 'ENOENT' });
    expect(refused([{ op: 'add-service', service: { ...WEB, port: 81 }, scheduler: 'nosuch' }])).toMatchObject({ code: 'ENOENT', message: 'scheduler nosuch not found' });
    expect(refused([{ op: 'add-service', service: { ...WEB, port: 81 }, persistenceEngine: 'sip' }])).toMatchObject({ code: 'ENOENT' });
    expect(refused([{ op: 'add-service', service: { protocol: 'sctp' as 'tcp', address: '198.18.0.10', port: 81 } }])).toMatchObject({ code: 'ENOPROTOOPT' });
    // IPv6 services are planned (ops-v6.test.ts); a server of the other family is refused as ipvsadm refuses it.
    expect(refused([{ op: 'add-server', service: WEB, server: { address: '2001:db8::1', port: 80 } }])).toMatchObject({ code: 'EAFNOSUPPORT' });
    expect(refused([{ op: 'edit-server', service: WEB, server: { address: '198.19.0.11', port: 80 }, weight: 70000 }])).toMatchObject({ code: 'EINVAL', message: expect.stringContaining('weight must be 0..65535') });
    expect(refused([{ op: 'set-timeouts', tcp: -1, tcpfin: 0, udp: 0 }])).toMatchObject({ code: 'EINVAL' });
    // Only a refused second op: the first is not applied either (planning is on a copy).
    expect(refused([{ op: 'delete-service', service: WEB }, { op: 'delete-service', service: WEB }])).toMatchObject({ code: 'ESRCH', index: 1 });
    expect(t.services[0].servers).toHaveLength(1);
  });

  it('a list of server ops on one service sees each earlier op: add, edit, delete, add again', () => {
    const p = plan([
      { op: 'add-server', service: WEB, server: { address: '198.19.0.12', port: 80 }, forward: 'nat' },
      { op: 'add-server', service: WEB, server: { address: '198.19.0.13', port: 80 }, forward: 'nat' },
      { op: 'edit-server', service: WEB, server: { address: '198.19.0.12', port: 80 }, weight: 5 },
      { op: 'delete-server', service: WEB, server: { address: '198.19.0.11', port: 80 } },
      { op: 'add-server', service: WEB, server: { address: '198.19.0.11', port: 80 }, forward: 'nat', weight: 2 },
      { op: 'edit-service', service: WEB, scheduler: 'rr' },
    ]);
    expect(p.services[0].scheduler).toBe('rr');
    expect(p.services[0].servers.map((r) => `${formatIPv4(r.address)} w${r.weight}`)).toEqual(['198.19.0.12 w5', '198.19.0.13 w1', '198.19.0.11 w2']);
    expect(refused([
      { op: 'add-server', service: WEB, server: { address: '198.19.0.12', port: 80 }, forward: 'nat' },
      { op: 'add-server', service: WEB, server: { address: '198.19.0.12', port: 80 }, forward: 'nat' },
    ])).toMatchObject({ code: 'EEXIST', index: 1 });
    expect(refused([
      { op: 'delete-service', service: WEB },
      { op: 'add-service', service: WEB },
      { op: 'delete-server', service: WEB, server: { address: '198.19.0.11', port: 80 } },
    ])).toMatchObject({ code: 'ENOENT', index: 2 });
  });

  it('a port-zero service must be persistent, as ipvsadm requires', () => {
    expect(refused([{ op: 'add-service', service: { ...WEB, port: 0 } }])).toMatchObject({ code: 'EINVAL', message: expect.stringContaining('needs persistence') });
    const p = plan([{ op: 'add-service', service: { ...WEB, address: '198.18.0.11', port: 0 }, persistence: 300 }]);
    expect(p.services[1].port).toBe(0);
  });

  it('--set keeps a value given as 0; zero and clear are planned', () => {
    const p = plan([{ op: 'set-timeouts', tcp: 1000, tcpfin: 0, udp: 30 }, { op: 'zero', service: WEB }, { op: 'clear' }]);
    expect(p.timeouts).toEqual({ tcp: 1000, tcpfin: 0, udp: 30 });
    expect(p.zero).toEqual(['TCP 198.18.0.10:80']);
    expect(p.services).toEqual([]);
    // lvs.cf's own addresses stay owned after a clear (pulse brought them up, not ipvsadm).
    expect(p.addresses).toEqual(ADDRS);
  });

  it('accepts a tunnel server without a warning; GUE and GRE with their options, refused where ipvsadm refuses them', () => {
    const p = plan([{ op: 'add-server', service: WEB, server: { address: '198.19.0.12', port: 80 }, forward: 'tunnel' }]);
    expect(p.warnings).toEqual([]);
    expect(p.done).toEqual(['added real server 198.19.0.12:80 to TCP 198.18.0.10:80 (tunnel, weight 1)']);
    const add = (o: object) => [{ op: 'add-server' as const, service: WEB, server: { address: '198.19.0.12', port: 80 }, forward: 'tunnel' as const, ...o }];
    expect(plan(add({ tunnelType: 'gue', tunnelPort: 6080, tunnelCsum: 'remcsum' })).done).toEqual(['added real server 198.19.0.12:80 to TCP 198.18.0.10:80 (tunnel, weight 1, gue port 6080, remcsum)']);
    expect(plan(add({ tunnelType: 'gre', tunnelPort: 0, tunnelCsum: 'csum' })).done).toEqual(['added real server 198.19.0.12:80 to TCP 198.18.0.10:80 (tunnel, weight 1, gre, csum)']);
    expect(refused(add({ tunnelType: 'gue' }))).toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/gue tunnel needs a tunnel port/) });
    expect(refused(add({ tunnelType: 'gre', tunnelCsum: 'remcsum' }))).toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/gue only, not gre/) });
    expect(refused(add({ tunnelType: 'ipip', tunnelCsum: 'csum' }))).toMatchObject({ code: 'EINVAL' });
    expect(refused(add({ tunnelType: 'gre', tunnelPort: 6080 }))).toMatchObject({ code: 'EINVAL' });
  });
});
