// IPv4 addresses as unsigned 32-bit numbers: the data plane compares and hashes
// numbers, never strings. Parsing and validation go through `ip-address` so that
// every text form the CLI and lvs.cf accept is checked the same way.
import { Address4, Address6 } from 'ip-address';

/** Parses dotted-quad IPv4 text; returns null when it is not a plain address. */
export function parseIPv4(text: string): number | null {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(text) || !Address4.isValid(text)) return null;
  return Number(new Address4(text).bigInt());
}

export function formatIPv4(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}`;
}

/** Netmask for a prefix length 0..32, as an unsigned number. */
export function prefixToMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Prefix length of a contiguous netmask, or -1 when the mask has holes. */
export function maskToPrefix(mask: number): number {
  const inverted = ~mask >>> 0;
  if ((inverted & (inverted + 1)) !== 0) return -1;
  return Math.clz32(inverted);
}

/** Parses a netmask written as dotted quad or as a prefix length ("24", "/24"). */
export function parseNetmask(text: string): number | null {
  const m = /^\/?(\d{1,2})$/.exec(text);
  if (m) {
    const prefix = Number(m[1]);
    return prefix <= 32 ? prefixToMask(prefix) : null;
  }
  const mask = parseIPv4(text);
  return mask !== null && maskToPrefix(mask) >= 0 ? mask : null;
}

/** MAC addresses travel as 6-byte arrays; these two convert text forms. */
export function parseMac(text: string): Uint8Array | null {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(text);
  if (!m) return null;
  return Uint8Array.from(m.slice(1, 7).map((h) => parseInt(h, 16)));
}

export function formatMac(mac: Uint8Array, off = 0): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + mac[off + i].toString(16).padStart(2, '0');
  return s;
}

// IPv6 addresses travel in the model as their canonical RFC 5952 text (lower
// case, longest run of zero groups compressed): one string both compares and
// prints, and the data plane turns it into words once, when a table arrives.

/**
 * Parses IPv6 text in any RFC 4291 form (full, compressed, with a dotted IPv4
 * tail) into its canonical RFC 5952 text; null when it is not one plain
 * address. Refused: zone ids (`fe80::1%eth0`: a VIP or server is not
 * link-scoped here), prefixes (`/64`), brackets, and IPv4-mapped addresses
 * (`::ffff:1.2.3.4`: that is an IPv4 server, written as one).
 */
export function parseIPv6(text: string): string | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(':') || !Address6.isValid(text)) return null;
  const a = new Address6(text);
  if (a.zone || a.subnetMask !== 128) return null;
  const n = a.bigInt();
  if (n >> 32n === 0xffffn) return null;
  return a.correctForm();
}

/** The address has IPv6 text (then `address` is 0). */
export function isV6(x: { readonly address6?: string }): boolean {
  return x.address6 !== undefined;
}

/** The address as text: the IPv6 text or the dotted quad. */
export function addrText(x: { readonly address: number; readonly address6?: string }): string {
  return x.address6 ?? formatIPv4(x.address);
}

/** Address and port as ipvsadm prints them: `[2001:db8::1]:80` or `1.2.3.4:80`. */
export function hostPort(x: { readonly address: number; readonly address6?: string }, port: number): string {
  return x.address6 !== undefined ? `[${x.address6}]:${port}` : `${formatIPv4(x.address)}:${port}`;
}

/** Parses IPv4 or IPv6 text: `{ address, address6? }` as the model holds them, or null. */
export function parseAddr(text: string): { address: number; address6?: string } | null {
  const v4 = parseIPv4(text);
  if (v4 !== null) return { address: v4 };
  const v6 = parseIPv6(text);
  return v6 === null ? null : { address: 0, address6: v6 };
}

/** `addr` lies within `net`/`prefixLen` (both canonical IPv6 text, prefixLen 0..128). */
export function prefixContains6(net: string, prefixLen: number, addr: string): boolean {
  if (prefixLen === 0) return true;
  const shift = BigInt(128 - prefixLen);
  return new Address6(net).bigInt() >> shift === new Address6(addr).bigInt() >> shift;
}

// IPv6 text <-> 4 big-endian 32-bit words: one implementation, the packet layer's.
export { ipv6Words, formatIPv6 as formatIPv6Words } from '../packet/ipv6.js';
