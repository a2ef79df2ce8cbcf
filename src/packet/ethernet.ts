// Ethernet II framing (IEEE 802.3 clause 3.2, 802.1Q for the VLAN tag). MAC
// addresses are 6 bytes at an offset in some Uint8Array; nothing is copied into
// objects or strings on the data plane.

export const ETH_HLEN = 14;
export const ETH_ALEN = 6;
/** Offsets inside the Ethernet header. */
export const ETH_DST = 0;
export const ETH_SRC = 6;
export const ETH_TYPE = 12;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
/** RFC 2464 section 3: "The Ethernet type code ... for IPv6 is 86DD hexadecimal". */
export const ETHERTYPE_IPV6 = 0x86dd;
/** An 802.1Q tag: TPID 0x8100 then 2 bytes of TCI (PCP, DEI, 12-bit VLAN id). */
export const VLAN_HLEN = 4;

export function copyMac(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number): void {
  dst[dstOff] = src[srcOff];
  dst[dstOff + 1] = src[srcOff + 1];
  dst[dstOff + 2] = src[srcOff + 2];
  dst[dstOff + 3] = src[srcOff + 3];
  dst[dstOff + 4] = src[srcOff + 4];
  dst[dstOff + 5] = src[srcOff + 5];
}

export function macEquals(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): boolean {
  return (
    a[aOff] === b[bOff] && a[aOff + 1] === b[bOff + 1] && a[aOff + 2] === b[bOff + 2] &&
    a[aOff + 3] === b[bOff + 3] && a[aOff + 4] === b[bOff + 4] && a[aOff + 5] === b[bOff + 5]
  );
}

/** ff:ff:ff:ff:ff:ff. */
export function isBroadcast(buf: Uint8Array, off: number): boolean {
  return (buf[off] & buf[off + 1] & buf[off + 2] & buf[off + 3] & buf[off + 4] & buf[off + 5]) === 0xff;
}

/**
 * The I/G bit: "the least significant bit of the first octet" set means a group
 * address (IEEE 802 section 8.2). Broadcast is a group address too.
 */
export function isMulticast(buf: Uint8Array, off: number): boolean {
  return (buf[off] & 1) === 1;
}

/** Copies the frame's destination MAC (frame at l2) into out[outOff..+6). */
export function readEthDst(buf: Uint8Array, l2: number, out: Uint8Array, outOff: number): void {
  copyMac(out, outOff, buf, l2 + ETH_DST);
}

export function readEthSrc(buf: Uint8Array, l2: number, out: Uint8Array, outOff: number): void {
  copyMac(out, outOff, buf, l2 + ETH_SRC);
}

export function writeEthDst(buf: Uint8Array, l2: number, mac: Uint8Array, macOff: number): void {
  copyMac(buf, l2 + ETH_DST, mac, macOff);
}

export function writeEthSrc(buf: Uint8Array, l2: number, mac: Uint8Array, macOff: number): void {
  copyMac(buf, l2 + ETH_SRC, mac, macOff);
}

/** The outer EtherType (0x8100 for a tagged frame). */
export function readEthType(buf: Uint8Array, l2: number): number {
  return (buf[l2 + ETH_TYPE] << 8) | buf[l2 + ETH_TYPE + 1];
}

/**
 * Readdresses a frame for forwarding (NAT or DR): dst = next hop, src = us.
 * DR is exactly this and nothing else: the IP datagram is left untouched.
 */
export function setEthAddrs(
  buf: Uint8Array, l2: number, dstMac: Uint8Array, dstOff: number, srcMac: Uint8Array, srcOff: number,
): void {
  copyMac(buf, l2 + ETH_DST, dstMac, dstOff);
  copyMac(buf, l2 + ETH_SRC, srcMac, srcOff);
}

/**
 * Turns the Ethernet header around to answer the sender in place: dst = the old
 * src, src = myMac (for ARP replies, with arpToReply for the ARP body).
 */
export function ethToReply(buf: Uint8Array, l2: number, myMac: Uint8Array, myMacOff: number): void {
  copyMac(buf, l2 + ETH_DST, buf, l2 + ETH_SRC);
  copyMac(buf, l2 + ETH_SRC, myMac, myMacOff);
}
