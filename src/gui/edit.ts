// Form fields <-> lvs.cf. A panel is a list of keys of one scope (global, a
// virtual server, a real server); a form posts one text field per key. Each
// field is read with the parser's own value rules (parseValue), applied to the
// syntax tree with the writer's helpers (setKey keeps a line's raw text, comments
// and place when its value is unchanged), and the whole file is then compiled as
// `tsvs check` compiles it. Errors come back per field (by the key's line in the
// re-read file), so the page can show each beside its field; nothing is written
// unless there are none.
import {
  addBlock, addKey, blocks, compileLvsCf, ConfigErrors, findKey, findKeys, GLOBAL_WRITE_ORDER, keysOf, parseLvsCf, removeKey, removeLine, SERVER_WRITE_ORDER,
  setKey, setLine, VIRTUAL_WRITE_ORDER, writeLvsCf, type Block, type BlockType, type Item, type KeyLine, type LvsConfig, type NotActedOn, type Value,
} from '../config/index.js';
import { decodeEscapes, lexLine, quoteToken } from '../config/tokens.js';
import { parseValue, type KeySpec } from '../config/values.js';

export type Scope = 'global' | 'virtual' | 'server';
/** Field name -> message; '' holds errors that belong to no one field. */
export type FieldErrors = Record<string, string[]>;

export const ORDER: Record<Scope, readonly string[]> = { global: GLOBAL_WRITE_ORDER, virtual: VIRTUAL_WRITE_ORDER, server: SERVER_WRITE_ORDER };

export function addError(errs: FieldErrors, field: string, msg: string): void {
  (errs[field] ??= []).push(msg);
}

export const hasErrors = (errs: FieldErrors): boolean => Object.keys(errs).length > 0;

/** A parsed file, or a new empty one when the file is missing or empty (the tool works before any lvs.cf exists). */
export function readConfig(text: string, file: string): LvsConfig {
  if (text.trim() === '') return { file, items: [], trailing: text === '' ? [] : text.replace(/\n$/, '').split('\n') };
  return parseLvsCf(text, file);
}

/** The text a field shows for a key line: the file's value as typed after `=`. */
export function fieldText(spec: KeySpec<unknown>, line: KeyLine | undefined): string {
  if (!line) return '';
  if (spec.kind === 'string') {
    const v = line.args.join(' ');
    // send/expect hold \r\n: show them as the escapes one types.
    return spec.escapes ? v.replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!) : v;
  }
  if (spec.kind === 'list') return line.args.slice(1, -1).map((a) => quoteToken(a)).join(' ');
  return line.args.map((a) => quoteToken(a)).join(' ');
}

/** The tokens a field's text stands for, or an error message. */
function fieldArgs(spec: KeySpec<unknown>, text: string): string[] | string {
  if (spec.kind === 'string') return [spec.escapes ? decodeEscapes(text) : text];
  const lexed = lexLine(text);
  if ('error' in lexed) return lexed.error;
  if (lexed.comment !== null) return 'a value cannot hold # (quote it)';
  const args = lexed.tokens.map((t) => t.text);
  return spec.kind === 'list' ? ['[', ...args, ']'] : args;
}

/**
 * Applies the posted fields of `keys` to one block's items (or the top level):
 * an empty field removes the key (its default applies), any other is parsed as
 * the file's line would be. Returns the per-field errors of the values alone.
 */
/**
 * Keys edited one value per line: the repeatable ones (fwmark_rule), and
 * nat_router, which lvs.cf takes once per address family (IPv4 and IPv6).
 */
export function manyLines(scope: Scope, key: string, spec: KeySpec<unknown>): boolean {
  return spec.repeat === true || (scope === 'global' && key === 'nat_router');
}

export function applyFields(items: Item[], scope: Scope, keys: readonly string[], form: Record<string, string>): FieldErrors {
  const errs: FieldErrors = {};
  const table = keysOf(scope);
  for (const key of keys) {
    const spec = table[key];
    const text = (form[key] ?? '').trim();
    if (!spec) continue;
    if (manyLines(scope, key, spec)) {
      if (form[key] !== undefined) applyRepeated(items, scope, key, spec, form[key], errs);
      continue;
    }
    if (text === '') {
      removeKey(items, key);
      continue;
    }
    const args = fieldArgs(spec, text);
    if (typeof args === 'string') {
      addError(errs, key, args);
      continue;
    }
    const parsed = parseValue(key, spec, args);
    if ('code' in parsed) addError(errs, key, `${parsed.code}: ${parsed.message}`);
    else setKey(items, scope, key, parsed.value, ORDER[scope]);
  }
  return errs;
}

