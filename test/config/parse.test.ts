import { describe, expect, it } from 'vitest';
import {
  blocks,
  findKey,
  GLOBAL_KEYS,
  globalSettings,
  parseLvsCf,
  SERVER_KEYS,
  serverSettings,
  VIRTUAL_KEYS,
  virtualSettings,
} from '../../src/config/index.js';
import { parseIPv4 } from '../../src/model/index.js';
import { codes, errorsOf, fixture } from './helpers.js';

const ip = (s: string) => parseIPv4(s)!;

describe('parseLvsCf: every key with its type', () => {
  const cfg = parseLvsCf(fixture('all-keys.cf'), 'all-keys.cf');
  const [dns] = blocks(cfg.items, 'virtual');
  const vs = virtualSettings(dns);

  it('types every global key', () => {
    expect(globalSettings(cfg)).toEqual({
      serial_no: 7,
      primary: '198.18.1.1',
      primary_private: '198.19.1.1',
      primary_shared: '/dev/sdb1',
      service: 'lvs',
      backup_active: true,
      backup: 'lvs-backup.example',
      backup_private: '198.19.1.2',
      backup_shared: '/dev/sdc1',
      heartbeat: true,
      heartbeat_port: 1539,
      keepalive: 3,
      deadtime: 9,
      network: 'tunnel',
      nat_router: { address: ip('198.19.0.1'), device: 'eth1', alias: '0' },
      nat_nmask: ip('255.255.255.0'),
      reservation_conflict_action: 'preempt',
      debug_level: 'HIGH',
      rsh_command: 'ssh',
      sync: true,
      ipvsadm: '/usr/sbin/ipvsadm',
      active_cmd: '/usr/local/bin/became-active --now',
      inactive_cmd: '/usr/local/bin/became-inactive',
      monitor_links: true,
      hard_shutdown: false,
      syncdaemon: true,
      syncd_iface: 'eth3',
      syncd_id: 42,
      syncd_version: 0,
      tcp_timeout: 901,
      tcpfin_timeout: 121,
      udp_timeout: 301,
      conn_capacity: 65536,
      failback: true,
      ha_key_file: '/etc/tsvs/ha.key',
      config_sync: true,
      config_sync_port: 1600,
      conn_reuse_mode: 2,
      expire_nodest_conn: true,
      expire_quiescent_template: true,
      drop_entry: 1,
      drop_packet: 2,
      secure_tcp: 3,
      amemthresh: 4096,
      am_droprate: 20,
      syn_proxy: 1,
      sloppy_tcp: true,
      ftp_ports: [21, 2121],
      fwmark_rules_from: 'iptables-mangle.save',
      fwmark_rule: [{ protocol: 'udp', address: ip('198.18.0.0'), prefixLen: 24, ports: [[53, 53], [5353, 5353]], mark: 53 }],
      failover: 'vrrp',
      vrrp_interface: 'eth0',
      vrrp_id: 51,
      vrrp_priority: 200,
      vrrp_backup_priority: 90,
      vrrp_advert_int: '0.5',
      vrrp_version: 3,
      vrrp_preempt: false,
      vrrp_preempt_delay: 10,
      vrrp_unicast_peer: [ip('198.18.1.2'), ip('198.18.1.3')],
      vrrp_src_ip: ip('198.18.1.1'),
      vrrp_auth_pass: 'secret',
    });
  });

  it('types every virtual key (port names are looked up)', () => {
    expect(vs).toEqual({
      active: true,
      address: { address: ip('198.18.0.53'), device: 'eth0', alias: '2' },
      vip_nmask: ip('255.255.255.0'),
      sorry_server: ip('198.18.9.9'),
      fwmark: 53,
      protocol: 'udp',
      port: 53,
      scheduler: 'sh',
      persistent: 120,
      pmask: ip('255.255.0.0'),
      send: 'query\n',
      expect: '*',
      use_regex: true,
      send_program: '/usr/local/bin/check-dns %h %p',
      load_monitor: 'ruptime',
      timeout: 4,
      reentry: 60,
      quiesce_server: true,
      client_monitor: '/usr/local/sbin/nanny',
      start_cmd: '/etc/init.d/named start',
      stop_cmd: '/etc/init.d/named stop',
      master: '198.18.1.1',
      dirs: ['/var/named', '/etc/named'],
      scheduler_flags: ['sh-fallback', 'sh-port'],
      ops: true,
      checks: 'none',
      alpha: false,
      quorum: 3,
      hysteresis: 1,
      quorum_up: '/usr/local/bin/page dns up',
      quorum_down: '/usr/local/bin/page dns down',
    });
  });

  it('types every server key', () => {
    const [ns1] = blocks(dns.items, 'server');
    expect(serverSettings(ns1, vs)).toEqual({ address: ip('198.18.0.54'), active: true, weight: 300, port: 5353, uthreshold: 1000, lthreshold: 800, tunnel_type: 'gue', tunnel_port: 6080, tunnel_csum: 'remcsum' });
  });

  it('the fixture covers every key of every table', () => {
    const present = (items: typeof cfg.items) => new Set(items.filter((i) => i.kind === 'key').map((i) => (i.kind === 'key' ? i.key : '')));
    expect([...present(cfg.items)].sort()).toEqual(Object.keys(GLOBAL_KEYS).sort());
    expect([...present(dns.items)].sort()).toEqual(Object.keys(VIRTUAL_KEYS).sort());
    expect([...present(blocks(dns.items, 'server')[0].items)].sort()).toEqual(Object.keys(SERVER_KEYS).sort());
  });

  it('keeps failover blocks with their keys', () => {
    const [ftp] = blocks(cfg.items, 'failover');
    expect(ftp.name).toBe('ftp');
    expect(virtualSettings(ftp)).toMatchObject({ active: false, port: 21, start_cmd: '/etc/init.d/vsftpd start' });
  });

  it('keeps line, raw text and tokens of each key', () => {
    const k = findKey(cfg.items, 'active_cmd')!;
    expect(k).toMatchObject({ line: 23, raw: 'active_cmd = "/usr/local/bin/became-active --now"', args: ['/usr/local/bin/became-active --now'] });
    expect(findKey(dns.items, 'dirs')!.args).toEqual(['[', '/var/named', '/etc/named', ']']);
  });
});

