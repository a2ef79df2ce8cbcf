// The one parser every backend's frames go through. It fills one reused record of
// numbers with absolute offsets into the frame and returns a result code; a
// malformed frame is a code (the engine's drop counter), never an exception.
// Every header read is preceded by a bounds check against the frame end.
import { readU16, readU32, viewOf } from './bytes.js';
import { ipv4HeaderSum } from './checksum.js';
import { ETH_HLEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_VLAN, VLAN_HLEN } from './ethernet.js';
import { IP_MF, IP_OFFMASK, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPV4_MIN_HLEN } from './ipv4.js';
import { TCP_MIN_HLEN } from './tcp.js';
import { UDP_HLEN } from './udp.js';
import { ICMP_HLEN, icmpHasId, isIcmpError } from './icmp.js';
import { ARP_LEN, ARP_OP, ARP_SPA, ARP_TPA, arpIsEthIpv4 } from './arp.js';
import { parseIpv6 } from './parse6.js';

export const PARSE_IPV4 = 0;
export const PARSE_ARP = 1;
/** Another EtherType, or ARP for other hardware/protocols: not ours, not an error. */
export const PARSE_OTHER = 2;
export const PARSE_TRUNC_ETH = 3;
export const PARSE_TRUNC_IP = 4;
export const PARSE_BAD_VERSION = 5;
export const PARSE_BAD_IHL = 6;
export const PARSE_BAD_TOTLEN = 7;
export const PARSE_BAD_IP_CSUM = 8;
export const PARSE_TRUNC_L4 = 9;
export const PARSE_TRUNC_ARP = 10;
/** IPv6 (parse6.ts): l3..l4 as for IPv4, addresses folded (fold6), the full ones at l3+8 and l3+24. */
export const PARSE_IPV6 = 11;
/** An extension-header chain that overruns the payload, repeats hop-by-hop, or is longer than 8 headers. */
export const PARSE_BAD_IPV6_EXT = 12;
/** A Neighbor Solicitation/Advertisement that RFC 4861 section 7.1 says to discard (options, length, hop limit, code). */
export const PARSE_BAD_NDP = 13;
export const PARSE_RESULT_COUNT = 14;

/** Counter names, indexed by result code. */
export const PARSE_RESULT_NAMES: readonly string[] = Object.freeze([
  'ipv4',
  'arp',
  'other',
  'truncated_ethernet',
  'truncated_ip',
  'bad_ip_version',
  'bad_ip_header_length',
  'bad_ip_total_length',
  'bad_ip_checksum',
  'truncated_l4',
  'truncated_arp',
  'ipv6',
  'bad_ipv6_ext_header',
  'bad_ndp',
]);

/** One instance is reused for every frame; parseFrame resets every field. */
export class FrameInfo {
  l2 = 0; // offset of the Ethernet header (= frame start)
  end = 0; // offset one past the frame's last byte (Ethernet padding included)
  vlan = 0; // 1 if one 802.1Q tag was skipped
  vlanTci = 0; // that tag's TCI (PCP, DEI, VLAN id)
  ethType = 0;
  l3 = 0; // offset of the IPv4 or ARP header
  ihl = 0; // IPv4 header length in bytes
  totalLen = 0; // IPv4 total length
  ttl = 0;
  proto = 0;
  saddr = 0; // unsigned 32-bit
  daddr = 0;
  fragOff = 0; // fragment offset in bytes
  moreFrags = 0; // 1 if MF set
  isFragment = 0; // 1 if MF set or fragOff != 0
  l4 = 0; // offset of the L4 header (valid when not a non-first fragment)
  l4Len = 0; // totalLen - ihl
  sport = 0; // TCP/UDP ports; 0 otherwise and for non-first fragments
  dport = 0;
  tcpFlags = 0; // FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32, ECE 64, CWR 128
  icmpType = 0;
  icmpCode = 0;
  icmpId = 0; // identifier of echo and timestamp messages, else 0
  // ICMP errors (types 3, 4, 5, 11, 12): the embedded ("offending") datagram.
  inner = -1; // offset of the embedded IPv4 header, or -1 when absent/unparseable
  innerIhl = 0;
  innerProto = 0;
  innerSaddr = 0;
  innerDaddr = 0;
  innerL4 = 0; // offset of the embedded L4 header; its first 8 bytes are present
  innerSport = 0;
  innerDport = 0;
  // ARP (result PARSE_ARP).
  arpOp = 0;
  arpSpa = 0; // sender IPv4 address
  arpTpa = 0; // target IPv4 address
  // IPv6 (result PARSE_IPV6); set only by parse6.ts, reset with the ICMP and ARP fields.
  frag6 = -1; // offset of the Fragment extension header, or -1 (its identification is at frag6 + 4)
  ndTarget = -1; // offset of the 16-byte target address of a Neighbor Solicitation/Advertisement, else -1
  ndLla = -1; // offset of the 6-byte link-layer address in its source (NS) / target (NA) LLA option, else -1
  /** 1 once an ICMP, ARP or IPv6-only field may be non-zero: the next parse resets them. */
  rare = 0;
}

