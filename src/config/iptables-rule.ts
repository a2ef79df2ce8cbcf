// Reads one iptables-save rule line (`-A CHAIN options... -j TARGET options...`)
// into what a tsvs mark rule can hold: protocol, destination, destination ports
// and the mark set. Every option tsvs cannot reproduce is listed in `cannot` with
// the reason, so that the importer reports it instead of dropping it.
// iptables-save writes options in its own order (`-s -d -i -o -p -f`, then each
// `-m` with its options, then `-j`); hand-written files may mix them, which is fine.
import type { ConfigErrorCode } from './errors.js';
import { parseDestination, parseMark, parsePorts, type PortRanges } from './mark-rule.js';

export interface IptRule {
  readonly line: number;
  readonly table: string;
  readonly chain: string;
  protocol: 'tcp' | 'udp' | 'all';
  address: number;
  /** An ip6tables rule's destination (canonical text; `address` is 0). */
  address6?: string;
  prefixLen: number;
  /** Destination ports; [[0, 65535]] when the rule names none. */
  ports: PortRanges;
  /** `-i DEV`, which tsvs does not check. */
  iface: string | null;
  /** `-j TARGET` or `-g CHAIN`; null for a rule without one (a counter). */
  target: string | null;
  /** The mark MARK --set-mark / --set-xmark sets with a full mask; null otherwise. */
  mark: number | null;
  /** The target changes the packet's mark (MARK, CONNMARK --restore-mark). */
  setsMark: boolean;
  /** The rule sets or matches a mark in any way (-m mark, -m connmark, MARK, CONNMARK). */
  refsMark: boolean;
  /** "cannot honour X (why)", one per option tsvs cannot reproduce. */
  readonly cannot: string[];
  /** Options that are not valid iptables at all. */
  readonly errors: Array<{ code: ConfigErrorCode; message: string }>;
}

const DEST_ONLY = 'tsvs classifies by destination only';
const MATCHES = 'tsvs matches protocol, destination address and destination port only';
const FULL = 0xffffffff;

/** Words of a line; iptables-save double-quotes values with blanks (`--comment "a b"`) and escapes `"` and `\`. */
export function tokenize(text: string): string[] | null {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))/y;
  let at = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]);
    at = re.lastIndex;
  }
  return text.slice(at).trim() === '' ? out : null;
}

const isOption = (t: string | undefined): boolean => t !== undefined && (t === '!' || (t.length > 1 && t.startsWith('-') && !/^-\d/.test(t)));

/** Reads `-A CHAIN ...` (toks[0] is `-A`). */
export function readRule(toks: readonly string[], line: number, table: string): IptRule {
  const r: IptRule = {
    line, table, chain: toks[1], protocol: 'all', address: 0, prefixLen: 0, ports: [[0, 65535]], iface: null,
    target: null, mark: null, setsMark: false, refsMark: false, cannot: [], errors: [],
  };
  const cannot = (what: string, why: string) => r.cannot.push(`cannot honour ${what} (${why})`);
  const error = (code: ConfigErrorCode, message: string) => r.errors.push({ code, message });
  // The words after toks[i] up to the next option: an option's values.
  const valuesAt = (i: number): string[] => {
    let j = i + 1;
    while (j < toks.length && !isOption(toks[j])) j++;
    return toks.slice(i + 1, j);
  };
  let module: string | null = null;
  let known = true; // false inside an -m module tsvs does not read: its options are skipped
  let portsSet = false;
  let i = 2;
  while (i < toks.length) {
    const opt = toks[i];
    const vals = valuesAt(i);
    const v = vals[0];
    const next = i + 1 + vals.length;
    if (opt === '!') {
      // `! -d X`, `-m multiport ! --dports X`: the negated option and its values.
      const negated = toks.slice(i + 1, i + 2 + valuesAt(i + 1).length);
      if (known) cannot(`! ${negated.join(' ')}`.trim(), 'negations are not supported');
      i += 1 + negated.length;
      continue;
    }
    if (!isOption(opt)) {
      error('BADARGUMENT', `"${opt}" is not an option`);
      i++;
      continue;
    }
    if (vals.length === 0 && TAKES_VALUE.has(opt)) {
      error('MISSINGARGS', `${opt} needs a value`);
      i = next;
      continue;
    }
    switch (opt) {
      case '-s': case '--source': case '--src':
        cannot(`${opt} ${v}`, DEST_ONLY);
        break;
      case '-d': case '--destination': case '--dst': {
        // iptables clears host bits itself (198.18.0.10/24 is saved as 198.18.0.0/24).
        const d = parseDestination(v, true);
        if ('code' in d) error(d.code, d.message);
        else [r.address, r.address6, r.prefixLen] = [d.address, d.address6, d.prefixLen];
        break;
      }
      case '-p': case '--protocol': {
        const p = PROTOCOL[v.toLowerCase()];
        if (p) r.protocol = p;
        else cannot(`${opt} ${v}`, 'tsvs balances TCP and UDP only');
        break;
      }
      case '-i': case '--in-interface':
        r.iface = v;
        break;
      case '-o': case '--out-interface':
        cannot(`${opt} ${v}`, 'no output device is known when a packet arrives');
        break;
      case '-f': case '--fragment':
        cannot(opt, 'tsvs does not reassemble fragments');
        break;
      case '-c': case '--set-counters':
        break;
      case '-m': case '--match':
        module = v;
        known = true;
        if (v === 'tcp' || v === 'udp') {
          if (r.protocol !== v) cannot(`-m ${v} with -p ${r.protocol}`, 'iptables loads -m tcp/udp only for that protocol');
        } else if (v !== 'multiport' && v !== 'comment') {
          if (v === 'mark' || v === 'connmark') r.refsMark = true;
          cannot(`-m ${v}${optionsOf(toks, next)}`, MATCHES);
          known = false;
        }
        break;
      case '-j': case '--jump': case '-g': case '--goto':
        r.target = v;
        target(r, opt, toks.slice(next), cannot, error);
        return r;
      case '--dport': case '--destination-port':
      case '--dports': case '--destination-ports': {
        const multi = opt.endsWith('s');
        if (!known) break;
        if (multi ? module !== 'multiport' : module !== null && module !== 'tcp' && module !== 'udp') {
          error('BADARGUMENT', `${opt} belongs to ${multi ? '-m multiport' : '-m tcp or -m udp'}, not to -m ${module ?? '(none)'}`);
        } else if (r.protocol === 'all') {
          error('BADARGUMENT', `${opt} needs -p tcp or -p udp`);
        } else if (portsSet) {
          error('BADARGUMENT', `${opt}: the destination ports are already given`);
        } else {
          const ports = parsePorts(v, true);
          if ('code' in ports) error(ports.code, `${opt} ${v}: ${ports.message}`);
          else if (!multi && ports.length > 1) error('BADARGUMENT', `${opt} takes one port or range; a list needs -m multiport --dports`);
          else [r.ports, portsSet] = [ports, true];
        }
        break;
      }
      case '--sport': case '--source-port': case '--sports': case '--source-ports': case '--ports':
        if (known) cannot(`${opt} ${v}`, opt === '--ports' ? `it matches source or destination; ${DEST_ONLY}` : DEST_ONLY);
        break;
      case '--comment':
        if (module !== 'comment' && known) error('BADARGUMENT', '--comment belongs to -m comment');
        break;
      default:
        if (known) cannot([opt, ...vals].join(' '), MATCHES);
    }
    i = next;
  }
  return r;
}

