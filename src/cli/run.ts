// Runs one tsvs command line against a registry: finds the command (through
// groups such as `lab up`), answers --help, help and --version, parses the
// arguments, runs the handler, and turns what goes wrong into one exit policy:
//   0 ok; 1 the command ran and failed (a handler's error, or the status it returns);
//   2 usage: bad arguments, printed as `tsvs CMD: what was wanted` and a usage line.
import { printable } from '../config/printable.js';
import { commandHelp, topHelp, usageHint } from './help.js';
import { parseCommandArgs } from './parse.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, processIo, UsageError, type Command, type Io } from './registry.js';
import { packageVersion } from './version.js';

const TOP_HINT = 'usage: tsvs <command> [options]  (more: tsvs --help)';
const isHelp = (a: string | undefined): boolean => a === '--help' || a === '-h' || a === 'help';

interface Found {
  cmd: Command;
  path: string;
  /** Index in argv of the command's own first argument. */
  next: number;
}

/**
 * The command that argv names from index `from`, or a usage message and the path
 * found so far. A group followed by help (or, for `tsvs help`, by nothing) is found itself.
 */
function find(commands: readonly Command[], argv: string[], from: number, forHelp = false): Found | { error: string; path: string; group?: Command } {
  let list = commands;
  let path = '';
  let group: Command | undefined;
  for (let i = from; ; i++) {
    const name = argv[i];
    const cmd = list.find((c) => c.name === name);
    if (!cmd) {
      const names = list.map((c) => c.name).join(', ');
      return { error: name === undefined ? `want a command: ${names}` : `unknown command "${name}" (commands: ${names})`, path, group };
    }
    path = path ? `${path} ${cmd.name}` : cmd.name;
    if (cmd.kind !== 'group' || isHelp(argv[i + 1]) || (forHelp && argv[i + 1] === undefined)) return { cmd, path, next: i + 1 };
    group = cmd;
    list = cmd.commands;
  }
}

function usage(io: Io, path: string, message: string, hint: string): number {
  io.err(`tsvs${path ? ` ${path}` : ''}: ${message}\n${hint}\n`);
  return EXIT_USAGE;
}

export async function runCli(commands: readonly Command[], argv: string[], io: Io = processIo): Promise<number> {
  const first = argv[0];
  if (first === undefined) {
    io.err(topHelp(commands));
    return EXIT_USAGE;
  }
  if (first === '--help' || first === '-h') {
    io.out(topHelp(commands));
    return EXIT_OK;
  }
  if (first === '--version' || first === '-V') {
    io.out(`tsvs ${packageVersion()}\n`);
    return EXIT_OK;
  }
  if (first === 'help') {
    if (argv.length === 1) {
      io.out(topHelp(commands));
      return EXIT_OK;
    }
    const f = find(commands, argv, 1, true);
    if ('error' in f) return usage(io, 'help', f.error, TOP_HINT);
    io.out(commandHelp(f.path, f.cmd));
    return EXIT_OK;
  }
  if (first.startsWith('-')) return usage(io, '', `unknown option ${first}`, TOP_HINT);
  const f = find(commands, argv, 0);
  if ('error' in f) return usage(io, f.path, f.error, f.group ? usageHint(f.path, f.group) : TOP_HINT);
  return execute(f.cmd, f.path, argv.slice(f.next), io);
}

async function execute(cmd: Command, path: string, args: string[], io: Io): Promise<number> {
  try {
    if (cmd.kind === 'raw') return await cmd.run(args, io);
    if (cmd.kind === 'group') {
      // Reached only as `tsvs GROUP --help`.
      io.out(commandHelp(path, cmd));
      return EXIT_OK;
    }
    const parsed = parseCommandArgs(cmd, args);
    if (parsed.help) {
      io.out(commandHelp(path, cmd));
      return EXIT_OK;
    }
    return await cmd.run({ values: parsed.values, positionals: parsed.positionals, io });
  } catch (e) {
    if (e instanceof UsageError) return usage(io, path, e.message, usageHint(path, cmd));
    io.err(`tsvs ${path}: ${printable(e instanceof Error ? e.message : String(e), true)}\n`);
    return EXIT_FAILURE;
  }
}
