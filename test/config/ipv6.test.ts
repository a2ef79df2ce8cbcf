// lvs.cf with IPv6 virtual and real servers: `address = 2001:db8::10 eth0:1`
// (an optional /PREFIX, else /128), `address = 2001:db8::2` in a server,
// nat_router once per family; errors as `file:line: CODE: message`; the
// writer and lvsCfFromTable give IPv6 back; `tsvs check` lists it as ipvsadm.
import { describe, expect, it } from 'vitest';
import { checkText } from '../../src/cli/check.js';
import { compileLvsCf, lvsCfFromTable, parseLvsCf, writeLvsCf } from '../../src/config/index.js';
import { errorsOf, fixture } from './helpers.js';

const compile = (text: string, file = 'lvs.cf') => compileLvsCf(parseLvsCf(text, file));
const messages = (fn: () => unknown) => errorsOf(fn).errors.map(String);

const NAT = 'serial_no = 1\nservice = lvs\nnetwork = nat\nnat_router = 198.19.0.1 eth1\n';
const virtual6 = (server: string, extra = '') =>
  `virtual v6 {\n    active = 1\n    address = 2001:db8::10 eth0\n    port = 80\n    protocol = tcp\n${extra}` +
  `    server a {\n        address = ${server}\n        active = 1\n    }\n}\n`;

