// ICMPv6 (RFC 4443) and Neighbor Discovery (RFC 4861): constants and offsets.
// Offsets are relative to the ICMPv6 header start (l4). Builders: icmp6-build.ts.

export const ICMP6_TYPE = 0;
export const ICMP6_CODE = 1;
export const ICMP6_CSUM = 2;
/** Echo identifier and sequence; Packet Too Big's MTU; Parameter Problem's pointer (bytes 4..7). */
export const ICMP6_ID = 4;
export const ICMP6_SEQ = 6;
export const ICMP6_MTU = 4;
export const ICMP6_HLEN = 8;

// RFC 4443 section 2.1: "error messages have 0 in the high-order bit of their message Type field".
export const ICMP6_DST_UNREACH = 1;
export const ICMP6_PACKET_TOO_BIG = 2;
export const ICMP6_TIME_EXCEEDED = 3;
export const ICMP6_PARAM_PROB = 4;
export const ICMP6_ECHO_REQUEST = 128;
export const ICMP6_ECHO_REPLY = 129;
/** RFC 4443 section 3.1 code 4: "port unreachable". */
export const ICMP6_PORT_UNREACH = 4;
/** RFC 4443 section 3.3 code 0: "hop limit exceeded in transit". */
export const ICMP6_HOPLIMIT_EXCEEDED = 0;

// Neighbor Discovery (RFC 4861 section 4).
export const ND_ROUTER_SOLICIT = 133;
export const ND_ROUTER_ADVERT = 134;
export const ND_NEIGHBOR_SOLICIT = 135;
export const ND_NEIGHBOR_ADVERT = 136;
export const ND_REDIRECT = 137;
/** NS and NA: type, code, checksum, 4 bytes (reserved / flags), the 16-byte target; options follow. */
export const ND_FLAGS = 4;
export const ND_TARGET = 8;
export const ND_HLEN = 24;
/** NA flags (first byte of the reserved word): Router, Solicited, Override. */
export const ND_NA_ROUTER = 0x80;
export const ND_NA_SOLICITED = 0x40;
export const ND_NA_OVERRIDE = 0x20;
/** Options: type, length in units of 8 octets, value. Types 1 and 2 carry a link-layer address. */
export const ND_OPT_SOURCE_LLA = 1;
export const ND_OPT_TARGET_LLA = 2;
/** An Ethernet link-layer address option: 2 + 6 bytes, length 1 (RFC 2464 section 6). */
export const ND_OPT_LLA_LEN = 8;
/** RFC 4861 section 7.1.1: "The IP Hop Limit field has a value of 255". */
export const ND_HOP_LIMIT = 255;

/** The error types whose body quotes the offending packet (RFC 4443 section 3). */
export function isIcmp6Error(type: number): boolean {
  return type >= 1 && type <= 4;
}

export function icmp6HasId(type: number): boolean {
  return type === ICMP6_ECHO_REQUEST || type === ICMP6_ECHO_REPLY;
}
