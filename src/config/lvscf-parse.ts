// lvs.cf parser (Piranha format). Line based like Piranha's getNextToks(): a line
// is blank/comment, `key = value...`, `virtual|failover NAME {`, `server NAME {`,
// tsvs's `check KIND {` (inside virtual or server, keys.ts) or `}`. Unlike
// Piranha, which returns at the first bad line, it records every error and goes
// on, then throws them together as ConfigErrors, so one run of `tsvs check` lists
// all the mistakes of a file.
import { ConfigError, ConfigErrors, type ConfigErrorCode } from './errors.js';
import { findKey, findKeys, type Block, type Item, type KeyLine, type LvsConfig } from './ast.js';
import { CHECK_KEYS, CHECK_KINDS, GLOBAL_KEYS, SERVER_KEYS, VIRTUAL_KEYS, isCheckKind, keysOf, type BlockType, type KeyTable } from './keys.js';
import { decodeEscapes, lexLine, type Token } from './tokens.js';
import { parseValue, type IpDev } from './values.js';

/** Piranha's LVS_MAX_TOKENS: the tokenizer holds at most 100 words per line. */
const MAX_TOKENS = 100;
const BLOCK_WORDS = new Set(['virtual', 'failover', 'server', 'check']);

type Err = (line: number, code: ConfigErrorCode, msg: string) => void;

interface Open {
  readonly type: 'global' | BlockType;
  readonly block: Block | null;
  /** The keys allowed here (a check block's depend on its KIND). */
  readonly table: KeyTable;
  readonly items: Item[];
  /** The first block of each type and name among `items` ("server web1"): a duplicate is found without a scan. */
  readonly named: Map<string, Block>;
}

/**
 * Parses lvs.cf text. Returns the syntax tree, or throws ConfigErrors holding
 * every error of the file (each with its code, file and line).
 */
export function parseLvsCf(text: string, file: string): LvsConfig {
  const cfg: LvsConfig = { file, items: [], trailing: [] };
  const errors: ConfigError[] = [];
  const err = (line: number, code: ConfigErrorCode, msg: string) => errors.push(new ConfigError(code, file, line, msg));
  // Piranha's lvsParseConfig() refuses a zero-length file ("Empty configuration").
  if (text.length === 0) throw new ConfigErrors([new ConfigError('EMPTY', file, 0, 'the file is empty')]);

  // A UTF-8 byte-order mark (editors on Windows write one) is not part of the first key.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const stack: Open[] = [{ type: 'global', block: null, table: keysOf('global'), items: cfg.items, named: new Map() }];
  let pending: string[] = [];

  lines.forEach((raw, index) => {
    const line = index + 1;
    const lexed = lexLine(raw);
    if ('error' in lexed) return err(line, 'BADQUOTING', lexed.error);
    const toks = lexed.tokens;
    if (toks.length === 0) return void pending.push(raw);
    if (toks.length > MAX_TOKENS) return err(line, 'TOOMANYARGS', `${toks.length} words on one line; at most ${MAX_TOKENS} are allowed`);
    const top = stack[stack.length - 1];
    const first = toks[0];

    if (!first.quoted && first.text === '}') {
      if (toks.length > 1) err(line, 'EXTRAARGS', `unexpected "${toks[1].text}" after "}"`);
      if (!top.block) return err(line, 'BADCOMMAND', 'unexpected "}" outside a block');
      top.block.close = { line, raw, comments: pending };
      pending = [];
      stack.pop();
      if (top.type === 'check') closeCheck(top.block, err);
      return;
    }

    const words = splitEquals(toks);
    if (!first.quoted && BLOCK_WORDS.has(first.text) && !isEquals(words[1])) {
      const block = openBlock(first.text as BlockType, toks, top, line, raw, lexed.comment, pending, err);
      pending = [];
      if (block) stack.push({ type: block.type, block, table: keysOf(block.type, block.name), items: block.items, named: new Map() });
      return;
    }

    const key = first.quoted ? `"${first.text}"` : words[0].text;
    const table = top.table;
    if (first.quoted || !Object.hasOwn(table, key)) return err(line, 'BADCOMMAND', unknownKey(key, top.type, top.block?.name));
    if (!isEquals(words[1])) return err(line, 'EQUALEXPECTED', `"=" expected after ${key}`);
    // nanny decodes escapes in send/expect whether or not they were quoted (convert_str).
    const args = words.slice(2).map((t) => (!t.quoted && table[key].escapes ? decodeEscapes(t.text) : t.text));
    const parsed = parseValue(key, table[key], args);
    if ('code' in parsed) return err(line, parsed.code, parsed.message);
    const earlier = table[key].repeat ? undefined : key === 'nat_router' ? sameFamily(top.items, parsed.value as IpDev) : findKey(top.items, key);
    if (earlier) return err(line, 'DUPLICATE', `${key} is already set at line ${earlier.line}${key === 'nat_router' ? ` (one nat_router per address family)` : ''}`);
    top.items.push({ kind: 'key', key, args, value: parsed.value, line, raw, inlineComment: lexed.comment, comments: pending });
    pending = [];
  });

  for (const open of stack.slice(1)) {
    const b = open.block!;
    err(b.line, 'EOF', `${b.type} ${b.name} {, opened here, is never closed`);
  }
  cfg.trailing = pending;
  if (errors.length) throw new ConfigErrors(errors);
  return cfg;
}