/**
 * Parses the Ethernet frame buf[off, off+len) into info. Never throws and never
 * reads outside [off, off+len) (nor beyond the buffer).
 */
export function parseFrame(buf: Uint8Array, off: number, len: number, info: FrameInfo): number {
  const end = off + len > buf.length ? buf.length : off + len;
  reset(info, off, end);
  if (end - off < ETH_HLEN) return PARSE_TRUNC_ETH;
  let l3 = off + ETH_HLEN;
  let type = readU16(buf, off + 12);
  if (type === ETHERTYPE_VLAN) {
    // Exactly one 802.1Q tag; a second one (QinQ) leaves type 0x8100: PARSE_OTHER.
    if (end - off < ETH_HLEN + VLAN_HLEN) return PARSE_TRUNC_ETH;
    info.vlan = 1;
    info.vlanTci = readU16(buf, off + 14);
    type = readU16(buf, off + 16);
    l3 += VLAN_HLEN;
  }
  info.ethType = type;
  info.l3 = l3;
  if (type === ETHERTYPE_IPV4) return parseIpv4(buf, l3, end, info);
  if (type === ETHERTYPE_ARP) return parseArp(buf, l3, end, info);
  if (type === ETHERTYPE_IPV6) return parseIpv6(buf, l3, end, info);
  return PARSE_OTHER;
}

function reset(info: FrameInfo, off: number, end: number): void {
  info.l2 = off;
  info.end = end;
  info.vlan = 0;
  info.vlanTci = 0;
  info.ethType = 0;
  info.l3 = 0;
  info.ihl = 0;
  info.totalLen = 0;
  info.ttl = 0;
  info.proto = 0;
  info.saddr = 0;
  info.daddr = 0;
  info.fragOff = 0;
  info.moreFrags = 0;
  info.isFragment = 0;
  info.l4 = 0;
  info.l4Len = 0;
  info.sport = 0;
  info.dport = 0;
  info.tcpFlags = 0;
  // The ICMP and ARP fields are written by few frames: they are reset only after one
  // of those, which saves most of the stores on a stream of TCP and UDP.
  if (info.rare !== 0) resetRare(info);
}

function resetRare(info: FrameInfo): void {
  info.rare = 0;
  info.icmpType = 0;
  info.icmpCode = 0;
  info.icmpId = 0;
  info.inner = -1;
  info.innerIhl = 0;
  info.innerProto = 0;
  info.innerSaddr = 0;
  info.innerDaddr = 0;
  info.innerL4 = 0;
  info.innerSport = 0;
  info.innerDport = 0;
  info.arpOp = 0;
  info.arpSpa = 0;
  info.arpTpa = 0;
  info.frag6 = -1;
  info.ndTarget = -1;
  info.ndLla = -1;
}

