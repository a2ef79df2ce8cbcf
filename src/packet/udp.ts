// UDP header (RFC 768). Offsets are relative to the header start (l4).
import { readU16 } from './bytes.js';

export const UDP_SPORT = 0;
export const UDP_DPORT = 2;
export const UDP_LEN = 4;
export const UDP_CSUM = 6;
export const UDP_HLEN = 8;

export function udpSport(b: Uint8Array, l4: number): number {
  return readU16(b, l4 + UDP_SPORT);
}

export function udpDport(b: Uint8Array, l4: number): number {
  return readU16(b, l4 + UDP_DPORT);
}

export function udpLength(b: Uint8Array, l4: number): number {
  return readU16(b, l4 + UDP_LEN);
}

export function udpChecksumField(b: Uint8Array, l4: number): number {
  return readU16(b, l4 + UDP_CSUM);
}

/**
 * RFC 768: "If the computed checksum is zero, it is transmitted as all ones (the
 * equivalent in one's complement arithmetic). An all zero transmitted checksum
 * value means that the transmitter generated no checksum."
 */
export function udpWireChecksum(computed: number): number {
  return computed === 0 ? 0xffff : computed;
}
