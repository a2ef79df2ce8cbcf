// Value types of lvs.cf keys: how the tokens after `=` become a typed value, and
// back. One parser per kind, each failing with Piranha's error code for that kind
// (getNum -> INTEXPECTED, getBoolean -> BOOLEXPECTED, inet_aton -> BADHOSTNAME or
// BADNETMASK, getList -> LISTEXPECTED, an unknown word -> BADARGUMENT).
import { formatIPv4, maskToPrefix, parseIPv4, parseIPv6 } from '../model/addr.js';
import { IPVS_SCHED_FLAGS } from '../sched/names.js';
import type { ConfigErrorCode } from './errors.js';
import { CHECK_KINDS, formatStatusRanges, parseCheckValue } from './check-values.js';
import { formatMarkRule, parseMarkRule, type MarkSpec } from './mark-rule.js';

/** `address = 198.18.0.10 eth0:1`: the IP, the device and its alias part. */
export interface IpDev {
  /** IPv4 address; 0 for an IPv6 one. */
  readonly address: number;
  /** IPv6 address, canonical text (`address = 2001:db8::10 eth0:1`); absent for IPv4. */
  readonly address6?: string;
  /** IPv6 only: a prefix length written after the address (`2001:db8:1::1/64`); absent: the default. */
  readonly prefixLen6?: number;
  /** Device without the alias (`eth0`): what the router binds and ARPs on. */
  readonly device: string;
  /** Alias after the colon (`1` of `eth0:1`), or null. Kept so a write gives it back. */
  readonly alias: string | null;
}

export type KeyKind =
  | 'int' | 'bool' | 'port' | 'ports' | 'ip' | 'ip46' | 'host' | 'ipdev' | 'netmask' | 'enum' | 'string' | 'list' | 'flags' | 'markrule'
  // check blocks (check-values.ts):
  | 'status' | 'digest' | 'hex' | 'hexpattern' | 'regex';

/** HTTP status ranges of `status = 200-299,301`: inclusive pairs, in the order written. */
export type StatusRanges = ReadonlyArray<readonly [number, number]>;

export interface KeySpec<T> {
  readonly kind: KeyKind;
  readonly def: T;
  readonly min?: number;
  readonly max?: number;
  /** Allowed words of an enum. */
  readonly values?: readonly string[];
  /** Longest string allowed (nanny's send/expect buffers are 255 bytes). */
  readonly maxLen?: number;
  /** Always written quoted, as the Piranha GUI writes send/expect/send_program. */
  readonly quote?: boolean;
  /** Backslash escapes are decoded even in an unquoted value (nanny's send/expect). */
  readonly escapes?: boolean;
  /**
   * The key may appear on many lines of one block (tsvs's fwmark_rule); each line
   * holds one item and the typed setting is the list of them, in file order.
   */
  readonly repeat?: boolean;
}

export type Value = number | boolean | string | readonly string[] | readonly number[] | IpDev | MarkSpec | StatusRanges | null;
export type Parsed = { value: Value } | { code: ConfigErrorCode; message: string };

const INT_MAX = 2 ** 31 - 1;

export const int = (def: number, min = 0, max = INT_MAX): KeySpec<number> => ({ kind: 'int', def, min, max });
export const bool = (def: boolean): KeySpec<boolean> => ({ kind: 'bool', def });
/** A 0/1 whose default depends on where it is used (null: not given). */
export const optBool = (): KeySpec<boolean | null> => ({ kind: 'bool', def: null });
export const optInt = (min = 0, max = INT_MAX): KeySpec<number | null> => ({ kind: 'int', def: null, min, max });
export const port = (def: number): KeySpec<number> => ({ kind: 'port', def, min: 0, max: 65535 });
/** Comma-separated ports (`ftp_ports = 21,2121`), at most `max` of them; 0 alone: none. */
export const ports = (def: readonly number[], max: number): KeySpec<readonly number[]> => ({ kind: 'ports', def, min: 1, max });
export const optPort = (): KeySpec<number | null> => ({ kind: 'port', def: null, min: 0, max: 65535 });
export const ip = (): KeySpec<number | null> => ({ kind: 'ip', def: null });
/** An IPv4 address (a number) or an IPv6 one (its canonical text). */
export const ip46 = (): KeySpec<number | string | null> => ({ kind: 'ip46', def: null });
export const host = (): KeySpec<string | null> => ({ kind: 'host', def: null });
export const ipdev = (): KeySpec<IpDev | null> => ({ kind: 'ipdev', def: null });
export const netmask = (def: number): KeySpec<number> => ({ kind: 'netmask', def });
export const optNetmask = (): KeySpec<number | null> => ({ kind: 'netmask', def: null });
export const oneOf = (values: readonly string[], def: string): KeySpec<string> => ({ kind: 'enum', def, values });
export const optOneOf = (values: readonly string[]): KeySpec<string | null> => ({ kind: 'enum', def: null, values });
export const str = (def: string): KeySpec<string> => ({ kind: 'string', def });
export const optStr = (opts: { maxLen?: number; quote?: boolean; escapes?: boolean } = {}): KeySpec<string | null> => ({ kind: 'string', def: null, ...opts });
export const list = (): KeySpec<readonly string[]> => ({ kind: 'list', def: [] });
export const flags = (): KeySpec<readonly string[]> => ({ kind: 'flags', def: [] });
/** Repeatable `fwmark_rule = PROTOCOL DESTINATION PORTS MARK` (mark-rule.ts). */
export const markRules = (): KeySpec<readonly MarkSpec[]> => ({ kind: 'markrule', def: [], repeat: true });

