// A command's argv into typed values. node:util's parseArgs splits argv into
// tokens (long and short options, -c5 and --count=5, short groups, `--`); it
// runs non-strict so that it never throws its own messages, and every check
// is made here, each failing with a one-line UsageError that names the flag
// as the user typed it and says what it wants.
import { parseArgs } from 'node:util';
import { absentValue, listWords, looksLikeOption, parseValue, ValueError, wants } from './options.js';
import { UsageError, type ParsedCommand } from './registry.js';

export type ParsedArgs = { help: true } | { help: false; values: Record<string, unknown>; positionals: string[] };

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

function tokenize(cmd: ParsedCommand, argv: string[]): Token[] {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(cmd.options)) {
    config[name] = o.short ? { type: o.type === 'boolean' ? 'boolean' : 'string', short: o.short } : { type: o.type === 'boolean' ? 'boolean' : 'string' };
  }
  return parseArgs({ args: argv, options: config, strict: false, allowPositionals: true, tokens: true }).tokens ?? [];
}

/** A value as an error shows it: quoted when empty or holding spaces. */
const shown = (v: string): string => (v === '' || /\s/.test(v) ? JSON.stringify(v) : v);

export function parseCommandArgs(cmd: ParsedCommand, argv: string[]): ParsedArgs {
  const tokens = tokenize(cmd, argv);
  // --help wins over anything else on the line (before a `--`).
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return { help: true };
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') positionals.push(t.value);
    if (t.kind !== 'option') continue;
    const o = Object.hasOwn(cmd.options, t.name) ? cmd.options[t.name] : undefined;
    if (!o) throw new UsageError(`unknown option ${t.rawName}`);
    if (o.type === 'boolean') {
      if (t.value !== undefined) throw new UsageError(`${t.rawName} takes no value`);
      values[t.name] = true;
      continue;
    }
    if (t.value === undefined || (!t.inlineValue && looksLikeOption(t.value))) {
      throw new UsageError(`${t.rawName} needs a value: ${wants(o)}`);
    }
    let v: unknown;
    try {
      v = parseValue(o, t.value);
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      throw new UsageError(`${t.rawName} ${shown(t.value)}: ${e.message}`);
    }
    if ('repeatable' in o && o.repeatable) ((values[t.name] ??= []) as unknown[]).push(v);
    else values[t.name] = v;
  }
  for (const [name, o] of Object.entries(cmd.options)) {
    if (name in values) continue;
    if ('required' in o && o.required) {
      throw new UsageError(`${o.short ? `-${o.short}` : `--${name}`} ${o.arg ?? ''}`.trimEnd() + ` is required (${o.help})`);
    }
    values[name] = absentValue(o);
  }
  checkPositionals(cmd, positionals);
  return { help: false, values, positionals };
}

function checkPositionals(cmd: ParsedCommand, got: string[]): void {
  const want = cmd.positionals;
  if (got.length > want.length) throw new UsageError(`unexpected argument "${got[want.length]}"`);
  want.forEach((p, i) => {
    if (i >= got.length) {
      if (!p.optional) throw new UsageError(`missing ${p.name} (${p.help})`);
      return;
    }
    if (p.choices && !p.choices.includes(got[i])) throw new UsageError(`"${got[i]}": want ${listWords(p.choices)} (${p.help})`);
  });
}
