// ICMPv6 (RFC 4443) and Neighbor Discovery (RFC 4861): constants, offsets (relative
// to the ICMPv6 header, l4), and the builders of what the router sends: echo replies,
// neighbor advertisements and solicitations, and errors. A builder writes one frame
// into a given buffer at an offset and returns its length; none allocates. Addresses
// are words (readAddr6); MACs are 6 bytes at an offset of some Uint8Array.
import { readU16, writeU16, writeU32 } from './bytes.js';
import { applyDiff, diff16, setL4Checksum6 } from './checksum.js';
import { copyMac, ETH_HLEN, ETHERTYPE_IPV6 } from './ethernet.js';
import {
  IPPROTO_ICMPV6, IPV6_DST, IPV6_HLEN, IPV6_MIN_MTU, IPV6_SRC, isMulticast6, isUnspecified6, readAddr6, writeAddr6,
} from './ipv6.js';
import type { FrameInfo } from './parse.js';

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

/**
 * Hop limit of the errors and echo replies the router originates: 64, Linux's default
 * (net.ipv6.conf.*.hop_limit), what the kernel would send in tsvs's place. 255 is
 * only for Neighbor Discovery, where it proves the sender is on the link (RFC 4861
 * section 3.1); an error has to cross routers back to the client, as any packet.
 */
export const ICMP6_HOP_LIMIT = 64;
/** RFC 4443 section 2.4 (c): the error "MUST NOT exceed the minimum IPv6 MTU": 1280 - 40 - 8 bytes of quote. */
export const ICMP6_ERROR_QUOTE_MAX = IPV6_MIN_MTU - IPV6_HLEN - ICMP6_HLEN;

// Scratch for what a builder reads from a frame it may overwrite (in place).
const sWords = new Int32Array(8);
const sMac = new Uint8Array(6);

/** ff02::1:ffXX:XXXX, the solicited-node multicast address of an address (RFC 4291 section 2.7.1): its low 24 bits. */
export function solicitedNode(words: Int32Array, wo = 0, out: Int32Array = new Int32Array(4), oo = 0): Int32Array {
  out[oo] = 0xff020000 | 0;
  out[oo + 1] = 0;
  out[oo + 2] = 1;
  out[oo + 3] = 0xff000000 | (words[wo + 3] & 0xffffff);
  return out;
}

/** The Ethernet address of an IPv6 multicast address: 33:33 then its low 32 bits (RFC 2464 section 7). */
export function multicastMac(buf: Uint8Array, at: number, words: Int32Array, wo = 0): void {
  buf[at] = 0x33;
  buf[at + 1] = 0x33;
  writeU32(buf, at + 2, words[wo + 3]);
}

/** Ethernet header (dst, src MACs already in place or written by the caller) and the IPv6 fixed header. */
function writeIp6(buf: Uint8Array, l3: number, payLen: number, hop: number): void {
  writeU16(buf, l3 - 2, ETHERTYPE_IPV6);
  writeU32(buf, l3, 0x60000000);
  writeU16(buf, l3 + 4, payLen);
  buf[l3 + 6] = IPPROTO_ICMPV6;
  buf[l3 + 7] = hop;
}

/**
 * Echo Reply made in place from the Echo Request parsed into info (RFC 4443 section
 * 4.2: "the data received in the ICMPv6 Echo Request message MUST be returned
 * entirely and unmodified"): addresses and MACs swapped, type 129, hop limit 64,
 * extension headers of the request dropped (the message moves up to l3 + 40), the
 * checksum updated for the type (the pseudo-header sum is the same with the
 * addresses swapped, and the upper-layer length is unchanged). The caller verified the
 * request's checksum (l4ChecksumOk6) and that it was sent to a unicast address of
 * ours; for one sent to a multicast group it must then write our unicast address as
 * the source (RFC 4443 section 4.2) and our MAC. Returns the frame length.
 */
