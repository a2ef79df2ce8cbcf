// In-place NAT rewrites of IPv6 datagrams with incremental checksum updates (RFC
// 1624), the IPv6 counterpart of rewrite.ts: no header checksum (RFC 8200 has
// none), but TCP, UDP and ICMPv6 all sum the 128-bit addresses in their
// pseudo-header (RFC 8200 section 8.1; RFC 4443 section 2.3 for ICMPv6, which
// ICMPv4 does not), so an address change reaches the L4 checksum of all three.
// `info` comes from parseFrame (result PARSE_IPV6) and is updated to the new values;
// a new address is words[wo..wo+3] (big-endian words, as readAddr6 gives).
// `partial` as in rewrite.ts: the L4 field holds the uncomplemented pseudo-header
// sum (CHECKSUM_PARTIAL), so the address difference is added and the port is not.
// Nothing here allocates.
import { readU16, readU32, writeU16, writeU32 } from './bytes.js';
import { applyDiff, diff16, diff32, foldSmall } from './checksum.js';
import { IPPROTO_TCP, IPPROTO_UDP } from './ipv4.js';
import { foldWords6, IPPROTO_ICMPV6, IPV6_DST, IPV6_HOPLIMIT, IPV6_SRC } from './ipv6.js';
import { ICMP6_CSUM } from './icmp6.js';
import { TCP_CSUM, TCP_DPORT, TCP_SPORT } from './tcp.js';
import { UDP_CSUM, UDP_DPORT, UDP_SPORT } from './udp.js';
import type { FrameInfo } from './parse.js';

/** Destination NAT: the destination address and (TCP/UDP) port. */
export function rewriteDst6(
  buf: Uint8Array, info: FrameInfo, words: Int32Array, wo: number, port: number, partial = false,
): void {
  const ported = rewrite6(buf, info, IPV6_DST, words, wo, TCP_DPORT, info.dport, port, partial);
  info.daddr = foldWords6(words, wo);
  if (ported) info.dport = port;
}

/** Source NAT: the source address and (TCP/UDP) port; the mirror of rewriteDst6. */
export function rewriteSrc6(
  buf: Uint8Array, info: FrameInfo, words: Int32Array, wo: number, port: number, partial = false,
): void {
  const ported = rewrite6(buf, info, IPV6_SRC, words, wo, TCP_SPORT, info.sport, port, partial);
  info.saddr = foldWords6(words, wo);
  if (ported) info.sport = port;
}

/**
 * Writes the address at l3+field and returns ~old + new over its 8 16-bit words,
 * folded to 16 bits (RFC 1624 eqn. 3 summands).
 */
function swapAddr(buf: Uint8Array, at: number, words: Int32Array, wo: number): number {
  let diff = 0;
  for (let i = 0; i < 16; i += 4) {
    const nw = words[wo + (i >> 2)];
    diff += diff32(readU32(buf, at + i), nw);
    writeU32(buf, at + i, nw);
  }
  return foldSmall(diff);
}

/**
 * One address and, for TCP/UDP, its port. Non-first fragments carry no L4 header;
 * the first fragment's checksum covers the whole datagram, so it takes the change.
 * Returns whether the port was rewritten.
 */
function rewrite6(
  buf: Uint8Array, info: FrameInfo, field: number, words: Int32Array, wo: number,
  portField: number, oldPort: number, newPort: number, partial: boolean,
): boolean {
  let diff = swapAddr(buf, info.l3 + field, words, wo);
  const proto = info.proto;
  if (info.fragOff !== 0) return false;
  const l4 = info.l4;
  let csumOff: number;
  if (proto === IPPROTO_TCP) csumOff = l4 + TCP_CSUM;
  else if (proto === IPPROTO_UDP) csumOff = l4 + UDP_CSUM;
  else if (proto === IPPROTO_ICMPV6) csumOff = l4 + ICMP6_CSUM;
  else return false;
  const ported = proto !== IPPROTO_ICMPV6;
  if (ported) writeU16(buf, l4 + portField, newPort);
  const check = readU16(buf, csumOff);
  if (partial) {
    writeU16(buf, csumOff, foldSmall(check + diff));
    return ported;
  }
  // A zero UDP checksum is invalid in IPv6 (RFC 8200 section 8.1) and the receiver
  // discards it; an incremental update of "no checksum" would be wrong, so it stays 0.
  if (proto === IPPROTO_UDP && check === 0) return true;
  if (ported) diff += diff16(oldPort, newPort);
  let c = applyDiff(check, diff);
  // RFC 768: "If the computed checksum is zero, it is transmitted as all ones".
  if (proto === IPPROTO_UDP && c === 0) c = 0xffff;
  writeU16(buf, csumOff, c);
  return ported;
}

