// Answers the router writes in place of a frame it cannot forward: a TCP reset for
// a segment of no connection (what the kernel's stack does for IPVS, issue 15 item
// 9) and ICMP "fragmentation needed" for a datagram too big for the egress link
// (what a router must do, RFC 1191 / RFC 1812 4.2.2.7, item 7). Both are built over
// the frame's own bytes, which are at least as long as the answer, so nothing is
// allocated per packet; both are rate-limited, so a flood of spoofed sources cannot
// turn the router into a reflector.
import { readU16, readU32, writeU16, writeU32 } from '../packet/bytes.js';
import { checksum, pseudoSum } from '../packet/checksum.js';
import { ETH_HLEN, ethToReply } from '../packet/ethernet.js';
import { IP_DF, ipv4SetChecksum, IPPROTO_ICMP, IPPROTO_TCP } from '../packet/ipv4.js';
import type { FrameInfo } from '../packet/parse.js';
import { TCP_ACK_FLAG, TCP_FIN, TCP_RST, TCP_SYN } from '../packet/tcp.js';
import type { Batch } from '../frames/batch.js';
import { clearOffload } from './icmp-send.js';

/**
 * A token bucket: `rate` a second, at most `burst` at once, as the kernel's
 * icmp_global_allow (net.ipv4.icmp_msgs_per_sec 1000, icmp_msgs_burst 50).
 * `now` is the engine's clock in ms.
 */
export class TokenBucket {
  private tokens: number;
  private last = -Infinity;

  constructor(
    readonly rate = 1000,
    readonly burst = 50,
  ) {
    this.tokens = burst;
  }

