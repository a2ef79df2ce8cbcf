// In-place NAT rewrites with incremental checksum updates (RFC 1624), so a
// rewrite costs a few additions whatever the payload size. Each function trusts
// `info` from parseFrame (result PARSE_IPV4) and updates it to the new values.
//
// `partial`: the frame came from a CHECKSUM_PARTIAL offload (AF_PACKET with
// PACKET_VNET_HDR / tpacket "csum not ready"): the TCP/UDP checksum field holds
// only the uncomplemented pseudo-header sum, and the device or kernel adds the
// L4 header and payload and complements later. So an address change is added to
// that sum, and a port change needs no adjustment at all.
//
// Addresses cross function calls as int32 (`addr | 0`): a uint32 above 2^31 is
// not a small integer to V8, and passing one boxes a heap number per call, which
// on the per-packet path is garbage and a deoptimisation risk. The checksum
// arithmetic (>>> 16, & 0xffff) reads int32 and uint32 alike.
import { readU16, writeU16, writeU32 } from './bytes.js';
import { applyDiff, csumReplaceAddrPort, diff16, diff32, partialReplace32 } from './checksum.js';
import { IPPROTO_TCP, IPPROTO_UDP, IPV4_CSUM, IPV4_DST, IPV4_SRC } from './ipv4.js';
import { TCP_CSUM, TCP_DPORT, TCP_SPORT } from './tcp.js';
import { UDP_CSUM, UDP_DPORT, UDP_SPORT } from './udp.js';
import { ICMP_CSUM } from './icmp.js';
import type { FrameInfo } from './parse.js';

/**
 * Destination NAT: daddr and (TCP/UDP) dport. Non-first fragments carry no L4
 * header, and ICMP has no pseudo-header: for those only the IP header changes.
 */
export function rewriteDst(buf: Uint8Array, info: FrameInfo, newAddr: number, newPort: number, partial = false): void {
  const ported = rewrite(buf, info, IPV4_DST, info.daddr | 0, newAddr | 0, TCP_DPORT, info.dport, newPort, partial);
  info.daddr = newAddr >>> 0;
  if (ported) info.dport = newPort;
}

/** Source NAT: saddr and (TCP/UDP) sport; the mirror of rewriteDst. */
export function rewriteSrc(buf: Uint8Array, info: FrameInfo, newAddr: number, newPort: number, partial = false): void {
  const ported = rewrite(buf, info, IPV4_SRC, info.saddr | 0, newAddr | 0, TCP_SPORT, info.sport, newPort, partial);
  info.saddr = newAddr >>> 0;
  if (ported) info.sport = newPort;
}

/**
 * One address (and, for TCP/UDP, its port) changes: the IP header checksum takes the
 * address difference, the L4 checksum the address (pseudo-header) and port
 * differences together. One function for both directions keeps the per-packet path
 * small enough for V8 to inline. TCP and UDP keep their ports at the same offsets
 * (TCP_SPORT = UDP_SPORT, TCP_DPORT = UDP_DPORT); only the checksum field differs.
 * Returns whether the port was rewritten.
 */
function rewrite(
  buf: Uint8Array, info: FrameInfo, addrField: number, oldAddr: number, newAddr: number,
  portField: number, oldPort: number, newPort: number, partial: boolean,
): boolean {
  const l3 = info.l3;
  writeU32(buf, l3 + addrField, newAddr);
  const addrDiff = diff32(oldAddr, newAddr);
  writeU16(buf, l3 + IPV4_CSUM, applyDiff(readU16(buf, l3 + IPV4_CSUM), addrDiff));
  const proto = info.proto;
  if (info.fragOff !== 0 || (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP)) return false;
  const l4 = info.l4;
  const csumOff = l4 + (proto === IPPROTO_TCP ? TCP_CSUM : UDP_CSUM);
  writeU16(buf, l4 + portField, newPort);
  const check = readU16(buf, csumOff);
  if (partial) {
    // Only the pseudo-header sum is in the field, uncomplemented: the address
    // difference is added to it; the port is summed later with the header.
    writeU16(buf, csumOff, partialReplace32(check, oldAddr, newAddr));
    return true;
  }
  // RFC 768: "An all zero transmitted checksum value means that the transmitter
  // generated no checksum": it stays zero (Linux udp_snat_handler does the same).
  if (proto === IPPROTO_UDP && check === 0) return true;
  let c = applyDiff(check, addrDiff + diff16(oldPort, newPort));
  // RFC 768: "If the computed checksum is zero, it is transmitted as all ones".
  if (proto === IPPROTO_UDP && c === 0) c = 0xffff;
  writeU16(buf, csumOff, c);
  return true;
}

