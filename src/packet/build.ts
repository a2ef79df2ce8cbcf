// Frame builders for tests, `tsvs simulate`, benches and gratuitous ARP: whole
// Ethernet frames with correct checksums. Allocation is fine here (off the packet
// path); writeTcp refills an existing buffer for benches. Frames are NOT padded
// to the 60-byte Ethernet minimum: lengths stay exact, the engine handles both.
import { writeU16, writeU32 } from './bytes.js';
import { checksum, l4Checksum } from './checksum.js';
import { copyMac, ETH_ALEN, ETH_HLEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_VLAN, VLAN_HLEN } from './ethernet.js';
import { IP_DF, IP_MF, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPV4_MIN_HLEN, ipv4SetChecksum } from './ipv4.js';
import { TCP_MIN_HLEN } from './tcp.js';
import { UDP_HLEN, udpWireChecksum } from './udp.js';
import { ICMP_ECHO, ICMP_ECHO_REPLY, ICMP_HLEN } from './icmp.js';
import { ARP_HTYPE_ETHERNET, ARP_LEN, ARP_OP_REQUEST } from './arp.js';

/** A MAC as 6 bytes or as text "aa:bb:cc:dd:ee:ff" (":" or "-"). */
export type MacInput = Uint8Array | string;

export interface L2Options {
  srcMac?: MacInput; // default 02:00:00:00:00:01
  dstMac?: MacInput; // default 02:00:00:00:00:02
  /** Adds one 802.1Q tag with this TCI (VLAN id in the low 12 bits). */
  vlan?: number;
}

export interface IpOptions extends L2Options {
  src: number;
  dst: number;
  ttl?: number; // default 64
  id?: number;
  tos?: number;
  df?: boolean;
  /** offset in bytes (a multiple of 8); the L4 bytes are written as if unfragmented. */
  fragment?: { offset: number; more: boolean };
  /** IP options, already padded to a multiple of 4 bytes (at most 40). */
  ipOptions?: Uint8Array;
}

export interface TcpOptions extends IpOptions {
  sport: number;
  dport: number;
  flags?: number;
  seq?: number;
  ack?: number;
  window?: number; // default 65535
  urgent?: number;
  /** TCP options, already padded to a multiple of 4 bytes (at most 40). */
  tcpOptions?: Uint8Array;
  payload?: Uint8Array;
}

export interface UdpOptions extends IpOptions {
  sport: number;
  dport: number;
  payload?: Uint8Array;
  /** false sends checksum 0, "no checksum" (RFC 768). Default true. */
  udpChecksum?: boolean;
}

export interface IcmpEchoOptions extends IpOptions {
  reply?: boolean; // type 0 instead of 8
  /** Echo identifier and sequence number (`id` is the IP identification). */
  echoId?: number;
  echoSeq?: number;
  payload?: Uint8Array;
}

export interface IcmpErrorOptions extends IpOptions {
  type: number;
  code: number;
  /** Bytes 4..7 of the ICMP header (unused, pointer, gateway, or MTU). */
  rest?: number;
  /** Type 3 code 4: "Next-Hop MTU" in the low 16 bits of bytes 4..7 (RFC 1191). */
  mtu?: number;
  /** The offending IPv4 datagram, from its IP header on (see ipv4Datagram). */
  original: Uint8Array;
  /** Bytes of `original` to quote; default its header + 8 (RFC 792). */
  quoteLen?: number;
}

export interface ArpOptions extends L2Options {
  op: number;
  senderMac: MacInput;
  senderIp: number;
  targetMac?: MacInput; // default 00:00:00:00:00:00
  targetIp: number;
}

const DEFAULT_SRC_MAC = Uint8Array.of(2, 0, 0, 0, 0, 1);
const DEFAULT_DST_MAC = Uint8Array.of(2, 0, 0, 0, 0, 2);
const BROADCAST_MAC = Uint8Array.of(255, 255, 255, 255, 255, 255);
const ZERO_MAC = new Uint8Array(ETH_ALEN);
const EMPTY = new Uint8Array(0);

export function toMac(m: MacInput): Uint8Array {
  if (typeof m !== 'string') {
    if (m.length !== ETH_ALEN) throw new RangeError(`MAC must be 6 bytes, got ${m.length}`);
    return m;
  }
  const parts = m.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new RangeError(`bad MAC "${m}"`);
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

/** "10.0.0.1" -> unsigned 32-bit number (for tests and simulate). */
export function ipv4Addr(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new RangeError(`bad IPv4 address "${text}"`);
  }
  return parts.reduce((a, p) => a * 256 + Number(p), 0);
}

/** The IPv4 datagram inside an Ethernet frame (no copy), for IcmpErrorOptions.original. */
export function ipv4Datagram(frame: Uint8Array): Uint8Array {
  const tagged = ((frame[12] << 8) | frame[13]) === ETHERTYPE_VLAN;
  return frame.subarray(ETH_HLEN + (tagged ? VLAN_HLEN : 0));
}

