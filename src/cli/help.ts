// Help text generated from the registry: `tsvs --help`, `tsvs CMD --help`, and
// the one-line usage hint under a usage error.
import { argName, flagName, type OptionSpec } from './options.js';
import type { Command, ParsedCommand } from './registry.js';

/** Optional options beyond this many show as [options] in a generated synopsis. */
const SYNOPSIS_OPTIONS = 5;

export const EXIT_STATUS_HELP = `exit status (every command):
  0  ok
  1  failure: the command ran and failed (a bad lvs.cf in check, a router that
     cannot start, a lab that is not healthy, a replay that cannot read its capture)
  2  usage: bad arguments; the command did not run`;

function optionUsage(name: string, o: OptionSpec): string {
  const flag = o.short ? `-${o.short}` : `--${name}`;
  const arg = argName(o);
  return arg ? `${flag} ${arg}` : flag;
}

/** What follows `tsvs PATH` in a usage line. */
export function synopsis(cmd: Command): string {
  if (cmd.usage !== undefined) return cmd.usage;
  if (cmd.kind === 'group') return `<${cmd.commands.map((c) => c.name).join('|')}> [options]`;
  if (cmd.kind === 'raw') return '[arguments]';
  const parts: string[] = [];
  const optional: string[] = [];
  for (const [name, o] of Object.entries(cmd.options)) {
    if ('required' in o && o.required) parts.push(optionUsage(name, o));
    else optional.push(`[${optionUsage(name, o)}]${'repeatable' in o && o.repeatable ? '...' : ''}`);
  }
  for (const p of cmd.positionals) parts.push(p.optional ? `[${p.name}]` : p.name);
  parts.push(...(optional.length > SYNOPSIS_OPTIONS ? ['[options]'] : optional));
  return parts.join(' ');
}

function optionHelp(o: OptionSpec): string {
  let text = o.help;
  if (o.type === 'number' && (o.min !== undefined || o.max !== undefined)) {
    const whole = o.integer ? 'whole, ' : '';
    text += o.min !== undefined && o.max !== undefined ? ` (${whole}${o.min}-${o.max})` : o.min !== undefined ? ` (${whole}>= ${o.min})` : ` (${whole}<= ${o.max})`;
  } else if (o.type === 'number' && o.integer) text += ' (whole)';
  if ('required' in o && o.required) text += ' (required)';
  if ('repeatable' in o && o.repeatable) text += ' (repeatable)';
  const dflt = o.defaultText ?? ('default' in o && o.default !== undefined ? String(o.default) : undefined);
  if (dflt !== undefined) text += ` [${dflt}]`;
  return text;
}

function columns(rows: [string, string][]): string[] {
  const width = Math.min(30, Math.max(...rows.map(([l]) => l.length)));
  return rows.map(([l, r]) => (l.length > width ? `  ${l}\n  ${''.padEnd(width)}  ${r}` : `  ${l.padEnd(width)}  ${r}`));
}

function parsedHelp(path: string, cmd: ParsedCommand): string[] {
  const lines: string[] = [];
  if (cmd.positionals.length) {
    lines.push('', 'arguments:', ...columns(cmd.positionals.map((p) => [p.name, p.help + (p.optional ? ' (optional)' : '')])));
  }
  const opts: [string, string][] = Object.entries(cmd.options).map(([name, o]) => {
    const arg = argName(o);
    return [`${flagName(name, o)}${arg ? ` ${arg}` : ''}`, optionHelp(o)];
  });
  opts.push(['-h, --help', `this help (tsvs ${path} --help)`]);
  lines.push('', 'options:', ...columns(opts));
  return lines;
}

/** `tsvs PATH --help`. */
export function commandHelp(path: string, cmd: Command): string {
  const lines = [`usage: tsvs ${path} ${synopsis(cmd)}`.trimEnd(), '', cmd.description ?? cmd.summary];
  if (cmd.kind === 'group') {
    lines.push('', 'commands:', ...columns(cmd.commands.map((c) => [c.name, c.summary])), '', `tsvs ${path} COMMAND --help describes each.`);
  } else if (cmd.kind === 'command') lines.push(...parsedHelp(path, cmd));
  lines.push('', 'exit status: 0 ok, 1 failure (the command ran and failed), 2 usage (bad arguments)');
  return lines.join('\n') + '\n';
}

/** Every command with its full path: check, lab up, lab down, bench sched, ... */
export function flatten(commands: readonly Command[], prefix = ''): [string, Command][] {
  return commands.flatMap((c): [string, Command][] =>
    c.kind === 'group' ? flatten(c.commands, `${prefix}${c.name} `) : [[`${prefix}${c.name}`, c]],
  );
}

/** `tsvs --help`. */
export function topHelp(commands: readonly Command[]): string {
  const rows = flatten(commands).map(([path, c]): [string, string] => [path, c.summary]);
  return [
    'usage: tsvs <command> [options]',
    '',
    'tsvs, a userspace Linux Virtual Server. Commands:',
    ...columns(rows),
    '',
    'tsvs COMMAND --help (or tsvs help COMMAND) describes a command and its options;',
    'tsvs --version (-V) prints the version.',
    '',
    EXIT_STATUS_HELP,
  ].join('\n') + '\n';
}

/** The line under a usage error. */
export function usageHint(path: string, cmd: Command): string {
  return `usage: tsvs ${path} ${synopsis(cmd)}  (more: tsvs ${path} --help)`;
}
