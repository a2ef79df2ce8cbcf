// Service ids in the control API's URLs: tcp-198.18.0.10-80, udp-..., fwm-1,
// and for IPv6 the address as plain text between the dashes,
// tcp-2001:db8::10-80 (an IPv6 address has no dash, and a colon needs no
// escaping in a URL path), fwm-1-6 for `-f 1 -6`. The bracketed form
// tcp-[2001:db8::10]-80 is accepted too.
import { addrText, parseIPv6, type VirtualService } from '../model/index.js';
import type { ServiceSelector } from './types.js';

export function parseServiceId(id: string): ServiceSelector | null {
  const fwm = /^fwm-(\d+)(-6)?$/.exec(id);
  if (fwm) return fwm[2] ? { fwmark: Number(fwm[1]), ipv6: true } : { fwmark: Number(fwm[1]) };
  const m = /^(tcp|udp)-(?:([\d.]+)|\[([0-9A-Fa-f:.]+)\]|([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*))-(\d+)$/.exec(id);
  if (!m) return null;
  return { protocol: m[1] as 'tcp' | 'udp', address: m[2] ?? m[3] ?? m[4], port: Number(m[5]) };
}

export function serviceIdOf(sel: ServiceSelector): string {
  if ('fwmark' in sel) return sel.ipv6 ? `fwm-${sel.fwmark}-6` : `fwm-${sel.fwmark}`;
  return `${sel.protocol}-${sel.address.replace(/^\[(.*)\]$/, '$1')}-${sel.port}`;
}

/**
 * A real server in a URL path (`/servers/SERVER`): `ADDR` or `ADDR:PORT` for
 * IPv4, `[ADDR]:PORT`, `[ADDR]` or plain `ADDR` (no port) for IPv6, as
 * ipvsadm's -r takes them. Port 0 when not given.
 */
export function parseServerRef(text: string): { address: string; port: number } | null {
  // A bare IPv6 address takes no port (its last group would read as one): ipvsadm reads it whole too.
  // Two colons at least: `1.2.3.4:80` is IPv4 with a port.
  if (/^[0-9A-Fa-f.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*$/.test(text)) return { address: text, port: 0 };
  const m = /^(?:([\d.]+)|\[([0-9A-Fa-f:.]+)\])(?::(\d+))?$/.exec(text);
  return m ? { address: m[1] ?? m[2], port: m[3] === undefined ? 0 : Number(m[3]) } : null;
}

/** A server as parseServerRef reads it: `1.2.3.4:80`, `[2001:db8::2]:80`. */
export function serverRefOf(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The id of a model service: `tcp-198.18.0.10-80`, `tcp-2001:db8::10-80`, `fwm-1`, `fwm-1-6`. */
export function serviceId(s: Pick<VirtualService, 'protocol' | 'address' | 'port' | 'fwmark' | 'address6' | 'family6'>): string {
  if (s.fwmark) return s.family6 ? `fwm-${s.fwmark}-6` : `fwm-${s.fwmark}`;
  return `${s.protocol}-${addrText(s)}-${s.port}`;
}

/** The id a selector names, its IPv6 address in canonical text (so `tcp-2001:DB8:0::10-80` finds `tcp-2001:db8::10-80`). */
export function canonicalServiceId(sel: ServiceSelector): string {
  if ('fwmark' in sel) return serviceIdOf(sel);
  const bare = sel.address.replace(/^\[(.*)\]$/, '$1');
  return serviceIdOf({ ...sel, address: bare.includes(':') ? parseIPv6(bare) ?? bare : bare });
}
