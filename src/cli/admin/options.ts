// ipvsadm 1.31's option table (parse_options' poptOption array), its option
// and command names (optnames[], cmdnames[]) and the table of which option goes
// with which command (commands_v_options[][]), as data.
import type { PoptOption } from './popt.js';

/** What poptGetNextOpt returns for each option: its short letter, or its long name when it has none. */
export type OptVal =
  | 'A' | 'E' | 'D' | 'C' | 'L' | 'Z' | 'a' | 'e' | 'd' | 'h' | 'v' | 'R' | 'S'
  | 'set' | 'start-daemon' | 'stop-daemon'
  | 't' | 'u' | 'sctp-service' | 'f' | 's' | 'p' | 'M' | 'r' | 'm' | 'i' | 'g' | 'w' | 'x' | 'y'
  | 'n' | 'c' | 'mcast-interface' | 'syncid' | 'timeout' | 'daemon' | 'stats' | 'rate' | 'thresholds'
  | 'persistent-conn' | 'nosort' | 'sort' | 'X' | '6' | 'o' | 'pe' | 'b'
  | 'mcast-group' | 'mcast-port' | 'mcast-ttl' | 'sync-maxlen'
  | 'tun-info' | 'tun-type' | 'tun-port' | 'tun-nocsum' | 'tun-csum' | 'tun-remcsum'
  | 'json';

const sw = (long: string, short: string | undefined, val: OptVal): PoptOption<OptVal> => ({ long, short, arg: 'none', val });
const str = (long: string, short: string | undefined, val: OptVal): PoptOption<OptVal> => ({ long, short, arg: 'value', val });

/** In ipvsadm's order: "list" appears twice (-L and -l); popt finds the first for --list. */
export const OPTION_TABLE: readonly PoptOption<OptVal>[] = [
  sw('add-service', 'A', 'A'), sw('edit-service', 'E', 'E'), sw('delete-service', 'D', 'D'),
  sw('clear', 'C', 'C'), sw('list', 'L', 'L'), sw('list', 'l', 'L'), sw('zero', 'Z', 'Z'),
  sw('add-server', 'a', 'a'), sw('edit-server', 'e', 'e'), sw('delete-server', 'd', 'd'),
  sw('set', undefined, 'set'), sw('help', 'h', 'h'), sw('version', 'v', 'v'),
  sw('restore', 'R', 'R'), sw('save', 'S', 'S'),
  str('start-daemon', undefined, 'start-daemon'), str('stop-daemon', undefined, 'stop-daemon'),
  str('tcp-service', 't', 't'), str('udp-service', 'u', 'u'), str('sctp-service', undefined, 'sctp-service'),
  str('fwmark-service', 'f', 'f'), str('scheduler', 's', 's'),
  { long: 'persistent', short: 'p', arg: 'optional', val: 'p' },
  str('netmask', 'M', 'M'), str('real-server', 'r', 'r'),
  sw('masquerading', 'm', 'm'), sw('ipip', 'i', 'i'), sw('gatewaying', 'g', 'g'),
  str('weight', 'w', 'w'), str('u-threshold', 'x', 'x'), str('l-threshold', 'y', 'y'),
  sw('numeric', 'n', 'n'), sw('connection', 'c', 'c'),
  str('mcast-interface', undefined, 'mcast-interface'), str('syncid', undefined, 'syncid'),
  sw('timeout', undefined, 'timeout'), sw('daemon', undefined, 'daemon'), sw('stats', undefined, 'stats'),
  sw('rate', undefined, 'rate'), sw('thresholds', undefined, 'thresholds'),
  sw('persistent-conn', undefined, 'persistent-conn'), sw('nosort', undefined, 'nosort'), sw('sort', undefined, 'sort'),
  sw('exact', 'X', 'X'), sw('ipv6', '6', '6'), sw('ops', 'o', 'o'),
  str('pe', undefined, 'pe'), str('sched-flags', 'b', 'b'),
  str('mcast-group', undefined, 'mcast-group'), str('mcast-port', undefined, 'mcast-port'),
  str('mcast-ttl', undefined, 'mcast-ttl'), str('sync-maxlen', undefined, 'sync-maxlen'),
  sw('tun-info', undefined, 'tun-info'), str('tun-type', undefined, 'tun-type'), str('tun-port', undefined, 'tun-port'),
  sw('tun-nocsum', undefined, 'tun-nocsum'), sw('tun-csum', undefined, 'tun-csum'), sw('tun-remcsum', undefined, 'tun-remcsum'),
  // tsvs: print the control API's JSON instead of ipvsadm's text (listings only).
  sw('json', undefined, 'json'),
];

