// The model's IPv6 representation: canonical RFC 5952 text in address6 with
// address 0, the helpers that read and print it, the table's rules for it,
// and the table diff keeping IPv6 servers apart (all have address 0).
import { describe, expect, it } from 'vitest';
import { diffTables, sliceDelta } from '../../src/model/diff.js';
import {
  addrText, buildTable, formatIPv6Words, hostPort, ipv6Words, isV6, parseAddr, parseIPv6, prefixContains6, serviceKey,
  type RealServer, type VirtualService,
} from '../../src/model/index.js';

const rs6 = (a: string, more: Partial<RealServer> = {}): RealServer => ({
  name: a, address: 0, address6: a, port: 80, weight: 1, forward: 'nat', upperThreshold: 0, lowerThreshold: 0, ...more,
});
const svc6 = (more: Partial<VirtualService> = {}): VirtualService => ({
  name: 'web6', protocol: 'tcp', address: 0, address6: '2001:db8::10', port: 80, fwmark: 0, scheduler: 'rr', schedFlags: [],
  persistence: 0, persistMask: 128, onePacket: false, servers: [], ...more,
});

describe('IPv6 text', () => {
  it.each([
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0db8::0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of two equal zero runs is compressed
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not
    ['::', '::'],
    ['::1', '::1'],
    ['64:ff9b::198.51.100.1', '64:ff9b::c633:6401'], // a dotted tail
  ])('parseIPv6(%s) = %s', (text, canon) => {
    expect(parseIPv6(text)).toBe(canon);
  });

  it.each(['fe80::1%eth0', '::ffff:198.18.0.1', '::ffff:c612:1', '[2001:db8::1]', '2001:db8::/64', '2001:db8::1::2', '198.18.0.1', 'g::1', '', '1:2:3:4:5:6:7:8:9'])(
    'refuses %j', (text) => {
      expect(parseIPv6(text)).toBeNull();
    },
  );

  it('prints and keys both families', () => {
    expect(addrText({ address: 0xc612000a })).toBe('198.18.0.10');
    expect(addrText({ address: 0, address6: '2001:db8::10' })).toBe('2001:db8::10');
    expect(hostPort({ address: 0, address6: '2001:db8::10' }, 80)).toBe('[2001:db8::10]:80');
    expect(hostPort({ address: 0xc612000a }, 80)).toBe('198.18.0.10:80');
    expect(isV6({ address6: '::1' })).toBe(true);
    expect(isV6({})).toBe(false);
    expect(parseAddr('198.18.0.10')).toEqual({ address: 0xc612000a });
    expect(parseAddr('2001:DB8::10')).toEqual({ address: 0, address6: '2001:db8::10' });
    expect(serviceKey(svc6())).toBe('TCP [2001:db8::10]:80');
    expect(serviceKey({ ...svc6(), address6: undefined, fwmark: 5, family6: true })).toBe('FWM 5 IPv6');
  });

  it('gives the words big-endian, as int32, and reads them back', () => {
    const w = ipv6Words('2001:db8::ffff:1');
    expect([...w]).toEqual([0x20010db8, 0, 0, 0xffff0001 | 0]);
    expect(formatIPv6Words(w)).toBe('2001:db8::ffff:1');
    const two = Int32Array.of(0, 0, 0, 0, ...ipv6Words('fe80::1'));
    expect(formatIPv6Words(two, 4)).toBe('fe80::1');
  });

  it('tests prefixes', () => {
    expect(prefixContains6('2001:db8:1::', 64, '2001:db8:1::2')).toBe(true);
    expect(prefixContains6('2001:db8:1::', 64, '2001:db8:2::2')).toBe(false);
    expect(prefixContains6('2001:db8::', 0, 'fe80::1')).toBe(true);
    expect(prefixContains6('2001:db8::1', 128, '2001:db8::1')).toBe(true);
  });
});

