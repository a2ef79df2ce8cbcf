// The SYN proxy for NAT services (lvs.cf syn_proxy, beyond IPVS, as DPVS's
// synproxy): while it acts (defense.ts: mode 1 under pressure, 3 always), the
// router answers a client's SYN itself with a SYN-ACK whose sequence number is a
// SYN cookie (syn-cookie.ts) and keeps nothing. A flood of spoofed SYNs then costs
// one answer each and no connection entry. The client's ACK that returns a valid
// cookie opens the connection: the ACK is rewritten into a SYN to the real server
// (the client's own ISN, the MSS the cookie carries); the server's SYN-ACK is
// rewritten into the ACK that completes its handshake, and from then on the
// server's sequence numbers are translated by delta = cookie - server ISN
// (seq-adjust.ts) in both directions.
//
// Client data sent before the server's SYN-ACK came (the request that follows the
// handshake's ACK at once) is held, one segment per connection, in a small
// preallocated store (HOLD_SLOTS frames), and sent to the server right after the
// ACK that completes its handshake (counted: synproxy_held); a further segment, or
// one the store has no room for, is dropped (synproxy_waiting) and retransmitted
// by the client. Cookie answers carry only an MSS
// option, as Linux's cookies without timestamps: no window scaling, no SACK, no
// timestamps for proxied connections (their server gets a SYN with only an MSS).
// Cookies are checked whenever syn_proxy is set (mode 1-3), so an ACK of a cookie
// sent just before the pressure ended still opens its connection.
import { randomInt } from 'node:crypto';
import { readU16, readU32, writeU16, writeU32 } from '../packet/bytes.js';
import { checksum, pseudoSum } from '../packet/checksum.js';
import { ETH_HLEN, ethToReply } from '../packet/ethernet.js';
import { IP_DF, IPPROTO_TCP } from '../packet/ipv4.js';
import type { FrameInfo } from '../packet/parse.js';
import type { Batch } from '../frames/batch.js';
import { MSS_TABLE, mssIndex, SynCookies } from './syn-cookie.js';
import { SeqAdjust } from './seq-adjust.js';
import type { SyncSeq } from '../sync/layout.js';
import { plainFrame, writeIpHeader } from './replies.js';

const IP_HLEN = 20;
const TCP_HLEN = 20;
export const MSS_OPT_LEN = 4;
/** A SYN or SYN-ACK with an MSS option: Ethernet + IP + TCP + option. */
export const SYN_FRAME_LEN = ETH_HLEN + IP_HLEN + TCP_HLEN + MSS_OPT_LEN;
const ACK_FRAME_LEN = ETH_HLEN + IP_HLEN + TCP_HLEN;
export const TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_ACK = 0x10;
/** Frames the store holds at once, and the longest one (an Ethernet MTU's frame). */
export const HOLD_SLOTS = 256;
const HOLD_BYTES = 1536;
/** A held frame older than this is given up (its connection's server never answered). */
const HOLD_MS = 3000;
/** The window of the cookie SYN-ACK (no scaling offered). */
export const SYNACK_WINDOW = 65535;

/** The client's MSS option of a SYN (RFC 9293: 536 when absent). */
export function synMss(buf: Uint8Array, l4: number): number {
  const end = l4 + ((buf[l4 + 12] >>> 4) << 2);
  let at = l4 + TCP_HLEN;
  while (at < end) {
    const kind = buf[at];
    if (kind === 0) break;
    if (kind === 1) {
      at++;
      continue;
    }
    if (at + 1 >= end) break;
    const len = buf[at + 1];
    if (len < 2 || at + len > end) break;
    if (kind === 2 && len === 4) return readU16(buf, at + 2);
    at += len;
  }
  return 536;
}

