// Every lvs.cf key, its type and its default, by block. Keys and defaults are
// Piranha's (lvsconfig.c: lvsParseConfig() for global defaults,
// lvsInitVirtualServer() for virtual ones, the `server` branch of
// parseVirtualServer() for real servers). Where Piranha left a field zeroed by
// memset, the default here is that zero (e.g. `active` is 0 for both virtual and
// real servers: a block without `active = 1` is not used, exactly as lvsd skips it).
//
// tsvs extension keys (not in Piranha; ignored by nothing, rejected by Piranha):
// | block   | key                        | type / default     | meaning                                      |
// |---------|----------------------------|--------------------|----------------------------------------------|
// | global  | conn_capacity              | int, 1048576       | connection table slots of the engine         |
// | global  | conn_reuse_mode            | int 0..3, 1        | sysctl conn_reuse_mode (ipvs-sysctl.rst)     |
// | global  | expire_nodest_conn         | 0/1, 0             | sysctl expire_nodest_conn                    |
// | global  | expire_quiescent_template  | 0/1, 0             | sysctl expire_quiescent_template             |
// | global  | fwmark_rule (repeatable)   | PROTO DEST PORTS   | a firewall-mark rule, like iptables -t mangle |
// |         |                            | MARK, none         | -A PREROUTING ... -j MARK (mark-rule.ts)     |
// | global  | fwmark_rules_from          | path, none         | iptables-save output whose mangle PREROUTING |
// |         |                            |                    | MARK rules are imported (iptables-save.ts);  |
// |         |                            |                    | relative to the lvs.cf's directory           |
// | virtual | scheduler_flags            | comma list, empty  | ipvsadm -b: sh-fallback,sh-port,mh-fallback,  |
// |         |                            |                    | mh-port,flag-1,flag-2,flag-3                 |
// | virtual | ops                        | 0/1, 0             | ipvsadm -o one-packet scheduling (UDP only)  |
// | server  | uthreshold                 | int 0..65535, 0    | ipvsadm -x upper connection threshold        |
// | server  | lthreshold                 | int 0..65535, 0    | ipvsadm -y lower connection threshold        |
//
// Firewall marks. The kernel sets marks after AF_PACKET has seen a frame, so tsvs
// classifies packets itself; a `virtual` with `fwmark = N` (ipvsadm -A -f N) then
// takes every new connection the rules give mark N, whatever its port:
//
//   fwmark_rule = tcp 198.18.0.10 80,443 80          # https + http share persistence
//   fwmark_rule = tcp 198.18.0.21 21,10000:20000 21  # FTP control + passive data ports
//   fwmark_rules_from = iptables.save                # or import `iptables-save` output
//
// Words: protocol tcp|udp|all; destination 198.18.0.10, 198.18.0.0/24 or any;
// ports 80, 80,443, 10000:20000 (lists may mix both) or any; mark 1..4294967295
// (decimal or 0x hex). As with iptables MARK, which does not end the chain, the
// last matching rule wins; the rules of fwmark_rule lines come first, in file
// order, then the imported ones in theirs.
import { IPVS_SCHEDULERS } from '../sched/names.js';
import { bool, flags, host, int, ip, ipdev, list, markRules, netmask, oneOf, optNetmask, optOneOf, optPort, optStr, port, str, type KeySpec } from './values.js';

export const GLOBAL_KEYS = {
  serial_no: int(0),
  primary: host(),
  primary_private: host(),
  primary_shared: optStr(),
  service: oneOf(['lvs', 'fos'], 'lvs'),
  backup_active: bool(false),
  backup: host(),
  backup_private: host(),
  backup_shared: optStr(),
  heartbeat: bool(false),
  heartbeat_port: port(539),
  keepalive: int(2),
  deadtime: int(5),
  network: oneOf(['nat', 'direct', 'tunnel'], 'nat'),
  nat_router: ipdev(),
  nat_nmask: optNetmask(),
  reservation_conflict_action: optOneOf(['nothing', 'preempt']),
  debug_level: str('NONE'),
  rsh_command: oneOf(['rsh', 'ssh'], 'rsh'),
  sync: bool(false),
  ipvsadm: str('/sbin/ipvsadm'),
  active_cmd: optStr(),
  inactive_cmd: optStr(),
  monitor_links: bool(false),
  hard_shutdown: bool(true),
  syncdaemon: bool(false),
  syncd_iface: str('eth0'),
  syncd_id: int(0, 0, 255),
  tcp_timeout: int(0),
  tcpfin_timeout: int(0),
  udp_timeout: int(0),
  // tsvs extensions (table above). 2^28 slots bounds a typo, not a real deployment.
  conn_capacity: int(1048576, 1, 2 ** 28),
  conn_reuse_mode: int(1, 0, 3),
  expire_nodest_conn: bool(false),
  expire_quiescent_template: bool(false),
  fwmark_rules_from: optStr(),
  fwmark_rule: markRules(),
} as const;