export function echoReply6(buf: Uint8Array, info: FrameInfo): number {
  const l2 = info.l2, l3 = info.l3;
  copyMac(sMac, 0, buf, l2);
  copyMac(buf, l2, buf, l2 + 6);
  copyMac(buf, l2 + 6, sMac, 0);
  readAddr6(buf, l3 + IPV6_SRC, sWords, 0);
  readAddr6(buf, l3 + IPV6_DST, sWords, 4);
  writeAddr6(buf, l3 + IPV6_SRC, sWords, 4);
  writeAddr6(buf, l3 + IPV6_DST, sWords, 0);
  let l4 = info.l4;
  const len = info.l4Len;
  if (l4 !== l3 + IPV6_HLEN) {
    buf.copyWithin(l3 + IPV6_HLEN, l4, l4 + len);
    l4 = l3 + IPV6_HLEN;
  }
  writeIp6(buf, l3, len, ICMP6_HOP_LIMIT);
  const old = readU16(buf, l4);
  const now = (ICMP6_ECHO_REPLY << 8) | (old & 0xff);
  writeU16(buf, l4, now);
  writeU16(buf, l4 + ICMP6_CSUM, applyDiff(readU16(buf, l4 + ICMP6_CSUM), diff16(old, now)));
  return l3 - l2 + IPV6_HLEN + len;
}

/** NA body: type 136, flags, target words, target link-layer address option; checksum last. */
function writeNa(buf: Uint8Array, l3: number, flags: number, target: Int32Array, to: number, mac: Uint8Array, mo: number): number {
  const l4 = l3 + IPV6_HLEN;
  writeIp6(buf, l3, ND_HLEN + ND_OPT_LLA_LEN, ND_HOP_LIMIT);
  writeU32(buf, l4, (ND_NEIGHBOR_ADVERT << 24) >>> 0);
  writeU32(buf, l4 + ND_FLAGS, (flags << 24) >>> 0);
  writeAddr6(buf, l4 + ND_TARGET, target, to);
  buf[l4 + ND_HLEN] = ND_OPT_TARGET_LLA;
  buf[l4 + ND_HLEN + 1] = 1;
  copyMac(buf, l4 + ND_HLEN + 2, mac, mo);
  setL4Checksum6(buf, l3, l4, ND_HLEN + ND_OPT_LLA_LEN, IPPROTO_ICMPV6);
  return ETH_HLEN + IPV6_HLEN + ND_HLEN + ND_OPT_LLA_LEN;
}

const ALL_NODES = new Int32Array([0xff020000 | 0, 0, 0, 1]);

/**
 * Neighbor Advertisement answering the Neighbor Solicitation parsed into info
 * (RFC 4861 section 7.2.4), written at buf[off..] (86 bytes; may be the solicitation's
 * own place): source = the target address, destination = the solicitation's source,
 * flags Router (tsvs routes), Solicited and Override, our MAC in a target link-layer
 * address option, hop limit 255. A solicitation from :: (duplicate address
 * detection) is answered to all-nodes ff02::1 with Solicited clear: "If the source
 * of the solicitation is the unspecified address, the node MUST set the Solicited
 * flag to zero and multicast the advertisement to the all-nodes address". The
 * Ethernet destination is the solicitation's source link-layer address option, else
 * its Ethernet source. The caller checked that the target is ours and the NS's
 * checksum. Returns the frame length.
 */
export function neighborAdvertReply(
  buf: Uint8Array, off: number, ns: Uint8Array, info: FrameInfo, myMac: Uint8Array, myMacOff: number,
): number {
  readAddr6(ns, info.ndTarget, sWords, 0);
  const dad = isUnspecified6(ns, info.l3 + IPV6_SRC);
  if (dad) {
    sWords.set(ALL_NODES, 4);
    multicastMac(sMac, 0, ALL_NODES);
  } else {
    readAddr6(ns, info.l3 + IPV6_SRC, sWords, 4);
    copyMac(sMac, 0, ns, info.ndLla >= 0 ? info.ndLla : info.l2 + 6);
  }
  copyMac(buf, off, sMac, 0);
  copyMac(buf, off + 6, myMac, myMacOff);
  const l3 = off + ETH_HLEN;
  writeAddr6(buf, l3 + IPV6_SRC, sWords, 0);
  writeAddr6(buf, l3 + IPV6_DST, sWords, 4);
  const flags = ND_NA_ROUTER | ND_NA_OVERRIDE | (dad ? 0 : ND_NA_SOLICITED);
  return writeNa(buf, l3, flags, sWords, 0, myMac, myMacOff);
}