// getservbyname() in Piranha's getPort(); tsvs does not read /etc/services (the
// answer would depend on the host), so only these well-known names are accepted.
const SERVICE_PORTS: Record<string, number> = {
  ftp: 21, ssh: 22, telnet: 23, smtp: 25, domain: 53, http: 80, pop3: 110, imap: 143, https: 443, imaps: 993, pop3s: 995,
};

const DEVICE = /^([A-Za-z0-9][A-Za-z0-9_.@-]{0,14})(?::([A-Za-z0-9_]+))?$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const fail = (code: ConfigErrorCode, message: string): Parsed => ({ code, message });

/** Parses the tokens after `=` of key `key`. */
export function parseValue(key: string, spec: KeySpec<unknown>, args: readonly string[]): Parsed {
  if (CHECK_KINDS.has(spec.kind)) return parseCheckValue(key, spec.kind, args);
  if (spec.kind === 'list') return parseList(key, args);
  if (spec.kind === 'markrule') return parseMarkRule(key, args);
  if (args.length === 0) return fail('MISSINGARGS', `${key} needs a value`);
  const want = spec.kind === 'ipdev' ? 2 : 1;
  if (args.length < want) return fail('MISSINGARGS', `${key} needs an address and a device, as in "${key} = 198.18.0.10 eth0:1"`);
  if (args.length > want) return fail('EXTRAARGS', `${key} takes ${want === 1 ? 'one value' : 'an address and a device'}; unexpected "${args[want]}" (quote a value that has blanks)`);
  const a = args[0];
  switch (spec.kind) {
    case 'int':
      return ranged(key, spec, toInt(a), a);
    case 'port': {
      const n = toInt(a) ?? SERVICE_PORTS[a];
      if (n === undefined) return fail('BADARGUMENT', `${key} "${a}" is neither a port number nor a known service name`);
      return ranged(key, spec, n, a);
    }
    case 'bool': {
      const n = toInt(a);
      if (n === null) return fail('INTEXPECTED', `${key} expects 0 or 1, got "${a}"`);
      if (n !== 0 && n !== 1) return fail('BOOLEXPECTED', `${key} expects 0 or 1, got ${n}`);
      return { value: n === 1 };
    }
    case 'ip': {
      const addr = parseIPv4(a);
      // Piranha resolves host names with gethostbyname(); tsvs needs addresses it can
      // check without DNS, so only dotted quads are accepted where the table uses them.
      return addr === null ? fail('BADHOSTNAME', `${key} "${a}" is not an IPv4 address (host names are not resolved)`) : { value: addr };
    }
    case 'ip46': {
      const addr = parseIPv4(a) ?? parseIPv6(a);
      if (addr !== null) return { value: addr };
      // Text without a colon was meant as IPv4: the message 'ip' gives.
      return a.includes(':')
        ? fail('BADHOSTNAME', `${key} "${a}" is not an IPv6 address${v6Why(a)}`)
        : fail('BADHOSTNAME', `${key} "${a}" is not an IPv4 address (host names are not resolved)`);
    }
    case 'host':
      return parseIPv4(a) !== null || HOSTNAME.test(a) ? { value: a } : fail('BADHOSTNAME', `${key} "${a}" is neither an IPv4 address nor a host name`);
    case 'ipdev': {
      const v6 = a.includes(':') ? parseIpDev6(key, a) : null;
      if (v6 && 'code' in v6) return v6;
      const addr = v6 ? 0 : parseIPv4(a);
      if (addr === null) return fail('BADHOSTNAME', `${key} "${a}" is not an IPv4 address (host names are not resolved)`);
      const m = DEVICE.exec(args[1]);
      if (!m) return fail('BADARGUMENT', `${key}: "${args[1]}" is not a device name such as eth0 or eth0:1`);
      return { value: { address: addr, ...v6, device: m[1], alias: m[2] ?? null } satisfies IpDev };
    }
    case 'netmask': {
      const mask = parseIPv4(a);
      if (mask === null) return fail('BADNETMASK', `${key} "${a}" is not a dotted-quad netmask`);
      if (maskToPrefix(mask) < 0) return fail('BADNETMASK', `${key} "${a}" is not a contiguous netmask`);
      return { value: mask };
    }
    case 'enum':
      return spec.values!.includes(a) ? { value: a } : fail('BADARGUMENT', `${key} "${a}" is not one of ${spec.values!.join(', ')}`);
    case 'string':
      if (spec.maxLen !== undefined && a.length > spec.maxLen) return fail('RANGE', `${key} is ${a.length} characters long; at most ${spec.maxLen} are allowed`);
      return { value: a };
    case 'ports':
      return parsePorts(key, spec, a);
    case 'flags': {
      const names = a === '' ? [] : a.split(',');
      const bad = names.find((f) => !(IPVS_SCHED_FLAGS as readonly string[]).includes(f));
      if (bad !== undefined) return fail('BADARGUMENT', `${key}: "${bad}" is not one of ${IPVS_SCHED_FLAGS.join(', ')}`);
      return { value: names };
    }
    default:
      throw new Error(`no parser for value kind ${spec.kind}`);
  }
}