/** Keys of `virtual NAME {}`; `failover NAME {}` blocks share them (Piranha parses both alike). */
export const VIRTUAL_KEYS = {
  active: bool(false),
  address: ipdev(),
  vip_nmask: optNetmask(),
  sorry_server: ip(),
  fwmark: int(0, 0, 0xffffffff),
  protocol: oneOf(['tcp', 'udp'], 'tcp'),
  port: port(80),
  scheduler: oneOf(IPVS_SCHEDULERS, 'wlc'),
  persistent: int(0),
  // Piranha stores 255.255.255.255 as 0 = "do not pass -M"; the value is the same.
  pmask: netmask(0xffffffff),
  send: optStr({ maxLen: 255, quote: true }),
  expect: optStr({ maxLen: 255, quote: true }),
  use_regex: bool(false),
  send_program: optStr({ maxLen: 255, quote: true }),
  load_monitor: oneOf(['uptime', 'rup', 'ruptime', 'none'], 'none'),
  timeout: int(10),
  reentry: int(180),
  quiesce_server: bool(false),
  client_monitor: str('/usr/sbin/nanny'),
  // failover-service (fos) keys; Piranha accepts them in any virtual-like block.
  start_cmd: optStr({ quote: true }),
  stop_cmd: optStr({ quote: true }),
  master: host(),
  dirs: list(),
  // tsvs extensions (table above).
  scheduler_flags: flags(),
  ops: bool(false),
} as const;

export const SERVER_KEYS = {
  address: ip(),
  active: bool(false),
  weight: int(1, 0, 65535),
  /** null = the virtual server's port (Piranha copies vserver->port). */
  port: optPort(),
  uthreshold: int(0, 0, 65535),
  lthreshold: int(0, 0, 65535),
} as const;

export type BlockType = 'virtual' | 'server' | 'failover';
export type KeyTable = Readonly<Record<string, KeySpec<unknown>>>;

export function keysOf(scope: 'global' | BlockType): KeyTable {
  return scope === 'global' ? GLOBAL_KEYS : scope === 'server' ? SERVER_KEYS : VIRTUAL_KEYS;
}

type Typed<S> = { -readonly [K in keyof S]: S[K] extends KeySpec<infer T> ? T : never };
export type GlobalSettings = Typed<typeof GLOBAL_KEYS>;
export type VirtualSettings = Typed<typeof VIRTUAL_KEYS>;
/** Server settings with `port` resolved against the virtual server. */
export type ServerSettings = Omit<Typed<typeof SERVER_KEYS>, 'port'> & { port: number };

// Write order of the Piranha GUI (reference sample file); keys it does not write
// follow in the order of the tables above. lvsCfFromTable inserts new keys by it.
export const GLOBAL_WRITE_ORDER: readonly string[] = order(
  ['serial_no', 'primary', 'primary_private', 'service', 'backup_active', 'backup', 'backup_private', 'heartbeat', 'heartbeat_port', 'keepalive', 'deadtime', 'network', 'nat_router', 'nat_nmask', 'debug_level', 'monitor_links', 'syncdaemon', 'syncd_iface'],
  GLOBAL_KEYS,
);
export const VIRTUAL_WRITE_ORDER: readonly string[] = order(
  ['active', 'address', 'vip_nmask', 'fwmark', 'port', 'persistent', 'pmask', 'send', 'expect', 'use_regex', 'send_program', 'load_monitor', 'scheduler', 'scheduler_flags', 'protocol', 'ops', 'timeout', 'reentry', 'quiesce_server'],
  VIRTUAL_KEYS,
);
export const SERVER_WRITE_ORDER: readonly string[] = order(['address', 'active', 'port', 'weight'], SERVER_KEYS);

function order(gui: string[], table: KeyTable): string[] {
  return [...gui, ...Object.keys(table).filter((k) => !gui.includes(k))];
}