/** cmdnames[]: how ipvsadm's messages name each command. */
export type Cmd =
  | 'add-service' | 'edit-service' | 'delete-service' | 'flush' | 'list' | 'add-server' | 'delete-server'
  | 'edit-server' | 'set' | 'start-daemon' | 'stop-daemon' | 'restore' | 'save' | 'zero';

/** optnames[] in OPTC_* order; the bit of an option in the set is its index here. json is tsvs's. */
export const OPT_NAMES = [
  'numeric', 'connection', 'service-address', 'scheduler', 'persistent', 'netmask', 'real-server',
  'forwarding-method', 'weight', 'u-threshold', 'l-threshold', 'mcast-interface', 'timeout', 'daemon',
  'stats', 'rate', 'thresholds', 'persistent-conn', 'nosort', 'syncid', 'exact', 'ops', 'pe', 'sched-flags',
  'mcast-group', 'mcast-port', 'mcast-ttl', 'sync-maxlen', 'tun-info', 'tun-type', 'tun-port', 'tun-nocsum',
  'tun-csum', 'tun-remcsum', 'json',
] as const;

export type OptName = (typeof OPT_NAMES)[number];

/**
 * commands_v_options[][], one character per option in OPT_NAMES order:
 * '+' compulsory, 'x' illegal, '1' exclusive (only one '1' option), ' ' optional.
 * The first 34 columns are ipvsadm's table as it stands; the last is tsvs's --json.
 */
//                                                    -n -c svc -s -p -M -r fwd -w -x -y mc tot dmn st rt thr pc srt sid ex ops pe -b grp prt ttl sz tinf typ tprt nocs csum remc json
export const COMMANDS_V_OPTIONS: Record<Cmd, string> = {
  'add-service':    'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx' + 'x',
  'edit-service':   'xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx' + 'x',
  'delete-service': 'xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'x',
  flush:            'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'x',
  list:             ' 11xxxxxxxxx11       xxxxxxx xxxxx' + ' ',
  'add-server':     'xx+xxx+    xxxxxxxxxxxxxxxxxx     ' + 'x',
  'delete-server':  'xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'x',
  'edit-server':    'xx+xxx+    xxxxxxxxxxxxxxxxxx     ' + 'x',
  set:              'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'x',
  'start-daemon':   'xxxxxxxxxxx xxxxxxx xxxx    xxxxxx' + 'x',
  'stop-daemon':    'xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx' + 'x',
  restore:          'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'x',
  save:             ' xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'x',
  zero:             'xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + 'x',
};

/** The option (OPT_NAMES entry) each poptGetNextOpt value sets, for those that set one. */
export const OPTION_OF: Partial<Record<OptVal, OptName>> = {
  t: 'service-address', u: 'service-address', 'sctp-service': 'service-address', f: 'service-address',
  s: 'scheduler', p: 'persistent', M: 'netmask', r: 'real-server',
  m: 'forwarding-method', i: 'forwarding-method', g: 'forwarding-method',
  w: 'weight', x: 'u-threshold', y: 'l-threshold', n: 'numeric', c: 'connection',
  'mcast-interface': 'mcast-interface', syncid: 'syncid', timeout: 'timeout', daemon: 'daemon',
  stats: 'stats', rate: 'rate', thresholds: 'thresholds', 'persistent-conn': 'persistent-conn',
  nosort: 'nosort', X: 'exact', o: 'ops', pe: 'pe', b: 'sched-flags',
  'mcast-group': 'mcast-group', 'mcast-port': 'mcast-port', 'mcast-ttl': 'mcast-ttl', 'sync-maxlen': 'sync-maxlen',
  'tun-info': 'tun-info', 'tun-type': 'tun-type', 'tun-port': 'tun-port',
  'tun-nocsum': 'tun-nocsum', 'tun-csum': 'tun-csum', 'tun-remcsum': 'tun-remcsum', json: 'json',
};