export class SynProxy {
  readonly cookies: SynCookies;
  /** Per connection (ConnTable slot), allocated with the table: the seq delta (seq-adjust.ts)... */
  readonly seq: SeqAdjust;
  /** ...and while the server's SYN-ACK is awaited (waiting = 1): the client's ISN + 1, the client's window; seq.delta holds the cookie. */
  readonly clientNext: Uint32Array;
  readonly window: Uint16Array;
  readonly waiting: Uint8Array;
  /** The held frames: bytes, length, the connection slot holding each (0: free), when held. */
  readonly holdBuf = new Uint8Array(HOLD_SLOTS * HOLD_BYTES);
  readonly holdLen = new Uint16Array(HOLD_SLOTS);
  readonly holdConn = new Int32Array(HOLD_SLOTS);
  readonly holdAt = new Float64Array(HOLD_SLOTS);

  /**
   * Per service id: the server list last checked and whether all its servers
   * forward by NAT (only those are proxied: DR and tunnel servers answer past
   * the router). Checked again when the list changes (a new array).
   */
  private readonly natIds: (Uint32Array | null)[] = [];
  private readonly natOnly: boolean[] = [];

  /** Whether service svcId's servers (ids, forwarding methods in destFwd) all forward by NAT. */
  allNat(svcId: number, ids: Uint32Array, destFwd: Uint8Array, nat: number): boolean {
    if (this.natIds[svcId] === ids) return this.natOnly[svcId];
    let all = true;
    for (let k = 0; k < ids.length; k++) if (ids[k] !== 0 && destFwd[ids[k]] !== nat) all = false;
    this.natIds[svcId] = ids;
    this.natOnly[svcId] = all;
    return all;
  }

  /**
   * A proxied connection's offset for a sync message, as the kernel's out_seq
   * (init_seq, delta, previous_delta: one constant delta here, so both the
   * same); false while the server's SYN-ACK is awaited (the delta is then the
   * cookie, of no use to a backup, which could not finish the handshake).
   */
  exportSeq(slot: number, out: SyncSeq): boolean {
    if (this.waiting[slot] !== 0) return false;
    out.initSeq = 0;
    out.delta = this.seq.delta[slot];
    out.previousDelta = out.delta;
    return true;
  }

  /** A backup takes a proxied connection's offset from the master's sync message. */
  importSeq(slot: number, seq: SyncSeq): void {
    this.waiting[slot] = 0;
    this.seq.set(slot, seq.delta);
  }

  constructor(capacity: number, secret1 = randomInt(0x7fffffff), secret2 = randomInt(0x7fffffff)) {
    this.cookies = new SynCookies(secret1, secret2);
    this.seq = new SeqAdjust(capacity);
    this.clientNext = new Uint32Array(capacity + 1);
    this.window = new Uint16Array(capacity + 1);
    this.waiting = new Uint8Array(capacity + 1);
  }

  /**
   * Frame i, a client's SYN, becomes the cookie SYN-ACK back to it (out of the
   * interface it came in on), advertising `mss`. Where the frame is too short
   * for the MSS option (a SYN without options), the answer has none either.
   */
  answerSyn(batch: Batch, i: number, info: FrameInfo, now: number, mss: number, itfMac: Uint8Array, itf: number): void {
    const buf = batch.buf;
    const l4 = info.l4;
    const isn = readU32(buf, l4 + 4);
    const idx = mssIndex(synMss(buf, l4));
    const cookie = this.cookies.make(info.saddr, info.sport, info.daddr, info.dport, isn, now, idx);
    const withMss = batch.len[i] >= SYN_FRAME_LEN;
    const o = batch.off[i];
    const tcpLen = TCP_HLEN + (withMss ? MSS_OPT_LEN : 0);
    writeIpHeader(buf, o + ETH_HLEN, IP_HLEN + tcpLen, 0, 0, IP_DF, IPPROTO_TCP, info.daddr, info.saddr);
    writeTcpHeader(buf, o + ETH_HLEN + IP_HLEN, info.dport, info.sport, cookie, (isn + 1) >>> 0, TCP_SYN | TCP_ACK, SYNACK_WINDOW, withMss ? mss : 0, pseudoSum(info.daddr, info.saddr, IPPROTO_TCP, tcpLen));
    ethToReply(buf, o, itfMac, 6 * itf);
    plainFrame(batch, i, ETH_HLEN + IP_HLEN + tcpLen, itf);
  }

