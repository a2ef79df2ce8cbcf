// The lvs.cf syntax tree. It keeps everything the file says: every key with its
// tokens, typed value, line and raw text, the comment and blank lines before each
// item, and the block structure, so that writeLvsCf() can give the file back as it
// was and lvsCfFromTable() can change a few keys without disturbing the rest.
// Typed views with defaults (globalSettings(), ...) are computed from the tree on
// demand, so an edit of the tree can never leave a stale copy behind.
import {
  CHECK_KEYS,
  GLOBAL_KEYS,
  SERVER_KEYS,
  VIRTUAL_KEYS,
  type BlockType,
  type CheckKind,
  type CheckSettings,
  type GlobalSettings,
  type KeyTable,
  type ServerSettings,
  type VirtualSettings,
} from './keys.js';
import type { Value } from './values.js';

export interface KeyLine {
  readonly kind: 'key';
  readonly key: string;
  /** Decoded tokens after `=` (quotes removed, escapes applied). */
  args: string[];
  /** Typed value (see keys.ts for each key's type). */
  value: Value;
  /** 1-based line in the file it was read from; 0 for a key added by code. */
  line: number;
  /** The line as read (without newline); null once the key was changed by code. */
  raw: string | null;
  /** Trailing `# comment` of the line, kept when the line is rewritten. */
  inlineComment: string | null;
  /** Comment and blank lines just before this line, as read. */
  comments: string[];
}

export interface Block {
  readonly kind: 'block';
  readonly type: BlockType;
  /** The block's name; for a `check` block its KIND (tcp, http, ...). */
  name: string;
  line: number;
  raw: string | null;
  inlineComment: string | null;
  comments: string[];
  items: Item[];
  /** The closing `}`: its line, raw text and the comment lines before it. */
  close: { line: number; raw: string | null; comments: string[] };
}

export type Item = KeyLine | Block;

export interface LvsConfig {
  /** File name used in error messages (`lvs.cf:12: ...`). */
  file: string;
  items: Item[];
  /** Comment and blank lines after the last item. */
  trailing: string[];
}

export function keyLines(items: readonly Item[]): KeyLine[] {
  return items.filter((i): i is KeyLine => i.kind === 'key');
}

export function blocks(items: readonly Item[], type: BlockType): Block[] {
  return items.filter((i): i is Block => i.kind === 'block' && i.type === type);
}

export function findKey(items: readonly Item[], key: string): KeyLine | undefined {
  return items.find((i): i is KeyLine => i.kind === 'key' && i.key === key);
}

/** Every line of `key` in file order (a repeatable key such as fwmark_rule has many). */
export function findKeys(items: readonly Item[], key: string): KeyLine[] {
  return items.filter((i): i is KeyLine => i.kind === 'key' && i.key === key);
}

function settingsOf<T>(items: readonly Item[], table: KeyTable): T {
  const out: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(table)) {
    out[k] = spec.repeat ? findKeys(items, k).map((l) => l.value) : findKey(items, k)?.value ?? spec.def;
  }
  return out as T;
}

/** Every global key, typed, with Piranha's default where the file is silent. */
export function globalSettings(cfg: LvsConfig): GlobalSettings {
  return settingsOf(cfg.items, GLOBAL_KEYS);
}

/** Every key of a virtual (or failover) block, typed, with defaults. */
export function virtualSettings(block: Block): VirtualSettings {
  return settingsOf(block.items, VIRTUAL_KEYS);
}

/**
 * Every key of a server block, typed, with defaults. `port` defaults to the
 * virtual server's port; for a firewall-mark virtual to 0 (keep the packet's
 * port), because there the virtual's port is only nanny's check port.
 * (Piranha copies the virtual's port at the `server` line, so a `port` written
 * after the server blocks does not reach them; tsvs uses the virtual's final port.)
 */
export function serverSettings(block: Block, virtual: VirtualSettings): ServerSettings {
  const s = settingsOf<ServerSettings & { port: number | null }>(block.items, SERVER_KEYS);
  return { ...s, port: s.port ?? (virtual.fwmark ? 0 : virtual.port) };
}

/**
 * Every key of a `check KIND {}` block, typed, with the kind's defaults. Defaults
 * that depend on the virtual server (delay_loop, alpha, inhibit_on_failure) are
 * null here; compileLvsCf resolves them.
 */
export function checkSettings<K extends CheckKind>(block: Block, kind: K): CheckSettings<K> {
  return settingsOf(block.items, CHECK_KEYS[kind]);
}
