// Imports firewall-mark rules from `iptables-save` output (lvs.cf:
// `fwmark_rules_from = FILE`), so that a Piranha router's existing rules, such as
// the Red Hat guide's
//   iptables -t mangle -A PREROUTING -p tcp -d n.n.n.n/32 --dport 80 -j MARK --set-mark 80
// (saved as `-A PREROUTING -d n.n.n.n/32 -p tcp -m tcp --dport 80 -j MARK
// --set-xmark 0x50/0xffffffff`), drive tsvs's classifier unchanged.
//
// What is read: the MARK rules of the mangle table's PREROUTING chain, whose
// matches are -p tcp|udp|all, -d ADDR[/MASK], --dport P[:Q], -m multiport --dports
// a,b:c, -m tcp|udp, -m comment and -i (not checked). Nothing is dropped silently:
// - a rule tsvs would reproduce wrongly is a problem (a ConfigError with its line):
//   a source match, a negation, another match module, a partial mask, a target
//   ahead of a MARK rule that could stop the chain, marks set elsewhere before
//   IPVS sees the packet (PREROUTING or INPUT of another table);
// - what does not change the mark IPVS sees is a note: other tables and chains
//   (one note), rules elsewhere that match marks or set them after IPVS
//   (FORWARD, OUTPUT, POSTROUTING), and harmless targets such as LOG.
import type { MarkRule } from '../model/index.js';
import { ConfigError, type ConfigErrorCode } from './errors.js';
import { readRule, tokenize, type IptRule } from './iptables-rule.js';
import type { NotActedOn } from './not-acted-on.js';

export interface IptablesImport {
  /** The mark rules of mangle PREROUTING, in chain order, origin `file:line`. */
  rules: MarkRule[];
  /** Rules tsvs cannot reproduce and lines that are not iptables-save syntax. */
  problems: ConfigError[];
  /** What is ignored because it cannot change the mark IPVS sees. */
  notes: NotActedOn[];
}

/** Targets that leave the mark and the chain alone (non-terminating, not mark-related). */
const HARMLESS = new Set(['LOG', 'NFLOG', 'ULOG', 'TOS', 'DSCP', 'ECN', 'TTL', 'HL', 'TCPMSS', 'CLASSIFY', 'CHECKSUM', 'TRACE', 'AUDIT', 'TEE', 'SECMARK', 'CONNSECMARK', 'IDLETIMER', 'LED']);
const BUILTIN = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);
const READ = 'mangle PREROUTING';

export function importIptablesSave(text: string, file: string): IptablesImport {
  const problems: ConfigError[] = [];
  const notes: NotActedOn[] = [];
  const problem = (line: number, code: ConfigErrorCode, msg: string) => problems.push(new ConfigError(code, file, line, msg));
  const note = (line: number, key: string, why: string) => notes.push({ key, line, file, why });

  const rules: IptRule[] = [];
  const ignored = new Map<string, number>(); // "table filter" / "mangle chain FORWARD" -> first line
  let table: { name: string; line: number } | null = null;
  const lines = text.split(/\r\n|\r|\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const t = lines[index].trim();
    if (t === '' || t.startsWith('#')) continue;
    if (t.startsWith('*')) {
      if (table) problem(line, 'EOF', `*${t.slice(1)} starts before the COMMIT of *${table.name} (line ${table.line})`);
      table = { name: t.slice(1), line };
      if (table.name !== 'mangle' && !ignored.has(`table ${table.name}`)) ignored.set(`table ${table.name}`, line);
    } else if (!table) {
      problem(line, 'BADCOMMAND', `"${t.split(/\s/)[0]}" outside a table: iptables-save output opens each table with *NAME`);
    } else if (t === 'COMMIT') {
      table = null;
    } else if (!t.startsWith(':')) {
      // (`:CHAIN POLICY [p:b]` declares a chain.) `iptables-save -c` puts [packets:bytes] before each rule.
      const toks = tokenize(t.replace(/^\[\d+:\d+\]\s+/, ''));
      if (!toks) problem(line, 'BADQUOTING', 'a quoted value is not closed');
      else if (toks[0] !== '-A' || toks.length < 2) problem(line, 'BADCOMMAND', `not a rule (-A CHAIN ...): "${toks[0] ?? ''}"`);
      else {
        const r = readRule(toks, line, table.name);
        rules.push(r);
        if (r.table === 'mangle' && r.chain !== 'PREROUTING' && !ignored.has(`mangle chain ${r.chain}`)) ignored.set(`mangle chain ${r.chain}`, line);
      }
    }
  }
  if (table) problem(table.line, 'EOF', `*${table.name} is never closed with COMMIT`);

  const out = prerouting(file, rules, problem, note);
  elsewhere(rules, problem, note);
  if (ignored.size) {
    const names = [...ignored.keys()];
    note(Math.min(...ignored.values()), 'iptables-save', `ignored: ${names.join(', ')} (tsvs reads only the PREROUTING chain of the mangle table)`);
  }
  return { rules: out, problems: problems.sort((a, b) => a.line - b.line), notes: notes.sort((a, b) => a.line - b.line) };
}

