// IPv4 header (RFC 791 section 3.1). Offsets are relative to the header start (l3).
import { readU16, readU32, writeU16 } from './bytes.js';
import { checksum } from './checksum.js';

export const IPV4_VER_IHL = 0;
export const IPV4_TOS = 1;
export const IPV4_TOTLEN = 2;
export const IPV4_ID = 4;
export const IPV4_FRAG = 6;
export const IPV4_TTL = 8;
export const IPV4_PROTO = 9;
export const IPV4_CSUM = 10;
export const IPV4_SRC = 12;
export const IPV4_DST = 16;
/** RFC 791: "the minimum value for a correct header is 5" (32-bit words). */
export const IPV4_MIN_HLEN = 20;

/** Flags and fragment offset share one 16-bit field: 3 flag bits, 13 bits of offset. */
export const IP_DF = 0x4000;
export const IP_MF = 0x2000;
export const IP_OFFMASK = 0x1fff;

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export function ipv4Version(b: Uint8Array, l3: number): number {
  return b[l3] >>> 4;
}

/** Header length in bytes ("Internet Header Length ... in 32 bit words"). */
export function ipv4Ihl(b: Uint8Array, l3: number): number {
  return (b[l3] & 0x0f) << 2;
}

export function ipv4TotalLen(b: Uint8Array, l3: number): number {
  return readU16(b, l3 + IPV4_TOTLEN);
}

export function ipv4Ttl(b: Uint8Array, l3: number): number {
  return b[l3 + IPV4_TTL];
}

export function ipv4Proto(b: Uint8Array, l3: number): number {
  return b[l3 + IPV4_PROTO];
}

export function ipv4Src(b: Uint8Array, l3: number): number {
  return readU32(b, l3 + IPV4_SRC);
}

export function ipv4Dst(b: Uint8Array, l3: number): number {
  return readU32(b, l3 + IPV4_DST);
}

/** Fragment offset in bytes (RFC 791: "measured in units of 8 octets"). */
export function ipv4FragOffset(b: Uint8Array, l3: number): number {
  return (readU16(b, l3 + IPV4_FRAG) & IP_OFFMASK) << 3;
}

/**
 * Computes and stores the header checksum. RFC 791: "The checksum field is the
 * 16 bit one's complement of the one's complement sum of all 16 bit words in the
 * header. For purposes of computing the checksum, the value of the checksum
 * field is zero."
 */
export function ipv4SetChecksum(b: Uint8Array, l3: number, ihl: number): void {
  writeU16(b, l3 + IPV4_CSUM, 0);
  writeU16(b, l3 + IPV4_CSUM, checksum(b, l3, ihl));
}

/** A received header is valid when its words, checksum included, sum to 0xffff. */
export function ipv4ChecksumOk(b: Uint8Array, l3: number, ihl: number): boolean {
  return checksum(b, l3, ihl) === 0;
}