  take(now: number): boolean {
    const t = this.tokens + ((now - this.last) * this.rate) / 1000;
    this.tokens = t > this.burst ? this.burst : t;
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** What a kernel would put in the TTL of its own packets (net.ipv4.ip_default_ttl). */
const DEFAULT_TTL = 64;
/** RFC 1812 4.3.2.3: an ICMP error quotes as much of the datagram as fits in 576 bytes. */
const ICMP_ERROR_MAX = 576;
const IP_HLEN = 20;
const TCP_HLEN = 20;
const ICMP_HLEN = 8;

/**
 * Turns frame i (a TCP segment from a client, parsed into info) into the reset
 * RFC 9293 3.10.7.1 prescribes for a segment of no connection: "If the incoming
 * segment has an ACK field, the reset takes its sequence number from the ACK field
 * of the segment, otherwise the reset has sequence number zero and the ACK field
 * is set to the sum of the sequence number and segment length of the incoming
 * segment." From the address and port the client sent to, back out of the
 * interface it came in on. The caller has made sure the segment bears no RST.
 */
export function writeTcpReset(batch: Batch, i: number, info: FrameInfo, itfMac: Uint8Array, itf: number): void {
  const buf = batch.buf;
  const l4 = info.l4;
  const flags = info.tcpFlags;
  const seq = readU32(buf, l4 + 4);
  const ack = readU32(buf, l4 + 8);
  const dataLen = info.l4Len - ((buf[l4 + 12] >>> 4) << 2);
  const segLen = dataLen + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
  const o = batch.off[i];
  const l3 = o + ETH_HLEN;
  writeIpHeader(buf, l3, IP_HLEN + TCP_HLEN, 0, 0, IP_DF, IPPROTO_TCP, info.daddr, info.saddr);
  const t = l3 + IP_HLEN;
  writeU16(buf, t, info.dport);
  writeU16(buf, t + 2, info.sport);
  const hasAck = (flags & TCP_ACK_FLAG) !== 0;
  writeU32(buf, t + 4, hasAck ? ack : 0);
  writeU32(buf, t + 8, hasAck ? 0 : (seq + segLen) >>> 0);
  buf[t + 12] = (TCP_HLEN >>> 2) << 4;
  buf[t + 13] = hasAck ? TCP_RST : TCP_RST | TCP_ACK_FLAG;
  writeU32(buf, t + 14, 0); // window 0, checksum 0 until computed
  writeU16(buf, t + 18, 0);
  writeU16(buf, t + 16, checksum(buf, t, TCP_HLEN, pseudoSum(info.daddr, info.saddr, IPPROTO_TCP, TCP_HLEN)));
  ethToReply(buf, o, itfMac, 6 * itf);
  plainFrame(batch, i, ETH_HLEN + IP_HLEN + TCP_HLEN, itf);
}

/**
 * Turns frame i (an IPv4 datagram too big for an MTU of `mtu`, DF set) into ICMP
 * destination unreachable, fragmentation needed, with the next-hop MTU (RFC 1191
 * section 4), from `src` back to the sender out of the interface it came in on.
 * The quoted datagram moves 28 bytes on, over its own tail: the frame is longer
 * than the MTU, so the answer (at most 576 bytes of IP) fits where it was.
 */
export function writeFragNeeded(batch: Batch, i: number, info: FrameInfo, mtu: number, src: number, id: number, itfMac: Uint8Array, itf: number): void {
  const buf = batch.buf;
  const o = batch.off[i];
  const l3 = o + ETH_HLEN;
  const room = batch.len[i] - ETH_HLEN - IP_HLEN - ICMP_HLEN;
  let quote = ICMP_ERROR_MAX - IP_HLEN - ICMP_HLEN;
  if (quote > info.totalLen) quote = info.totalLen;
  if (quote > room) quote = room;
  const tos = buf[info.l3 + 1];
  buf.copyWithin(l3 + IP_HLEN + ICMP_HLEN, info.l3, info.l3 + quote);
  // As icmp_send: precedence "internetwork control", the rest of the TOS kept; DF clear.
  writeIpHeader(buf, l3, IP_HLEN + ICMP_HLEN + quote, 0xc0 | (tos & 0x1e), id, 0, IPPROTO_ICMP, src, info.saddr);
  const c = l3 + IP_HLEN;
  buf[c] = 3; // destination unreachable
  buf[c + 1] = 4; // fragmentation needed and DF set
  writeU32(buf, c + 2, 0); // checksum 0 until computed, then 16 unused bits
  writeU16(buf, c + 6, mtu);
  writeU16(buf, c + 2, checksum(buf, c, ICMP_HLEN + quote));
  ethToReply(buf, o, itfMac, 6 * itf);
  plainFrame(batch, i, ETH_HLEN + IP_HLEN + ICMP_HLEN + quote, itf);
}

/** Whether the datagram at l3 forbids fragmenting (the DF bit). */
export function dontFragment(buf: Uint8Array, l3: number): boolean {
  return (readU16(buf, l3 + 6) & IP_DF) !== 0;
}

/** An options-free IPv4 header the router writes for a packet of its own, its checksum included. */
export function writeIpHeader(
  buf: Uint8Array, l3: number, totalLen: number, tos: number, id: number, frag: number, proto: number, src: number, dst: number, ttl = DEFAULT_TTL,
): void {
  buf[l3] = 0x45;
  buf[l3 + 1] = tos;
  writeU16(buf, l3 + 2, totalLen);
  writeU16(buf, l3 + 4, id);
  writeU16(buf, l3 + 6, frag);
  buf[l3 + 8] = ttl;
  buf[l3 + 9] = proto;
  writeU32(buf, l3 + 12, src >>> 0);
  writeU32(buf, l3 + 16, dst >>> 0);
  ipv4SetChecksum(buf, l3, IP_HLEN);
}

/** The answer's length, back out of `itf`, with a full checksum: no offload state of the frame it replaced. */
export function plainFrame(batch: Batch, i: number, len: number, itf: number): void {
  batch.len[i] = len;
  batch.ifOut[i] = itf;
  clearOffload(batch, i);
}