describe('table rules for IPv6', () => {
  const fails = (s: VirtualService, code: string, text: string) =>
    expect(() => buildTable({ services: [s] })).toThrow(expect.objectContaining({ code, message: expect.stringContaining(text) }));

  it('accepts an IPv6 service of IPv6 NAT and DR servers', () => {
    const t = buildTable({ services: [svc6({ servers: [rs6('2001:db8::2'), rs6('2001:db8::3', { forward: 'dr' })] })] });
    expect(t.services[0].servers.map((r) => r.address6)).toEqual(['2001:db8::2', '2001:db8::3']);
  });

  it('refuses what the data plane cannot hold or do', () => {
    fails(svc6({ address6: '2001:DB8::10' }), 'BAD_ADDRESS', 'is not in its canonical form 2001:db8::10');
    fails(svc6({ address6: '::' }), 'BAD_ADDRESS', 'unspecified');
    fails(svc6({ address: 1 }), 'BAD_ADDRESS', 'address 0 beside its text');
    fails(svc6({ servers: [{ ...rs6('2001:db8::2'), address: 0xc6130002, address6: undefined }] }), 'FAMILY_MISMATCH', 'an IPv6 service needs IPv6 real servers');
    fails(svc6({ address6: undefined, address: 0xc612000a, persistMask: 0xffffffff, servers: [rs6('2001:db8::2')] }), 'FAMILY_MISMATCH', 'an IPv4 service needs IPv4 real servers');
    fails(svc6({ servers: [rs6('2001:db8::2', { forward: 'tunnel', tunnelType: 'gue', tunnelPort: 6080, tunnelCsum: 'remcsum' })] }), 'V6_UNSUPPORTED', 'remote checksum offload (--tun-remcsum) is not offered for IPv6 tunnels');
    expect(buildTable({ services: [svc6({ servers: [rs6('2001:db8::2', { forward: 'tunnel' })] })], addresses: [] }).services[0].servers[0].forward).toBe('tunnel');
    expect(buildTable({ services: [svc6({ address6: undefined, fwmark: 5, family6: true, port: 0 })] }).services[0].family6).toBe(true);
    expect(() => buildTable({ services: [], marks: [{ protocol: 'tcp', address: 0, address6: '2001:DB8::', prefixLen: 64, portLo: 80, portHi: 80, mark: 5, origin: 'x' }] })).toThrow(/not a canonical IPv6 network/);
    expect(() => buildTable({ services: [], marks: [{ protocol: 'tcp', address: 0, address6: '2001:db8::', prefixLen: 129, portLo: 80, portHi: 80, mark: 5, origin: 'x' }] })).toThrow(/prefix length must be 0..128/);
    fails(svc6({ persistence: 60, persistMask: 0xffffffff }), 'BAD_NETMASK', 'prefix length 1..128');
    fails(svc6({ servers: [rs6('2001:db8::2'), rs6('2001:db8::2')] }), 'DUPLICATE_SERVER', 'real server [2001:db8::2]:80 is listed twice');
    expect(() => buildTable({ services: [], addresses: [{ address: 0, address6: '2001:db8::10', prefixLen: 129, device: 'eth0', role: 'vip' }] })).toThrow(/prefix length must be 0..128/);
  });

  it('tells an IPv4 and an IPv6 service of one port apart', () => {
    const v4: VirtualService = { ...svc6(), address6: undefined, address: 0xc612000a, persistMask: 0xffffffff };
    expect(buildTable({ services: [v4, svc6()] }).services).toHaveLength(2);
  });
});

describe('diffTables with IPv6 servers', () => {
  it('changes, adds and removes IPv6 servers by text: a removed one is its text and port in remove', () => {
    const a = buildTable({ services: [svc6({ servers: [rs6('2001:db8::2'), rs6('2001:db8::3'), rs6('2001:db8::4')] })] });
    const b = buildTable({ services: [svc6({ servers: [rs6('2001:db8::5'), rs6('2001:db8::3', { weight: 4 }), rs6('2001:db8::4')] })] });
    const d = diffTables(a, b);
    expect(d.services).toHaveLength(1);
    expect(d.services[0].key).toBe('TCP [2001:db8::10]:80');
    expect(d.services[0].upsert.map((r) => [r.address6, r.weight])).toEqual([['2001:db8::5', 1], ['2001:db8::3', 4]]);
    expect(d.services[0].remove).toEqual(['2001:db8::2', 80]);
  });

  it('slices a big IPv6 change like an IPv4 one', () => {
    const a = buildTable({ services: [svc6({ servers: [rs6('2001:db8::2')] })] });
    const big = Array.from({ length: 600 }, (_, i) => rs6(`2001:db8:1::${(i + 1).toString(16)}`));
    const d = diffTables(a, buildTable({ services: [svc6({ servers: big })] }));
    const { stages, final } = sliceDelta(d, 512);
    expect(stages.map((st) => [st.servers.length, st.remove])).toEqual([[512, []], [88, []], [0, ['2001:db8::2', 80]]]);
    expect(final.services[0]).toMatchObject({ staged: true, upsert: [], remove: [] });
  });
});
