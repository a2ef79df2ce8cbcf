// Form fields <-> lvs.cf. A panel is a list of keys of one scope (global, a
// virtual server, a real server); a form posts one text field per key. Each
// field is read with the parser's own value rules (parseValue), applied to the
// syntax tree with the writer's helpers (setKey keeps a line's raw text, comments
// and place when its value is unchanged), and the whole file is then compiled as
// `tsvs check` compiles it. Errors come back per field (by the key's line in the
// re-read file), so the page can show each beside its field; nothing is written
// unless there are none.
import {
  addBlock, blocks, compileLvsCf, ConfigErrors, findKey, GLOBAL_WRITE_ORDER, keysOf, parseLvsCf, removeKey, SERVER_WRITE_ORDER, setKey,
  VIRTUAL_WRITE_ORDER, writeLvsCf, type Block, type BlockType, type Item, type KeyLine, type LvsConfig, type NotActedOn,
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
export function applyFields(items: Item[], scope: Scope, keys: readonly string[], form: Record<string, string>): FieldErrors {
  const errs: FieldErrors = {};
  const table = keysOf(scope);
  for (const key of keys) {
    const spec = table[key];
    const text = (form[key] ?? '').trim();
    if (!spec || spec.repeat) continue;
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
