import { describe, expect, it } from 'vitest';
import { compileLvsCf, parseLvsCf } from '../../src/config/index.js';
import { parseIPv4, type ServiceTable } from '../../src/model/index.js';
import { codes, errorsOf, fixture } from './helpers.js';

const ip = (s: string) => parseIPv4(s)!;
const compile = (text: string, file = 'lvs.cf') => compileLvsCf(parseLvsCf(text, file));
const withoutVersion = (t: ServiceTable) => ({ ...t, version: 0 });

describe('compileLvsCf: the example files', () => {
  it('nat.cf: one TCP service, three masqueraded servers, VIP and NAT router addresses', () => {
    const { table } = compile(fixture('nat.cf'), 'nat.cf');
    const server = (name: string, addr: string, weight: number) => ({ name, address: ip(addr), port: 80, weight, forward: 'nat', upperThreshold: 0, lowerThreshold: 0 });
    expect(withoutVersion(table)).toEqual({
      version: 0,
      services: [
        {
          name: 'http', protocol: 'tcp', address: ip('198.18.0.10'), port: 80, fwmark: 0, scheduler: 'wlc', schedFlags: [],
          persistence: 0, persistMask: 0xffffffff, onePacket: false,
          servers: [server('web1', '198.19.0.11', 1), server('web2', '198.19.0.12', 1), server('web3', '198.19.0.13', 2)],
        },
      ],
      addresses: [
        { address: ip('198.19.0.1'), prefixLen: 24, device: 'eth1', role: 'nat_router' },
        { address: ip('198.18.0.10'), prefixLen: 32, device: 'eth0', role: 'vip' },
      ],
      timeouts: { tcp: 0, tcpfin: 0, udp: 0 },
      marks: [],
      switches: { connReuseMode: 1, expireNodestConn: false, expireQuiescentTemplate: false, dropEntry: 0, dropPacket: 0, secureTcp: 0, synProxy: 0, amemthresh: 0, amDroprate: 10 },
    });
    expect(Object.isFrozen(table)).toBe(true);
  });

  it('dr.cf: rr over three routed servers, no NAT router', () => {
    const { table } = compile(fixture('dr.cf'), 'dr.cf');
    expect(table.services).toHaveLength(1);
    const [svc] = table.services;
    expect(svc).toMatchObject({ name: 'http', protocol: 'tcp', address: ip('198.18.0.10'), port: 80, scheduler: 'rr' });
    expect(svc.servers.map((s) => [s.address, s.port, s.weight, s.forward])).toEqual([
      [ip('198.18.0.21'), 80, 1, 'dr'], [ip('198.18.0.22'), 80, 1, 'dr'], [ip('198.18.0.23'), 80, 1, 'dr'],
    ]);
    expect(table.addresses).toEqual([{ address: ip('198.18.0.10'), prefixLen: 32, device: 'eth0', role: 'vip' }]);
  });

  it('a compile builds one table: versions of successive compiles follow each other', () => {
    const a = compile(fixture('nat.cf'), 'nat.cf').table.version;
    expect(compile(fixture('nat.cf'), 'nat.cf').table.version).toBe(a + 1);
  });

  it('conn_capacity sizes the connection table of an engine started on the file (default 1048576)', () => {
    expect(compile(fixture('nat.cf'), 'nat.cf').connCapacity).toBe(1048576);
    const r = compile(fixture('nat.cf').replace('service = lvs', 'service = lvs\nconn_capacity = 65536'), 'nat.cf');
    expect(r.connCapacity).toBe(65536);
    expect(r.notActedOn.map((n) => n.key)).not.toContain('conn_capacity');
  });

  it('nat.cf: reports each key it does not act on, with its line; the nanny keys go to the health checks', () => {
    const { notActedOn } = compile(fixture('nat.cf'), 'nat.cf');
    expect(notActedOn.map((n) => `${n.line} ${n.key}`)).toEqual(['5 serial_no', '6 primary', '8 backup_active', '9 heartbeat']);
    expect(notActedOn[1]).toEqual({ key: 'primary', line: 6, file: 'nat.cf', why: 'backup_active = 0: no backup router, so no heartbeat; this router is always active (as pulse)' });
  });

  it('the reference sample file compiles; its heartbeat keys make the failover settings; send beside send_program is reported', () => {
    const { table, notActedOn, health, failover } = compile(fixture('sample-gui.cf'), 'sample-gui.cf');
    expect(failover).toEqual({
      primary: '198.18.30.14', primaryPrivate: '198.19.122.246', backup: '198.18.30.15', backupPrivate: '198.19.122.247',
      port: 539, keepalive: 6, deadtime: 18, activeCmd: null, inactiveCmd: null, monitorLinks: false, failback: false, auth: null, configSync: null, vrrp: null,
    });
    expect(table.services[0].servers).toHaveLength(2);
    expect(table.addresses).toEqual([
      { address: ip('198.19.122.254'), prefixLen: 32, device: 'eth2', role: 'nat_router' },
      { address: ip('198.18.30.100'), prefixLen: 24, device: 'eth0', role: 'vip' },
    ]);
    const keys = notActedOn.map((n) => n.key);
    expect(keys).toContain('syncdaemon');
    for (const k of ['heartbeat', 'keepalive', 'deadtime', 'backup', 'primary_private', 'monitor_links', 'network', 'nat_router', 'send_program', 'expect', 'use_regex', 'timeout', 'reentry', 'quiesce_server', 'load_monitor']) expect(keys).not.toContain(k);
    expect(health.services[0].servers.map((s) => s.loadMonitor)).toEqual([undefined, undefined]); // load_monitor = none
    expect(notActedOn.find((n) => n.key === 'send')).toEqual({ key: 'send', line: 26, file: 'sample-gui.cf', why: 'send_program is set and overrides send (nanny ignores send then)' });
  });
});