function l2Len(o: L2Options): number {
  return ETH_HLEN + (o.vlan !== undefined ? VLAN_HLEN : 0);
}

function ipHdrLen(o: IpOptions): number {
  const n = o.ipOptions?.length ?? 0;
  if (n % 4 !== 0 || n > 40) throw new RangeError('IP options must be padded to 4 bytes, at most 40');
  return IPV4_MIN_HLEN + n;
}

function tcpHdrLen(o: TcpOptions): number {
  const n = o.tcpOptions?.length ?? 0;
  if (n % 4 !== 0 || n > 40) throw new RangeError('TCP options must be padded to 4 bytes, at most 40');
  return TCP_MIN_HLEN + n;
}

/** Writes the Ethernet header (and tag) for `etherType`; returns the l3 offset. */
function writeL2(buf: Uint8Array, off: number, o: L2Options, etherType: number, dflt: Uint8Array): number {
  copyMac(buf, off, o.dstMac !== undefined ? toMac(o.dstMac) : dflt, 0);
  copyMac(buf, off + 6, o.srcMac !== undefined ? toMac(o.srcMac) : DEFAULT_SRC_MAC, 0);
  if (o.vlan === undefined) {
    writeU16(buf, off + 12, etherType);
    return off + ETH_HLEN;
  }
  writeU16(buf, off + 12, ETHERTYPE_VLAN);
  writeU16(buf, off + 14, o.vlan);
  writeU16(buf, off + 16, etherType);
  return off + ETH_HLEN + VLAN_HLEN;
}

/** Writes Ethernet + IPv4 headers (checksum included); returns the l4 offset. */
function writeL2L3(buf: Uint8Array, off: number, o: IpOptions, proto: number, l4Len: number): number {
  const l3 = writeL2(buf, off, o, ETHERTYPE_IPV4, DEFAULT_DST_MAC);
  const ihl = ipHdrLen(o);
  if (ihl + l4Len > 0xffff) throw new RangeError('IPv4 datagram longer than 65535 bytes');
  const frag = o.fragment;
  if (frag && frag.offset % 8 !== 0) throw new RangeError('fragment offset must be a multiple of 8');
  buf[l3] = 0x40 | (ihl >>> 2);
  buf[l3 + 1] = o.tos ?? 0;
  writeU16(buf, l3 + 2, ihl + l4Len);
  writeU16(buf, l3 + 4, o.id ?? 0);
  writeU16(buf, l3 + 6, (o.df ? IP_DF : 0) | (frag?.more ? IP_MF : 0) | ((frag?.offset ?? 0) >>> 3));
  buf[l3 + 8] = o.ttl ?? 64;
  buf[l3 + 9] = proto;
  writeU32(buf, l3 + 12, o.src);
  writeU32(buf, l3 + 16, o.dst);
  if (o.ipOptions) buf.set(o.ipOptions, l3 + IPV4_MIN_HLEN);
  ipv4SetChecksum(buf, l3, ihl);
  return l3 + ihl;
}

export function tcpFrameLen(o: TcpOptions): number {
  return l2Len(o) + ipHdrLen(o) + tcpHdrLen(o) + (o.payload?.length ?? 0);
}

/** Writes a whole TCP frame at buf[off]; returns its length. */
export function writeTcp(buf: Uint8Array, off: number, o: TcpOptions): number {
  const hl = tcpHdrLen(o);
  const payload = o.payload ?? EMPTY;
  const len = hl + payload.length;
  const l4 = writeL2L3(buf, off, o, IPPROTO_TCP, len);
  writeU16(buf, l4, o.sport);
  writeU16(buf, l4 + 2, o.dport);
  writeU32(buf, l4 + 4, o.seq ?? 0);
  writeU32(buf, l4 + 8, o.ack ?? 0);
  buf[l4 + 12] = (hl >>> 2) << 4;
  buf[l4 + 13] = o.flags ?? 0;
  writeU16(buf, l4 + 14, o.window ?? 0xffff);
  writeU16(buf, l4 + 16, 0);
  writeU16(buf, l4 + 18, o.urgent ?? 0);
  if (o.tcpOptions) buf.set(o.tcpOptions, l4 + TCP_MIN_HLEN);
  buf.set(payload, l4 + hl);
  writeU16(buf, l4 + 16, l4Checksum(buf, l4, len, o.src, o.dst, IPPROTO_TCP));
  return l4 + len - off;
}

export function buildTcp(o: TcpOptions): Uint8Array {
  const b = new Uint8Array(tcpFrameLen(o));
  writeTcp(b, 0, o);
  return b;
}

export function buildUdp(o: UdpOptions): Uint8Array {
  const payload = o.payload ?? EMPTY;
  const len = UDP_HLEN + payload.length;
  const b = new Uint8Array(l2Len(o) + ipHdrLen(o) + len);
  const l4 = writeL2L3(b, 0, o, IPPROTO_UDP, len);
  writeU16(b, l4, o.sport);
  writeU16(b, l4 + 2, o.dport);
  writeU16(b, l4 + 4, len);
  b.set(payload, l4 + UDP_HLEN);
  if (o.udpChecksum !== false) writeU16(b, l4 + 6, udpWireChecksum(l4Checksum(b, l4, len, o.src, o.dst, IPPROTO_UDP)));
  return b;
}