describe('parseLvsCf: defaults', () => {
  const cfg = parseLvsCf(fixture('minimal.cf'), 'minimal.cf');
  const [v] = blocks(cfg.items, 'virtual');
  const vs = virtualSettings(v);

  it("gives Piranha's global defaults (lvsParseConfig)", () => {
    expect(globalSettings(cfg)).toMatchObject({
      service: 'lvs', network: 'nat', heartbeat: false, heartbeat_port: 539, keepalive: 2, deadtime: 5, rsh_command: 'rsh', debug_level: 'NONE',
      ipvsadm: '/sbin/ipvsadm', hard_shutdown: true, syncdaemon: false, syncd_iface: 'eth0', syncd_id: 0, syncd_version: 1,
      tcp_timeout: 0, tcpfin_timeout: 0, udp_timeout: 0, nat_router: null, nat_nmask: null, serial_no: 0, backup_active: false,
      conn_capacity: 1048576, failback: false, ha_key_file: null, config_sync: false, config_sync_port: null, conn_reuse_mode: 1, expire_nodest_conn: false, expire_quiescent_template: false,
      drop_entry: 0, drop_packet: 0, secure_tcp: 0, amemthresh: 0, am_droprate: 10, syn_proxy: 0,
      fwmark_rules_from: null, fwmark_rule: [],
    });
  });

  it("gives Piranha's virtual defaults (lvsInitVirtualServer), active 0 included", () => {
    expect(vs).toMatchObject({
      active: false, address: null, protocol: 'tcp', port: 80, scheduler: 'wlc', persistent: 0, pmask: 0xffffffff, vip_nmask: null,
      timeout: 10, reentry: 180, client_monitor: '/usr/sbin/nanny', load_monitor: 'none', fwmark: 0, scheduler_flags: [], ops: false,
      send: null, expect: null, send_program: null, use_regex: false, quiesce_server: false, sorry_server: null, dirs: [],
      checks: 'nanny', alpha: null, quorum: 1, hysteresis: 0, quorum_up: null, quorum_down: null,
    });
  });

  it('gives server defaults: weight 1, port of the virtual, inactive', () => {
    const [s] = blocks(v.items, 'server');
    expect(serverSettings(s, vs)).toEqual({ address: null, active: false, weight: 1, port: 80, uthreshold: 0, lthreshold: 0, tunnel_type: null, tunnel_port: null, tunnel_csum: null });
    expect(serverSettings(s, { ...vs, fwmark: 7 }).port).toBe(0);
  });
});

