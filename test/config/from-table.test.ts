import { describe, expect, it } from 'vitest';
import { blocks, compileLvsCf, GENERATED_HEADER, lvsCfFromTable, parseLvsCf, writeLvsCf } from '../../src/config/index.js';
import { buildTable, parseIPv4, type RealServer, type ServiceTable, type VirtualService } from '../../src/model/index.js';
import { codes, errorsOf, fixture } from './helpers.js';

const ip = (s: string) => parseIPv4(s)!;
const roundTrip = (table: ServiceTable, base?: Parameters<typeof lvsCfFromTable>[1]) => {
  const text = writeLvsCf(lvsCfFromTable(table, base));
  return { text, table: compileLvsCf(parseLvsCf(text, 'out.cf')).table };
};
const same = (t: ServiceTable) => ({ ...t, version: 0 });

const rs = (name: string, addr: string, more: Partial<RealServer> = {}): RealServer => ({
  name, address: ip(addr), port: 80, weight: 1, forward: 'dr', upperThreshold: 0, lowerThreshold: 0, ...more,
});
const svc = (more: Partial<VirtualService>): VirtualService => ({
  name: 'web', protocol: 'tcp', address: ip('198.18.0.10'), port: 80, fwmark: 0, scheduler: 'wlc', schedFlags: [],
  persistence: 0, persistMask: 0xffffffff, onePacket: false, servers: [], ...more,
});

