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
// | global  | drop_entry                 | int 0..3, 0        | sysctl drop_entry: 0 off, 1 automatic (on    |
// |         |                            |                    | below amemthresh free entries), 3 always     |
// | global  | drop_packet                | int 0..3, 0        | sysctl drop_packet, same modes               |
// | global  | secure_tcp                 | int 0..3, 0        | sysctl secure_tcp, same modes                |
// | global  | amemthresh                 | int, 0             | free conn entries the automatic modes watch  |
// |         |                            |                    | (0: 1/16 of conn_capacity)                   |
// | global  | am_droprate                | int >= 1, 10       | sysctl am_droprate (drop_packet = 3)         |
// | global  | syn_proxy                  | int 0..3, 0        | SYN proxy (SYN cookies) for NAT TCP services, same modes |
// |         |                            |                    | (reserved: noted as not acted on yet)        |
// | global  | sloppy_tcp                 | 0/1, 0             | sysctl sloppy_tcp                            |
// | global  | ftp_ports                  | ports, 21          | NAT TCP services on these ports get the FTP  |
// |         |                            |                    | helper (ip_vs_ftp ports=): comma list of up  |
// |         |                            |                    | to 8, or 0 for none (engine/ftp/helper.ts)   |
// | global  | syncd_version              | 0/1, 1             | IPVS sync protocol version sent (sysctl      |
// |         |                            |                    | sync_version; 0 for kernels before 2.6.39)   |
// | global  | failback                   | 0/1, 0             | a returning primary takes the addresses back |
// |         |                            |                    | from an active backup after deadtime (pulse: |
// |         |                            |                    | never; compile-failover.ts)                  |
// | global  | ha_key_file                | path, none         | shared secret of the two routers: heartbeats |
// |         |                            |                    | and sync messages carry an HMAC and a counter|
// |         |                            |                    | (compile-auth.ts); relative to lvs.cf's dir  |
// | global  | config_sync                | 0/1, 0             | the active router sends lvs.cf to its partner|
// |         |                            |                    | when serial_no grows (needs ha_key_file)     |
// | global  | config_sync_port           | port, heartbeat_   | TCP port config sync listens on              |
// |         |                            | port + 1           |                                              |
// | global  | failover                   | pulse|vrrp, pulse  | who elects the active router: pulse's        |
// |         |                            |                    | heartbeat or VRRP as keepalived speaks it    |
// | global  | vrrp_* (compile-vrrp.ts)   | see there          | the VRRP instance of failover = vrrp         |
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
// | virtual | checks                     | nanny|none, nanny  | what a server with no check block gets:      |
// |         |                            |                    | Piranha's nanny check (send, expect,         |
// |         |                            |                    | send_program) or none (never checked, up)    |
// | virtual | alpha                      | 0/1, see below     | a new server starts down until checked       |
// | virtual | quorum                     | int >= 1, 1        | least total weight of up servers for the     |
// |         |                            |                    | service to be up (else the sorry server)     |
// | virtual | hysteresis                 | int < quorum, 0    | down below quorum-h, up again at quorum+h    |
// | virtual | quorum_up, quorum_down     | command, none      | run when the service comes up / goes down    |
// | virtual | check KIND { ... }         | block              | a check of every server (below)              |
// | server  | check KIND { ... }         | block              | a check of this server, beside the virtual's |
//
// Health checks. Without a check block a server gets Piranha's nanny check from
// the virtual's send, expect, use_regex and send_program, every `timeout` seconds,
// back after `reentry` seconds of success (quiesce_server: weight 0 instead of
// removal). A `check KIND { ... }` block (keepalived's checkers, with keepalived's
// option names in lvs.cf's `key = value` form) replaces it: inside `virtual` it
// applies to every server, inside `server` to that server, added to the virtual's;
// all of a server's checks must pass. KIND is tcp (TCP_CHECK), http (HTTP_GET),
// https (SSL_GET), dns (DNS_CHECK), udp (UDP_CHECK), icmp (PING_CHECK) or misc
// (MISC_CHECK). Keys (times in whole seconds):
//
// | kinds           | key                | type / default     | meaning                                     |
// |-----------------|--------------------|--------------------|---------------------------------------------|
// | all but icmp,   | port               | port, the server's | connect_port (a firewall-mark service's     |
// | misc            |                    |                    | servers: the virtual's port)                |
// | all             | connect_timeout    | int >= 1, 5        | seconds one attempt may take                |
// | all             | retry              | int, 1 (dns 3,     | attempts after a failed one before the      |
// |                 |                    | misc 0)            | round fails                                 |
// | all             | delay_before_retry | int, 3 (http,      | seconds between those attempts              |
// |                 |                    | https), else 1     |                                             |
// | all             | delay_loop         | int >= 1, the      | seconds between rounds (keepalived: 60; the |
// |                 |                    | virtual's timeout  | nanny interval, `timeout`, is kept instead) |
// | all             | rise, fall         | int >= 1, 1 / 1    | good rounds to come up, bad rounds to go    |
// |                 |                    |                    | down                                        |
// | all             | warmup             | int, 0             | first round at a random time within it      |
// | all             | alpha              | 0/1, the virtual's | start down (virtual's default: 0 for check  |
// |                 |                    |                    | blocks, 1 for nanny, which only adds a      |
// |                 |                    |                    | server once a check passed)                 |
// | all             | inhibit_on_failure | 0/1, the virtual's | down = weight 0 instead of removal          |
// |                 |                    | quiesce_server     |                                             |
// | all             | notify_up,         | command, none      | run when the server goes up / down          |
// |                 | notify_down        |                    |                                             |
// | http, https     | path               | string, /          | the URL path asked for                      |
// | http, https     | status             | ranges, 200-299    | accepted status codes: 200-299,301          |
// | http, https     | digest             | 32 hex digits      | MD5 the body must have (genhash)            |
// | http, https     | regex              | regex, none        | the body must match (JavaScript syntax)     |
// | http, https     | regex_no_match     | 0/1, 0             | ... must not match instead                  |
// | http, https     | virtualhost        | string, none       | Host header (default: the server's address) |
// | https           | sni                | string, none       | TLS server name                             |
// | dns             | type               | A NS CNAME SOA MX  | the query type                              |
// |                 |                    | TXT AAAA, SOA      |                                             |
// | dns             | name               | string, .          | the name asked for                          |
// | udp             | payload            | hex, none          | the datagram sent (e.g. 0102ff)             |
// | udp             | require_reply      | hex with XX, none  | a reply must come and its first bytes match |
// |                 |                    |                    | these, XX any byte (0102XX04; "" any reply) |
// | udp             | min_reply_length,  | int, 0 / 255       | reply length bounds (min <= max)            |
// |                 | max_reply_length   |                    |                                             |
// | misc            | path               | command, required  | exit 0 = up (%h %p: address, port)          |
// | misc            | misc_timeout       | int >= 1, the      | seconds the command may run                 |
// |                 |                    | delay_loop         |                                             |
// | misc            | misc_dynamic       | 0/1, 0             | exit 2..255 = up with weight exit-2         |
//
// A server's checks run together, one round every delay_loop, so the timing keys
// (connect_timeout .. notify_down) belong to the server, not to one check: a key
// set in the server's check blocks overrides the virtual's; two blocks of one
// level that give one key different values are an error (CONFLICT). Without a
// value anywhere, retry and delay_before_retry take the largest default of the
// server's kinds. In the commands (misc path, notify_up, notify_down) %h and %p
// stand for the server's address and port, as in Piranha's send_program (keepalived
// runs them as written, but a check block in a virtual serves many servers).
// Values in quotes decode \n \r \t \\ \' \" (a regex keeps \d, \.).
//
//   virtual web {
//       ...
//       check http {
//           path = /healthz
//           status = 200-299,301
//           delay_loop = 2
//           rise = 2
//           fall = 3
//       }
//       server db-backed {
//           ...
//           check misc {
//               path = "/usr/local/bin/db-ok %h"
//               misc_timeout = 3
//           }
//       }
//   }
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
import { digest, hexBytes, hexPattern, regex, statusRanges } from './check-values.js';
import { bool, flags, host, int, ip, ip46, ipdev, list, markRules, netmask, oneOf, optBool, optInt, optNetmask, optOneOf, optPort, optStr, port, ports, str, type KeySpec } from './values.js';

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
  syncd_version: int(1, 0, 1),
  tcp_timeout: int(0),
  tcpfin_timeout: int(0),
  udp_timeout: int(0),
  // tsvs extensions (table above). 2^28 slots bounds a typo, not a real deployment.
  conn_capacity: int(1048576, 1, 2 ** 28),
  failback: bool(false),
  ha_key_file: optStr(),
  config_sync: bool(false),
  config_sync_port: optPort(),
  conn_reuse_mode: int(1, 0, 3),
  expire_nodest_conn: bool(false),
  expire_quiescent_template: bool(false),
  drop_entry: int(0, 0, 3),
  drop_packet: int(0, 0, 3),
  secure_tcp: int(0, 0, 3),
  amemthresh: int(0, 0, 2 ** 28),
  am_droprate: int(10, 1, 2 ** 31 - 1),
  syn_proxy: int(0, 0, 3),
  sloppy_tcp: bool(false),
  // ip_vs_ftp's `ports` (IP_VS_APP_MAX_PORTS = 8).
  ftp_ports: ports([21], 8),
  fwmark_rules_from: optStr(),
  fwmark_rule: markRules(),
  failover: oneOf(['pulse', 'vrrp'], 'pulse'),
  vrrp_interface: optStr(),
  vrrp_id: optInt(1, 255),
  vrrp_priority: int(150, 1, 255),
  vrrp_backup_priority: int(100, 1, 255),
  vrrp_advert_int: str('1'),
  vrrp_version: int(2, 2, 3),
  vrrp_preempt: bool(true),
  vrrp_preempt_delay: int(0, 0, 1000),
  vrrp_unicast_peer: { kind: 'ip', def: [], repeat: true } as KeySpec<readonly number[]>,
  vrrp_src_ip: ip(),
  vrrp_auth_pass: optStr({ maxLen: 8 }),
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
  send: optStr({ maxLen: 255, quote: true, escapes: true }),
  expect: optStr({ maxLen: 255, quote: true, escapes: true }),
  use_regex: bool(false),
  send_program: optStr({ maxLen: 255, quote: true }),
  load_monitor: oneOf(['uptime', 'rup', 'ruptime', 'none'], 'none'),
  // nanny divides by it (countThresh = reentry / interval): 0 would crash it.
  timeout: int(10, 1),
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
  checks: oneOf(['nanny', 'none'], 'nanny'),
  alpha: optBool(),
  quorum: int(1, 1),
  hysteresis: int(0),
  quorum_up: optStr({ quote: true }),
  quorum_down: optStr({ quote: true }),
} as const;