/**
 * A key of many lines (fwmark_rule), one value per line of the field: the file's
 * lines are changed in place (an unchanged one keeps its text and comments),
 * extra values are added after them and lines past the last value removed. Any
 * bad line refuses them all, with its line in the field.
 */
function applyRepeated(items: Item[], scope: Scope, key: string, spec: KeySpec<unknown>, text: string, errs: FieldErrors): void {
  const values: Value[] = [];
  text.split(/\r\n?|\n/).forEach((l, i) => {
    if (l.trim() === '') return;
    const args = fieldArgs(spec, l.trim());
    const parsed = typeof args === 'string' ? { code: 'BADARGUMENT', message: args } : parseValue(key, spec, args);
    if ('code' in parsed) addError(errs, key, `line ${i + 1}: ${parsed.code}: ${parsed.message}`);
    else values.push(parsed.value as Value);
  });
  if (errs[key]) return;
  const lines = findKeys(items, key);
  // setKey adds a line of a repeatable key but replaces one of any other (nat_router): add those.
  const add = (v: Value) => (spec.repeat ? setKey(items, scope, key, v, ORDER[scope]) : addKey(items, scope, key, v, ORDER[scope]));
  values.forEach((v, i) => (i < lines.length ? setLine(lines[i], scope, v) : add(v)));
  for (const line of lines.slice(values.length)) removeLine(items, line);
}

export function findVirtual(cfg: LvsConfig, name: string): Block | undefined {
  return blocks(cfg.items, 'virtual').find((b) => b.name === name);
}

export function findServer(vs: Block, name: string): Block | undefined {
  return blocks(vs.items, 'server').find((b) => b.name === name);
}

const NAME = /^[^\s{}#"'\\=[\]]{1,64}$/;

/**
 * Names a new or existing block; errors under the field `name`. Names are
 * written unquoted by Piranha, so blanks and the syntax characters are refused.
 */
export function nameBlock(items: Item[], type: BlockType, block: Block | null, name: string, errs: FieldErrors): Block | null {
  name = name.trim();
  if (!NAME.test(name)) {
    addError(errs, 'name', 'a name is 1 to 64 characters without blanks or any of { } # " \' \\ = [ ]');
    return null;
  }
  const other = blocks(items, type).find((b) => b.name === name);
  if (other && other !== block) {
    addError(errs, 'name', `there is already a ${type} named ${name}`);
    return null;
  }
  if (!block) return addBlock(items, type, name);
  if (block.name !== name) {
    block.name = name;
    block.raw = null;
  }
  return block;
}

/** Flips `active` of a virtual or real server. */
export function toggleActive(items: Item[], scope: 'virtual' | 'server'): boolean {
  const now = findKey(items, 'active')?.value === true;
  setKey(items, scope, 'active', !now, ORDER[scope]);
  return !now;
}

/** serial_no + 1, as the Piranha GUI does on every accepted change. */
export function bumpSerial(cfg: LvsConfig): number {
  const cur = findKey(cfg.items, 'serial_no')?.value;
  const next = (typeof cur === 'number' ? cur : 0) + 1;
  setKey(cfg.items, 'global', 'serial_no', next, GLOBAL_WRITE_ORDER);
  return next;
}

/** The form field that holds a block's check blocks as lvs.cf text. */
export const CHECKS_FIELD = 'check_blocks';

/** A virtual or server block's check blocks as lvs.cf text (the field's value), comments included. */
export function checkBlocksText(items: readonly Item[]): string {
  const text = blocks(items, 'check').map((b) => writeLvsCf({ file: '', items: [b], trailing: [] })).join('').replace(/^\n+/, '');
  // Shown from column 0: the block's own indentation in the file is taken off (and put back on ACCEPT).
  const lines = text.split('\n');
  const cut = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length));
  return Number.isFinite(cut) ? lines.map((l) => l.slice(Math.min(cut, /^[ \t]*/.exec(l)![0].length))).join('\n') : text;
}

/**
 * Replaces a virtual's or a server's check blocks with those of `text` (lvs.cf
 * syntax: `check KIND { ... }` blocks and comments, nothing else), where the first
 * old one was or else at the end; empty text removes them. The text is parsed as
 * the file is, so a key a check kind does not take is refused as `tsvs check`
 * refuses it. Errors go to CHECKS_FIELD with their line in the field; nothing
 * changes then.
 */
