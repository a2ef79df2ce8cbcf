// IPv6 in the control plane: service ids and server references in URLs
// (tcp-2001:db8::10-80, fwm-5-6, [2001:db8::2]:8080), the planner keeping IPv6
// servers apart although all have address 0, the VIP it adds for a service
// made at run time, and the HTTP routes over a backend built on the planner.
import { describe, expect, it } from 'vitest';
import { DesiredState } from '../../src/control/desired.js';
import { destAddress, statsKey } from '../../src/control/views.js';
import { tableViewFromModel } from '../../src/control/from-model.js';
import { OpError, planOps } from '../../src/control/ops.js';
import { ControlServer, type ControlBackend } from '../../src/control/server.js';
import { canonicalServiceId, parseServerRef, parseServiceId, serverRefOf, serviceIdOf } from '../../src/control/service-id.js';
import type { Op } from '../../src/control/types.js';
import { assembleTable, buildTable, ipv6Words, type OwnedAddress, type ServiceTable } from '../../src/model/index.js';

const WEB6 = { protocol: 'tcp', address: '2001:db8::10', port: 80 } as const;

describe('service ids and server references', () => {
  it.each([
    ['tcp-198.18.0.10-80', { protocol: 'tcp', address: '198.18.0.10', port: 80 }],
    ['tcp-2001:db8::10-80', WEB6],
    ['udp-[2001:db8::10]-53', { protocol: 'udp', address: '2001:db8::10', port: 53 }],
    ['tcp-::1-8080', { protocol: 'tcp', address: '::1', port: 8080 }],
    ['fwm-5', { fwmark: 5 }],
    ['fwm-5-6', { fwmark: 5, ipv6: true }],
  ])('%s', (id, sel) => {
    expect(parseServiceId(id)).toEqual(sel);
  });

  it('writes ids without brackets, and finds a service whatever IPv6 form the URL uses', () => {
    expect(serviceIdOf(WEB6)).toBe('tcp-2001:db8::10-80');
    expect(serviceIdOf({ ...WEB6, address: '[2001:db8::10]' })).toBe('tcp-2001:db8::10-80');
    expect(serviceIdOf({ fwmark: 5, ipv6: true })).toBe('fwm-5-6');
    expect(canonicalServiceId(parseServiceId('tcp-2001:DB8:0:0::10-80')!)).toBe('tcp-2001:db8::10-80');
    expect(parseServiceId('tcp-2001:db8::10')).toBeNull();
    expect(parseServiceId('tcp-[2001:db8::10-80')).toBeNull();
  });

  it.each([
    ['198.19.0.2:8080', { address: '198.19.0.2', port: 8080 }],
    ['198.19.0.2', { address: '198.19.0.2', port: 0 }],
    ['[2001:db8::2]:8080', { address: '2001:db8::2', port: 8080 }],
    ['[2001:db8::2]', { address: '2001:db8::2', port: 0 }],
    // Bare IPv6 has no port, as ipvsadm's -r: the last group is part of the address.
    ['2001:db8::2:80', { address: '2001:db8::2:80', port: 0 }],
  ])('server %s', (text, ref) => {
    expect(parseServerRef(text)).toEqual(ref);
  });

  it('writes server references that read back', () => {
    expect(serverRefOf('2001:db8::2', 8080)).toBe('[2001:db8::2]:8080');
    expect(serverRefOf('198.19.0.2', 80)).toBe('198.19.0.2:80');
    expect(parseServerRef('[2001:db8::2')).toBeNull();
  });
});

const BASE: OwnedAddress[] = [
  { address: 0, address6: '2001:db8::1', prefixLen: 64, device: 'eth0', role: 'vip' },
  { address: 0, address6: '2001:db8:1::1', prefixLen: 64, device: 'eth1', role: 'nat_router' },
];

function plan(table: ServiceTable, ops: Op[]): ServiceTable {
  const p = planOps(table, ops, ['eth0', 'eth1'], BASE);
  return assembleTable({ ...table, services: p.services, addresses: p.addresses, timeouts: p.timeouts });
}