/**
 * ICMP error translation, embedded source side: the quoted datagram's saddr and
 * (TCP/UDP) sport become newAddr/newPort. Fixes the embedded IP checksum, the
 * embedded UDP checksum when non-zero, and the ICMP checksum. The embedded TCP
 * checksum lies beyond the quoted 8 bytes and is left alone, as Linux does.
 * The outer header is the caller's: rewriteSrc/rewriteDst.
 */
export function rewriteIcmpInnerSrc(buf: Uint8Array, info: FrameInfo, newAddr: number, newPort: number, partial = false): void {
  if (info.inner < 0) return;
  rewriteInner(buf, info, IPV4_SRC, info.innerSaddr | 0, newAddr | 0, UDP_SPORT, info.innerSport, newPort, partial);
  info.innerSaddr = newAddr >>> 0;
  if (info.innerProto === IPPROTO_TCP || info.innerProto === IPPROTO_UDP) info.innerSport = newPort;
}

/** ICMP error translation, embedded destination side: daddr and dport. */
export function rewriteIcmpInnerDst(buf: Uint8Array, info: FrameInfo, newAddr: number, newPort: number, partial = false): void {
  if (info.inner < 0) return;
  rewriteInner(buf, info, IPV4_DST, info.innerDaddr | 0, newAddr | 0, UDP_DPORT, info.innerDport, newPort, partial);
  info.innerDaddr = newAddr >>> 0;
  if (info.innerProto === IPPROTO_TCP || info.innerProto === IPPROTO_UDP) info.innerDport = newPort;
}

/**
 * The ICMP checksum covers the whole ICMP message (RFC 792: "the 16-bit ones's
 * complement of the one's complement sum of the ICMP message starting with the
 * ICMP Type"), so every 16-bit word changed in the quote is accumulated as
 * ~old + new and applied once (RFC 1624 eqn. 3). The quote starts 8 bytes into
 * the message and IP headers are whole 32-bit words, so every changed word is
 * aligned on the message's 16-bit boundaries.
 * With `partial`, the ICMP field holds no pseudo-header (ICMP has none): the
 * device sums the message later, so it needs no update.
 */
function rewriteInner(
  buf: Uint8Array, info: FrameInfo, addrField: number, oldAddr: number, newAddr: number,
  portField: number, oldPort: number, newPort: number, partial: boolean,
): void {
  const ci = info.inner;
  writeU32(buf, ci + addrField, newAddr);
  let diff = diff32(oldAddr, newAddr);
  const oldIpCheck = readU16(buf, ci + IPV4_CSUM);
  const newIpCheck = applyDiff(oldIpCheck, diff);
  writeU16(buf, ci + IPV4_CSUM, newIpCheck);
  diff += diff16(oldIpCheck, newIpCheck);
  const proto = info.innerProto;
  if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) {
    const cl4 = info.innerL4;
    writeU16(buf, cl4 + portField, newPort);
    diff += diff16(oldPort, newPort);
    if (proto === IPPROTO_UDP) {
      const oldUdpCheck = readU16(buf, cl4 + UDP_CSUM);
      if (oldUdpCheck !== 0) {
        let c = csumReplaceAddrPort(oldUdpCheck, oldAddr, newAddr, oldPort, newPort);
        if (c === 0) c = 0xffff;
        writeU16(buf, cl4 + UDP_CSUM, c);
        diff += diff16(oldUdpCheck, c);
      }
    }
  }
  if (partial) return;
  const icmpCheck = readU16(buf, info.l4 + ICMP_CSUM);
  writeU16(buf, info.l4 + ICMP_CSUM, applyDiff(icmpCheck, diff));
}