/** nat_router may be given twice: once with an IPv4 address, once with an IPv6 one. */
function sameFamily(items: readonly Item[], v: IpDev): KeyLine | undefined {
  return findKeys(items, 'nat_router').find((k) => ((k.value as IpDev).address6 === undefined) === (v.address6 === undefined));
}

function openBlock(
  type: BlockType,
  toks: Token[],
  top: Open,
  line: number,
  raw: string,
  inlineComment: string | null,
  comments: string[],
  err: Err,
): Block | null {
  // A name may be quoted (`virtual "web 1" {`); a bare `{` in its place means no name.
  const name = toks[1] && (toks[1].quoted || toks[1].text !== '{') ? toks[1].text : undefined;
  const brace = toks[2];
  const opens = toks[toks.length - 1].text === '{' && !toks[toks.length - 1].quoted;
  if (name === undefined || !brace || brace.text !== '{' || brace.quoted) {
    err(line, 'MISSINGARGS', `expected "${type} NAME {"`);
  } else if (toks.length > 3) {
    err(line, 'EXTRAARGS', `unexpected "${toks[3].text}" after "${type} ${name} {"`);
  }
  const placed =
    type === 'server' ? top.type === 'virtual' || top.type === 'failover' : type === 'check' ? top.type === 'virtual' || top.type === 'server' : top.type === 'global';
  if (!placed) {
    const where = top.type === 'global' ? 'at the top level' : `inside a ${top.type} block`;
    err(line, 'BADCOMMAND',
      type === 'server' ? 'a server block belongs inside a virtual block'
        : type === 'check' ? `a check block belongs inside a virtual or server block, not ${where}`
          : `a ${type} block cannot be inside a ${top.type} block`);
  } else if (type === 'check') {
    // Several checks of one kind are fine (two URLs, say): no duplicate test.
    if (name !== undefined && !isCheckKind(name)) err(line, 'BADARGUMENT', `check "${name}" is not one of ${CHECK_KINDS.join(', ')}`);
  } else if (name !== undefined) {
    const twin = top.named.get(`${type} ${name}`);
    if (twin) err(line, 'DUPLICATE', `${type} ${name} is already defined at line ${twin.line}`);
  }
  // Open the block even after an error, so that its `}` does not close the parent.
  if (!opens) return null;
  const block: Block = {
    kind: 'block',
    type,
    name: name ?? '',
    line,
    raw,
    inlineComment,
    comments,
    items: [],
    close: { line: 0, raw: null, comments: [] },
  };
  top.items.push(block);
  if (!top.named.has(`${type} ${block.name}`)) top.named.set(`${type} ${block.name}`, block);
  return block;
}

/** Accepts `key=value`, `key= value` and `key =value` as Piranha's `key = value`. */
function splitEquals(toks: Token[]): Token[] {
  const [a, b, ...rest] = toks;
  const eq: Token = { text: '=', quoted: false };
  if (!a.quoted && a.text.includes('=') && a.text !== '=') {
    const at = a.text.indexOf('=');
    const after = a.text.slice(at + 1);
    return [{ text: a.text.slice(0, at), quoted: false }, eq, ...(after ? [{ text: after, quoted: false }] : []), ...(b ? [b] : []), ...rest];
  }
  if (b && !b.quoted && b.text.startsWith('=') && b.text.length > 1) return [a, eq, { text: b.text.slice(1), quoted: false }, ...rest];
  return toks;
}

function isEquals(t: Token | undefined): boolean {
  return t !== undefined && !t.quoted && t.text === '=';
}

function unknownKey(key: string, scope: 'global' | BlockType, name: string | undefined): string {
  const where = scope === 'global' ? 'at the top level' : scope === 'check' ? `in a check ${name} block` : `in a ${scope} block`;
  if (scope === 'check') {
    const kinds = CHECK_KINDS.filter((k) => Object.hasOwn(CHECK_KEYS[k], key));
    if (kinds.length) return `${key} is not a key of check ${name} (it belongs to check ${kinds.join(', ')})`;
  }
  const elsewhere = [
    ['global (top-level)', GLOBAL_KEYS],
    ['virtual', VIRTUAL_KEYS],
    ['server', SERVER_KEYS],
    ['check block (check KIND { ... })', keysOf('check')],
  ].find(([, t]) => Object.hasOwn(t as object, key));
  return elsewhere ? `${key} is a ${elsewhere[0]} key, not valid ${where}` : `unknown key ${key} ${where}`;
}

/** What one check block needs as a whole, checked at its `}`. */
function closeCheck(block: Block, err: Err): void {
  if (block.name === 'misc' && !findKey(block.items, 'path')) {
    err(block.line, 'MISSINGKEY', 'check misc needs path = "COMMAND" (the program to run; %h and %p are the address and port)');
  }
  const min = findKey(block.items, 'min_reply_length');
  const max = findKey(block.items, 'max_reply_length');
  const lo = (min?.value as number | undefined) ?? 0;
  const hi = (max?.value as number | undefined) ?? 255;
  if (block.name === 'udp' && lo > hi) err((max ?? min)!.line, 'RANGE', `max_reply_length ${hi} is less than min_reply_length ${lo}`);
}