/** The options that follow an -m module, for the message that names it (`-m state --state NEW`). */
function optionsOf(toks: readonly string[], from: number): string {
  let j = from;
  while (j < toks.length && toks[j] !== '-m' && toks[j] !== '-j' && toks[j] !== '-g' && !/^-[a-z]$/.test(toks[j])) j++;
  return j > from ? ` ${toks.slice(from, j).join(' ')}` : '';
}

const TAKES_VALUE = new Set([
  '-s', '--source', '--src', '-d', '--destination', '--dst', '-p', '--protocol', '-i', '--in-interface', '-o', '--out-interface', '-m', '--match',
  '-j', '--jump', '-g', '--goto', '--dport', '--destination-port', '--dports', '--destination-ports', '--sport', '--source-port', '--sports',
  '--source-ports', '--ports', '--comment',
]);

const PROTOCOL: Record<string, 'tcp' | 'udp' | 'all'> = { tcp: 'tcp', '6': 'tcp', udp: 'udp', '17': 'udp', all: 'all', '0': 'all' };

/** The target's options: MARK with --set-mark/--set-xmark VALUE[/MASK] is what tsvs reproduces. */
function target(r: IptRule, opt: string, args: readonly string[], cannot: (what: string, why: string) => void, error: (code: ConfigErrorCode, message: string) => void): void {
  const t = r.target!;
  if (opt === '-g' || opt === '--goto') return;
  if (t === 'CONNMARK') {
    r.refsMark = true;
    r.setsMark = args.includes('--restore-mark');
    return;
  }
  if (t !== 'MARK') return;
  r.refsMark = r.setsMark = true;
  const [how, arg] = args;
  if (how === '--and-mark' || how === '--or-mark' || how === '--xor-mark') {
    cannot(`${how} ${arg ?? ''}`.trim(), 'it combines with the mark an earlier rule set; tsvs rules set whole marks');
    return;
  }
  if ((how !== '--set-mark' && how !== '--set-xmark') || arg === undefined) {
    error('MISSINGARGS', '-j MARK needs --set-mark or --set-xmark VALUE[/MASK]');
    return;
  }
  const [valueText, maskText] = arg.split('/');
  const value = parseMark(valueText);
  const mask = maskText === undefined ? FULL : parseMark(maskText);
  if (value === null || mask === null || value > FULL || mask > FULL) {
    error('BADARGUMENT', `${how} ${arg}: expected VALUE[/MASK], each 0..0xffffffff`);
    return;
  }
  if (mask !== FULL) cannot(`${how} ${arg}`, 'a partial mask keeps bits of the mark an earlier rule set; tsvs rules set whole marks');
  else if (value === 0) cannot(`${how} ${arg}`, 'mark 0 clears the mark; tsvs rules set marks 1..4294967295');
  else r.mark = value;
  if (args.length > 2) error('EXTRAARGS', `unexpected "${args[2]}" after ${how} ${arg}`);
}
