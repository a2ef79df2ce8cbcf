// The commands that talk to a running router over its control socket: `tsvs
// admin` (ipvsadm's arguments, untouched) and `tsvs top`. The socket is
// /run/tsvs/tsvs.sock, or TSVS_CONTROL_SOCKET, or `--control-socket PATH` given
// before everything else (ipvsadm has no such option, so it cannot clash).
import { readFileSync } from 'node:fs';
import { ControlClient } from '../control/client.js';
import { DEFAULT_SOCKET } from '../control/types.js';
import { adminMain } from './admin/run.js';
import { parseTopArgs, topMain, TopUsageError } from './top/index.js';

/** Takes a leading --control-socket PATH (or =PATH) off argv; else the environment's, else the default. */
export function socketOf(argv: string[]): { socket: string; rest: string[] } {
  const [first, second] = argv;
  if (first === '--control-socket' && second !== undefined) return { socket: second, rest: argv.slice(2) };
  if (first?.startsWith('--control-socket=')) return { socket: first.slice('--control-socket='.length), rest: argv.slice(1) };
  return { socket: process.env.TSVS_CONTROL_SOCKET || DEFAULT_SOCKET, rest: argv };
}

/** `tsvs admin ARGS...`: ipvsadm 1.31 against the running router. Exit statuses are ipvsadm's. */
export async function adminCommand(argv: string[]): Promise<number> {
  const { socket, rest } = socketOf(argv);
  return adminMain(rest, new ControlClient(socket), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    stdin: async () => readFileSync(0, 'utf8'),
  }, { program: process.env.TSVS_PROGRAM || 'tsvs admin' });
}

/** `tsvs top`: the live view. */
export async function topCommand(argv: string[]): Promise<number> {
  const { socket, rest } = socketOf(argv);
  let args;
  try {
    args = parseTopArgs(rest);
  } catch (e) {
    if (!(e instanceof TopUsageError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 2;
  }
  const tty = process.stdout.isTTY === true && process.stdin.isTTY === true;
  return topMain(new ControlClient(socket), { ...args, tty, out: process.stdout, input: process.stdin });
}
