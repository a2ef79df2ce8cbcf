// LVS-TUN for IPv6 services, as the kernel's ip_vs_tunnel_xmit_v6 sends it: the
// client's IPv6 datagram inside an outer IPv6 header to the real server (next
// header 41, IPv6-in-IPv6, RFC 2473), or per server inside GUE (UDP to its
// tunnel port, GUE proto 41) or GRE (protocol 0x86dd). The outer header takes
// the inner one's traffic class, flow label and hop limit. IPv6 routers do not
// fragment: a datagram that no longer fits behind the outer headers is answered
// with Packet Too Big for the smaller MTU (__mtu_check_toobig_v6), never sent in
// pieces. A GSO super-frame is cut into segments first (tunnel-gso6.ts), as for
// IPv4. The frame grows, so it is rewritten into the batch's tailroom (spill).
import { A6 } from '../conn/table.js';
import { pseudoSum6, setL4Checksum6 } from '../packet/checksum.js';
import {
  ETH_P_IPV6, GRE_CSUM_HLEN, GRE_HLEN, GUE_HLEN, IPPROTO_GRE, IPPROTO_IPV6_INNER, UDP_HLEN, writeGreHeader, writeGueHeaders,
} from '../packet/gue-gre.js';
import { IPV6_HLEN, IPV6_MIN_MTU, writeAddr6 } from '../packet/ipv6.js';
import { writeU16 } from '../packet/bytes.js';
import type { FrameInfo } from '../packet/parse.js';
import { VERDICT_TX, type Batch } from '../frames/batch.js';
import { DROP_NO_ROOM, DROP_TUNNEL_TOO_BIG, N_TUNNELED } from './counters.js';
import type { Engine } from './engine.js';
import { DEFAULT_MTU, MTU_UNKNOWN, writeMacs } from './l2.js';
import { TUN_CSUM, TUN_GRE, TUN_GUE } from './services.js';

const IPPROTO_UDP = 17;

/** The outer headers' length to tunnel server `dest`: IPv6, and GUE's (UDP + GUE) or GRE's. */
export function outerLen6(engine: Engine, dest: number): number {
  const rt = engine.services;
  const type = rt.destTunType[dest];
  if (type === TUN_GUE) return IPV6_HLEN + UDP_HLEN + GUE_HLEN;
  if (type === TUN_GRE) return IPV6_HLEN + (rt.destTunCsum[dest] === TUN_CSUM ? GRE_CSUM_HLEN : GRE_HLEN);
  return IPV6_HLEN;
}

/** The largest inner datagram the egress device takes behind `hlen` bytes of outer headers. */
export function pathMtu6(engine: Engine, itf: number, hlen: number): number {
  const dev = engine.l2.ifMtu[itf];
  return (dev === MTU_UNKNOWN ? DEFAULT_MTU : dev) - hlen;
}

/**
 * Frame i (a client's datagram of connection `slot`, or an ICMPv6 error about
 * it when `icmp`) to tunnel server `dest` through IPv6 neighbour `n`. A
 * datagram over the path MTU is answered Packet Too Big from the VIP.
 */
export function tunnel6Xmit(
  engine: Engine, batch: Batch, i: number, info: FrameInfo, dest: number, slot: number, n: number, icmp: boolean,
): number {
  const itf = engine.v6.neigh.itf[n];
  const hlen = outerLen6(engine, dest);
  const mtu = pathMtu6(engine, itf, hlen);
  const inner = info.totalLen;
  if (inner > mtu) {
    // An error about a flow is not answered (ip_vs_iph_icmp); nor one that would ask for less than IPv6's minimum MTU.
    if (icmp || mtu < IPV6_MIN_MTU) return engine.drop(batch, i, DROP_TUNNEL_TOO_BIG);
    return engine.v6.tooBigAt(batch, i, mtu, engine.conns.addr6, slot * A6 + 4);
  }
  const buf = batch.buf;
  const o = batch.off[i];
  const l3 = info.l3;
  const l2len = l3 - o;
  const at = engine.spill(batch, l2len + hlen + inner);
  if (at < 0) return engine.drop(batch, i, DROP_NO_ROOM);
  buf.copyWithin(at + l2len + hlen, l3, l3 + inner);
  buf.copyWithin(at, o, o + l2len);
  return encapAt6(engine, batch, i, at, l2len, hlen, inner, dest, slot, n);
}

