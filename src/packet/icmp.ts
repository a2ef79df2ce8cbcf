// ICMP for IPv4 (RFC 792). Offsets are relative to the ICMP header start (l4).
import { readU16 } from './bytes.js';

export const ICMP_TYPE = 0;
export const ICMP_CODE = 1;
export const ICMP_CSUM = 2;
/** Echo/timestamp identifier and sequence; for errors, bytes 4..7 are unused/MTU/pointer. */
export const ICMP_ID = 4;
export const ICMP_SEQ = 6;
/** RFC 1191: "Next-Hop MTU" in the low 16 bits of the unused field of type 3 code 4. */
export const ICMP_MTU = 6;
export const ICMP_HLEN = 8;

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_SOURCE_QUENCH = 4;
export const ICMP_REDIRECT = 5;
export const ICMP_ECHO = 8;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETER_PROBLEM = 12;
export const ICMP_TIMESTAMP = 13;
export const ICMP_TIMESTAMP_REPLY = 14;

/** Destination unreachable code 4: "fragmentation needed and DF set" (PMTU discovery). */
export const ICMP_FRAG_NEEDED = 4;
export const ICMP_PORT_UNREACH = 3;

/**
 * The error types whose body is "Internet Header + 64 bits of Original Data
 * Datagram" (RFC 792): destination unreachable, source quench, redirect, time
 * exceeded, parameter problem (Linux icmp_is_err()). The parser exposes the
 * embedded datagram for all five; IPVS itself translates only 3, 4 and 11
 * (ip_vs_in_icmp/ip_vs_out_icmp), which the engine decides.
 */
export function isIcmpError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/** Query messages that carry an identifier at bytes 4..5 (echo and timestamp). */
export function icmpHasId(type: number): boolean {
  return type === 0 || type === 8 || type === 13 || type === 14;
}

export function icmpType(b: Uint8Array, l4: number): number {
  return b[l4 + ICMP_TYPE];
}

export function icmpCode(b: Uint8Array, l4: number): number {
  return b[l4 + ICMP_CODE];
}

export function icmpId(b: Uint8Array, l4: number): number {
  return readU16(b, l4 + ICMP_ID);
}
