// The IPv6 branch of parseFrame (RFC 8200): the fixed header, the extension-header
// chain up to the upper-layer header, then TCP, UDP or ICMPv6 as for IPv4. Kept in
// its own module so the IPv4 path that every frame takes stays as it was.
// Every read is bounds-checked against the payload end (l3 + 40 + payload length).
import { readU16 } from './bytes.js';
import { IPPROTO_TCP, IPPROTO_UDP } from './ipv4.js';
import {
  FRAG6_HLEN, FRAG6_OFF, fold6, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, IPPROTO_ICMPV6,
  IPPROTO_ROUTING, IPV6_DST, IPV6_HLEN, IPV6_HOPLIMIT, IPV6_NEXT, IPV6_PAYLEN, IPV6_SRC, isUnspecified6,
} from './ipv6.js';
import {
  ICMP6_HLEN, icmp6HasId, isIcmp6Error, ND_HLEN, ND_HOP_LIMIT, ND_NEIGHBOR_ADVERT, ND_NEIGHBOR_SOLICIT,
  ND_OPT_SOURCE_LLA, ND_OPT_TARGET_LLA, ND_TARGET,
} from './icmp6.js';
import { TCP_MIN_HLEN } from './tcp.js';
import { UDP_HLEN } from './udp.js';
import {
  type FrameInfo, PARSE_BAD_IPV6_EXT, PARSE_BAD_NDP, PARSE_BAD_TOTLEN, PARSE_BAD_VERSION, PARSE_IPV6,
  PARSE_TRUNC_IP, PARSE_TRUNC_L4,
} from './parse.js';

/**
 * At most this many extension headers are walked; a longer chain is malformed.
 * RFC 8200 section 4.1 recommends one of each in a set order (at most 7 with two
 * Destination Options headers and AH/ESP, which end the walk here); 8 leaves room
 * and bounds the work a crafted chain can cost.
 */
export const MAX_EXT_HEADERS = 8;

// What walkExt found besides the upper-layer offset (module state: no object per frame).
let wNext = 0; // the upper-layer Next Header value
let wFragOff = 0; // fragment offset in bytes
let wMore = 0; // M flag
let wFrag = -1; // offset of the Fragment header, or -1

/**
 * Walks the extension headers from p (the first one's type is `next`) up to the
 * upper-layer header and returns its offset, or -1 for a malformed chain: one
 * that does not fit in [p, dend), has Hop-by-Hop anywhere but first ("MUST
 * immediately follow the IPv6 header", RFC 8200 section 4.3), or is longer than
 * MAX_EXT_HEADERS. Stops after the Fragment header of a non-first fragment: the
 * rest is fragmentable payload (section 4.5). Any other Next Header value
 * (TCP, UDP, ICMPv6, No Next Header, AH and ESP, which IPVS treats as protocols
 * of their own, or one unknown) ends the walk there.
 */
function walkExt(buf: Uint8Array, p: number, dend: number, next: number): number {
  wFragOff = 0;
  wMore = 0;
  wFrag = -1;
  for (let n = 0; ; n++) {
    if (next === IPPROTO_HOPOPTS) {
      if (n !== 0) return -1;
    } else if (next !== IPPROTO_ROUTING && next !== IPPROTO_DSTOPTS && next !== IPPROTO_FRAGMENT) {
      break;
    }
    if (n === MAX_EXT_HEADERS || dend - p < 8) return -1;
    let len: number;
    if (next === IPPROTO_FRAGMENT) {
      // A second Fragment header would be a fragment of a fragment.
      if (wFrag >= 0) return -1;
      const fo = readU16(buf, p + FRAG6_OFF);
      wFrag = p;
      wFragOff = fo & 0xfff8; // 13 bits of 8-octet units in the high bits: the byte offset
      wMore = fo & 1;
      len = FRAG6_HLEN;
    } else {
      // "Length of the ... header in 8-octet units, not including the first 8 octets."
      len = (buf[p + 1] + 1) << 3;
      if (dend - p < len) return -1;
    }
    next = buf[p];
    p += len;
    if (wFragOff !== 0) break;
  }
  wNext = next;
  return p;
}

/** The IPv6 datagram at l3 (Ethernet payload up to end). */
export function parseIpv6(buf: Uint8Array, l3: number, end: number, info: FrameInfo): number {
  if (end - l3 < IPV6_HLEN) return PARSE_TRUNC_IP;
  if (buf[l3] >>> 4 !== 6) return PARSE_BAD_VERSION;
  // RFC 8200: "Payload Length ... the rest of the packet following this IPv6 header";
  // a frame shorter than that is cut, a longer one is Ethernet padding. (A jumbogram's
  // zero length with a Jumbo Payload option, RFC 2675, cannot occur on Ethernet.)
  const totalLen = IPV6_HLEN + readU16(buf, l3 + IPV6_PAYLEN);
  if (l3 + totalLen > end) return PARSE_BAD_TOTLEN;
  info.totalLen = totalLen;
  info.ttl = buf[l3 + IPV6_HOPLIMIT];
  info.saddr = fold6(buf, l3 + IPV6_SRC);
  info.daddr = fold6(buf, l3 + IPV6_DST);
  const dend = l3 + totalLen;
  let l4 = l3 + IPV6_HLEN;
  let proto = buf[l3 + IPV6_NEXT];
  if (proto === IPPROTO_HOPOPTS || proto === IPPROTO_ROUTING || proto === IPPROTO_DSTOPTS || proto === IPPROTO_FRAGMENT) {
    l4 = walkExt(buf, l4, dend, proto);
    if (l4 < 0) return PARSE_BAD_IPV6_EXT;
    proto = wNext;
    if (wFrag >= 0) {
      info.rare = 1;
      info.frag6 = wFrag;
      info.fragOff = wFragOff;
      info.moreFrags = wMore;
      info.isFragment = wMore | (wFragOff !== 0 ? 1 : 0);
    }
  }
  const l4Len = dend - l4;
  info.proto = proto;
  info.ihl = l4 - l3;
  info.l4 = l4;
  info.l4Len = l4Len;
  if (info.fragOff !== 0) return PARSE_IPV6;

  if (proto === IPPROTO_TCP) {
    if (l4Len < TCP_MIN_HLEN) return PARSE_TRUNC_L4;
    const doff = (buf[l4 + 12] >>> 4) << 2;
    if (doff < TCP_MIN_HLEN || doff > l4Len) return PARSE_TRUNC_L4;
    info.sport = readU16(buf, l4);
    info.dport = readU16(buf, l4 + 2);
    info.tcpFlags = buf[l4 + 13];
  } else if (proto === IPPROTO_UDP) {
    if (l4Len < UDP_HLEN) return PARSE_TRUNC_L4;
    info.sport = readU16(buf, l4);
    info.dport = readU16(buf, l4 + 2);
  } else if (proto === IPPROTO_ICMPV6) {
    return parseIcmp6(buf, l3, l4, l4Len, info);
  }
  return PARSE_IPV6;
}