  /** The MSS index a client's ACK (no SYN) returns in its cookie, or -1 when it is not one of ours. */
  checkAck(buf: Uint8Array, info: FrameInfo, now: number): number {
    const l4 = info.l4;
    const isn = (readU32(buf, l4 + 4) - 1) >>> 0;
    const cookie = (readU32(buf, l4 + 8) - 1) >>> 0;
    return this.cookies.check(info.saddr, info.sport, info.daddr, info.dport, isn, cookie, now);
  }

  /**
   * The client's ACK of frame i (cookie checked, connection `slot` made) becomes
   * the SYN to the real server, still addressed client -> VIP (the caller's NAT
   * rewrite follows), at `at` (the frame's place, or tailroom when it is too
   * short). Remembers what the server's SYN-ACK will need; info is updated to
   * describe the new frame.
   */
  ackToSyn(batch: Batch, i: number, info: FrameInfo, at: number, slot: number, mssIdx: number): void {
    const buf = batch.buf;
    const o = batch.off[i];
    const l4 = info.l4;
    const next = readU32(buf, l4 + 4);
    const cookie = (readU32(buf, l4 + 8) - 1) >>> 0;
    this.clientNext[slot] = next;
    this.window[slot] = readU16(buf, l4 + 14);
    // A frame an earlier connection of this slot held (its server never answered) is not this one's.
    for (let k = 0; k < HOLD_SLOTS; k++) if (this.holdConn[k] === slot) this.holdConn[k] = 0;
    this.seq.set(slot, cookie);
    const ttl = buf[info.l3 + 8];
    if (at !== o) buf.copyWithin(at, o, o + ETH_HLEN);
    writeIpHeader(buf, at + ETH_HLEN, IP_HLEN + TCP_HLEN + MSS_OPT_LEN, 0, 0, IP_DF, IPPROTO_TCP, info.saddr, info.daddr, ttl);
    const t = at + ETH_HLEN + IP_HLEN;
    writeTcpHeader(buf, t, info.sport, info.dport, (next - 1) >>> 0, 0, TCP_SYN, this.window[slot], MSS_TABLE[mssIdx], pseudoSum(info.saddr, info.daddr, IPPROTO_TCP, TCP_HLEN + MSS_OPT_LEN));
    batch.off[i] = at;
    plainFrame(batch, i, SYN_FRAME_LEN, batch.ifIn[i]);
    info.l3 = at + ETH_HLEN;
    info.ihl = IP_HLEN;
    info.totalLen = IP_HLEN + TCP_HLEN + MSS_OPT_LEN;
    info.ttl = ttl;
    info.l4 = t;
    info.l4Len = TCP_HLEN + MSS_OPT_LEN;
    info.tcpFlags = TCP_SYN;
  }

  /**
   * A server segment of a connection whose SYN-ACK is awaited. Its SYN-ACK: the
   * delta is set and the frame becomes the ACK to the server (from caddr:cport,
   * as the server knows the client; the caller sends it to the server); returns
   * true. A reset (the port is closed): the delta maps it onto the client's
   * numbering and it goes on to the client as any reply; returns false. Anything
   * else: returns false with waiting still set (the caller drops it).
   */
  serverAnswer(batch: Batch, i: number, info: FrameInfo, slot: number, caddr: number, cport: number): boolean {
    const buf = batch.buf;
    const l4 = info.l4;
    const f = info.tcpFlags;
    const cookie = this.seq.delta[slot] >>> 0;
    const serverIsn = readU32(buf, l4 + 4);
    if ((f & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) === (TCP_SYN | TCP_ACK)) {
      this.seq.set(slot, (cookie - serverIsn) | 0);
      this.waiting[slot] = 0;
      const o = batch.off[i];
      writeIpHeader(buf, o + ETH_HLEN, IP_HLEN + TCP_HLEN, 0, 0, IP_DF, IPPROTO_TCP, caddr, info.saddr);
      writeTcpHeader(buf, o + ETH_HLEN + IP_HLEN, cport, info.sport, this.clientNext[slot], (serverIsn + 1) >>> 0, TCP_ACK, this.window[slot], 0, pseudoSum(caddr, info.saddr, IPPROTO_TCP, TCP_HLEN));
      plainFrame(batch, i, ACK_FRAME_LEN, batch.ifIn[i]);
      return true;
    }
    if ((f & TCP_RST) !== 0) {
      // A reset of our SYN acks the client's ISN + 1 with seq 0 or the server's own: give it seq = cookie + 1.
      this.seq.set(slot, (cookie + 1 - serverIsn) | 0);
      this.waiting[slot] = 0;
    }
    return false;
  }
}

