// Number and bar formatting for `tsvs top`, and the order ipvsadm --sort
// lists services and real servers in, so rows keep their place between
// refreshes.
import { parseIPv4 } from '../../model/index.js';
import type { ServerView, ServiceView } from '../../control/types.js';
import { serverRefOf } from '../../control/service-id.js';

/**
 * A count or rate in at most 4 characters: exact below 10000, then K, M, G, T
 * in steps of 1000 (one decimal below 10 of the unit), as top and iftop
 * shorten figures. ipvsadm's print_largenum keeps 8 digits; top has less room.
 */
export function human(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (Math.abs(n) < 9999.5) return String(Math.round(n));
  const units = ['K', 'M', 'G', 'T', 'P'];
  let v = n;
  for (const u of units) {
    v /= 1000;
    if (Math.abs(v) < 9.95) return `${v.toFixed(1)}${u}`;
    if (Math.abs(v) < 999.5) return `${Math.round(v)}${u}`;
  }
  return `${Math.round(v)}P`;
}

/** `n` exactly if it fits in `width`, else shortened; right-aligned. */
export const fit = (n: number, width: number): string => (String(n).length <= width ? String(n) : human(n)).padStart(width);

/** A rate with one decimal while it is small (0.3/s of drops matters), shortened when large. */
export const rate = (perSecond: number): string => (perSecond < 99.95 ? perSecond.toFixed(1) : human(perSecond));

/** `share` (0..1) of `width` as '#', the rest '.', so the full bar is 100%. */
export function bar(share: number, width: number): string {
  if (width <= 0) return '';
  const filled = Math.round(Math.min(1, Math.max(0, share)) * width);
  return '#'.repeat(filled) + '.'.repeat(width - filled);
}

/** ipvsadm -c's expire column: minutes:seconds. */
export const mmss = (seconds: number): string => `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;

const ipNum = (a: string): number => parseIPv4(a) ?? 0;
const PROTO_NUM = { tcp: 6, udp: 17 } as const;

/**
 * ipvsadm's ipvs_cmp_services: by fwmark (so address services come first),
 * then protocol number, then address, then port.
 */
export function compareServices(a: ServiceView, b: ServiceView): number {
  return a.fwmark - b.fwmark || PROTO_NUM[a.protocol] - PROTO_NUM[b.protocol] || ipNum(a.address) - ipNum(b.address) || a.port - b.port;
}

/** ipvsadm's ipvs_cmp_dests: by address, then port. */
export const compareServers = (a: ServerView, b: ServerView): number => ipNum(a.address) - ipNum(b.address) || a.port - b.port;

/** The service as ipvsadm -L -n names it: `TCP  198.18.0.10:80`, `FWM  1`. */
export function serviceName(svc: ServiceView): string {
  return svc.fwmark ? `FWM  ${svc.fwmark}` : `${svc.protocol.toUpperCase()}  ${serverRefOf(svc.address, svc.port)}`;
}

/** The scheduler and flags, as ipvsadm -L prints them after the service. */
export function serviceFlags(svc: ServiceView): string {
  const parts = [svc.scheduler];
  if (svc.schedFlags.length) parts.push(`(${svc.schedFlags.join(',')})`);
  if (svc.persistence) parts.push(`persistent ${svc.persistence}`);
  if (svc.persistence && svc.persistMask !== '255.255.255.255') parts.push(`mask ${svc.persistMask}`);
  if (svc.onePacket) parts.push('ops');
  return parts.join(' ');
}