describe('compileLvsCf: rules', () => {
  it('backup_active = 1 needs both routers, distinct addresses and a deadtime longer than keepalive; each error at its line', () => {
    const e = errorsOf(() => compile('primary = 198.18.0.2\nbackup_active = 1\nkeepalive = 4\ndeadtime = 4\n'));
    expect(e.errors.map(String)).toEqual([
      "lvs.cf:2: MISSINGKEY: backup_active = 1 needs backup = the backup router's public address",
      'lvs.cf:4: RANGE: deadtime = 4 must be longer than keepalive = 4, or the partner is declared dead between two heartbeats',
    ]);
    const same = errorsOf(() => compile('primary = 198.18.0.2\nbackup_active = 1\nbackup = 198.18.0.2\n'));
    expect(codes(same)).toEqual(['3 CONFLICT']);
    const { failover } = compile('primary = 198.18.0.2\nbackup_active = 1\nbackup = 198.18.0.3\nactive_cmd = "/usr/local/bin/up %s"\nmonitor_links = 1\n');
    expect(failover).toMatchObject({ primary: '198.18.0.2', backup: '198.18.0.3', port: 539, keepalive: 2, deadtime: 5, activeCmd: '/usr/local/bin/up %s', monitorLinks: true });
  });

  it('syncdaemon = 1 gives the sync daemon its interface, syncid and version; off, its keys are reported as not acted on', () => {
    expect(compile('syncdaemon = 1\nsyncd_iface = eth1\nsyncd_id = 7\n').sync).toEqual({ iface: 'eth1', syncid: 7, version: 1, auth: null });
    expect(compile('syncdaemon = 1\nsyncd_version = 0\n').sync).toEqual({ iface: 'eth0', syncid: 0, version: 0, auth: null });
    const off = compile('syncdaemon = 0\nsyncd_iface = eth1\n');
    expect(off.sync).toBeNull();
    expect(off.notActedOn.map((n) => `${n.key}: ${n.why}`)).toEqual([
      'syncdaemon: syncdaemon = 0: connections are not synchronised to the partner router',
      'syncd_iface: syncdaemon = 0: connections are not synchronised to the partner router',
    ]);
  });

  it('leaves out inactive and active-less blocks, and says so', () => {
    const { table, notActedOn } = compile(
      'virtual a {\n  address = 198.18.0.10 eth0\n}\nvirtual b {\n  active = 0\n  address = 198.18.0.11 eth0\n}\n' +
        'virtual c {\n  active = 1\n  address = 198.18.0.12 eth0\n  server s1 {\n    address = 198.19.0.1\n  }\n  server s2 {\n    active = 1\n    address = 198.19.0.2\n  }\n}\n',
    );
    expect(table.services.map((s) => s.name)).toEqual(['c']);
    expect(table.services[0].servers.map((s) => s.name)).toEqual(['s2']);
    expect(table.addresses.map((a) => a.address)).toEqual([ip('198.18.0.12')]);
    expect(notActedOn.map((n) => `${n.line} ${n.key}: ${n.why}`)).toEqual([
      "1 virtual a: no active = 1 (Piranha's default is 0): left out of the table",
      '4 virtual b: active = 0: left out of the table',
      "11 server s1: no active = 1 (Piranha's default is 0): left out of the table",
    ]);
  });

  it('maps network to the forwarding method and sets the timeouts', () => {
    const text = (net: string) => `network = ${net}\ntcp_timeout = 900\ntcpfin_timeout = 120\nudp_timeout = 300\nvirtual v {\n active = 1\n address = 198.18.0.10 eth0\n server s {\n  active = 1\n  address = 198.18.0.20\n }\n}\n`;
    for (const [net, fwd] of [['nat', 'nat'], ['direct', 'dr'], ['tunnel', 'tunnel']]) {
      const { table } = compile(text(net));
      expect(table.services[0].servers[0].forward).toBe(fwd);
      expect(table.timeouts).toEqual({ tcp: 900, tcpfin: 120, udp: 300 });
    }
  });

  it('compiles the tunnel keys of a server (tsvs extension); absent, a tunnel server is IPIP', () => {
    const text = 'network = tunnel\nvirtual v {\n active = 1\n address = 198.18.0.10 eth0\n port = 80\n' +
      ' server a {\n  active = 1\n  address = 198.19.0.20\n  tunnel_type = gue\n  tunnel_port = 6080\n  tunnel_csum = csum\n }\n' +
      ' server b {\n  active = 1\n  address = 198.19.0.21\n  tunnel_type = gre\n }\n' +
      ' server c {\n  active = 1\n  address = 198.19.0.22\n }\n}\n';
    const [a, b, c] = compile(text).table.services[0].servers;
    expect(a).toMatchObject({ forward: 'tunnel', tunnelType: 'gue', tunnelPort: 6080, tunnelCsum: 'csum' });
    expect(b).toMatchObject({ forward: 'tunnel', tunnelType: 'gre' });
    expect(b.tunnelPort).toBeUndefined();
    expect(c.tunnelType).toBeUndefined();
  });

  it('compiles a persistent firewall-mark service; its port is only reported', () => {
    const { table, notActedOn } = compile(
      'network = direct\nfwmark_rule = tcp 198.18.0.10 80,443 80\nvirtual web {\n active = 1\n address = 198.18.0.10 eth0:1\n vip_nmask = 255.255.255.0\n fwmark = 80\n port = 80\n persistent = 300\n pmask = 255.255.255.0\n' +
        ' server a {\n  active = 1\n  address = 198.18.0.21\n }\n}\n',
    );
    expect(table.services[0]).toMatchObject({ fwmark: 80, address: 0, port: 0, persistence: 300, persistMask: ip('255.255.255.0') });
    expect(table.services[0].servers[0].port).toBe(0);
    expect(table.addresses).toEqual([{ address: ip('198.18.0.10'), prefixLen: 24, device: 'eth0', role: 'vip' }]);
    expect(notActedOn.map((n) => `${n.line} ${n.key}`)).toEqual(['8 port']);
  });

  it('brings up a shared VIP once, and reports a different device for it', () => {
    const { table, notActedOn } = compile(
      'virtual a {\n active = 1\n address = 198.18.0.10 eth0:1\n port = 80\n}\nvirtual b {\n active = 1\n address = 198.18.0.10 eth0:2\n port = 443\n}\n' +
        'virtual c {\n active = 1\n address = 198.18.0.10 eth1\n port = 25\n}\n',
    );
    expect(table.addresses).toEqual([{ address: ip('198.18.0.10'), prefixLen: 32, device: 'eth0', role: 'vip' }]);
    expect(notActedOn.map((n) => `${n.line} ${n.key}`)).toEqual(['13 address']);
  });

  it('uses nat_router only with network = nat', () => {
    const { table, notActedOn } = compile('network = direct\nnat_router = 198.19.0.1 eth1:0\nnat_nmask = 255.255.255.0\n');
    expect(table.addresses).toEqual([]);
    expect(notActedOn.map((n) => `${n.line} ${n.key}: ${n.why}`)).toEqual(['2 nat_router: only used with network = nat', '3 nat_nmask: only used with network = nat']);
  });

  it('reports pmask without persistence and failover blocks', () => {
    const { notActedOn } = compile('virtual a {\n active = 1\n address = 198.18.0.10 eth0\n pmask = 255.255.0.0\n}\nfailover f {\n active = 1\n}\n');
    expect(notActedOn.map((n) => `${n.line} ${n.key}`)).toEqual(['4 pmask', '6 failover f']);
  });

  it('compiles the tsvs extensions: thresholds, scheduler flags, ops', () => {
    const { table } = compile(
      'virtual dns {\n active = 1\n address = 198.18.0.53 eth0\n protocol = udp\n port = 53\n scheduler = sh\n scheduler_flags = sh-port\n ops = 1\n' +
        ' server a {\n  active = 1\n  address = 198.18.0.54\n  uthreshold = 100\n  lthreshold = 50\n }\n}\n',
    );
    expect(table.services[0]).toMatchObject({ protocol: 'udp', scheduler: 'sh', schedFlags: ['sh-port'], onePacket: true });
    expect(table.services[0].servers[0]).toMatchObject({ upperThreshold: 100, lowerThreshold: 50 });
  });

  it('gives semantic errors with their lines, all at once', () => {
    const e = errorsOf(() =>
      compile(
        'network = direct\n' +
          'virtual a {\n active = 1\n address = 198.18.0.10 eth0\n scheduler_flags = mh-port\n' + // 2..5
          ' server x {\n  active = 1\n  address = 198.18.0.21\n }\n' + // 6..9
          ' server y {\n  active = 1\n  address = 198.18.0.21\n }\n' + // 10..13
          ' server z {\n  active = 1\n  address = 198.18.0.22\n  port = 81\n }\n}\n' + // 14..19
          'virtual b {\n active = 1\n address = 198.18.0.10 eth0\n}\n' + // 20..23
          'virtual c {\n active = 1\n}\n' + // 24..26
          'virtual d {\n active = 1\n address = 198.18.0.11 eth0\n server w {\n  active = 1\n  address = 198.18.0.23\n  uthreshold = 10\n  lthreshold = 20\n }\n}\n', // 27..
      ),
    );
    expect(codes(e)).toEqual(['5 BADARGUMENT', '10 DUPLICATE', '17 PORT_REMAP_NEEDS_NAT', '20 DUPLICATE', '24 MISSINGKEY', '34 BAD_THRESHOLD']);
    expect(e.errors[3].message).toBe('service TCP 198.18.0.10:80 is already defined by virtual a (line 2)');
  });

  it('refuses service = fos', () => {
    expect(codes(errorsOf(() => compile('serial_no = 1\nservice = fos\n')))).toEqual(['2 ONLYONESERVICE']);
  });
});