export const SERVER_KEYS = {
  address: ip46(),
  active: bool(false),
  weight: int(1, 0, 65535),
  /** null = the virtual server's port (Piranha copies vserver->port). */
  port: optPort(),
  uthreshold: int(0, 0, 65535),
  lthreshold: int(0, 0, 65535),
  // tsvs extensions (keepalived's real_server tunnel_type / tunnel_port / tunnel_*csum): network = tunnel only.
  /** null = ipip. */
  tunnel_type: optOneOf(['ipip', 'gue', 'gre']),
  /** GUE's UDP destination port on the real server; required with gue, refused otherwise. */
  tunnel_port: { kind: 'port', def: null, min: 1, max: 65535 } as KeySpec<number | null>,
  /** null = none; remcsum is GUE only, ipip takes none. */
  tunnel_csum: optOneOf(['none', 'csum', 'remcsum']),
} as const;

// --- check blocks (table above) ----------------------------------------------

export const CHECK_KINDS = ['tcp', 'http', 'https', 'dns', 'udp', 'icmp', 'misc'] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];
export const DNS_TYPES = ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'] as const;

const checkPort = (): KeySpec<number | null> => ({ kind: 'port', def: null, min: 1, max: 65535 });

/** The timing keys: they set the server's CheckTiming (one per server, see above). */
function timing(retry: number, delayBeforeRetry: number) {
  return {
    connect_timeout: int(5, 1),
    retry: int(retry),
    delay_before_retry: int(delayBeforeRetry),
    /** null: the virtual's `timeout`. */
    delay_loop: optInt(1),
    rise: int(1, 1),
    fall: int(1, 1),
    warmup: int(0),
    /** null: the virtual's alpha. */
    alpha: optBool(),
    /** null: the virtual's quiesce_server. */
    inhibit_on_failure: optBool(),
    notify_up: optStr({ quote: true }),
    notify_down: optStr({ quote: true }),
  };
}
export const TIMING_KEYS: readonly string[] = Object.keys(timing(0, 0));

