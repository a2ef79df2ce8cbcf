// Command lines that ipvsadm 1.31 accepts, and the command each one means:
// the Ops it sends (with every field as ipvsadm's process_options fills it)
// or the listing it asks for. Expected values come from reading ipvsadm.c.
import { describe, expect, it } from 'vitest';
import { parseAdmin } from '../../../src/cli/admin/args.js';
import { DEFAULT_FORMAT, type AdminCommand } from '../../../src/cli/admin/command.js';
import type { Op } from '../../../src/control/types.js';
import { fakeNames } from './helpers.js';

const parse = (args: string | string[]): Promise<AdminCommand> =>
  parseAdmin(typeof args === 'string' ? args.split(' ').filter((a) => a !== '') : args, { names: fakeNames(), program: 'ipvsadm' });

const VIP = { protocol: 'tcp', address: '198.18.0.10', port: 80 } as const;
const ADD = { scheduler: 'wlc', schedFlags: [], persistence: 0, persistMask: '255.255.255.255', onePacket: false };
const DEST = { forward: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0 } as const;
const IPIP = { tunnelType: 'ipip', tunnelPort: 0, tunnelCsum: 'none' } as const;

const CHANGES: [string | string[], Op][] = [
  // -A: the defaults ipvsadm sends (wlc, no persistence, /32).
  ['-A -t 198.18.0.10:80', { op: 'add-service', service: VIP, ...ADD }],
  ['--add-service --tcp-service 198.18.0.10:80', { op: 'add-service', service: VIP, ...ADD }],
  // popt: clusters, values glued to the letter or after '=', long --name=value.
  ['-At 198.18.0.10:80 -srr', { op: 'add-service', service: VIP, ...ADD, scheduler: 'rr' }],
  ['-At198.18.0.10:80 -s=rr', { op: 'add-service', service: VIP, ...ADD, scheduler: 'rr' }],
  ['-A --tcp-service=198.18.0.10:80 --scheduler=wrr --persistent=120', { op: 'add-service', service: VIP, ...ADD, scheduler: 'wrr', persistence: 120 }],
  // -p's value is optional: alone (or before an option) it is libipvs's 360 s, not the man page's 300.
  ['-A -t 198.18.0.10:80 -p', { op: 'add-service', service: VIP, ...ADD, persistence: 360 }],
  ['-A -t 198.18.0.10:80 -p -s rr', { op: 'add-service', service: VIP, ...ADD, scheduler: 'rr', persistence: 360 }],
  ['-A -t 198.18.0.10:80 -p 30', { op: 'add-service', service: VIP, ...ADD, persistence: 30 }],
  ['-A -t 198.18.0.10:80 -p30', { op: 'add-service', service: VIP, ...ADD, persistence: 30 }],
  ['-A -t 198.18.0.10:80 -s rr -p 600 -M 255.255.255.0', { op: 'add-service', service: VIP, ...ADD, scheduler: 'rr', persistence: 600, persistMask: '255.255.255.0' }],
  // -M is read as an address (inet_aton), so "24" is the mask 0.0.0.24.
  ['-A -f 80 -p -M 24', { op: 'add-service', service: { fwmark: 80 }, ...ADD, persistence: 360, persistMask: '0.0.0.24' }],
  ['-A -u 198.18.0.53:53 -s sh -b sh-port,sh-fallback -o', { op: 'add-service', service: { protocol: 'udp', address: '198.18.0.53', port: 53 }, ...ADD, scheduler: 'sh', schedFlags: ['sh-port', 'sh-fallback'], onePacket: true }],
  ['-A -f 1 -o', { op: 'add-service', service: { fwmark: 1 }, ...ADD, onePacket: true }],
  // -b is checked after every option is read, against -s wherever it stands.
  ['-A -t 198.18.0.10:80 -b mh-port,flag-3 -s mh', { op: 'add-service', service: VIP, ...ADD, scheduler: 'mh', schedFlags: ['mh-port', 'flag-3'] }],
  [['-A', '-t', '198.18.0.10:80', '-b', ''], { op: 'add-service', service: VIP, ...ADD }], // an empty -b value is ignored
  // Names: a host through gethostbyname, a port through /etc/services, inet_aton's short forms.
  ['-A -t www.example.test:https', { op: 'add-service', service: { ...VIP, port: 443 }, ...ADD }],
  ['-A -t www.example.test:www', { op: 'add-service', service: VIP, ...ADD }],
  ['-A -t 198.18.10:80', { op: 'add-service', service: { ...VIP, address: '198.18.0.10' }, ...ADD }],
  ['-A -t 0xc612000a:80', { op: 'add-service', service: VIP, ...ADD }],
  // A bracketed IPv4 address loses its port (ipvsadm looks for ':' again inside the brackets).
  ['-A -t [198.18.0.10]:80 -p', { op: 'add-service', service: { ...VIP, port: 0 }, ...ADD, persistence: 360 }],
  ['-A -t 198.18.0.10 -p 60', { op: 'add-service', service: { ...VIP, port: 0 }, ...ADD, persistence: 60 }],
  // -E sends every field: what is not given goes back to its default.
  ['-E -t 198.18.0.10:80', { op: 'edit-service', service: VIP, ...ADD }],
  ['-E -t 198.18.0.10:80 -s rr -p 60 --pe sip', { op: 'edit-service', service: VIP, ...ADD, scheduler: 'rr', persistence: 60, persistenceEngine: 'sip' }],
  ['-D -t 198.18.0.10:80', { op: 'delete-service', service: VIP }],
  ['-D -f 7', { op: 'delete-service', service: { fwmark: 7 } }],
  ['-C', { op: 'clear' }],
  ['--clear', { op: 'clear' }],
  // -a: -g and weight 1 by default; DR and tunnel servers take the service's port.
  ['-a -t 198.18.0.10:80 -r 198.19.0.11', { op: 'add-server', service: VIP, server: { address: '198.19.0.11', port: 80 }, ...DEST }],
  ['-a -t 198.18.0.10:80 -r 198.19.0.11:8080 -g', { op: 'add-server', service: VIP, server: { address: '198.19.0.11', port: 80 }, ...DEST }],
  ['-a -t 198.18.0.10:80 -r 198.19.0.11:8080 -m -w 3 -x 100 -y 50', { op: 'add-server', service: VIP, server: { address: '198.19.0.11', port: 8080 }, forward: 'nat', weight: 3, upperThreshold: 100, lowerThreshold: 50 }],
  ['-a -t 198.18.0.10:80 -r 198.19.0.11:8080 -i', { op: 'add-server', service: VIP, server: { address: '198.19.0.11', port: 80 }, ...DEST, forward: 'tunnel', ...IPIP }],
  ['-a -t 198.18.0.10:80 -r web1.example.test -i --tun-type ipip', { op: 'add-server', service: VIP, server: { address: '198.19.0.11', port: 80 }, ...DEST, forward: 'tunnel', ...IPIP }],
  ['-a -t 198.18.0.10:80 -r 198.19.0.11 -i --tun-type gue --tun-port 6080', { op: 'add-server', service: VIP, server: { address: '198.19.0.11', port: 80 }, ...DEST, forward: 'tunnel', tunnelType: 'gue', tunnelPort: 6080, tunnelCsum: 'none' }],
  ['-a -t 198.18.0.10:80 -r 198.19.0.11 -i --tun-type gue --tun-port 6080 --tun-remcsum', { op: 'add-server', service: VIP, server: { address: '198.19.0.11', port: 80 }, ...DEST, forward: 'tunnel', tunnelType: 'gue', tunnelPort: 6080, tunnelCsum: 'remcsum' }],
  ['-e -t 198.18.0.10:80 -r 198.19.0.11 -i --tun-type gre --tun-csum', { op: 'edit-server', service: VIP, server: { address: '198.19.0.11', port: 80 }, ...DEST, forward: 'tunnel', tunnelType: 'gre', tunnelPort: 0, tunnelCsum: 'csum' }],
  ['-a -t 198.18.0.10:80 -r 198.19.0.11 -i --tun-type gre --tun-nocsum', { op: 'add-server', service: VIP, server: { address: '198.19.0.11', port: 80 }, ...DEST, forward: 'tunnel', tunnelType: 'gre', tunnelPort: 0, tunnelCsum: 'none' }],
  ['-a -t 198.18.0.10:80 -r 198.19.0.11:http -m', { op: 'add-server', service: VIP, server: { address: '198.19.0.11', port: 80 }, ...DEST, forward: 'nat' }],
  // A firewall-mark service's servers keep their own port (0 = the packet's).
  ['-a -f 80 -r 198.19.0.11', { op: 'add-server', service: { fwmark: 80 }, server: { address: '198.19.0.11', port: 0 }, ...DEST }],
  ['-a -f 80 -r 198.19.0.11:8080', { op: 'add-server', service: { fwmark: 80 }, server: { address: '198.19.0.11', port: 8080 }, ...DEST }],
  // -r before -t copies the port known so far: none.
  ['-a -r 198.19.0.11 -t 198.18.0.10:80 -m', { op: 'add-server', service: VIP, server: { address: '198.19.0.11', port: 0 }, ...DEST, forward: 'nat' }],
  ['-e -t 198.18.0.10:80 -r 198.19.0.11 -w 0', { op: 'edit-server', service: VIP, server: { address: '198.19.0.11', port: 80 }, ...DEST, weight: 0 }],
  // -d keeps the port given: a NAT server on another port can be deleted.
  ['-d -t 198.18.0.10:80 -r 198.19.0.11:8080', { op: 'delete-server', service: VIP, server: { address: '198.19.0.11', port: 8080 } }],
  ['-Z', { op: 'zero' }],
  ['-Z -t 198.18.0.10:80', { op: 'zero', service: VIP }],
  ['--set 900 120 300', { op: 'set-timeouts', tcp: 900, tcpfin: 120, udp: 300 }],
  ['--set 0 0 60', { op: 'set-timeouts', tcp: 0, tcpfin: 0, udp: 60 }],
];

