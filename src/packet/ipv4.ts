// IPv4 header (RFC 791 section 3.1). Offsets are relative to the header start (l3).
import { writeU16 } from './bytes.js';
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