/** `2001:db8::10` or `2001:db8:1::1/64` of an ipdev value: the canonical text and the prefix length if written. */
function parseIpDev6(key: string, text: string): { address6: string; prefixLen6?: number } | { code: ConfigErrorCode; message: string } {
  const m = /^([^/]*)(?:\/(\d{1,3}))?$/.exec(text);
  const addr = m ? parseIPv6(m[1]) : null;
  if (addr === null) return { code: 'BADHOSTNAME', message: `${key} "${text}" is not an IPv6 address${v6Why(m?.[1] ?? text)}` };
  if (addr === '::') return { code: 'BADHOSTNAME', message: `${key} "${text}": :: is the unspecified address` };
  if (m![2] === undefined) return { address6: addr };
  const prefix = Number(m![2]);
  if (prefix > 128) return { code: 'BADNETMASK', message: `${key} "${text}": an IPv6 prefix length is 0..128` };
  return { address6: addr, prefixLen6: prefix };
}

/** Why IPv6-looking text was refused, when the reason is one tsvs chose (parseIPv6). */
function v6Why(text: string): string {
  if (text.includes('%')) return ' (zone ids such as %eth0 are not accepted)';
  if (/^::ffff:/i.test(text)) return ' (an IPv4-mapped address: write the IPv4 address)';
  if (text.startsWith('[')) return ' (write it without brackets)';
  return '';
}

function parseList(key: string, args: readonly string[]): Parsed {
  // Piranha's getList(): `dirs = [ a b c ]`, brackets as separate words.
  if (args[0] !== '[') return fail('LISTEXPECTED', `${key} expects a list written as [ item item ... ]`);
  const end = args.indexOf(']');
  if (end < 0) return fail('LISTEXPECTED', `${key}: the list is not closed with "]"`);
  if (end !== args.length - 1) return fail('EXTRAARGS', `${key}: unexpected "${args[end + 1]}" after the list`);
  return { value: args.slice(1, end) };
}

/** `21,2121` (names such as ftp too), or 0 for none: distinct ports 1..65535, at most spec.max of them. */
function parsePorts(key: string, spec: KeySpec<unknown>, text: string): Parsed {
  if (text === '0') return { value: [] };
  const out: number[] = [];
  for (const part of text.split(',')) {
    const n = toInt(part) ?? SERVICE_PORTS[part];
    if (n === undefined) return fail('BADARGUMENT', `${key}: "${part}" is neither a port number nor a known service name (write ports as 21,2121, or 0 for none)`);
    if (n < 1 || n > 65535) return fail('RANGE', `${key}: port ${n} is outside 1..65535`);
    if (out.includes(n)) return fail('BADARGUMENT', `${key}: port ${n} is given twice`);
    out.push(n);
  }
  if (out.length > (spec.max ?? 8)) return fail('RANGE', `${key} takes at most ${spec.max} ports, as ip_vs_ftp does; got ${out.length}`);
  return { value: out };
}

function toInt(text: string): number | null {
  return /^[+-]?\d+$/.test(text) ? Number(text) : null;
}

function ranged(key: string, spec: KeySpec<unknown>, n: number | null, text: string): Parsed {
  if (n === null) return fail('INTEXPECTED', `${key} expects a whole number, got "${text}"`);
  if (n < (spec.min ?? 0) || n > (spec.max ?? INT_MAX)) return fail('RANGE', `${key} ${n} is outside ${spec.min ?? 0}..${spec.max ?? INT_MAX}`);
  return { value: n };
}

/** The tokens that write a typed value back (inverse of parseValue). */
export function formatValue(spec: KeySpec<unknown>, value: Value): string[] {
  switch (spec.kind) {
    case 'bool':
      return [value ? '1' : '0'];
    case 'ip':
    case 'netmask':
      return [formatIPv4(value as number)];
    case 'ip46':
      return [typeof value === 'string' ? value : formatIPv4(value as number)];
    case 'ipdev': {
      const v = value as IpDev;
      const addr = v.address6 === undefined ? formatIPv4(v.address) : v.prefixLen6 === undefined ? v.address6 : `${v.address6}/${v.prefixLen6}`;
      return [addr, v.alias === null ? v.device : `${v.device}:${v.alias}`];
    }
    case 'list':
      return ['[', ...(value as string[]), ']'];
    case 'flags':
      return [(value as string[]).join(',')];
    case 'ports':
      return [(value as readonly number[]).length === 0 ? '0' : (value as readonly number[]).join(',')];
    case 'markrule':
      return formatMarkRule(value as MarkSpec);
    case 'status':
      return [formatStatusRanges(value as StatusRanges)];
    default:
      return [String(value)];
  }
}