/**
 * Holds frame i (a waiting connection's segment, rewritten for the server, MACs
 * not yet) for connection slot: false when the connection holds one already, the
 * store is full, or the frame cannot be kept as it is (too long, a GSO frame).
 * A checksum left to the device (CHECKSUM_PARTIAL) is completed here, since the
 * frame goes out later without its offload state.
 */
export function holdFrame(sp: SynProxy, batch: Batch, i: number, info: FrameInfo, slot: number, now: number): boolean {
  const len = batch.len[i];
  if (len > HOLD_BYTES || batch.gsoType[i] !== 0) return false;
  let free = -1;
  for (let k = 0; k < HOLD_SLOTS; k++) {
    const c = sp.holdConn[k];
    if (c === slot) return false;
    if (free < 0 && (c === 0 || now - sp.holdAt[k] > HOLD_MS)) free = k;
  }
  if (free < 0) return false;
  const buf = batch.buf;
  if (batch.csumPartial[i] !== 0) writeU16(buf, info.l4 + 16, checksum(buf, info.l4, info.l4Len));
  sp.holdBuf.set(buf.subarray(batch.off[i], batch.off[i] + len), free * HOLD_BYTES);
  sp.holdLen[free] = len;
  sp.holdConn[free] = slot;
  sp.holdAt[free] = now;
  return true;
}

/**
 * Appends connection slot's held frame to the batch (past its received frames,
 * at `at` from Engine.spill) as its next frame, its ack translated; returns its TCP
 * header's offset, or -1 when it holds none. The caller sets its MACs and verdict.
 */
export function releaseFrame(sp: SynProxy, batch: Batch, slot: number, at: number): number {
  for (let k = 0; k < HOLD_SLOTS; k++) {
    if (sp.holdConn[k] !== slot) continue;
    sp.holdConn[k] = 0;
    const len = sp.holdLen[k];
    batch.buf.set(sp.holdBuf.subarray(k * HOLD_BYTES, k * HOLD_BYTES + len), at);
    batch.append(at, len, 0);
    // An IPv6 frame was held without extension headers (syn-proxy6.ts holds only those).
    const l3 = at + ETH_HLEN;
    const l4 = l3 + (batch.buf[l3] >>> 4 === 6 ? 40 : (batch.buf[l3] & 0x0f) << 2);
    sp.seq.toServer(batch.buf, l4, slot, false);
    return l4;
  }
  return -1;
}

/** Length of connection slot's held frame, 0 when it holds none. */
export function heldLen(sp: SynProxy, slot: number): number {
  for (let k = 0; k < HOLD_SLOTS; k++) if (sp.holdConn[k] === slot) return sp.holdLen[k];
  return 0;
}

/** A TCP header (with an MSS option when mss > 0) and its full checksum, `pseudo` the pseudo-header's sum (either family's). */
export function writeTcpHeader(buf: Uint8Array, t: number, sport: number, dport: number, seq: number, ack: number, flags: number, window: number, mss: number, pseudo: number): void {
  const hl = TCP_HLEN + (mss > 0 ? MSS_OPT_LEN : 0);
  writeU16(buf, t, sport);
  writeU16(buf, t + 2, dport);
  writeU32(buf, t + 4, seq);
  writeU32(buf, t + 8, ack);
  buf[t + 12] = (hl >>> 2) << 4;
  buf[t + 13] = flags;
  writeU16(buf, t + 14, window);
  writeU16(buf, t + 16, 0);
  writeU16(buf, t + 18, 0);
  if (mss > 0) {
    buf[t + 20] = 2;
    buf[t + 21] = 4;
    writeU16(buf, t + 22, mss);
  }
  writeU16(buf, t + 16, checksum(buf, t, hl, pseudo));
}