export function applyCheckBlocks(items: Item[], scope: 'virtual' | 'server', text: string, errs: FieldErrors): void {
  // Parsed inside a block of its scope (a server inside a virtual), as in the file.
  const open = scope === 'virtual' ? ['virtual v {'] : ['virtual v {', 'server s {'];
  // Indented as the block's place in the file wants: the lines keep their text as typed.
  const pad = '    '.repeat(open.length);
  const body = text.replace(/\r\n?/g, '\n').split('\n').map((l) => (l.trim() === '' ? '' : pad + l)).join('\n');
  const wrapped = `${open.join('\n')}\n${body}\n${open.map(() => '}').join('\n')}\n`;
  const at = (line: number) => `line ${Math.max(1, line - open.length)}`;
  let outer: Item[];
  try {
    outer = parseLvsCf(wrapped, CHECKS_FIELD).items;
  } catch (e) {
    if (!(e instanceof ConfigErrors)) throw e;
    for (const err of e.errors) addError(errs, CHECKS_FIELD, `${at(err.line)}: ${err.code}: ${err.message}`);
    return;
  }
  let inner = blocks(outer, 'virtual')[0]?.items ?? [];
  if (scope === 'server') inner = blocks(inner, 'server')[0]?.items ?? [];
  const other = inner.find((i) => !(i.kind === 'block' && i.type === 'check'));
  if (other) {
    addError(errs, CHECKS_FIELD, `${at(other.line)}: only check blocks belong here (check KIND { ... }); other keys have fields of their own`);
    return;
  }
  const first = items.findIndex((i) => i.kind === 'block' && i.type === 'check');
  const keep = items.filter((i) => !(i.kind === 'block' && i.type === 'check'));
  const where = first < 0 ? keep.length : items.slice(0, first).filter((i) => !(i.kind === 'block' && i.type === 'check')).length;
  keep.splice(where, 0, ...inner);
  items.splice(0, items.length, ...keep);
}

/** Where a field of the edited block is, to map an error's line back to it. */
export interface Target {
  scope: Scope;
  virtual?: string;
  server?: string;
}

function targetItems(cfg: LvsConfig, t: Target): Item[] | null {
  if (t.scope === 'global') return cfg.items;
  const vs = t.virtual === undefined ? undefined : findVirtual(cfg, t.virtual);
  if (!vs) return null;
  if (t.scope === 'virtual') return vs.items;
  return (t.server === undefined ? undefined : findServer(vs, t.server))?.items ?? null;
}

export interface Validated {
  text: string;
  errors: FieldErrors;
  notActedOn: NotActedOn[];
}

/**
 * Writes the tree, reads the text back and compiles it as `tsvs check` does.
 * Each error on a key line of the edited block goes to that key's field, the
 * rest (an error about the block as a whole, or about another block) to ''.
 */
export function validate(cfg: LvsConfig, target: Target): Validated {
  const text = writeLvsCf(cfg);
  const errors: FieldErrors = {};
  try {
    const back = readConfig(text, cfg.file);
    const { notActedOn } = compileLvsCf(back);
    return { text, errors, notActedOn };
  } catch (e) {
    if (!(e instanceof ConfigErrors)) throw e;
    let byLine = new Map<number, string>();
    try {
      const items = targetItems(parseLvsCf(text, cfg.file), target) ?? [];
      byLine = new Map(items.filter((i): i is KeyLine => i.kind === 'key').map((k) => [k.line, k.key]));
      // Every line of a check block is the check blocks' field's.
      for (const b of blocks(items, 'check')) for (let l = b.line; l <= b.close.line; l++) byLine.set(l, CHECKS_FIELD);
    } catch {
      // A syntax error: every message goes to ''.
    }
    for (const err of e.errors) addError(errors, byLine.get(err.line) ?? '', `${err.code}: ${err.message}`);
    return { text, errors, notActedOn: [] };
  }
}

/** Lines of the file -> why the key there is not acted on, from the compiler (as `tsvs check` lists them). */
export function notActedOnByLine(text: string, file: string): Map<number, string> {
  try {
    return new Map(compileLvsCf(readConfig(text, file)).notActedOn.map((n) => [n.line, n.why]));
  } catch {
    return new Map();
  }
}
