// The kinds of option a tsvs command declares, what each one wants (for help
// and errors), and how a raw argument becomes a typed value. The registry
// (registry.ts) declares; parse.ts walks argv; this file knows the values.

interface Base {
  /** One letter: -c. */
  short?: string;
  /** What the option does, for --help. */
  help: string;
  /** The value's placeholder in usage and help: FILE, N, IFACE=MAC. */
  arg?: string;
  /** Shown in --help instead of the default value, e.g. "duration/3". */
  defaultText?: string;
}

export interface BooleanOption extends Base {
  type: 'boolean';
}

export interface StringOption extends Base {
  type: 'string';
  default?: string;
  required?: true;
  /** May be given more than once; the value is the list, in order. */
  repeatable?: true;
}

export interface NumberOption extends Base {
  type: 'number';
  /** Whole numbers only. */
  integer?: true;
  min?: number;
  max?: number;
  default?: number;
  required?: true;
}

export interface EnumOption<C extends string = string> extends Base {
  type: 'enum';
  choices: readonly C[];
  default?: C;
  required?: true;
}

/** Anything else: `parse` returns the value or throws an Error whose message says what it wants. */
export interface CustomOption<T = unknown> extends Base {
  type: 'custom';
  arg: string;
  /** What a good value looks like, for errors: "IFACE=MAC". */
  want: string;
  parse: (raw: string) => T;
  default?: T;
  required?: true;
  repeatable?: true;
}

export type OptionSpec = BooleanOption | StringOption | NumberOption | EnumOption | CustomOption;
export type OptionSpecs = Record<string, OptionSpec>;

type One<O> = O extends { type: 'boolean' } ? boolean
  : O extends { type: 'number' } ? number
  : O extends { type: 'enum'; choices: readonly (infer C)[] } ? C
  : O extends { type: 'custom'; parse: (raw: string) => infer T } ? T
  : string;

type ValueOf<O> = O extends { type: 'boolean' } ? boolean
  : O extends { repeatable: true } ? One<O>[]
  : O extends { default: unknown } ? One<O>
  : O extends { required: true } ? One<O>
  : One<O> | undefined;

/** The values a handler receives: booleans false when absent, repeatables [], others undefined unless defaulted. */
export type Values<O extends OptionSpecs> = { -readonly [K in keyof O]: ValueOf<O[K]> };

/** A bad value: the message says what was wanted; the parser adds the flag. */
export class ValueError extends Error {}

function range(o: NumberOption): string {
  const what = o.integer ? 'a whole number' : 'a number';
  if (o.min !== undefined && o.max !== undefined) return `${what} from ${o.min} to ${o.max}`;
  if (o.min !== undefined) return `${what}, at least ${o.min}`;
  if (o.max !== undefined) return `${what}, at most ${o.max}`;
  return what;
}

export function listWords(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** What an option's value must be, in words: "a whole number from 1 to 16", "auto, native or pcap". */
export function wants(o: OptionSpec): string {
  switch (o.type) {
    case 'boolean':
      return 'no value';
    case 'number':
      return range(o);
    case 'enum':
      return listWords(o.choices);
    case 'custom':
      return o.want;
    case 'string':
      return o.arg ?? 'a value';
  }
}

/** -c, --count: how help shows an option. */
export function flagName(name: string, o: OptionSpec): string {
  return o.short ? `-${o.short}, --${name}` : `--${name}`;
}

/** The placeholder of an option's value in usage lines. */
export function argName(o: OptionSpec): string {
  if (o.type === 'boolean') return '';
  if (o.arg) return o.arg;
  if (o.type === 'enum') return o.choices.join('|');
  return o.type === 'number' ? 'N' : 'VALUE';
}

// Decimal notation only: Number() would also take '', ' ', '0x10' and 'Infinity'.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A number written in decimal notation (1, -2.5, 1e6), else NaN. */
export function decimal(raw: string): number {
  return DECIMAL.test(raw.trim()) ? Number(raw) : NaN;
}

/** A raw argument as the option's value; throws ValueError saying what it wants. */
export function parseValue(o: OptionSpec, raw: string): unknown {
  switch (o.type) {
    case 'boolean':
      throw new ValueError('takes no value');
    case 'string':
      return raw;
    case 'number': {
      const n = decimal(raw);
      const ok = Number.isFinite(n) && (!o.integer || Number.isInteger(n)) && (o.min === undefined || n >= o.min) && (o.max === undefined || n <= o.max);
      if (!ok) throw new ValueError(`want ${range(o)}`);
      return n;
    }
    case 'enum':
      if (!o.choices.includes(raw)) throw new ValueError(`want ${listWords(o.choices)}`);
      return raw;
    case 'custom':
      try {
        return o.parse(raw);
      } catch (e) {
        throw new ValueError(e instanceof Error && e.message ? e.message : `want ${o.want}`);
      }
  }
}

/** The value of an option that was not given. */
export function absentValue(o: OptionSpec): unknown {
  if (o.type === 'boolean') return false;
  if ('repeatable' in o && o.repeatable) return [];
  return 'default' in o ? o.default : undefined;
}

/** Does a separate argument look like another option rather than a value? (-5 and - are values.) */
export function looksLikeOption(arg: string): boolean {
  return arg.length > 1 && arg.startsWith('-') && !DECIMAL.test(arg);
}