const HTTP_KEYS = {
  ...timing(1, 3),
  port: checkPort(),
  path: str('/'),
  status: statusRanges(),
  digest: digest(),
  regex: regex(),
  regex_no_match: bool(false),
  virtualhost: optStr(),
};

export const CHECK_KEYS = {
  /** half_open (a tsvs extension): SYN, SYN-ACK or RST, no connection (health/probes/syn.ts). */
  tcp: { ...timing(1, 1), port: checkPort(), half_open: bool(false) },
  http: HTTP_KEYS,
  https: { ...HTTP_KEYS, sni: optStr() },
  dns: { ...timing(3, 1), port: checkPort(), type: oneOf(DNS_TYPES, 'SOA'), name: str('.') },
  udp: {
    ...timing(1, 1),
    port: checkPort(),
    payload: hexBytes(),
    require_reply: hexPattern(),
    min_reply_length: int(0, 0, 65535),
    max_reply_length: int(255, 0, 65535),
  },
  icmp: timing(1, 1),
  misc: { ...timing(0, 1), path: optStr({ quote: true }), misc_timeout: optInt(1), misc_dynamic: bool(false) },
} as const satisfies Record<CheckKind, KeyTable>;

/** Every check key of any kind: the table of a check block whose KIND is wrong, so that only its KIND is reported. */
const ANY_CHECK_KEYS: KeyTable = Object.assign({}, ...Object.values(CHECK_KEYS));

export function isCheckKind(kind: string): kind is CheckKind {
  return (CHECK_KINDS as readonly string[]).includes(kind);
}

export type BlockType = 'virtual' | 'server' | 'failover' | 'check';
export type KeyTable = Readonly<Record<string, KeySpec<unknown>>>;

/** The keys of a scope; a check block's depend on its KIND (its block name). */
export function keysOf(scope: 'global' | BlockType, kind?: string): KeyTable {
  if (scope === 'check') return kind !== undefined && isCheckKind(kind) ? CHECK_KEYS[kind] : ANY_CHECK_KEYS;
  return scope === 'global' ? GLOBAL_KEYS : scope === 'server' ? SERVER_KEYS : VIRTUAL_KEYS;
}

type Typed<S> = { -readonly [K in keyof S]: S[K] extends KeySpec<infer T> ? T : never };
export type GlobalSettings = Typed<typeof GLOBAL_KEYS>;
export type VirtualSettings = Typed<typeof VIRTUAL_KEYS>;
/** The keys of a `check KIND {}` block, typed, with defaults. */
export type CheckSettings<K extends CheckKind> = Typed<(typeof CHECK_KEYS)[K]>;
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
