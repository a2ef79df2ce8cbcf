// The firewall-mark part of compileLvsCf: the rules of every `fwmark_rule` line
// (in file order), then those imported from `fwmark_rules_from` (in chain order).
// As iptables MARK does not end the chain, the classifier lets the last matching
// rule win, so an imported rule overrides an inline one for the packets both match.
import { dirname, isAbsolute, join } from 'node:path';
import type { MarkRule } from '../model/index.js';
import { findKey, findKeys, type LvsConfig } from './ast.js';
import { ConfigError } from './errors.js';
import { importIptablesSave } from './iptables-save.js';
import { readConfigText } from './read-file.js';
import { expandMarkSpec, type MarkSpec } from './mark-rule.js';
import type { NotActedOn } from './not-acted-on.js';

export interface CompileOptions {
  /** Reads a file the config names (fwmark_rules_from); defaults to readConfigText (regular files only, size-limited). */
  readFile?: (path: string) => string;
  /** Reads ha_key_file: its bytes and its mode bits; defaults to readConfigFileStat (compile-auth.ts). */
  readSecret?: (path: string) => { bytes: Uint8Array; mode: number };
}

export interface CompiledMarks {
  rules: MarkRule[];
  errors: ConfigError[];
  notes: NotActedOn[];
}

/** Where `fwmark_rules_from = VALUE` points: VALUE if absolute, else relative to the lvs.cf's directory. */
export function importPath(cfgFile: string, value: string): string {
  return isAbsolute(value) ? value : join(dirname(cfgFile), value);
}

export function compileMarks(cfg: LvsConfig, opts: CompileOptions): CompiledMarks {
  const rules = findKeys(cfg.items, 'fwmark_rule').flatMap((k) => expandMarkSpec(k.value as MarkSpec, `${cfg.file}:${k.line}`));
  const from = findKey(cfg.items, 'fwmark_rules_from');
  if (!from) return { rules, errors: [], notes: [] };
  const path = importPath(cfg.file, from.value as string);
  let text: string;
  try {
    text = (opts.readFile ?? readConfigText)(path);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    return { rules, errors: [new ConfigError('READ', cfg.file, from.line, `fwmark_rules_from: cannot read ${path} (${why})`)], notes: [] };
  }
  const imported = importIptablesSave(text, path);
  return { rules: [...rules, ...imported.rules], errors: imported.problems, notes: imported.notes };
}

/**
 * A rule whose mark no active firewall-mark virtual server uses changes nothing
 * (the packet falls through to the address services, as in IPVS); say so once
 * per rule line.
 */
export function unusedMarkNotes(rules: readonly MarkRule[], serviceMarks: ReadonlySet<number>, cfgFile: string): NotActedOn[] {
  const out: NotActedOn[] = [];
  const seen = new Set<string>();
  for (const r of rules) {
    if (serviceMarks.has(r.mark) || seen.has(r.origin)) continue;
    seen.add(r.origin);
    const at = r.origin.lastIndexOf(':');
    const file = r.origin.slice(0, at);
    const key = file === cfgFile ? 'fwmark_rule' : 'mangle PREROUTING';
    out.push({ key, file, line: Number(r.origin.slice(at + 1)), why: `no active virtual server has fwmark = ${r.mark}: the mark has no effect` });
  }
  return out;
}

/** NOTE for a firewall-mark virtual server that no rule can reach. */
export function unmatchedMarkWhy(mark: number): string {
  return `no rule sets mark ${mark}: the service can never match (add fwmark_rule or fwmark_rules_from)`;
}