describe('lvsCfFromTable: table -> lvs.cf -> table', () => {
  it('nat.cf compiled, written without a base, compiles to the same table', () => {
    const { table } = compileLvsCf(parseLvsCf(fixture('nat.cf'), 'nat.cf'));
    const out = roundTrip(table);
    expect(same(out.table)).toEqual(same(table));
    expect(out.text.split('\n').slice(0, 2)).toEqual([GENERATED_HEADER, '']);
  });

  it('writes a new file in the GUI key order', () => {
    const { table } = compileLvsCf(parseLvsCf(fixture('nat.cf'), 'nat.cf'));
    expect(writeLvsCf(lvsCfFromTable(table))).toBe(
      `${GENERATED_HEADER}\n\nserial_no = 1\nservice = lvs\nnetwork = nat\nnat_router = 198.19.0.1 eth1\nnat_nmask = 255.255.255.0\n\n` +
        'virtual http {\n    active = 1\n    address = 198.18.0.10 eth0\n    port = 80\n    scheduler = wlc\n    protocol = tcp\n\n' +
        '    server web1 {\n        address = 198.19.0.11\n        active = 1\n        port = 80\n        weight = 1\n    }\n\n' +
        '    server web2 {\n        address = 198.19.0.12\n        active = 1\n        port = 80\n        weight = 1\n    }\n\n' +
        '    server web3 {\n        address = 198.19.0.13\n        active = 1\n        port = 80\n        weight = 2\n    }\n}\n',
    );
  });

  it('a hand-built table with every field set survives', () => {
    const table = buildTable({
      services: [
        svc({ name: 'web', servers: [rs('a', '198.18.0.21', { weight: 3, upperThreshold: 100, lowerThreshold: 40 }), rs('b', '198.18.0.22', { weight: 0 })] }),
        svc({ name: 'mark', address: 0, port: 0, fwmark: 443, scheduler: 'sh', schedFlags: ['sh-fallback'], persistence: 600, persistMask: ip('255.255.255.0'), servers: [rs('c', '198.18.0.23', { port: 0 })] }),
        svc({ name: 'dns', protocol: 'udp', address: ip('198.18.0.53'), port: 53, scheduler: 'rr', onePacket: true, servers: [rs('d', '198.18.0.54', { port: 53 })] }),
      ],
      addresses: [
        { address: ip('198.18.0.10'), prefixLen: 24, device: 'eth0', role: 'vip' },
        { address: ip('198.18.0.53'), prefixLen: 32, device: 'eth2', role: 'vip' },
        { address: ip('198.18.0.99'), prefixLen: 32, device: 'eth0', role: 'vip' },
      ],
      timeouts: { tcp: 900, tcpfin: 0, udp: 60 },
    });
    const out = roundTrip(table);
    const sortAddr = (t: ServiceTable) => ({ ...same(t), addresses: [...t.addresses].sort((x, y) => x.address - y.address) });
    expect(sortAddr(out.table)).toEqual(sortAddr(table));
    expect(out.text).toContain('virtual mark {\n    active = 1\n    address = 198.18.0.99 eth0\n    fwmark = 443\n');
  });

  it('tunnel types survive: the tunnel keys written when not the defaults, removed when back to them', () => {
    const tun = (more: Partial<RealServer>[]) => buildTable({
      services: [svc({ servers: more.map((m, k) => rs(`s${k}`, `198.19.0.${21 + k}`, { forward: 'tunnel', ...m })) })],
      addresses: [{ address: ip('198.18.0.10'), prefixLen: 32, device: 'eth0', role: 'vip' }],
    });
    const table = tun([{ tunnelType: 'gue', tunnelPort: 6080, tunnelCsum: 'remcsum' }, { tunnelType: 'gre', tunnelCsum: 'csum' }, {}]);
    const out = roundTrip(table);
    expect(same(out.table)).toEqual(same(table));
    expect(out.text).toContain('        weight = 1\n        tunnel_type = gue\n        tunnel_port = 6080\n        tunnel_csum = remcsum\n    }');
    expect(out.text).toContain('        weight = 1\n        tunnel_type = gre\n        tunnel_csum = csum\n    }');
    // Back to IPIP on the written file as a base: the keys go.
    const again = writeLvsCf(lvsCfFromTable(tun([{}, {}, {}]), parseLvsCf(out.text, 'out.cf')));
    expect(again).not.toContain('tunnel_');
  });

  it('with a base file, changes only what the table decides and keeps the rest', () => {
    const base = parseLvsCf(fixture('nat.cf'), 'nat.cf');
    const { table } = compileLvsCf(base);
    // An admin edit: web2 quiesced, web3 removed, web4 added.
    const [http] = table.services;
    const edited = buildTable({
      addresses: [...table.addresses],
      timeouts: table.timeouts,
      services: [{ ...http, servers: [http.servers[0], { ...http.servers[1], weight: 0 }, { ...http.servers[0], name: 'web4', address: ip('198.19.0.14') }] }],
    });
    const out = lvsCfFromTable(edited, base);
    const text = writeLvsCf(out);
    expect(same(compileLvsCf(parseLvsCf(text, 'nat.cf')).table)).toEqual(same(edited));
    // Only serial_no (bumped as the GUI does), web2's weight and the web3 -> web4 swap change;
    // header, heartbeat and health-check lines and the comments stay byte for byte.
    const web3 = '    # web3 is the bigger machine: twice the share.\n    server web3 {\n        address = 198.19.0.13\n        active = 1\n        port = 80\n        weight = 2\n    }\n';
    const web4 = '    server web4 {\n        address = 198.19.0.14\n        active = 1\n        port = 80\n        weight = 1\n    }\n';
    const expected = fixture('nat.cf')
      .replace('serial_no = 1', 'serial_no = 2')
      .replace('address = 198.19.0.12\n        active = 1\n        port = 80\n        weight = 1', 'address = 198.19.0.12\n        active = 1\n        port = 80\n        weight = 0')
      .replace(web3, web4);
    expect(text).toBe(expected);
    expect(text).toContain('    send = "GET / HTTP/1.0\\r\\n\\r\\n"\n');
  });

  it('keeps inactive virtual servers of the base and drops deleted active ones', () => {
    const base = parseLvsCf('virtual old {\n  active = 0\n  address = 198.18.0.9 eth0\n}\nvirtual gone {\n  active = 1\n  address = 198.18.0.8 eth0\n}\n', 'b.cf');
    const table = buildTable({ services: [svc({ servers: [rs('a', '198.18.0.21')] })], addresses: [{ address: ip('198.18.0.10'), prefixLen: 32, device: 'eth0', role: 'vip' }] });
    const out = lvsCfFromTable(table, base);
    expect(blocks(out.items, 'virtual').map((b) => b.name)).toEqual(['old', 'web']);
    expect(same(compileLvsCf(parseLvsCf(writeLvsCf(out), 'b.cf')).table)).toEqual(same(table));
  });

  it('refuses what lvs.cf cannot say', () => {
    const mixed = buildTable({
      services: [svc({ servers: [rs('a', '198.18.0.21'), rs('b', '198.18.0.22', { forward: 'nat' })] })],
      addresses: [{ address: ip('198.18.0.10'), prefixLen: 32, device: 'eth0', role: 'vip' }],
    });
    expect(codes(errorsOf(() => lvsCfFromTable(mixed)))).toEqual(['0 UNREPRESENTABLE']);
    const noDevice = buildTable({ services: [svc({})] });
    expect(errorsOf(() => lvsCfFromTable(noDevice)).errors[0].message).toMatch(/198\.18\.0\.10 .* has no device/);
  });
});