describe('lvs.cf with IPv6', () => {
  it('compiles IPv6 VIPs, servers and a second nat_router into canonical text', () => {
    const { table } = compile(fixture('nat6.cf'), 'nat6.cf');
    const v6 = table.services.filter((s) => s.address6 !== undefined);
    expect(v6.map((s) => [s.protocol, s.address, s.address6, s.port, s.persistMask])).toEqual([
      ['tcp', 0, '2001:db8::10', 80, 128],
      ['udp', 0, '2001:db8::53', 53, 128],
    ]);
    expect(v6[0].servers.map((r) => [r.name, r.address, r.address6, r.port, r.weight, r.forward])).toEqual([
      ['web6a', 0, '2001:db8:1::11', 80, 1, 'nat'],
      ['web6b', 0, '2001:db8:1::12', 8080, 2, 'nat'],
    ]);
    expect(table.addresses.map((a) => [a.address6 ?? a.address, a.prefixLen, a.device, a.role])).toEqual([
      [0xc6130001, 24, 'eth1', 'nat_router'],
      ['2001:db8:1::1', 64, 'eth1', 'nat_router'],
      [0xc612000a, 32, 'eth0', 'vip'],
      ['2001:db8::10', 128, 'eth0', 'vip'],
      ['2001:db8::53', 64, 'eth0', 'vip'],
    ]);
  });

  it('writes the file back byte for byte, and a table back into lvs.cf that compiles to the same table', () => {
    const text = fixture('nat6.cf');
    expect(writeLvsCf(parseLvsCf(text, 'nat6.cf'))).toBe(text);
    const { table } = compile(text, 'nat6.cf');
    const fresh = writeLvsCf(lvsCfFromTable(table));
    // GUI key order puts the two nat_router lines together, nat_nmask (the IPv4 one's) after them.
    expect(fresh).toContain('nat_router = 198.19.0.1 eth1\nnat_router = 2001:db8:1::1 eth1\nnat_nmask = 255.255.255.0\n');
    expect(fresh).toContain('address = 2001:db8::10 eth0\n');
    expect(fresh).toContain('address = 2001:db8::53/64 eth0\n');
    expect(fresh).toContain('address = 2001:db8:1::12\n');
    expect(fresh).not.toContain('pmask');
    const again = compile(fresh, 'out.cf').table;
    expect({ ...again, version: 0 }).toEqual({ ...table, version: 0 });
    // With the file as base, an address whose value did not change keeps the text it was written in.
    const based = writeLvsCf(lvsCfFromTable(table, parseLvsCf(text, 'nat6.cf')));
    expect(based).toContain('    address = 2001:DB8:0:0::10 eth0:1\n');
    expect(based).toContain('nat_router = 198.19.0.1 eth1:0\nnat_nmask = 255.255.255.0\nnat_router = 2001:db8:1::1 eth1\n');
    expect({ ...compile(based, 'based.cf').table, version: 0 }).toEqual({ ...table, version: 0 });
  });

  it('tsvs check lists IPv6 services as ipvsadm -L -n does', () => {
    const res = checkText(fixture('nat6.cf'), 'nat6.cf');
    expect(res.ok).toBe(true);
    expect(res.output.split('\nHealth checks:')[0]).toBe(
      'IP Virtual Server version 1.2.1 (size=4096)\n' +
      'Prot LocalAddress:Port Scheduler Flags\n' +
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n' +
      'TCP  198.18.0.10:80 wlc\n' +
      '  -> 198.19.0.11:80               Masq    1      0          0         \n' +
      'TCP  [2001:db8::10]:80 rr\n' +
      '  -> [2001:db8:1::11]:80          Masq    1      0          0         \n' +
      '  -> [2001:db8:1::12]:8080        Masq    2      0          0         \n' +
      'UDP  [2001:db8::53]:53 wlc persistent 60\n' +
      '  -> [2001:db8:1::53]:53          Masq    1      0          0         \n',
    );
    expect(res.output).toContain('TCP [2001:db8::10]:80: nanny');
  });

  it('reports bad IPv6 text with file and line', () => {
    expect(messages(() => compile(`${NAT}${virtual6('2001:db8::2::3')}`))).toEqual([
      'lvs.cf:11: BADHOSTNAME: address "2001:db8::2::3" is not an IPv6 address',
    ]);
    expect(messages(() => compile(`${NAT}${virtual6('fe80::1%eth1')}`))[0]).toContain('lvs.cf:11: BADHOSTNAME: address "fe80::1%eth1" is not an IPv6 address (zone ids such as %eth0 are not accepted)');
    expect(messages(() => compile(`${NAT}${virtual6('::ffff:198.19.0.2')}`))[0]).toContain('lvs.cf:11: BADHOSTNAME: address "::ffff:198.19.0.2" is not an IPv6 address (an IPv4-mapped address: write the IPv4 address)');
    expect(messages(() => compile(`${NAT}virtual v {\n    address = 2001:db8::10/129 eth0\n}\n`))).toEqual([
      'lvs.cf:6: BADNETMASK: address "2001:db8::10/129": an IPv6 prefix length is 0..128',
    ]);
  });

  it('takes one nat_router per family: a second of one family is a DUPLICATE at its line', () => {
    expect(messages(() => compile(`${NAT}nat_router = 2001:db8:1::1 eth1\nnat_router = 2001:db8:1::2 eth1\n`))).toEqual([
      'lvs.cf:6: DUPLICATE: nat_router is already set at line 5 (one nat_router per address family)',
    ]);
    expect(messages(() => compile(`${NAT}nat_router = 198.19.0.2 eth1\n`))).toEqual([
      'lvs.cf:5: DUPLICATE: nat_router is already set at line 4 (one nat_router per address family)',
    ]);
  });

  it('refuses what IPv6 cannot do yet, at the line at fault', () => {
    // A server of the other family.
    expect(messages(() => compile(`${NAT}${virtual6('198.19.0.2')}`))).toEqual([
      'lvs.cf:11: FAMILY_MISMATCH: service TCP [2001:db8::10]:80: real server a (198.19.0.2): an IPv6 service needs IPv6 real servers',
    ]);
    // An IPv6 firewall-mark service (the address of a fwmark virtual says its family, as ipvsadm -f N -6) is accepted.
    expect(compile(`${NAT}virtual m {\n    active = 1\n    address = 2001:db8::10 eth0\n    fwmark = 5\n}\n`).table.services.map((s) => [s.fwmark, s.family6])).toEqual([[5, true]]);
    // IPv4 netmask keys on an IPv6 VIP.
    expect(messages(() => compile(`${NAT}${virtual6('2001:db8::2', '    vip_nmask = 255.255.255.0\n    persistent = 10\n    pmask = 255.255.255.0\n')}`))).toEqual([
      'lvs.cf:10: BADNETMASK: vip_nmask is an IPv4 netmask; give an IPv6 VIP\'s prefix length after it (address = 2001:db8::10/64 eth0), or none for /128',
      'lvs.cf:12: BADNETMASK: pmask is an IPv4 netmask; persistence of an IPv6 service groups clients by whole address (/128) in lvs.cf',
    ]);
  });

  it('keeps two IPv6 servers of one service apart (both have address 0)', () => {
    const text = `${NAT}virtual v6 {\n    active = 1\n    address = 2001:db8::10 eth0\n    port = 80\n` +
      '    server a {\n        address = 2001:db8::2\n        active = 1\n    }\n' +
      '    server b {\n        address = 2001:db8::3\n        active = 1\n    }\n' +
      '    server c {\n        address = 2001:db8:0::2\n        active = 1\n    }\n}\n';
    expect(messages(() => compile(text))).toEqual([
      'lvs.cf:17: DUPLICATE: real server [2001:db8::2]:80 is already in virtual v6 as server a (line 9)',
    ]);
  });

  it('says a half_open check of an IPv6 server is a connect(), and refuses an IPv4 sorry server', () => {
    const check = '    check tcp {\n        half_open = 1\n    }\n';
    const { notActedOn } = compile(`${NAT}${virtual6('2001:db8::2', check)}`);
    expect(notActedOn.filter((n) => n.key === 'half_open').map((n) => `${n.line} ${n.why}`)).toEqual([
      '11 half_open checks are IPv4 only; an IPv6 real server is checked with a full connect() (server a)',
    ]);
    expect(messages(() => compile(`${NAT}${virtual6('2001:db8::2', '    sorry_server = 198.19.0.9\n')}`))).toEqual([
      'lvs.cf:10: BADHOSTNAME: sorry_server is an IPv4 address; an IPv6 service cannot use one (an IPv6 sorry server is not supported yet)',
    ]);
  });
});
