// Writes an lvs.cf syntax tree back to text. Lines that were read and not changed
// are written exactly as read (raw), with the comment and blank lines around
// them, so `parse -> write` gives the same file and `parse -> write -> parse`
// gives the same tree. Lines added or changed by code are generated in the GUI's
// layout (`key = value`, one level of indentation per block) and take the
// indentation of their neighbours when there are any.
import { findKey, type Block, type Item, type KeyLine, type LvsConfig } from './ast.js';
import { keysOf, type BlockType, type KeyTable } from './keys.js';
import { quoteToken } from './tokens.js';
import { formatValue, type Value } from './values.js';

export function writeLvsCf(cfg: LvsConfig): string {
  const out: string[] = [];
  writeItems(cfg.items, keysOf('global'), 0, out);
  out.push(...cfg.trailing);
  return out.length ? `${out.join('\n')}\n` : '';
}

/** Writes the items of one level; blocks of any depth (check blocks inside server blocks) recurse. */
function writeItems(items: readonly Item[], table: KeyTable, depth: number, out: string[]): void {
  const indent = indentOf(items, depth);
  for (const item of items) {
    out.push(...item.comments);
    if (item.kind === 'key') {
      out.push(item.raw ?? withComment(`${indent}${item.key} = ${formatArgs(table, item)}`, item.inlineComment));
      continue;
    }
    out.push(item.raw ?? withComment(`${indent}${item.type} ${quoteToken(item.name)} {`, item.inlineComment));
    writeItems(item.items, keysOf(item.type, item.name), depth + 1, out);
    out.push(...item.close.comments);
    out.push(item.close.raw ?? `${indent}}`);
  }
}

function formatArgs(table: KeyTable, item: KeyLine): string {
  const spec = table[item.key];
  if (spec?.kind === 'list') return ['[', ...item.args.slice(1, -1).map((a) => quoteToken(a)), ']'].join(' ');
  return item.args.map((a) => quoteToken(a, spec?.quote)).join(' ');
}

function withComment(text: string, comment: string | null): string {
  return comment ? `${text} ${comment}` : text;
}

/** Indentation of generated lines: that of a sibling read from the file, else 4 spaces per level. */
function indentOf(items: readonly Item[], depth: number): string {
  for (const i of items) if (i.raw !== null) return /^[ \t]*/.exec(i.raw)![0];
  return '    '.repeat(depth);
}

// --- Editing helpers (used by lvsCfFromTable; usable by the web tool) ---------

/**
 * Sets `key` in a block (or at the top level) to `value`. An existing line is
 * changed in place and keeps its comments (and its raw text if the value is the
 * same); a new line goes after the last key that precedes it in `order` and
 * before any sub-block, as the GUI would write it. A repeatable key
 * (fwmark_rule) gets one more line instead (addKey).
 */
export function setKey(items: Item[], scope: 'global' | BlockType, key: string, value: Value, order: readonly string[]): KeyLine {
  const spec = keysOf(scope)[key];
  if (!spec) throw new Error(`${key} is not a ${scope} key`);
  const existing = findKey(items, key);
  if (existing && !spec.repeat) return setLine(existing, scope, value);
  return addKey(items, scope, key, value, order);
}

/** Changes the value of one key line in place; an unchanged value keeps the raw text. */
export function setLine(line: KeyLine, scope: 'global' | BlockType, value: Value): KeyLine {
  if (JSON.stringify(line.value) !== JSON.stringify(value)) {
    line.value = value;
    line.args = formatValue(keysOf(scope)[line.key], value);
    line.raw = null;
  }
  return line;
}

/**
 * Adds a new `key` line after the last key that precedes it in `order` (for a
 * repeatable key such as fwmark_rule: after its last line), before any sub-block.
 */
export function addKey(items: Item[], scope: 'global' | BlockType, key: string, value: Value, order: readonly string[]): KeyLine {
  const spec = keysOf(scope)[key];
  if (!spec) throw new Error(`${key} is not a ${scope} key`);
  const line: KeyLine = { kind: 'key', key, args: formatValue(spec, value), value, line: 0, raw: null, inlineComment: null, comments: [] };
  const rank = order.indexOf(key);
  let at = 0;
  items.forEach((item, i) => {
    if (item.kind === 'key' && order.indexOf(item.key) <= rank) at = i + 1;
  });
  const firstBlock = items.findIndex((i) => i.kind === 'block');
  if (firstBlock >= 0 && firstBlock < at) at = firstBlock;
  // A new first line takes over the comments that opened the block (a file header).
  if (at === 0 && items[0]) [line.comments, items[0].comments] = [items[0].comments, []];
  items.splice(at, 0, line);
  return line;
}

/** Removes `key` if present (its first line); its comment lines stay, on the item that follows. */
export function removeKey(items: Item[], key: string): void {
  const line = items.find((i) => i.kind === 'key' && i.key === key);
  if (line) removeItem(items, line);
}

/** Removes one item; its comment lines stay, on the item that follows. */
function removeItem(items: Item[], item: Item): void {
  const at = items.indexOf(item);
  if (at < 0) return;
  items.splice(at, 1);
  if (items[at]) items[at].comments = [...item.comments, ...items[at].comments];
}

/** Removes one line of a repeatable key (fwmark_rule); its comments stay, as with removeKey. */
export function removeLine(items: Item[], line: KeyLine): void {
  removeItem(items, line);
}

/** Appends a new empty block after the last block of its type (or at the end). */
export function addBlock(items: Item[], type: BlockType, name: string): Block {
  const block: Block = { kind: 'block', type, name, line: 0, raw: null, inlineComment: null, comments: [''], items: [], close: { line: 0, raw: null, comments: [] } };
  let at = items.length;
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i];
    if (it.kind === 'block' && it.type === type) {
      at = i + 1;
      break;
    }
  }
  items.splice(at, 0, block);
  return block;
}

/** Removes a block; its leading comment lines go with it. */
export function removeBlock(items: Item[], block: Block): void {
  const at = items.indexOf(block);
  if (at >= 0) items.splice(at, 1);
}
