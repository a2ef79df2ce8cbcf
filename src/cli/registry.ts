// The command registry of `tsvs`: every command declares its name, a one-line
// summary, its options (typed, see options.ts), its positionals and its
// handler; help, usage errors and exit codes come from here for all of them.
//
// Adding a command: write src/cli/NAME.ts exporting
//   export const nameCommand = defineCommand({ name, summary, options, positionals, run });
// and list it in commands.ts. A command that parses its own argv (ipvsadm-style
// `tsvs admin`) is defineRawCommand: its handler gets argv untouched, even
// --help; `tsvs help NAME` still prints its registered help. Subcommands
// (`tsvs lab up`) are commands inside defineGroup.
//
// Exit status, for every command: 0 ok; 1 the command ran and failed; 2 usage.
import type { OptionSpecs, Values } from './options.js';

export const EXIT_OK = 0;
/** The command ran and failed: a bad lvs.cf in check, a router that cannot start, an unhealthy lab. */
export const EXIT_FAILURE = 1;
/** Bad arguments: the command did not run. */
export const EXIT_USAGE = 2;

/** Where a command writes: stdout and stderr, or a test's buffers. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

/**
 * Bad arguments found by a handler (e.g. options that contradict each other):
 * printed as a usage error, exit status 2. Say what was wanted, without the
 * `tsvs CMD:` prefix, which the registry adds.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Positional {
  /** As usage shows it: IN.pcap, TRACE. */
  name: string;
  help: string;
  optional?: true;
  choices?: readonly string[];
}

interface Described {
  name: string;
  /** One line for `tsvs --help`. */
  summary: string;
  /** The synopsis after `tsvs NAME`; generated from the options and positionals when left out. */
  usage?: string;
  /** More than the summary, for `tsvs NAME --help`. */
  description?: string;
}

export interface CommandArgs<O extends OptionSpecs> {
  values: Values<O>;
  positionals: string[];
  io: Io;
}

export interface CommandSpec<O extends OptionSpecs> extends Described {
  options?: O;
  positionals?: readonly Positional[];
  run(args: CommandArgs<O>): Promise<number> | number;
}

export interface ParsedCommand extends Described {
  kind: 'command';
  options: OptionSpecs;
  positionals: readonly Positional[];
  run(args: CommandArgs<OptionSpecs>): Promise<number> | number;
}

export interface RawCommand extends Described {
  kind: 'raw';
  run(argv: string[], io: Io): Promise<number> | number;
}

export interface Group extends Described {
  kind: 'group';
  commands: Command[];
}

export type Command = ParsedCommand | RawCommand | Group;

const RESERVED = new Set(['help', 'version']);

export function defineCommand<const O extends OptionSpecs = Record<never, never>>(spec: CommandSpec<O>): ParsedCommand {
  const options: OptionSpecs = spec.options ?? {};
  const shorts = new Set<string>();
  for (const [name, o] of Object.entries(options)) {
    // Programming errors, found by the tests that print every command's help.
    if (RESERVED.has(name) || o.short === 'h' || o.short === 'V') throw new Error(`tsvs ${spec.name}: --${name} clashes with --help/--version`);
    if (o.short && (o.short.length !== 1 || shorts.has(o.short))) throw new Error(`tsvs ${spec.name}: -${o.short} is not one free letter`);
    if (o.short) shorts.add(o.short);
  }
  return {
    kind: 'command',
    name: spec.name,
    summary: spec.summary,
    usage: spec.usage,
    description: spec.description,
    options,
    positionals: spec.positionals ?? [],
    run: spec.run as ParsedCommand['run'],
  };
}

export function defineRawCommand(spec: Described & { run: RawCommand['run'] }): RawCommand {
  return { kind: 'raw', ...spec };
}

export function defineGroup(spec: Described & { commands: Command[] }): Group {
  return { kind: 'group', ...spec };
}
