// `tsvs admin ARGS...` read as ipvsadm 1.31 reads its command line
// (parse_options, then process_options): the first option must be the
// command; the options follow in any order; --set takes three leftover
// arguments; any other leftover is an error. The result is a typed command,
// or an AdminError with ipvsadm's stderr text and exit status.
import { AdminError, fail, tryHelp } from './errors.js';
import type { AdminCommand } from './command.js';
import { CommandEntry } from './entry.js';
import type { NameService } from './names.js';
import { OPTION_TABLE, type Cmd, type OptVal } from './options.js';
import { Popt, poptStrerror } from './popt.js';
import { processOptions } from './process.js';
import { MAX_TIMEOUT, parseSchedFlags, parseTimeout } from './values.js';

export interface ParseContext {
  names: NameService;
  /** Printed where ipvsadm prints argv[0] ("Try `tsvs admin -h' ..."). */
  program: string;
  /** A line of -R input: a -R there is refused (restore_table's "avoid infinite loop"). */
  readingStdin?: boolean;
}

const COMMANDS: Partial<Record<OptVal, Cmd>> = {
  A: 'add-service', E: 'edit-service', D: 'delete-service', a: 'add-server', e: 'edit-server',
  d: 'delete-server', C: 'flush', L: 'list', Z: 'zero', set: 'set', R: 'restore', S: 'save',
  'start-daemon': 'start-daemon', 'stop-daemon': 'stop-daemon',
};

export async function parseAdmin(argv: readonly string[], ctx: ParseContext): Promise<AdminCommand> {
  // main(): with no argument at all, ipvsadm lists the table.
  if (argv.length === 0 && !ctx.readingStdin) return processOptions(new CommandEntry(ctx.names), 'list', ctx);

  const popt = new Popt(argv, OPTION_TABLE);
  const ce = new CommandEntry(ctx.names);
  const first = popt.getNextOpt();
  if (first === 'end' || 'error' in first) tryHelp(ctx.program);
  if (first.val === 'h') return { kind: 'help' };
  if (first.val === 'v') return { kind: 'version' };
  const cmd = COMMANDS[first.val];
  if (!cmd) tryHelp(ctx.program);
  if (cmd === 'start-daemon' || cmd === 'stop-daemon') daemonState(ce, cmd, first.arg ?? '');

  for (;;) {
    const r = popt.getNextOpt();
    if (r === 'end') break;
    // ipvsadm prints popt's complaint as "OPTION: why" and returns -1.
    if ('error' in r) throw new AdminError(`${popt.badOption()}: ${poptStrerror(r.error)}\n`, 255);
    if (!(await ce.apply(r.val, r.arg))) fail(`invalid option \`${popt.badOption()}'`);
  }

  if (cmd === 'set') {
    const tcp = popt.getArg();
    const tcpfin = tcp === null ? null : popt.getArg();
    const udp = tcpfin === null ? null : popt.getArg();
    if (tcp === null || tcpfin === null || udp === null) fail('--set option requires 3 timeout values');
    ce.timeouts = {
      tcp: parseTimeout(tcp, 0, MAX_TIMEOUT),
      tcpfin: parseTimeout(tcpfin, 0, MAX_TIMEOUT),
      udp: parseTimeout(udp, 0, MAX_TIMEOUT),
    };
  }
  const extra = popt.getArg();
  if (extra !== null) fail(`unexpected argument ${extra}`);
  // The -b names are checked once every option is read (-s may follow -b).
  if (ce.schedFlagsArg) ce.schedFlags = parseSchedFlags(ce.svc.scheduler, ce.schedFlagsArg);
  return processOptions(ce, cmd, ctx);
}

/** --start-daemon / --stop-daemon take master or backup (the two messages differ in ipvsadm). */
function daemonState(ce: CommandEntry, cmd: 'start-daemon' | 'stop-daemon', arg: string): void {
  if (arg !== 'master' && arg !== 'backup') {
    fail(cmd === 'start-daemon' ? 'illegal start-daemon parameter specified' : 'illegal start_daemon specified');
  }
  ce.daemon.state = arg;
}