describe('parseLvsCf: syntax', () => {
  it('parses the reference sample file (GUI write order)', () => {
    const cfg = parseLvsCf(fixture('sample-gui.cf'), 'sample-gui.cf');
    expect(cfg.items.filter((i) => i.kind === 'key').map((i) => (i.kind === 'key' ? i.key : ''))).toEqual([
      'serial_no', 'primary', 'primary_private', 'service', 'backup_active', 'backup', 'backup_private', 'heartbeat', 'heartbeat_port',
      'keepalive', 'deadtime', 'network', 'nat_router', 'nat_nmask', 'debug_level', 'monitor_links', 'syncdaemon', 'syncd_iface',
    ]);
    const [http] = blocks(cfg.items, 'virtual');
    expect(virtualSettings(http).send).toBe('GET / HTTP/1.0\r\n\r\n');
    expect(blocks(http.items, 'server').map((b) => b.name)).toEqual(['node1', 'node2']);
  });

  it('accepts key=value without blanks, CRLF line ends and trailing comments', () => {
    const cfg = parseLvsCf('keepalive=4\r\ndeadtime= 9 # seconds\r\nsyncd_id =7\r\n', 'x.cf');
    expect(globalSettings(cfg)).toMatchObject({ keepalive: 4, deadtime: 9, syncd_id: 7 });
    expect(findKey(cfg.items, 'deadtime')!.inlineComment).toBe('# seconds');
  });

  it('keeps # inside a quoted value', () => {
    const cfg = parseLvsCf('virtual v {\n  expect = "#ok" # not part of it\n}\n', 'x.cf');
    expect(virtualSettings(blocks(cfg.items, 'virtual')[0]).expect).toBe('#ok');
  });

  it('attaches comment and blank lines to the item that follows, and keeps trailing ones', () => {
    const cfg = parseLvsCf('# head\n\nserial_no = 1\nvirtual v {\n  # inside\n}\n# tail\n', 'x.cf');
    expect(cfg.items[0].comments).toEqual(['# head', '']);
    const [v] = blocks(cfg.items, 'virtual');
    expect(v.close).toEqual({ line: 6, raw: '}', comments: ['  # inside'] });
    expect(cfg.trailing).toEqual(['# tail']);
  });

  it('accepts a quoted block name', () => {
    const cfg = parseLvsCf('virtual "web site" {\n}\n', 'x.cf');
    expect(blocks(cfg.items, 'virtual')[0].name).toBe('web site');
  });

  it('collects every error of a file, each with its line', () => {
    const e = errorsOf(() => parseLvsCf(fixture('many-errors.cf'), 'many-errors.cf'));
    expect(codes(e)).toEqual(['2 INTEXPECTED', '3 BADARGUMENT', '5 INTEXPECTED', '7 BADNETMASK', '10 BADCOMMAND', '13 EOF']);
    expect(e.message.split('\n')[0]).toBe('many-errors.cf:2: INTEXPECTED: keepalive expects a whole number, got "soon"');
  });

  it('rejects keys of another block with a hint, and misplaced blocks', () => {
    expect(errorsOf(() => parseLvsCf('weight = 1\n', 'x.cf')).errors[0].message).toBe('weight is a server key, not valid at the top level');
    expect(codes(errorsOf(() => parseLvsCf('server s {\n}\n', 'x.cf')))).toEqual(['1 BADCOMMAND']);
    expect(codes(errorsOf(() => parseLvsCf('virtual a {\nvirtual b {\n}\n}\n', 'x.cf')))).toEqual(['2 BADCOMMAND']);
    expect(codes(errorsOf(() => parseLvsCf('}\n', 'x.cf')))).toEqual(['1 BADCOMMAND']);
    expect(codes(errorsOf(() => parseLvsCf('constructor = 1\n', 'x.cf')))).toEqual(['1 BADCOMMAND']);
  });

  it('rejects a repeated key, a repeated server name and a bad block header', () => {
    expect(codes(errorsOf(() => parseLvsCf('keepalive = 1\nkeepalive = 2\n', 'x.cf')))).toEqual(['2 DUPLICATE']);
    expect(codes(errorsOf(() => parseLvsCf('virtual v {\nserver a {\n}\nserver a {\n}\n}\n', 'x.cf')))).toEqual(['4 DUPLICATE']);
    expect(codes(errorsOf(() => parseLvsCf('virtual {\n}\n', 'x.cf')))).toEqual(['1 MISSINGARGS']);
    expect(codes(errorsOf(() => parseLvsCf('virtual v\n', 'x.cf')))).toEqual(['1 MISSINGARGS']);
    expect(codes(errorsOf(() => parseLvsCf('virtual v { x\n}\n', 'x.cf')))).toEqual(['1 EXTRAARGS', '2 BADCOMMAND']);
  });

  it('checks value shapes', () => {
    const one = (text: string) => codes(errorsOf(() => parseLvsCf(text, 'x.cf')));
    expect(one('nat_router = 198.19.0.1 eth1 extra\n')).toEqual(['1 EXTRAARGS']);
    expect(one('nat_router = 198.19.0.1 "eth 1"\n')).toEqual(['1 BADARGUMENT']);
    expect(one('keepalive =\n')).toEqual(['1 MISSINGARGS']);
    expect(one('virtual v {\nscheduler_flags = sh-port,fast\n}\n')).toEqual(['2 BADARGUMENT']);
    expect(one('virtual v {\nport = gopher\n}\n')).toEqual(['2 BADARGUMENT']);
    expect(one('virtual v {\nport = 65536\n}\n')).toEqual(['2 RANGE']);
    expect(one(`virtual v {\nsend = "${'x'.repeat(256)}"\n}\n`)).toEqual(['2 RANGE']);
    expect(one('failover f {\ndirs = [ /a /b\n}\n')).toEqual(['2 LISTEXPECTED']);
    expect(one('failover f {\ndirs = [ /a ] /b\n}\n')).toEqual(['2 EXTRAARGS']);
    expect(one('primary = -bad-\n')).toEqual(['1 BADHOSTNAME']);
    expect(one('virtual v {\nsorry_server = sorry.example\n}\n')).toEqual(['2 BADHOSTNAME']);
  });
});
