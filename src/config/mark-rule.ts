// `fwmark_rule = PROTOCOL DESTINATION PORTS MARK`: tsvs's own firewall-mark rule,
// the lvs.cf spelling of `iptables -t mangle -A PREROUTING -p PROTOCOL -d
// DESTINATION --dport PORTS -j MARK --set-mark MARK` (the Red Hat guide's recipe
// for multi-port and FTP services). The kernel sets marks after AF_PACKET has seen
// a frame, so tsvs classifies by these rules itself.
//
//   PROTOCOL     tcp | udp | all   (all with PORTS other than `any`: TCP or UDP to those ports)
//   DESTINATION  198.18.0.10 | 198.18.0.0/24 | 198.18.0.0/255.255.255.0 | any (= 0.0.0.0/0)
//                | 2001:db8::10 | 2001:db8::/64 | ::/0 (an IPv6 rule: ip6tables' spelling,
//                  for the flows of IPv6 firewall-mark services, ipvsadm -f N -6)
//   PORTS        80 | 80,443 | 10000:20000 | 21,10000:20000 | any
//   MARK         1..4294967295, decimal or 0x hex (0x50 = 80)
//
// One line with a port list gives one MarkRule per item, all with that line as origin.
import { formatIPv4, formatIPv6Words, ipv6Words, maskToPrefix, parseIPv4, parseIPv6, parseNetmask, prefixToMask, type MarkRule } from '../model/index.js';
import type { ConfigErrorCode } from './errors.js';
import type { Parsed } from './values.js';

/** One fwmark_rule line, typed. */
export interface MarkSpec {
  readonly protocol: 'tcp' | 'udp' | 'all';
  readonly address: number;
  /** An IPv6 destination network (canonical text; `address` is 0). */
  readonly address6?: string;
  readonly prefixLen: number;
  /** Inclusive destination port ranges; [[0, 65535]] is `any`. */
  readonly ports: readonly (readonly [number, number])[];
  readonly mark: number;
}

const PROTOCOLS = ['tcp', 'udp', 'all'] as const;
const ANY_PORT: readonly [number, number] = [0, 65535];
const EXAMPLE = 'as in "fwmark_rule = tcp 198.18.0.10 80,443 80" (protocol, destination, ports, mark)';

const fail = (code: ConfigErrorCode, message: string): Parsed => ({ code, message });

/** Parses the four words after `fwmark_rule =`. */
export function parseMarkRule(key: string, args: readonly string[]): Parsed {
  if (args.length < 4) return fail('MISSINGARGS', `${key} needs 4 words, ${EXAMPLE}`);
  if (args.length > 4) return fail('EXTRAARGS', `${key} takes 4 words; unexpected "${args[4]}" (write a port list without blanks: 80,443)`);
  const [proto, dest, portText, markText] = args;
  if (!(PROTOCOLS as readonly string[]).includes(proto)) return fail('BADARGUMENT', `${key}: protocol "${proto}" is not one of ${PROTOCOLS.join(', ')}`);
  const d = parseDestination(dest);
  if ('code' in d) return fail(d.code, `${key}: ${d.message}`);
  const ports = parsePorts(portText);
  if ('code' in ports) return fail(ports.code, `${key}: ${ports.message}`);
  const mark = parseMark(markText);
  if (mark === null) return fail('INTEXPECTED', `${key}: mark "${markText}" is not a whole number (decimal or 0x hex)`);
  if (mark < 1 || mark > 0xffffffff) return fail('RANGE', `${key}: mark ${markText} is outside 1..4294967295 (0 means no mark)`);
  const spec: MarkSpec = { protocol: proto as MarkSpec['protocol'], address: d.address, ...(d.address6 !== undefined ? { address6: d.address6 } : {}), prefixLen: d.prefixLen, ports, mark };
  return { value: spec };
}

/** The four words that write a MarkSpec back (inverse of parseMarkRule). */
export function formatMarkRule(spec: MarkSpec): string[] {
  const dest = spec.address6 !== undefined ? (spec.prefixLen === 128 ? spec.address6 : `${spec.address6}/${spec.prefixLen}`)
    : spec.prefixLen === 0 && spec.address === 0 ? 'any' : spec.prefixLen === 32 ? formatIPv4(spec.address) : `${formatIPv4(spec.address)}/${spec.prefixLen}`;
  const full = spec.ports.some(([lo, hi]) => lo === 0 && hi === 65535);
  const ports = full ? 'any' : spec.ports.map(([lo, hi]) => (lo === hi ? String(lo) : `${lo}:${hi}`)).join(',');
  return [spec.protocol, dest, ports, String(spec.mark)];
}

/** The MarkRules of one line: one per port range, in the order written. */
export function expandMarkSpec(spec: MarkSpec, origin: string): MarkRule[] {
  const v6 = spec.address6 !== undefined ? { address6: spec.address6 } : {};
  return spec.ports.map(([portLo, portHi]) => ({ protocol: spec.protocol, address: spec.address, ...v6, prefixLen: spec.prefixLen, portLo, portHi, mark: spec.mark, origin }));
}

/**
 * MarkRules back into lines: consecutive rules of one origin that differ only in
 * their ports become one line with a port list (the inverse of expandMarkSpec).
 */