describe('planOps with IPv6', () => {
  const empty = () => buildTable({ services: [], addresses: BASE });

  it('adds a service in canonical text with its VIP (/128 on the device whose prefix holds it), and servers newest first', () => {
    const t = plan(empty(), [
      { op: 'add-service', service: { ...WEB6, address: '2001:DB8:0::10' }, scheduler: 'rr' },
      { op: 'add-server', service: WEB6, server: { address: '2001:db8:1::2', port: 8080 }, forward: 'nat' },
      { op: 'add-server', service: WEB6, server: { address: '[2001:db8:1::3]', port: 8080 }, forward: 'nat', weight: 2 },
      { op: 'add-service', service: { protocol: 'tcp', address: '2001:db8:9::10', port: 443 } },
    ]);
    expect(t.services.map((s) => [s.address, s.address6, s.port, s.persistMask])).toEqual([[0, '2001:db8::10', 80, 128], [0, '2001:db8:9::10', 443, 128]]);
    expect(t.services[0].servers.map((r) => [r.name, r.address, r.address6, r.port, r.weight])).toEqual([
      ['2001:db8:1::2', 0, '2001:db8:1::2', 8080, 1],
      ['2001:db8:1::3', 0, '2001:db8:1::3', 8080, 2],
    ]);
    expect(t.addresses.slice(2)).toEqual([
      { address: 0, address6: '2001:db8::10', prefixLen: 128, device: 'eth0', role: 'vip' },
      { address: 0, address6: '2001:db8:9::10', prefixLen: 128, device: 'eth0', role: 'vip' },
    ]);
  });

  it('keeps IPv6 servers apart by text, walking the list and through its index alike', () => {
    const ops: Op[] = [{ op: 'add-service', service: WEB6 }];
    for (let i = 1; i <= 20; i++) ops.push({ op: 'add-server', service: WEB6, server: { address: `2001:db8:1::${i.toString(16)}`, port: 80 } });
    ops.push({ op: 'delete-server', service: WEB6, server: { address: '2001:db8:1::7', port: 80 } });
    ops.push({ op: 'edit-server', service: WEB6, server: { address: '2001:db8:1::14', port: 80 }, weight: 9 });
    const t = plan(empty(), ops);
    const servers = t.services[0].servers;
    expect(servers).toHaveLength(19);
    expect(servers.find((r) => r.address6 === '2001:db8:1::7')).toBeUndefined();
    expect(servers.find((r) => r.address6 === '2001:db8:1::14')!.weight).toBe(9);
    expect(() => plan(t, [{ op: 'add-server', service: WEB6, server: { address: '2001:db8:1:0::1', port: 80 } }])).toThrow(/real server \[2001:db8:1::1\]:80 is already in TCP \[2001:db8::10\]:80/);
  });

  it('takes an IPv6 persistence netmask as a prefix length, as ipvsadm -M does', () => {
    const t = plan(empty(), [{ op: 'add-service', service: WEB6, persistence: 300, persistMask: '64' }]);
    expect(t.services[0].persistMask).toBe(64);
    expect(tableViewFromModel(t).services[0]).toMatchObject({ id: 'tcp-2001:db8::10-80', address: '2001:db8::10', ipv6: true, persistMask: '64' });
    expect(() => plan(empty(), [{ op: 'add-service', service: WEB6, persistence: 300, persistMask: '255.255.255.0' }])).toThrow(OpError);
  });

  it('refuses a server of the other family with EAFNOSUPPORT', () => {
    const t = plan(empty(), [{ op: 'add-service', service: WEB6 }]);
    expect(() => plan(t, [{ op: 'add-server', service: WEB6, server: { address: '198.19.0.2', port: 80 } }])).toThrow(expect.objectContaining({ code: 'EAFNOSUPPORT' }));
  });
});

