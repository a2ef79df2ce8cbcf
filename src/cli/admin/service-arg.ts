// parse_service(): "host[:port]" for -t/-u/--sctp-service and -r, with
// ipvsadm's quirks kept:
//   - a string of digits only (or nothing) is not an address;
//   - "[v6]:port" needs the ':' after ']'; a bracketed IPv4 address loses its
//     port, because ipvsadm looks for ':' again inside the brackets;
//   - an unbracketed IPv6 address has no port;
//   - IPv4 goes through inet_aton, then gethostbyname; the port through
//     strtol, then getservbyname for the service's protocol.
import { isIPv6 } from 'node:net';
import { formatIPv4 } from '../../model/index.js';
import type { NameProto, NameService } from './names.js';
import { inetAton, stringToNumber } from './values.js';

export const SERVICE_NONE = 0;
export const SERVICE_ADDR = 1;
export const SERVICE_PORT = 2;

/** The address part of ipvs_service_t / ipvs_dest_t that parse_service fills in. */
export interface AddrPort {
  /** 0 until an address is parsed (AF_UNSPEC). */
  af: 0 | 4 | 6;
  address: string;
  port: number;
  /** Set to 128 when an IPv6 address is parsed (the service's netmask). */
  netmask?: string | number;
}

const strIsDigit = (s: string): boolean => /^[0-9]*$/.test(s);

/** glibc's inet_pton(AF_INET6) takes no "%scope" suffix; node's isIPv6 does. */
const isPlainIPv6 = (s: string): boolean => !s.includes('%') && isIPv6(s);

/** Returns SERVICE_NONE, or SERVICE_ADDR with SERVICE_PORT when a port was given; fills `into`. */
export async function parseService(buf: string, proto: NameProto | null, into: AddrPort, names: NameService): Promise<number> {
  if (strIsDigit(buf)) return SERVICE_NONE;
  let host = buf;
  let portp: string | null = null;
  if (host[0] === '[') {
    const close = host.indexOf(']');
    if (close < 0) return SERVICE_NONE;
    const after = host.slice(close + 1);
    host = host.slice(1, close);
    if (after[0] !== ':') return SERVICE_NONE;
    portp = after.slice(1);
  }
  if (isPlainIPv6(host)) {
    into.af = 6;
    into.address = host;
    into.netmask = 128;
  } else {
    const colon = host.lastIndexOf(':');
    portp = colon >= 0 ? host.slice(colon + 1) : null;
    if (colon >= 0) host = host.slice(0, colon);
    const aton = inetAton(host);
    const address = aton !== null ? formatIPv4(aton) : await names.hostAddress(host);
    if (address === null) return SERVICE_NONE;
    into.af = 4;
    into.address = address;
  }
  if (portp === null) return SERVICE_ADDR;
  const port = stringToNumber(portp, 0, 65535) ?? (proto ? names.servicePort(portp, proto) : null);
  if (port === null) return SERVICE_NONE;
  into.port = port;
  return SERVICE_ADDR | SERVICE_PORT;
}

/** parse_netmask(): an IPv4 mask is any address inet_aton or gethostbyname reads ("24" is 0.0.0.24). */
export async function parseNetmask(buf: string, names: NameService): Promise<string | null> {
  const aton = inetAton(buf);
  return aton !== null ? formatIPv4(aton) : names.hostAddress(buf);
}