/**
 * Frame i's outer headers (`hlen` bytes) at `at` + l2len, its datagram
 * (`inner` bytes) already after them and its link header at `at`: addressed to
 * the server through neighbour `n`.
 */
export function encapAt6(engine: Engine, batch: Batch, i: number, at: number, l2len: number, hlen: number, inner: number, dest: number, slot: number, n: number): number {
  const buf = batch.buf;
  const rt = engine.services;
  const type = rt.destTunType[dest];
  const outer = at + l2len;
  const l3 = outer + hlen;
  // Version, traffic class and flow label, then the lengths, from the inner header (ip6_flow_hdr with its dsfield and label).
  buf.copyWithin(outer, l3, l3 + 4);
  writeU16(buf, outer + 4, hlen - IPV6_HLEN + inner);
  buf[outer + 6] = type === TUN_GUE ? IPPROTO_UDP : type === TUN_GRE ? IPPROTO_GRE : IPPROTO_IPV6_INNER;
  buf[outer + 7] = buf[l3 + 7];
  const src = engine.v6.tunnelSource(rt.destAddr6, 4 * dest, slot);
  writeAddr6(buf, outer + 8, src.words, src.o);
  writeAddr6(buf, outer + 24, rt.destAddr6, 4 * dest);
  const e = outer + IPV6_HLEN;
  const partial = batch.csumPartial[i] !== 0;
  if (type === TUN_GRE) {
    const partialAt = partial ? l3 + batch.csumStart[i] - l2len : -1;
    writeGreHeader(buf, e, inner, rt.destTunCsum[dest] === TUN_CSUM, partialAt, partial ? partialAt + batch.csumOffset[i] : -1, ETH_P_IPV6);
  } else if (type === TUN_GUE) {
    // IPv6 gives UDP no checksum-less mode for a plain socket to take (RFC 8200
    // 8.1; RFC 6935's zero checksum needs the receiver's consent): always summed.
    // The inner checksum is finished first, so the outer one covers final bytes.
    if (partial) finishInner(batch, i, buf, l3, inner, l2len);
    const udpLen = UDP_HLEN + GUE_HLEN + inner;
    writeGueHeaders(buf, e, inner, flowPort6(buf, l3), rt.destTunPort[dest], true, -1, 0, -1, -1, pseudoSum6(buf, outer, IPPROTO_UDP, udpLen), IPPROTO_IPV6_INNER);
  }
  batch.off[i] = at;
  batch.len[i] = l2len + hlen + inner;
  // A checksum the device still fills in (CHECKSUM_PARTIAL) moved with the inner datagram.
  if (batch.csumPartial[i] !== 0) batch.csumStart[i] += hlen;
  const neigh = engine.v6.neigh;
  writeMacs(buf, at, neigh.hdr, 3 * n);
  batch.ifOut[i] = neigh.itf[n];
  engine.counters.n[N_TUNNELED]++;
  return VERDICT_TX;
}

/** Fills in the inner TCP/UDP checksum the device was to fill (CHECKSUM_PARTIAL), so nothing is left for it. */
function finishInner(batch: Batch, i: number, buf: Uint8Array, l3: number, inner: number, l2len: number): void {
  const l4 = l3 + batch.csumStart[i] - l2len;
  const proto = batch.csumOffset[i] === 16 ? 6 : 17;
  setL4Checksum6(buf, l3, l4, l3 + inner - l4, proto);
  batch.csumPartial[i] = 0;
  batch.csumStart[i] = 0;
  batch.csumOffset[i] = 0;
}

/**
 * GUE's UDP source port, udp_flow_src_port's range (32768..60999) chosen by a
 * hash of the inner flow (both addresses and the first 4 bytes past the fixed
 * header: the ports when no extension header comes between).
 */
function flowPort6(buf: Uint8Array, l3: number): number {
  let h = 0x9e3779b1;
  for (let k = 8; k < 44; k += 4) h = Math.imul(h ^ ((buf[l3 + k] << 24) | (buf[l3 + k + 1] << 16) | (buf[l3 + k + 2] << 8) | buf[l3 + k + 3]), 0x85ebca6b);
  h ^= h >>> 16;
  return 32768 + Math.floor(((h >>> 0) * (60999 - 32768)) / 0x100000000);
}

/** An address as 4 words at words[o..o+3] (Ipv6Path.tunnelSource's answer). */
export interface Source6 {
  words: Int32Array;
  o: number;
}
