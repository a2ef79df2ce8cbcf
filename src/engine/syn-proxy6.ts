// The SYN proxy (syn-proxy.ts) for IPv6 NAT services: the same cookies, sequence
// translation and held segment, with IPv6 headers written in place of IPv4's. A
// cookie is made over the addresses' XOR folds (what FrameInfo carries for IPv6)
// with the proxy's secrets; the checksums take IPv6's pseudo-header.
import { readU16, readU32, writeU16 } from '../packet/bytes.js';
import { pseudoSum6 } from '../packet/checksum.js';
import { ETH_HLEN, ethToReply } from '../packet/ethernet.js';
import { IPV6_HLEN, readAddr6, writeAddr6 } from '../packet/ipv6.js';
import type { FrameInfo } from '../packet/parse.js';
import type { Batch } from '../frames/batch.js';
import { MSS_TABLE, mssIndex } from './syn-cookie.js';
import { plainFrame } from './replies.js';
import { HOLD_SLOTS, MSS_OPT_LEN, SynProxy, synMss, SYNACK_WINDOW, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, writeTcpHeader } from './syn-proxy.js';

const TCP_HLEN = 20;
const IPPROTO_TCP = 6;
/** A SYN or SYN-ACK with an MSS option over IPv6, and a bare ACK. */
export const SYN_FRAME_LEN6 = ETH_HLEN + IPV6_HLEN + TCP_HLEN + MSS_OPT_LEN;
const ACK_FRAME_LEN6 = ETH_HLEN + IPV6_HLEN + TCP_HLEN;
/** The hop limit of what the proxy writes (Linux's default). */
const HOP_LIMIT = 64;
/** Scratch: source then destination address. */
const w = new Int32Array(8);

/** An IPv6 header at l3: payload `len` of TCP, hop limit `hop`, from w[so..] to w[do..]. */
function writeIp6(buf: Uint8Array, l3: number, len: number, hop: number, src: Int32Array, so: number, dst: Int32Array, dOff: number): void {
  buf[l3] = 0x60;
  buf[l3 + 1] = buf[l3 + 2] = buf[l3 + 3] = 0;
  writeU16(buf, l3 + 4, len);
  buf[l3 + 6] = IPPROTO_TCP;
  buf[l3 + 7] = hop;
  writeAddr6(buf, l3 + 8, src, so);
  writeAddr6(buf, l3 + 24, dst, dOff);
}

/** Frame i, a client's SYN, becomes the cookie SYN-ACK back to it, as SynProxy.answerSyn. */
export function answerSyn6(sp: SynProxy, batch: Batch, i: number, info: FrameInfo, now: number, mss: number, itfMac: Uint8Array, itf: number): void {
  const buf = batch.buf;
  const l4 = info.l4;
  const isn = readU32(buf, l4 + 4);
  const idx = mssIndex(synMss(buf, l4));
  const cookie = sp.cookies.make(info.saddr, info.sport, info.daddr, info.dport, isn, now, idx);
  const withMss = batch.len[i] >= SYN_FRAME_LEN6;
  const o = batch.off[i];
  const l3 = o + ETH_HLEN;
  const tcpLen = TCP_HLEN + (withMss ? MSS_OPT_LEN : 0);
  readAddr6(buf, info.l3 + 8, w, 0);
  readAddr6(buf, info.l3 + 24, w, 4);
  writeIp6(buf, l3, tcpLen, HOP_LIMIT, w, 4, w, 0);
  const t = l3 + IPV6_HLEN;
  // The ports are read before the header that holds them is written over (an extension header may have moved l4).
  const sport = info.sport, dport = info.dport;
  writeTcpHeader(buf, t, dport, sport, cookie, (isn + 1) >>> 0, TCP_SYN | TCP_ACK, SYNACK_WINDOW, withMss ? mss : 0, pseudoSum6(buf, l3, IPPROTO_TCP, tcpLen));
  ethToReply(buf, o, itfMac, 6 * itf);
  plainFrame(batch, i, ETH_HLEN + IPV6_HLEN + tcpLen, itf);
}