function parseIpv4(buf: Uint8Array, l3: number, end: number, info: FrameInfo): number {
  if (end - l3 < IPV4_MIN_HLEN) return PARSE_TRUNC_IP;
  const verIhl = buf[l3];
  if (verIhl >>> 4 !== 4) return PARSE_BAD_VERSION;
  // RFC 791: "the minimum value for a correct header is 5"; Linux ip_rcv_core()
  // also counts a header longer than the frame as a header error.
  const ihl = (verIhl & 0x0f) << 2;
  if (ihl < IPV4_MIN_HLEN || l3 + ihl > end) return PARSE_BAD_IHL;
  // ip_rcv_core() drops when "skb->len < len" and counts a header error when
  // "len < (iph->ihl*4)". A frame longer than total length is Ethernet padding.
  const totalLen = readU16(buf, l3 + 2);
  if (totalLen < ihl || l3 + totalLen > end) return PARSE_BAD_TOTLEN;
  // RFC 1122 3.2.1.2: "A host MUST verify the IP header checksum on every received
  // datagram and silently discard every datagram that has a bad checksum."
  const v = viewOf(buf);
  if (ipv4HeaderSum(v, l3, ihl) !== 0xffff) return PARSE_BAD_IP_CSUM;

  const frag = readU16(buf, l3 + 6);
  const fragOff = (frag & IP_OFFMASK) << 3;
  const proto = buf[l3 + 9];
  info.ihl = ihl;
  info.totalLen = totalLen;
  info.ttl = buf[l3 + 8];
  info.proto = proto;
  info.saddr = v.getUint32(l3 + 12);
  info.daddr = v.getUint32(l3 + 16);
  info.fragOff = fragOff;
  info.moreFrags = (frag & IP_MF) !== 0 ? 1 : 0;
  info.isFragment = info.moreFrags | (fragOff !== 0 ? 1 : 0);
  const l4 = l3 + ihl;
  const l4Len = totalLen - ihl;
  info.l4 = l4;
  info.l4Len = l4Len;
  // A non-first fragment carries no L4 header, only payload bytes.
  if (fragOff !== 0) return PARSE_IPV4;

  if (proto === IPPROTO_TCP) {
    if (l4Len < TCP_MIN_HLEN) return PARSE_TRUNC_L4;
    // RFC 9293: data offset is at least 5 words, and the header fits the segment.
    const doff = (buf[l4 + 12] >>> 4) << 2;
    if (doff < TCP_MIN_HLEN || doff > l4Len) return PARSE_TRUNC_L4;
    info.sport = readU16(buf, l4);
    info.dport = readU16(buf, l4 + 2);
    info.tcpFlags = buf[l4 + 13];
  } else if (proto === IPPROTO_UDP) {
    if (l4Len < UDP_HLEN) return PARSE_TRUNC_L4;
    info.sport = readU16(buf, l4);
    info.dport = readU16(buf, l4 + 2);
  } else if (proto === IPPROTO_ICMP) {
    return parseIcmp(buf, l4, l4Len, info);
  }
  return PARSE_IPV4;
}

/** Kept out of parseIpv4, which runs for every frame, so that V8 inlines that one. */
function parseIcmp(buf: Uint8Array, l4: number, l4Len: number, info: FrameInfo): number {
  if (l4Len < ICMP_HLEN) return PARSE_TRUNC_L4;
  const type = buf[l4];
  info.rare = 1;
  info.icmpType = type;
  info.icmpCode = buf[l4 + 1];
  if (icmpHasId(type)) info.icmpId = readU16(buf, l4 + 4);
  else if (isIcmpError(type)) parseInner(buf, l4 + ICMP_HLEN, l4 + l4Len, info);
  return PARSE_IPV4;
}

/**
 * The datagram quoted by an ICMP error: RFC 792 "Internet Header + 64 bits of
 * Original Data Datagram". Anything short of that (or a non-first fragment,
 * which quotes no ports) leaves inner = -1: the error cannot be matched to a
 * flow, but the frame itself is well formed.
 */
function parseInner(buf: Uint8Array, ci: number, dend: number, info: FrameInfo): void {
  if (dend - ci < IPV4_MIN_HLEN) return;
  const verIhl = buf[ci];
  if (verIhl >>> 4 !== 4) return;
  const ihl = (verIhl & 0x0f) << 2;
  if (ihl < IPV4_MIN_HLEN) return;
  const cl4 = ci + ihl;
  if (cl4 + 8 > dend) return;
  if ((readU16(buf, ci + 6) & IP_OFFMASK) !== 0) return;
  const proto = buf[ci + 9];
  info.inner = ci;
  info.innerIhl = ihl;
  info.innerProto = proto;
  info.innerSaddr = readU32(buf, ci + 12);
  info.innerDaddr = readU32(buf, ci + 16);
  info.innerL4 = cl4;
  if (proto === IPPROTO_TCP || proto === IPPROTO_UDP) {
    info.innerSport = readU16(buf, cl4);
    info.innerDport = readU16(buf, cl4 + 2);
  }
}

function parseArp(buf: Uint8Array, a: number, end: number, info: FrameInfo): number {
  if (end - a < ARP_LEN) return PARSE_TRUNC_ARP;
  if (!arpIsEthIpv4(buf, a)) return PARSE_OTHER;
  info.rare = 1;
  info.arpOp = readU16(buf, a + ARP_OP);
  info.arpSpa = readU32(buf, a + ARP_SPA);
  info.arpTpa = readU32(buf, a + ARP_TPA);
  return PARSE_ARP;
}
