// UDP header (RFC 768). Offsets are relative to the header start (l4).

export const UDP_SPORT = 0;
export const UDP_DPORT = 2;
export const UDP_LEN = 4;
export const UDP_CSUM = 6;
export const UDP_HLEN = 8;

/**
 * RFC 768: "If the computed checksum is zero, it is transmitted as all ones (the
 * equivalent in one's complement arithmetic). An all zero transmitted checksum
 * value means that the transmitter generated no checksum."
 */
export function udpWireChecksum(computed: number): number {
  return computed === 0 ? 0xffff : computed;
}
