// The commands that talk to a running router over its control socket: `tsvs
// admin` (ipvsadm's arguments, untouched) and `tsvs top`. The socket is
// /run/tsvs/tsvs.sock, or TSVS_CONTROL_SOCKET, or `--control-socket PATH` (for
// admin: given before everything else; ipvsadm has no such option, so it
// cannot clash).
import { readFileSync } from 'node:fs';
import { ControlClient } from '../control/client.js';
import { DEFAULT_SOCKET } from '../control/types.js';
import { adminMain } from './admin/run.js';
import { defineCommand, defineRawCommand } from './registry.js';
import { topMain } from './top/index.js';

/** --control-socket PATH, for every command that talks to the router. */
export const SOCKET_OPTION = { type: 'string', arg: 'PATH', help: `the router's control socket (default $TSVS_CONTROL_SOCKET or ${DEFAULT_SOCKET})` } as const;

function defaultSocket(): string {
  return process.env.TSVS_CONTROL_SOCKET || DEFAULT_SOCKET;
}

/** A client of --control-socket PATH, else of the environment's socket, else the default. */
export function clientOf(path: string | undefined): ControlClient {
  return new ControlClient(path || defaultSocket());
}

/** Takes a leading --control-socket PATH (or =PATH) off argv; else the environment's, else the default. */
export function socketOf(argv: string[]): { socket: string; rest: string[] } {
  const [first, second] = argv;
  if (first === '--control-socket' && second !== undefined) return { socket: second, rest: argv.slice(2) };
  if (first?.startsWith('--control-socket=')) return { socket: first.slice('--control-socket='.length), rest: argv.slice(1) };
  return { socket: defaultSocket(), rest: argv };
}

export const adminCommand = defineRawCommand({
  name: 'admin',
  summary: 'ipvsadm 1.31 against the running router (tsvs admin -h); --json on every listing',
  usage: '[--control-socket PATH] IPVSADM-ARGS...',
  description: 'Takes ipvsadm 1.31\'s arguments and prints its output formats byte for byte: -A -E -D -C -R -S\n' +
    '-a -e -d -L -Z --set, with -n -c --stats --rate --thresholds --persistent-conn --exact --timeout.\n' +
    'Exit statuses and error messages are ipvsadm\'s. -R applies the whole input as one change, or none\n' +
    'of it. Installed as ipvsadm (a script that runs `tsvs admin "$@"`), existing scripts run unchanged.',
  async run(argv) {
    const { socket, rest } = socketOf(argv);
    return adminMain(rest, new ControlClient(socket), {
      stdout: (s) => process.stdout.write(s),
      stderr: (s) => process.stderr.write(s),
      stdin: async () => readFileSync(0, 'utf8'),
    }, { program: process.env.TSVS_PROGRAM || 'tsvs admin' });
  },
});

export const topCommand = defineCommand({
  name: 'top',
  summary: 'a live view of the running router: rates, per-server bars, busiest connections, drops',
  description: 'Like ipvsadm -L -n --rate refreshed every second, with a bar per real server, the most recently\n' +
    'active connections and the drop counters. q or Ctrl-C quits. When stdout is not a terminal it prints\n' +
    'plain blocks of lines (no escape codes), --iterations of them.',
  options: {
    interval: { type: 'number', min: 0.1, max: 3600, default: 1, arg: 'SECONDS', help: 'seconds between refreshes' },
    iterations: { type: 'number', integer: true, min: 1, arg: 'N', help: 'stop after N refreshes' },
    conns: { type: 'number', integer: true, min: 0, default: 10, arg: 'N', help: 'connections to list (0: none)' },
    'control-socket': SOCKET_OPTION,
  },
  run({ values }) {
    const api = new ControlClient(values['control-socket'] ?? defaultSocket());
    const tty = process.stdout.isTTY === true && process.stdin.isTTY === true;
    return topMain(api, { interval: values.interval, iterations: values.iterations, conns: values.conns, tty, out: process.stdout, input: process.stdin });
  },
});