describe('the HTTP routes with IPv6 ids', () => {
  function backend(): ControlBackend & { model: ServiceTable } {
    const b = {
      model: buildTable({ services: [], addresses: BASE }),
      table: () => tableViewFromModel(b.model),
      async change(ops: Op[]) {
        b.model = plan(b.model, ops);
        return { version: b.model.version, done: [], warnings: [] };
      },
    };
    return b as unknown as ControlBackend & { model: ServiceTable };
  }

  it('adds, reads and deletes through tcp-ADDR6-PORT and [ADDR6]:PORT', async () => {
    const b = backend();
    const app = new ControlServer(b, { log: { info() {}, warn() {} } }).app();
    const send = (method: string, path: string, body?: unknown) =>
      app.request(path, { method, ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
    expect((await send('POST', '/v1/services', { service: WEB6, scheduler: 'rr' })).status).toBe(200);
    expect((await send('POST', '/v1/services/tcp-2001:db8::10-80/servers', { server: { address: '2001:db8:1::2', port: 8080 }, forward: 'nat' })).status).toBe(200);
    const got = await (await send('GET', '/v1/services/tcp-2001:DB8::10-80')).json() as { id: string; servers: { address: string }[] };
    expect(got.id).toBe('tcp-2001:db8::10-80');
    expect(got.servers.map((s) => s.address)).toEqual(['2001:db8:1::2']);
    expect((await send('GET', '/v1/services/tcp-[2001:db8::10]-80')).status).toBe(200);
    expect((await send('PATCH', '/v1/services/tcp-2001:db8::10-80/servers/[2001:db8:1::2]:8080', { weight: 5 })).status).toBe(200);
    expect(b.model.services[0].servers[0].weight).toBe(5);
    expect((await send('DELETE', '/v1/services/tcp-2001:db8::10-80/servers/%5B2001:db8:1::2%5D:8080')).status).toBe(200);
    expect(b.model.services[0].servers).toEqual([]);
  });
});

describe('health verdicts on IPv6 servers', () => {
  it('take out the one server named by its text, not every server of address 0', () => {
    const s = { name: 'web6', protocol: 'tcp', address: 0, address6: '2001:db8::10', port: 80, fwmark: 0, scheduler: 'rr', schedFlags: [], persistence: 0, persistMask: 128, onePacket: false } as const;
    const rs = (a: string) => ({ name: a, address: 0, address6: a, port: 80, weight: 1, forward: 'nat', upperThreshold: 0, lowerThreshold: 0 }) as const;
    const d = new DesiredState(buildTable({ services: [{ ...s, servers: [rs('2001:db8:1::2'), rs('2001:db8:1::3')] }], addresses: BASE }), ['eth0']);
    d.setVerdict('TCP [2001:db8::10]:80', '2001:db8:1::2', 80, { up: false, quiesce: false });
    expect(d.effective().services[0].servers.map((r) => r.address6)).toEqual(['2001:db8:1::3']);
    d.setVerdict('TCP [2001:db8::10]:80', '2001:db8:1::2', 80, null);
    expect(d.effective().services[0].servers.map((r) => r.address6)).toEqual(['2001:db8:1::2', '2001:db8:1::3']);
  });
});

describe('the seam for IPv6 dests in the published memory', () => {
  it('reads destAddr6 (4 big-endian words per dest id) of a dest destV6 marks, when the data plane publishes them, else addr', () => {
    const destAddr6 = new Int32Array(16);
    destAddr6.set(ipv6Words('2001:db8:1::2'), 8);
    destAddr6.set(ipv6Words('2001:db8:1::9'), 12); // stale words of a dest now IPv4
    const m = { addr: Uint32Array.of(0, 0xc6130002, 7, 0xc6130003), destV6: Uint8Array.of(0, 0, 1, 0), destAddr6 } as unknown as Parameters<typeof destAddress>[0];
    expect(destAddress(m, 1)).toBe('198.19.0.2');
    expect(destAddress(m, 2)).toBe('2001:db8:1::2');
    expect(destAddress(m, 3)).toBe('198.19.0.3');
    expect(destAddress({ addr: Uint32Array.of(0, 0xc6130002) } as unknown as Parameters<typeof destAddress>[0], 1)).toBe('198.19.0.2');
    expect(statsKey('TCP [2001:db8::10]:80', '2001:db8:1::2', 80)).toBe('TCP [2001:db8::10]:80>2001:db8:1::2:80');
    expect(statsKey('TCP 198.18.0.10:80', 0xc6130002, 80)).toBe('TCP 198.18.0.10:80>198.19.0.2:80');
  });
});