/** ICMP header (type, code, bytes 4..7) + body, checksummed over the message. */
function buildIcmp(o: IpOptions, type: number, code: number, rest: number, body: Uint8Array): Uint8Array {
  const len = ICMP_HLEN + body.length;
  const b = new Uint8Array(l2Len(o) + ipHdrLen(o) + len);
  const l4 = writeL2L3(b, 0, o, IPPROTO_ICMP, len);
  b[l4] = type;
  b[l4 + 1] = code;
  writeU32(b, l4 + 4, rest);
  b.set(body, l4 + ICMP_HLEN);
  writeU16(b, l4 + 2, checksum(b, l4, len));
  return b;
}

export function buildIcmpEcho(o: IcmpEchoOptions): Uint8Array {
  const rest = ((o.echoId ?? 0) & 0xffff) * 0x10000 + ((o.echoSeq ?? 0) & 0xffff);
  return buildIcmp(o, o.reply ? ICMP_ECHO_REPLY : ICMP_ECHO, 0, rest, o.payload ?? EMPTY);
}

/** An ICMP error quoting `original`'s IP header and the first 8 bytes after it. */
export function buildIcmpError(o: IcmpErrorOptions): Uint8Array {
  const ihl = (o.original[0] & 0x0f) << 2;
  const quote = o.original.subarray(0, Math.min(o.original.length, o.quoteLen ?? ihl + 8));
  const rest = o.rest ?? (o.mtu !== undefined ? o.mtu & 0xffff : 0);
  return buildIcmp(o, o.type, o.code, rest, quote);
}

/** Ethernet/IPv4 ARP. Ethernet src defaults to senderMac, dst to broadcast for a request. */
export function buildArp(o: ArpOptions): Uint8Array {
  const b = new Uint8Array(l2Len(o) + ARP_LEN);
  const sha = toMac(o.senderMac);
  const tha = o.targetMac !== undefined ? toMac(o.targetMac) : ZERO_MAC;
  const l2: L2Options = { srcMac: o.srcMac ?? sha, dstMac: o.dstMac, vlan: o.vlan };
  const a = writeL2(b, 0, l2, ETHERTYPE_ARP, o.op === ARP_OP_REQUEST ? BROADCAST_MAC : tha);
  writeU16(b, a, ARP_HTYPE_ETHERNET);
  writeU16(b, a + 2, ETHERTYPE_IPV4);
  b[a + 4] = 6;
  b[a + 5] = 4;
  writeU16(b, a + 6, o.op);
  copyMac(b, a + 8, sha, 0);
  writeU32(b, a + 14, o.senderIp);
  copyMac(b, a + 18, tha, 0);
  writeU32(b, a + 24, o.targetIp);
  return b;
}

/**
 * Gratuitous ARP as a broadcast request whose sender and target IP are both `ip`
 * (RFC 5227 section 3 "ARP Announcement"), as a new primary sends for its VIPs.
 */
export function buildGratuitousArp(mac: MacInput, ip: number, vlan?: number): Uint8Array {
  return buildArp({ op: ARP_OP_REQUEST, senderMac: mac, senderIp: ip, targetIp: ip, vlan });
}

/**
 * Cuts an Ethernet + IPv4 frame (no VLAN tag) into fragments as RFC 791 3.2
 * ("An Example Fragmentation Procedure") does: each carries at most `maxData`
 * payload octets (rounded down to a multiple of 8), the same header with its
 * total length, MF and offset set and its checksum recomputed. IP options are
 * copied into every fragment (tests do not use the ones RFC 791 keeps in the first only).
 */
export function fragmentFrame(frame: Uint8Array, maxData: number): Uint8Array[] {
  const l3 = ETH_HLEN;
  const ihl = (frame[l3] & 0x0f) << 2;
  const total = (frame[l3 + 2] << 8) | frame[l3 + 3];
  const step = maxData & ~7;
  if (step < 8) throw new RangeError('a fragment carries at least 8 octets');
  const data = total - ihl;
  const out: Uint8Array[] = [];
  for (let at = 0; at < data; at += step) {
    const n = Math.min(step, data - at);
    const f = new Uint8Array(l3 + ihl + n);
    f.set(frame.subarray(0, l3 + ihl));
    f.set(frame.subarray(l3 + ihl + at, l3 + ihl + at + n), l3 + ihl);
    writeU16(f, l3 + 2, ihl + n);
    writeU16(f, l3 + 6, (frame[l3 + 6] & 0x40 ? IP_DF : 0) | (at + n < data ? IP_MF : 0) | (at >>> 3));
    ipv4SetChecksum(f, l3, ihl);
    out.push(f);
  }
  return out;
}