describe('ipvsadm command lines that change the table', () => {
  it.each(CHANGES)('%s', async (args, op) => {
    const cmd = await parse(args);
    expect(cmd).toMatchObject({ kind: 'change', ops: [op] });
    expect(cmd.kind === 'change' && cmd.ops[0]).toEqual(op);
    expect(cmd).not.toHaveProperty('refuse');
  });

  it.each([
    ['-A --sctp-service 198.18.0.10:80', 'ENOPROTOOPT'],
  ])('%s is parsed, then refused with %s (SCTP is not built; IPv6 is: ipv6.test.ts)', async (args, code) => {
    expect(await parse(args)).toMatchObject({ kind: 'change', refuse: code });
  });
});

const F = DEFAULT_FORMAT;
const LISTS: [string, AdminCommand][] = [
  ['', { kind: 'list', what: 'all', format: F }],
  ['-L', { kind: 'list', what: 'all', format: F }],
  ['-l', { kind: 'list', what: 'all', format: F }],
  ['--list --sort', { kind: 'list', what: 'all', format: F }],
  ['-Ln', { kind: 'list', what: 'all', format: { ...F, numeric: true } }],
  ['-L -n --stats --exact', { kind: 'list', what: 'all', format: { ...F, numeric: true, stats: true, exact: true } }],
  ['-L -X --rate --nosort', { kind: 'list', what: 'all', format: { ...F, rate: true, exact: true, noSort: true } }],
  ['-L --thresholds --tun-info --json', { kind: 'list', what: 'all', format: { ...F, thresholds: true, tunInfo: true, json: true } }],
  ['-lnc', { kind: 'list', what: 'conns', format: { ...F, numeric: true } }],
  ['-L -c --persistent-conn', { kind: 'list', what: 'conns', format: { ...F, persistentConn: true } }],
  ['-L -t 198.18.0.10:80 -n', { kind: 'list', what: 'service', service: { protocol: 'tcp', af: 4, address: '198.18.0.10', port: 80 }, format: { ...F, numeric: true } }],
  ['-L -f 80', { kind: 'list', what: 'service', service: { fwmark: 80, af: 4 }, format: F }],
  ['-L --timeout', { kind: 'list', what: 'timeouts', format: F }],
  ['-L --daemon', { kind: 'list', what: 'daemon', format: F }],
  ['-S', { kind: 'save', format: F }],
  ['--save -n', { kind: 'save', format: { ...F, numeric: true } }],
  ['-R', { kind: 'restore' }],
  ['-h', { kind: 'help' }],
  ['--help --bogus', { kind: 'help' }], // usage_exit() leaves before the rest is read
  ['-v', { kind: 'version' }],
  ['--start-daemon backup', { kind: 'daemon', cmd: 'start-daemon', daemon: { state: 'backup', mcastInterface: 'eth0' } }],
  ['--start-daemon master --mcast-interface eth1 --syncid 5 --mcast-group 224.0.0.82 --mcast-port 8849 --mcast-ttl 2 --sync-maxlen 1400',
    { kind: 'daemon', cmd: 'start-daemon', daemon: { state: 'master', mcastInterface: 'eth1', syncid: 5, mcastGroup: '224.0.0.82', mcastPort: 8849, mcastTtl: 2, syncMaxlen: 1400 } }],
  ['--stop-daemon master --syncid 1', { kind: 'daemon', cmd: 'stop-daemon', daemon: { state: 'master', mcastInterface: '', syncid: 1 } }],
];

describe('ipvsadm command lines that list, save, restore or print', () => {
  it.each(LISTS)('%s', async (args, want) => {
    expect(await parse(args)).toEqual(want);
  });
});