/**
 * Unsolicited Neighbor Advertisement (RFC 4861 section 7.2.6), IPv6's gratuitous
 * ARP: to all-nodes ff02::1 (Ethernet 33:33:00:00:00:01) from the address itself,
 * Router and Override set, Solicited clear ("the Solicited flag MUST be zero"),
 * our MAC as the target link-layer address. 86 bytes. Returns the frame length.
 */
export function unsolicitedNeighborAdvert(
  buf: Uint8Array, off: number, addr: Int32Array, ao: number, myMac: Uint8Array, myMacOff: number,
): number {
  multicastMac(buf, off, ALL_NODES);
  copyMac(buf, off + 6, myMac, myMacOff);
  const l3 = off + ETH_HLEN;
  writeAddr6(buf, l3 + IPV6_SRC, addr, ao);
  writeAddr6(buf, l3 + IPV6_DST, ALL_NODES, 0);
  return writeNa(buf, l3, ND_NA_ROUTER | ND_NA_OVERRIDE, addr, ao, myMac, myMacOff);
}

/**
 * Neighbor Solicitation for `target` (RFC 4861 section 7.2.2) to its solicited-node
 * group (ff02::1:ffXX:XXXX, Ethernet 33:33:ff:XX:XX:XX), hop limit 255. From `src`
 * (words at so) with our MAC in a source link-layer address option (86 bytes); with
 * src = null from :: and without the option, as duplicate address detection probes
 * (RFC 4862 section 5.4.2; RFC 4861 7.1.1 forbids the option then): 78 bytes.
 * Returns the frame length.
 */
export function neighborSolicit(
  buf: Uint8Array, off: number, target: Int32Array, to: number, src: Int32Array | null, so: number,
  myMac: Uint8Array, myMacOff: number,
): number {
  solicitedNode(target, to, sWords, 0);
  multicastMac(buf, off, sWords, 0);
  copyMac(buf, off + 6, myMac, myMacOff);
  const l3 = off + ETH_HLEN;
  const l4 = l3 + IPV6_HLEN;
  const len = src ? ND_HLEN + ND_OPT_LLA_LEN : ND_HLEN;
  writeIp6(buf, l3, len, ND_HOP_LIMIT);
  if (src) writeAddr6(buf, l3 + IPV6_SRC, src, so);
  else buf.fill(0, l3 + IPV6_SRC, l3 + IPV6_SRC + 16);
  writeAddr6(buf, l3 + IPV6_DST, sWords, 0);
  writeU32(buf, l4, (ND_NEIGHBOR_SOLICIT << 24) >>> 0);
  writeU32(buf, l4 + ND_FLAGS, 0);
  writeAddr6(buf, l4 + ND_TARGET, target, to);
  if (src) {
    buf[l4 + ND_HLEN] = ND_OPT_SOURCE_LLA;
    buf[l4 + ND_HLEN + 1] = 1;
    copyMac(buf, l4 + ND_HLEN + 2, myMac, myMacOff);
  }
  setL4Checksum6(buf, l3, l4, len, IPPROTO_ICMPV6);
  return ETH_HLEN + IPV6_HLEN + len;
}

/**
 * An ICMPv6 error about the packet parsed into info (from frame `req`), written at
 * buf[off..]; buf may be req and off its frame start (the quote is moved first, as
 * memmove). To the offending packet's source address and Ethernet source (the
 * previous hop), from `src` (words at so: an address of ours the caller picks, RFC
 * 4443 section 2.2) and our MAC, hop limit 64 (ICMP6_HOP_LIMIT). `param` is the
 * 32-bit word after the checksum: the MTU of Packet Too Big, the pointer of
 * Parameter Problem, 0 otherwise. The quote is "as much of invoking packet as
 * possible without the ICMPv6 packet exceeding the minimum IPv6 MTU" (section 3.1;
 * 2.4 (c)), and no more than buf holds: in place, the caller owns up to 1294 bytes
 * (1280 + Ethernet) from off. Whether an error may be sent at all (not
 * about an error, a multicast destination, ..., section 2.4 (e)) and its rate
 * limit are the caller's. Returns the frame length.
 */