type Report = (line: number, code: ConfigErrorCode, msg: string) => void;
type Note = (line: number, key: string, why: string) => void;

/** mangle PREROUTING: MARK rules become MarkRules; anything that could change their outcome is a problem. */
function prerouting(file: string, all: readonly IptRule[], problem: Report, note: Note): MarkRule[] {
  const chain = all.filter((r) => r.table === 'mangle' && r.chain === 'PREROUTING');
  const marksIn = new Map<string, number>(); // mangle user chain -> first line that sets a mark
  for (const r of all) if (r.table === 'mangle' && r.setsMark && !BUILTIN.has(r.chain) && !marksIn.has(r.chain)) marksIn.set(r.chain, r.line);
  const out: MarkRule[] = [];
  chain.forEach((r, k) => {
    for (const e of r.errors) problem(r.line, e.code, e.message);
    if (r.errors.length) return;
    const target = r.target;
    if (target === 'MARK') {
      for (const c of r.cannot) problem(r.line, 'UNSUPPORTED', c);
      if (r.cannot.length || r.mark === null) return;
      if (r.iface) note(r.line, READ, `-i ${r.iface} is not checked: tsvs classifies every packet it receives`);
      const origin = `${file}:${r.line}`;
      const v6 = r.address6 !== undefined ? { address6: r.address6 } : {};
      for (const [portLo, portHi] of r.ports) out.push({ protocol: r.protocol, address: r.address, ...v6, prefixLen: r.prefixLen, portLo, portHi, mark: r.mark, origin });
      return;
    }
    const nextMark = chain.slice(k + 1).find((x) => x.target === 'MARK');
    const jumpSets = target !== null ? marksIn.get(target) : undefined;
    if (r.setsMark) problem(r.line, 'UNSUPPORTED', `cannot honour -j ${target} (it changes the mark from connection state; tsvs sets marks by MARK --set-mark/--set-xmark only)`);
    else if (jumpSets !== undefined) problem(r.line, 'UNSUPPORTED', `cannot honour -j ${target} (tsvs follows no jumps, and chain ${target} sets marks at line ${jumpSets}; put its MARK rules in PREROUTING)`);
    else if (target === null) note(r.line, READ, 'a rule without a target only counts packets; it changes no mark');
    else if (HARMLESS.has(target)) note(r.line, READ, `-j ${target} changes no mark; ignored`);
    else if (nextMark) problem(r.line, 'UNSUPPORTED', `cannot honour -j ${target} ahead of the MARK rule at line ${nextMark.line} (it can end the chain for the packets it matches; tsvs applies MARK rules only)`);
    else note(r.line, READ, `-j ${target} comes after the last MARK rule, so it changes no mark; ignored`);
  });
  return out;
}

/** Rules outside mangle PREROUTING that concern marks, each reported by line. */
function elsewhere(all: readonly IptRule[], problem: Report, note: Note): void {
  for (const r of all) {
    if ((r.table === 'mangle' && r.chain === 'PREROUTING') || !r.refsMark) continue;
    const where = `${r.table} ${r.chain}`;
    if (r.setsMark && (r.chain === 'PREROUTING' || r.chain === 'INPUT')) {
      // IPVS schedules at LOCAL_IN after these hooks, so their marks are the ones it matches.
      problem(r.line, 'UNSUPPORTED', `cannot honour ${where} -j ${r.target} (it sets the mark before IPVS sees the packet; tsvs reads marks from mangle PREROUTING only: move the rule there)`);
    } else if (r.setsMark) {
      note(r.line, where, BUILTIN.has(r.chain) ? `sets marks on packets IPVS does not schedule (${r.chain}); ignored` : 'sets marks in a user chain; tsvs follows no jumps; ignored');
    } else {
      note(r.line, where, `matches or saves marks; tsvs does not run the ${r.table} table's ${r.chain} chain; ignored`);
    }
  }
}
