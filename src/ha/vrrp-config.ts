// A VRRP instance's settings (keepalived's vrrp_instance, IPv4 only), checked
// once, and the timers derived from them (RFC 3768 6.1, RFC 5798 6.1).
import { formatIPv4 } from '../model/index.js';

export interface VrrpConfig {
  /** virtual_router_id, 1-255. */
  vrid: number;
  /** 1-255; 255 is the address owner, which becomes master at once. */
  priority: number;
  /** advert_int in ms: v2 whole seconds (1-255 s), v3 centiseconds (10 ms-40.95 s). */
  advertInt: number;
  version: 2 | 3;
  /** Default true; false is keepalived's nopreempt. */
  preempt?: boolean;
  /** preempt_delay in ms (keepalived: 0-1000 s); default 0. */
  preemptDelay?: number;
  /** This router's primary address: the adverts' source and the tie-break on equal priority. */
  address: number;
  /** virtual_ipaddress: the addresses the adverts carry. */
  virtualAddresses: number[];
  /** auth_type PASS with auth_pass (VRRPv2 only; 1-8 bytes). */
  authPass?: string;
  /** unicast_peer: adverts go to these addresses instead of 224.0.0.18. */
  unicastPeers?: number[];
}

export interface VrrpSettings extends Required<Omit<VrrpConfig, 'authPass' | 'unicastPeers'>> {
  authPass: string | null;
  unicastPeers: number[];
  unicast: boolean;
}

/** A configuration the machine refuses; `problems` lists every one found. */
export class VrrpConfigError extends Error {
  readonly code = 'VRRP_CONFIG';
  constructor(readonly problems: string[]) {
    super(`VRRP configuration: ${problems.join('; ')}`);
  }
}

const MAX_PREEMPT_DELAY_MS = 1000_000;

/** The settings with their defaults, or a VrrpConfigError naming every problem. */
export function vrrpSettings(cfg: VrrpConfig): VrrpSettings {
  const problems = configProblems(cfg);
  if (problems.length) throw new VrrpConfigError(problems);
  const unicastPeers = cfg.unicastPeers ?? [];
  return { ...cfg, preempt: cfg.preempt ?? true, preemptDelay: cfg.preemptDelay ?? 0, authPass: cfg.authPass ?? null, unicastPeers, unicast: unicastPeers.length > 0 };
}

function configProblems(c: VrrpConfig): string[] {
  const out: string[] = [];
  if (!inRange(c.vrid, 1, 255)) out.push(`vrid ${c.vrid}: must be 1-255`);
  // RFC 5798 5.2.4: 0 is reserved for "stopped participating", 255 for the owner.
  if (!inRange(c.priority, 1, 255)) out.push(`priority ${c.priority}: must be 1-255`);
  if (c.version !== 2 && c.version !== 3) out.push(`version ${String(c.version)}: must be 2 or 3`);
  out.push(...intervalProblems(c));
  if (c.preemptDelay !== undefined && !inRange(c.preemptDelay, 0, MAX_PREEMPT_DELAY_MS)) out.push(`preemptDelay ${c.preemptDelay} ms: must be 0-1000 s`);
  if (!isAddress(c.address) || c.address === 0) out.push('address: must be this router\'s primary IPv4 address');
  // The count is one byte on the wire (RFC 3768 5.3.5, RFC 5798 5.2.5).
  if (c.virtualAddresses.length > 255 || !c.virtualAddresses.every(isAddress)) out.push('virtualAddresses: at most 255 IPv4 addresses');
  out.push(...authProblems(c));
  if (c.unicastPeers?.includes(c.address)) out.push(`unicastPeers: ${formatIPv4(c.address)} is this router's own address`);
  if (c.unicastPeers && !c.unicastPeers.every(isAddress)) out.push('unicastPeers: IPv4 addresses only');
  return out;
}

function intervalProblems(c: VrrpConfig): string[] {
  // v2: an 8-bit count of seconds (RFC 3768 5.3.7); v3: 12 bits of centiseconds (RFC 5798 5.2.7).
  if (c.version === 2 && !(c.advertInt % 1000 === 0 && inRange(c.advertInt / 1000, 1, 255))) return [`advertInt ${c.advertInt} ms: VRRPv2 needs whole seconds, 1-255`];
  if (c.version === 3 && !(c.advertInt % 10 === 0 && inRange(c.advertInt / 10, 1, 4095))) return [`advertInt ${c.advertInt} ms: VRRPv3 needs centiseconds, 10 ms-40.95 s`];
  return [];
}

function authProblems(c: VrrpConfig): string[] {
  if (c.authPass === undefined) return [];
  // keepalived: authentication is a VRRPv2 field; RFC 5798 removed it.
  if (c.version !== 2) return ['authPass: VRRPv3 has no authentication'];
  const bytes = new TextEncoder().encode(c.authPass).length;
  return bytes < 1 || bytes > 8 ? [`authPass: 1-8 bytes (got ${bytes}; keepalived truncates to 8)`] : [];
}

function inRange(n: number, lo: number, hi: number): boolean {
  return Number.isInteger(n) && n >= lo && n <= hi;
}

function isAddress(n: number): boolean {
  return inRange(n, 0, 0xffffffff);
}

/**
 * Skew_Time in ms. RFC 3768 6.1: "( (256 - Priority) / 256 )" seconds, whatever
 * the advert interval; RFC 5798 6.1: "(((256 - priority) * Master_Adver_Interval)
 * / 256)" centiseconds. Floored to whole ms (keepalived keeps microseconds; the
 * RFC's integer centiseconds would lose up to 9 ms).
 */
export function skewMs(version: 2 | 3, priority: number, masterAdverMs: number): number {
  return Math.floor(((256 - priority) * (version === 2 ? 1000 : masterAdverMs)) / 256);
}

/** Master_Down_Interval in ms: "(3 * Master_Adver_Interval) + Skew_time" (RFC 5798 6.1; v2: the Advertisement_Interval). */
export function masterDownMs(version: 2 | 3, priority: number, masterAdverMs: number): number {
  return 3 * masterAdverMs + skewMs(version, priority, masterAdverMs);
}