export function icmp6Error(
  buf: Uint8Array, off: number, type: number, code: number, param: number, req: Uint8Array, info: FrameInfo,
  src: Int32Array, so: number, myMac: Uint8Array, myMacOff: number,
): number {
  readAddr6(req, info.l3 + IPV6_SRC, sWords, 0);
  copyMac(sMac, 0, req, info.l2 + 6);
  const l3 = off + ETH_HLEN;
  const l4 = l3 + IPV6_HLEN;
  const q = l4 + ICMP6_HLEN;
  let qlen = info.totalLen < ICMP6_ERROR_QUOTE_MAX ? info.totalLen : ICMP6_ERROR_QUOTE_MAX;
  if (q + qlen > buf.length) qlen = buf.length - q;
  if (qlen < 0) return 0;
  if (buf === req) buf.copyWithin(q, info.l3, info.l3 + qlen);
  else buf.set(req.subarray(info.l3, info.l3 + qlen), q);
  copyMac(buf, off, sMac, 0);
  copyMac(buf, off + 6, myMac, myMacOff);
  writeIp6(buf, l3, ICMP6_HLEN + qlen, ICMP6_HOP_LIMIT);
  writeAddr6(buf, l3 + IPV6_SRC, src, so);
  writeAddr6(buf, l3 + IPV6_DST, sWords, 0);
  buf[l4] = type;
  buf[l4 + 1] = code;
  writeU32(buf, l4 + 4, param);
  setL4Checksum6(buf, l3, l4, ICMP6_HLEN + qlen, IPPROTO_ICMPV6);
  return ETH_HLEN + IPV6_HLEN + ICMP6_HLEN + qlen;
}

/**
 * Whether RFC 4443 section 2.4 (e) lets an error of this type and code be sent about
 * the packet parsed into info: not about an ICMPv6 error or a Redirect (e.1, e.2),
 * nor a packet to a multicast address or sent as link-layer multicast or broadcast,
 * except Packet Too Big and Parameter Problem code 2 (e.3, e.4), nor from a source
 * that is not one node: :: or multicast (e.6).
 */
export function icmp6ErrorAllowed(buf: Uint8Array, info: FrameInfo, type: number, code: number): boolean {
  if (info.proto === IPPROTO_ICMPV6 && info.fragOff === 0 && (isIcmp6Error(info.icmpType) || info.icmpType === ND_REDIRECT)) return false;
  const l3 = info.l3;
  if (isUnspecified6(buf, l3 + IPV6_SRC) || isMulticast6(buf, l3 + IPV6_SRC)) return false;
  const exempt = type === ICMP6_PACKET_TOO_BIG || (type === ICMP6_PARAM_PROB && code === 2);
  return exempt || (!isMulticast6(buf, l3 + IPV6_DST) && (buf[info.l2] & 1) === 0);
}

/** Packet Too Big (type 2, code 0) with the MTU of the next link (RFC 4443 section 3.2). */
export function packetTooBig6(
  buf: Uint8Array, off: number, mtu: number, req: Uint8Array, info: FrameInfo,
  src: Int32Array, so: number, myMac: Uint8Array, myMacOff: number,
): number {
  return icmp6Error(buf, off, ICMP6_PACKET_TOO_BIG, 0, mtu, req, info, src, so, myMac, myMacOff);
}

/** Destination Unreachable, port unreachable (type 1, code 4; RFC 4443 section 3.1): IPVS's ip_vs_leave answer for UDP. */
export function portUnreachable6(
  buf: Uint8Array, off: number, req: Uint8Array, info: FrameInfo,
  src: Int32Array, so: number, myMac: Uint8Array, myMacOff: number,
): number {
  return icmp6Error(buf, off, ICMP6_DST_UNREACH, ICMP6_PORT_UNREACH, 0, req, info, src, so, myMac, myMacOff);
}

/** Time Exceeded, hop limit exceeded in transit (type 3, code 0; RFC 4443 section 3.3). */
export function timeExceeded6(
  buf: Uint8Array, off: number, req: Uint8Array, info: FrameInfo,
  src: Int32Array, so: number, myMac: Uint8Array, myMacOff: number,
): number {
  return icmp6Error(buf, off, ICMP6_TIME_EXCEEDED, ICMP6_HOPLIMIT_EXCEEDED, 0, req, info, src, so, myMac, myMacOff);
}