/**
 * The client's ACK of frame i (cookie checked, connection `slot` made) becomes
 * the SYN to the real server at `at`, still client -> VIP (the NAT rewrite
 * follows), as SynProxy.ackToSyn; info describes the new frame.
 */
export function ackToSyn6(sp: SynProxy, batch: Batch, i: number, info: FrameInfo, at: number, slot: number, mssIdx: number): void {
  const buf = batch.buf;
  const o = batch.off[i];
  const l4 = info.l4;
  const next = readU32(buf, l4 + 4);
  const cookie = (readU32(buf, l4 + 8) - 1) >>> 0;
  sp.clientNext[slot] = next;
  sp.window[slot] = readU16(buf, l4 + 14);
  for (let k = 0; k < HOLD_SLOTS; k++) if (sp.holdConn[k] === slot) sp.holdConn[k] = 0;
  sp.seq.set(slot, cookie);
  const hop = info.ttl;
  const sport = info.sport, dport = info.dport;
  readAddr6(buf, info.l3 + 8, w, 0);
  readAddr6(buf, info.l3 + 24, w, 4);
  if (at !== o) buf.copyWithin(at, o, o + ETH_HLEN);
  const l3 = at + ETH_HLEN;
  writeIp6(buf, l3, TCP_HLEN + MSS_OPT_LEN, hop, w, 0, w, 4);
  const t = l3 + IPV6_HLEN;
  writeTcpHeader(buf, t, sport, dport, (next - 1) >>> 0, 0, TCP_SYN, sp.window[slot], MSS_TABLE[mssIdx], pseudoSum6(buf, l3, IPPROTO_TCP, TCP_HLEN + MSS_OPT_LEN));
  batch.off[i] = at;
  plainFrame(batch, i, SYN_FRAME_LEN6, batch.ifIn[i]);
  info.l3 = l3;
  info.ihl = IPV6_HLEN;
  info.totalLen = IPV6_HLEN + TCP_HLEN + MSS_OPT_LEN;
  info.ttl = hop;
  info.l4 = t;
  info.l4Len = TCP_HLEN + MSS_OPT_LEN;
  info.tcpFlags = TCP_SYN;
}

/**
 * A server segment of a connection whose SYN-ACK is awaited, as
 * SynProxy.serverAnswer: its SYN-ACK becomes the ACK to the server, from the
 * client (its address at client[co..], port cport); true then.
 */
export function serverAnswer6(sp: SynProxy, batch: Batch, i: number, info: FrameInfo, slot: number, client: Int32Array, co: number, cport: number): boolean {
  const buf = batch.buf;
  const l4 = info.l4;
  const f = info.tcpFlags;
  const cookie = sp.seq.delta[slot] >>> 0;
  const serverIsn = readU32(buf, l4 + 4);
  if ((f & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) === (TCP_SYN | TCP_ACK)) {
    sp.seq.set(slot, (cookie - serverIsn) | 0);
    sp.waiting[slot] = 0;
    const sport = info.sport;
    readAddr6(buf, info.l3 + 8, w, 4);
    const l3 = batch.off[i] + ETH_HLEN;
    writeIp6(buf, l3, TCP_HLEN, HOP_LIMIT, client, co, w, 4);
    writeTcpHeader(buf, l3 + IPV6_HLEN, cport, sport, sp.clientNext[slot], (serverIsn + 1) >>> 0, TCP_ACK, sp.window[slot], 0, pseudoSum6(buf, l3, IPPROTO_TCP, TCP_HLEN));
    plainFrame(batch, i, ACK_FRAME_LEN6, batch.ifIn[i]);
    return true;
  }
  if ((f & TCP_RST) !== 0) {
    sp.seq.set(slot, (cookie + 1 - serverIsn) | 0);
    sp.waiting[slot] = 0;
  }
  return false;
}