function parseIcmp6(buf: Uint8Array, l3: number, l4: number, l4Len: number, info: FrameInfo): number {
  // Every ICMPv6 message defined has at least 8 octets (RFC 4443, RFC 4861).
  if (l4Len < ICMP6_HLEN) return PARSE_TRUNC_L4;
  const type = buf[l4];
  info.rare = 1;
  info.icmpType = type;
  info.icmpCode = buf[l4 + 1];
  if (icmp6HasId(type)) info.icmpId = readU16(buf, l4 + 4);
  else if (isIcmp6Error(type)) parseInner6(buf, l4 + ICMP6_HLEN, l4 + l4Len, info);
  else if (type === ND_NEIGHBOR_SOLICIT || type === ND_NEIGHBOR_ADVERT) return parseNd(buf, l3, l4, l4Len, type, info);
  return PARSE_IPV6;
}

/**
 * The packet quoted by an ICMPv6 error ("As much of invoking packet as possible
 * without the ICMPv6 packet exceeding the minimum IPv6 MTU", RFC 4443 section 3):
 * its header, extension headers and 8 bytes of L4 must be in the quote to match a
 * flow; otherwise, or for a non-first fragment, inner stays -1 and the frame is
 * still well formed. The quoted payload length is not checked: the quote is cut.
 */
function parseInner6(buf: Uint8Array, ci: number, dend: number, info: FrameInfo): void {
  if (dend - ci < IPV6_HLEN || buf[ci] >>> 4 !== 6) return;
  let cl4 = ci + IPV6_HLEN;
  let proto = buf[ci + IPV6_NEXT];
  if (proto === IPPROTO_HOPOPTS || proto === IPPROTO_ROUTING || proto === IPPROTO_DSTOPTS || proto === IPPROTO_FRAGMENT) {
    cl4 = walkExt(buf, cl4, dend, proto);
    if (cl4 < 0 || wFragOff !== 0) return;
    proto = wNext;
  }
  if (dend - cl4 < 8) return;
  info.inner = ci;
  info.innerIhl = cl4 - ci;
  info.innerProto = proto;
  info.innerSaddr = fold6(buf, ci + IPV6_SRC);
  info.innerDaddr = fold6(buf, ci + IPV6_DST);
  info.innerL4 = cl4;
  if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) {
    info.innerSport = readU16(buf, cl4);
    info.innerDport = readU16(buf, cl4 + 2);
  }
}

/**
 * Neighbor Solicitation and Advertisement, validated as RFC 4861 sections 7.1.1
 * and 7.1.2 say a node MUST ("silently discard ... that do not satisfy"): hop
 * limit 255, code 0, "ICMP length ... is 24 or more octets", "all included options
 * have a length that is greater than zero", a solicitation from the unspecified
 * address carries no source link-layer address option. (The ICMP checksum is the
 * caller's to verify, as for IPv4 echo: icmp6ChecksumOk.) The options' lengths
 * must also add up to the message: one that overruns it is malformed.
 */
function parseNd(buf: Uint8Array, l3: number, l4: number, l4Len: number, type: number, info: FrameInfo): number {
  if (info.ttl !== ND_HOP_LIMIT || info.icmpCode !== 0 || l4Len < ND_HLEN) return PARSE_BAD_NDP;
  const want = type === ND_NEIGHBOR_SOLICIT ? ND_OPT_SOURCE_LLA : ND_OPT_TARGET_LLA;
  const oend = l4 + l4Len;
  let lla = -1;
  for (let p = l4 + ND_HLEN; p < oend;) {
    if (oend - p < 2) return PARSE_BAD_NDP;
    const olen = buf[p + 1] << 3;
    if (olen === 0 || oend - p < olen) return PARSE_BAD_NDP;
    // The first such option counts; an Ethernet address needs 6 bytes after type and length.
    if (buf[p] === want && lla < 0 && olen >= 8) lla = p + 2;
    p += olen;
  }
  if (type === ND_NEIGHBOR_SOLICIT && lla >= 0 && isUnspecified6(buf, l3 + IPV6_SRC)) return PARSE_BAD_NDP;
  info.ndTarget = l4 + ND_TARGET;
  info.ndLla = lla;
  return PARSE_IPV6;
}