export function groupMarkRules(rules: readonly MarkRule[]): MarkSpec[] {
  const out: Array<{ origin: string; spec: MarkSpec & { ports: Array<readonly [number, number]> } }> = [];
  for (const r of rules) {
    const last = out[out.length - 1];
    const s = last?.spec;
    if (s && last.origin === r.origin && s.protocol === r.protocol && s.address === r.address && s.address6 === r.address6 && s.prefixLen === r.prefixLen && s.mark === r.mark) {
      s.ports.push([r.portLo, r.portHi]);
      continue;
    }
    out.push({ origin: r.origin, spec: { protocol: r.protocol, address: r.address, ...(r.address6 !== undefined ? { address6: r.address6 } : {}), prefixLen: r.prefixLen, ports: [[r.portLo, r.portHi]], mark: r.mark } });
  }
  return out.map((o) => o.spec);
}

/**
 * `198.18.0.10`, `198.18.0.0/24`, `198.18.0.0/255.255.255.0` or `any`. Host bits
 * beyond the prefix are an error in lvs.cf (iptables clears them silently, which
 * hides a typo such as 198.18.0.10/24 meant as /32); `clearHostBits` does as
 * iptables does, for the importer.
 */
export function parseDestination(text: string, clearHostBits = false): { address: number; address6?: string; prefixLen: number } | { code: 'BADHOSTNAME' | 'BADNETMASK'; message: string } {
  if (text === 'any') return { address: 0, prefixLen: 0 };
  if (text.includes(':')) return parseDestination6(text, clearHostBits);
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const address = parseIPv4(addrText);
  if (address === null) return { code: 'BADHOSTNAME', message: `destination "${addrText}" is not an IPv4 address (host names are not resolved)` };
  if (slash < 0) return { address, prefixLen: 32 };
  const mask = parseNetmask(text.slice(slash + 1));
  if (mask === null || text.slice(slash + 1).startsWith('/')) return { code: 'BADNETMASK', message: `"${text.slice(slash + 1)}" in ${text} is neither a prefix length 0..32 nor a contiguous netmask` };
  const prefixLen = maskToPrefix(mask);
  const net = (address & prefixToMask(prefixLen)) >>> 0;
  if (clearHostBits) return { address: net, prefixLen };
  if (net !== address) return { code: 'BADNETMASK', message: `${text} has host bits set beyond /${prefixLen}; write ${formatIPv4(net)}/${prefixLen} (or ${addrText} alone for one address)` };
  return { address, prefixLen };
}

/** An IPv6 destination: `2001:db8::10` (a /128), `2001:db8::/64`, `::/0`; host bits as parseDestination's. */
function parseDestination6(text: string, clearHostBits: boolean): { address: number; address6: string; prefixLen: number } | { code: 'BADHOSTNAME' | 'BADNETMASK'; message: string } {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const canon = parseIPv6(addrText) ?? (addrText === '::' ? '::' : null);
  if (canon === null) return { code: 'BADHOSTNAME', message: `destination "${addrText}" is not an IPv6 address (host names are not resolved)` };
  if (slash < 0) return { address: 0, address6: canon, prefixLen: 128 };
  const lenText = text.slice(slash + 1);
  const prefixLen = /^\d{1,3}$/.test(lenText) ? Number(lenText) : -1;
  if (prefixLen < 0 || prefixLen > 128) return { code: 'BADNETMASK', message: `"${lenText}" in ${text} is not an IPv6 prefix length 0..128` };
  const w = ipv6Words(canon);
  for (let k = 0, left = prefixLen; k < 4; k++, left -= 32) w[k] &= left >= 32 ? -1 : left <= 0 ? 0 : ~(-1 >>> left);
  const net = formatIPv6Words(w);
  if (clearHostBits || net === canon) return { address: 0, address6: net, prefixLen };
  return { code: 'BADNETMASK', message: `${text} has host bits set beyond /${prefixLen}; write ${net}/${prefixLen} (or ${addrText} alone for one address)` };
}

export type PortRanges = Array<readonly [number, number]>;

/**
 * `80`, `80,443`, `10000:20000`, `21,10000:20000` or `any`. iptables also takes
 * open ranges (`:1023`, `1024:`); `open` allows them, for the importer.
 */
export function parsePorts(text: string, open = false): PortRanges | { code: ConfigErrorCode; message: string } {
  if (text === 'any') return [ANY_PORT];
  const out: PortRanges = [];
  for (const item of text.split(',')) {
    const m = open ? /^(\d*)(:?)(\d*)$/.exec(item) : /^(\d+)(?:(:)(\d+))?$/.exec(item);
    if (!m || (m[1] === '' && m[3] === '') || (m[2] === '' && m[3] !== '')) {
      const why = item === 'any' ? '"any" stands alone, not in a list' : `"${item}" is not a port (N) or a port range (N:M)${item === '' ? ' (an empty list item)' : ''}`;
      return { code: 'BADARGUMENT', message: why };
    }
    const lo = m[1] === '' ? 0 : Number(m[1]);
    const hi = m[2] === '' || m[2] === undefined ? lo : m[3] === '' ? 65535 : Number(m[3]);
    if (lo > 65535 || hi > 65535) return { code: 'RANGE', message: `port ${Math.max(lo, hi)} is outside 0..65535` };
    if (lo > hi) return { code: 'BADARGUMENT', message: `port range ${item} runs backwards; write ${hi}:${lo}` };
    out.push([lo, hi]);
  }
  return out;
}

/** Decimal or 0x hex, as iptables writes marks; null when it is neither. */
export function parseMark(text: string): number | null {
  if (!/^(0x[0-9a-f]{1,8}|\d{1,10})$/i.test(text)) return null;
  return Number(text);
}
