// IPv4 addresses as unsigned 32-bit numbers: the data plane compares and hashes
// numbers, never strings. Parsing and validation go through `ip-address` so that
// every text form the CLI and lvs.cf accept is checked the same way.
import { Address4 } from 'ip-address';

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