/**
 * ICMPv6 error translation, quoted source side: the embedded packet's source
 * address and (TCP/UDP) port become words[wo..]/port, its UDP checksum (when
 * non-zero) follows, and the ICMPv6 checksum takes every changed word (the quote
 * starts 8 bytes into the message and IPv6 headers are whole 8-byte units, so all
 * changed words sit on the message's 16-bit boundaries). The embedded TCP checksum
 * is left alone, as rewrite.ts and Linux do. The outer header is the caller's:
 * rewriteSrc6/rewriteDst6 (which update the ICMPv6 checksum for the outer
 * pseudo-header). With `partial` the ICMPv6 field holds only the pseudo-header sum:
 * the quote changes need nothing there.
 */
export function rewriteIcmp6InnerSrc(
  buf: Uint8Array, info: FrameInfo, words: Int32Array, wo: number, port: number, partial = false,
): void {
  if (info.inner < 0) return;
  rewriteInner6(buf, info, IPV6_SRC, words, wo, UDP_SPORT, info.innerSport, port, partial);
  info.innerSaddr = foldWords6(words, wo);
  if (info.innerProto === IPPROTO_TCP || info.innerProto === IPPROTO_UDP) info.innerSport = port;
}

/** ICMPv6 error translation, quoted destination side. */
export function rewriteIcmp6InnerDst(
  buf: Uint8Array, info: FrameInfo, words: Int32Array, wo: number, port: number, partial = false,
): void {
  if (info.inner < 0) return;
  rewriteInner6(buf, info, IPV6_DST, words, wo, UDP_DPORT, info.innerDport, port, partial);
  info.innerDaddr = foldWords6(words, wo);
  if (info.innerProto === IPPROTO_TCP || info.innerProto === IPPROTO_UDP) info.innerDport = port;
}

function rewriteInner6(
  buf: Uint8Array, info: FrameInfo, field: number, words: Int32Array, wo: number,
  portField: number, oldPort: number, newPort: number, partial: boolean,
): void {
  const addrDiff = swapAddr(buf, info.inner + field, words, wo);
  let diff = addrDiff;
  const proto = info.innerProto;
  if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) {
    const cl4 = info.innerL4;
    writeU16(buf, cl4 + portField, newPort);
    const portDiff = diff16(oldPort, newPort);
    diff += portDiff;
    if (proto === IPPROTO_UDP) {
      const old = readU16(buf, cl4 + UDP_CSUM);
      if (old !== 0) {
        let c = applyDiff(old, addrDiff + portDiff);
        if (c === 0) c = 0xffff;
        writeU16(buf, cl4 + UDP_CSUM, c);
        diff += diff16(old, c);
      }
    }
  }
  if (partial) return;
  const at = info.l4 + ICMP6_CSUM;
  writeU16(buf, at, applyDiff(readU16(buf, at), diff));
}

/**
 * Decrements the hop limit in place (RFC 8200 section 3: "Decremented by 1 by each
 * node that forwards the packet"); IPv6 has no header checksum to follow. Returns
 * the new hop limit. The caller drops (and may answer Time Exceeded) a packet that
 * arrived with 1 or 0 before forwarding it; 0 stays 0.
 */
export function decHopLimit(buf: Uint8Array, l3: number): number {
  const h = buf[l3 + IPV6_HOPLIMIT];
  if (h === 0) return 0;
  buf[l3 + IPV6_HOPLIMIT] = h - 1;
  return h - 1;
}
