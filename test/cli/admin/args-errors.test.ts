// Command lines ipvsadm 1.31 refuses: the exact stderr text and exit status of
// each, from ipvsadm.c's fail(2, ...) calls, tryhelp_exit (255), popt's
// "OPTION: why" (255), and generic_opt_check's table.
import { describe, expect, it } from 'vitest';
import { parseAdmin } from '../../../src/cli/admin/args.js';
import { AdminError } from '../../../src/cli/admin/errors.js';
import { fakeNames } from './helpers.js';

async function refusal(args: string | string[], readingStdin = false): Promise<[string, number]> {
  const argv = typeof args === 'string' ? args.split(' ').filter((a) => a !== '') : args;
  try {
    await parseAdmin(argv, { names: fakeNames(), program: 'ipvsadm', readingStdin });
  } catch (e) {
    if (e instanceof AdminError) return [e.stderr, e.status];
    throw e;
  }
  throw new Error(`${argv.join(' ')}: accepted`);
}

const TRY = "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n";
const V = '-t 198.18.0.10:80';

const CASES: [string | string[], string, number][] = [
  // The first option must be a command, else tryhelp_exit(-1).
  ['-n -L', TRY, 255],
  ['--bogus', TRY, 255],
  ['-q', TRY, 255],
  ['foo', TRY, 255],
  ['--start-daemon', TRY, 255], // its value is missing: popt fails on the first option
  // popt's own complaints after the command: "%s: %s", and -1.
  ['-L --bogus', '--bogus: unknown option\n', 255],
  ['-Lq', '-Lq: unknown option\n', 255],
  ['-L --numeric=1', '--numeric=1: option does not take an argument\n', 255],
  ['-L -n=1', '-n=1: option does not take an argument\n', 255],
  ['-A -t', '-t: missing argument\n', 255],
  // A second command is an "invalid option", named as popt last read it.
  ['-L -A', "invalid option `-A'\n", 2],
  ['-LA', "invalid option `-LA'\n", 2],
  ['-L --start-daemon master', "invalid option `master'\n", 2],
  ['-L -n -n', "multiple 'numeric' options specified\n", 2],
  ['-A -t 198.18.0.10:80 -u 198.18.0.10:80', "multiple 'service-address' options specified\n", 2],
  ['-a -t 198.18.0.10:80 -r 198.19.0.11 -m -g', "multiple 'forwarding-method' options specified\n", 2],
  // Values.
  ['-A -t 80', 'illegal virtual server address[:port] specified\n', 2],
  ['-A -t nohost.test:80', 'illegal virtual server address[:port] specified\n', 2],
  ['-A -t 198.18.0.10:nosuch', 'illegal virtual server address[:port] specified\n', 2],
  ['-A -t 198.18.0.10:65536', 'illegal virtual server address[:port] specified\n', 2],
  ['-A -t 198.18.0.10:', 'illegal virtual server address[:port] specified\n', 2],
  ['-A -t [2001:db8::1]80', 'illegal virtual server address[:port] specified\n', 2],
  ['-A -u 198.18.0.10:https', 'illegal virtual server address[:port] specified\n', 2], // https is tcp only in /etc/services
  [`-A ${V} -p 0`, "invalid timeout value `0' specified\n", 2],
  [`-A ${V} -p 2678401`, "invalid timeout value `2678401' specified\n", 2],
  [`-A ${V} -p abc`, "invalid timeout value `abc' specified\n", 2],
  ['-A -f 0', "invalid fwmark value `0' specified\n", 2],
  ['-A -f -1', "invalid fwmark value `-1' specified\n", 2],
  ['-A -f 4294967296', "invalid fwmark value `4294967296' specified\n", 2],
  ['-A -f 12ab', "invalid fwmark value `12ab' specified\n", 2],
  [`-A ${V} -p -M 300.1.1.1`, 'illegal virtual server persistent mask specified\n', 2],
  ['-A -t [2001:db8::1]:80 -p -M 200', 'illegal ipv6 netmask specified\n', 2],
  [`-a ${V} -r 80`, 'illegal real server address[:port] specified\n', 2],
  [`-a ${V} -r 198.19.0.11 -w 65536`, 'illegal weight specified\n', 2],
  [`-a ${V} -r 198.19.0.11 -w 1.5`, 'illegal weight specified\n', 2],
  [`-a ${V} -r 198.19.0.11 -x -1`, 'illegal u_threshold specified\n', 2],
  [`-a ${V} -r 198.19.0.11 -y abc`, 'illegal l_threshold specified\n', 2],
  ['-L -6', '-6 used before -f\n\n', 2], // ipvsadm's message ends in its own "\n" too
  [`-A ${V} -s sh -b bogus`, "invalid scheduler flag `bogus'\n", 2],
  [`-A ${V} -s rr -b sh-port`, "incompatible scheduler flag `sh-port'\n", 2],
  [`-A ${V} -b mh-fallback`, "incompatible scheduler flag `mh-fallback'\n", 2], // against the default, wlc
  ['-L -b bogus', "invalid scheduler flag `bogus'\n", 2], // -b is read before the option table is checked
  ['--set 1 2', '--set option requires 3 timeout values\n', 2],
  ['--set 1 2 x', "invalid timeout value `x' specified\n", 2],
  ['--set 1 2 2678401', "invalid timeout value `2678401' specified\n", 2],
  ['--set 1 2 3 4', 'unexpected argument 4\n', 2],
  ['--set -1 2 3', '-1: unknown option\n', 255],
  ['foo -L', 'unexpected argument foo\n', 2],
  ['-L -- -n', 'unexpected argument -n\n', 2],
  ['--start-daemon foo', 'illegal start-daemon parameter specified\n', 2],
  ['--stop-daemon foo', 'illegal start_daemon specified\n', 2],
  ['--start-daemon master --syncid 256', 'illegal syncid specified\n', 2],
  ['--start-daemon master --mcast-group 198.18.0.1', "invalid IPv4 mcast-group `198.18.0.1'\n", 2],
  ['--start-daemon master --mcast-group ff::1', "invalid IPv6 mcast-group `ff::1'\n", 2],
  ['--start-daemon master --mcast-port 0', 'illegal mcast-port specified\n', 2],
  ['--start-daemon master --mcast-ttl 256', 'illegal mcast-ttl specified\n', 2],
  ['--start-daemon master --sync-maxlen 65508', 'illegal sync-maxlen specified\n', 2],
  [`-a ${V} -r 198.19.0.11 -i --tun-type vxlan`, 'illegal tunnel type specified\n', 2],
  [`-a ${V} -r 198.19.0.11 -i --tun-port 0`, 'illegal tunnel port specified\n', 2],
  // generic_opt_check(): the first column at fault, in option order.
  ['-A', "You need to supply the 'service-address' option for the 'add-service' command\n", 2],
  [`-A ${V} -r 198.19.0.11`, "Illegal 'real-server' option with the 'add-service' command\n", 2],
  [`-A ${V} -n`, "Illegal 'numeric' option with the 'add-service' command\n", 2],
  [`-A ${V} --json`, "Illegal 'json' option with the 'add-service' command\n", 2],
  [`-a ${V}`, "You need to supply the 'real-server' option for the 'add-server' command\n", 2],
  [`-d ${V} -r 198.19.0.11 -w 2`, "Illegal 'weight' option with the 'delete-server' command\n", 2],
  [`-D ${V} -s rr`, "Illegal 'scheduler' option with the 'delete-service' command\n", 2],
  ['-L -s rr -i', "Illegal 'scheduler' option with the 'list' command\n", 2],
  [`-L -c ${V}`, "The option 'service-address' conflicts with the 'connection' option in the 'list' command\n", 2],
  ['-L --daemon --timeout', "The option 'daemon' conflicts with the 'timeout' option in the 'list' command\n", 2],
  ['-C -n', "Illegal 'numeric' option with the 'flush' command\n", 2],
  ['-S -c', "Illegal 'connection' option with the 'save' command\n", 2],
  ['-R -n', "Illegal 'numeric' option with the 'restore' command\n", 2],
  ['-Z -n', "Illegal 'numeric' option with the 'zero' command\n", 2],
  ['--set 1 2 3 -n', "Illegal 'numeric' option with the 'set' command\n", 2],
  ['--stop-daemon master --mcast-interface eth0', "Illegal 'mcast-interface' option with the 'stop-daemon' command\n", 2],
  // The list command's own conflicts.
  ['-L -c --stats', 'options conflicts in the list command\n', 2],
  ['-L --timeout --persistent-conn', 'options conflicts in the list command\n', 2],
  // process_options' checks of services and servers.
  ['-A -t 198.18.0.10:0', 'Zero port specified for non-persistent service\n', 2],
  ['-E -t 198.18.0.10', 'Zero port specified for non-persistent service\n', 2],
  [`-A ${V} -o`, 'One-Packet Scheduling is only for UDP virtual services\n', 2],
  [`-a ${V} -r 2001:db8::1`, 'Different address family is allowed only for tunneling servers\n', 2],
  [`-a ${V} -r 198.19.0.11 --tun-type gue`, 'Tunnel options conflict with forward method\n', 2],
  [`-a ${V} -r 198.19.0.11 -i --tun-type gue`, "You need to supply the 'tun-port' option for the 'gue' tunnel type\n", 2],
  [`-a ${V} -r 198.19.0.11 -i --tun-port 6080`, "Illegal 'tun-port' option with the 'ipip' tunnel type\n", 2],
  [`-e ${V} -r 198.19.0.11 -i --tun-type gue --tun-port 6080 --tun-csum --tun-nocsum`, "The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gue' tunnel type\n", 2],
  [`-a ${V} -r 198.19.0.11 -i --tun-type gre --tun-remcsum`, "Illegal 'tun-remcsum' option with the 'gre' tunnel type\n", 2],
];

describe('ipvsadm command lines that fail', () => {
  it.each(CASES)('%s', async (args, stderr, status) => {
    expect(await refusal(args)).toEqual([stderr, status]);
  });

  it('refuses -R inside -R input (restore_table: "avoid infinite loop")', async () => {
    expect(await refusal('-R', true)).toEqual([TRY, 255]);
  });

  it('reads a value that begins with "-" for an option whose value is not optional', async () => {
    // popt hands "-L" to -t as its value; parse_service then refuses it.
    expect(await refusal('-A -t -L')).toEqual(['illegal virtual server address[:port] specified\n', 2]);
  });
});
