// LVS-TUN (ipvsadm -i, lvs.cf `network = tunnel`): the client's datagram goes to
// the real server inside an outer IPv4 header, as the kernel's
// ip_vs_tunnel_xmit sends it: IP-in-IP (RFC 2003), or per server GUE (UDP to
// its tunnel port) or GRE (packet/gue-gre.ts); the real server decapsulates,
// answers the client from the VIP itself, and nothing comes back through the
// router. The frame grows by the outer headers, so it is rewritten into the
// batch's tailroom (Engine.spill): one copy, no allocation.
import { DEFAULT_MTU, MTU_UNKNOWN } from './l2.js';
import { prefixToMask } from '../model/index.js';
import type { FrameInfo } from '../packet/parse.js';
import { IPIP_HLEN, writeIpipHeader, writeOuterIpv4 } from '../packet/ipip.js';
import { GRE_CSUM_HLEN, GRE_HLEN, GUE_HLEN, GUE_REMCSUM_OPTLEN, IPPROTO_GRE, UDP_HLEN, writeGreHeader, writeGueHeaders } from '../packet/gue-gre.js';
import { IPPROTO_UDP } from '../packet/ipv4.js';
import { pseudoSum } from '../packet/checksum.js';
import { TUN_CSUM, TUN_CSUM_NONE, TUN_GRE, TUN_GUE, TUN_IPIP, TUN_REMCSUM } from './services.js';
import { ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED } from '../packet/icmp.js';
import { VERDICT_TX, type Batch } from '../frames/batch.js';
import { DROP_NO_NEIGH, DROP_NO_ROOM, DROP_TUNNEL_TOO_BIG, N_ICMP_FRAG_NEEDED, N_TUNNELED } from './counters.js';
import { tunnelGso } from './tunnel-gso.js';
import type { Engine } from './engine.js';
import { sendIcmpError } from './icmp-send.js';

/** destTunSrc's mark for "no owned address on the server's network: use the connection's VIP". */
const SRC_VIP = 1;

/**
 * Frame i (a client's packet, or an ICMP error about a connection) to tunnel
 * server `dest` of a connection to `vaddr`. `icmp`: the frame is an ICMP
 * error, which never earns a "fragmentation needed" (ip_vs_iph_icmp).
 */
export function tunnelXmit(engine: Engine, batch: Batch, i: number, info: FrameInfo, dest: number, vaddr: number, icmp: boolean): number {
  const neigh = engine.destNeighbour(dest);
  if (neigh === 0) return engine.drop(batch, i, DROP_NO_NEIGH);
  // GSO super-frames would need SKB_GSO_IPXIP4 (or a UDP/GRE tunnel's), which a virtio-net header cannot say: cut here.
  if (batch.gsoType[i] !== 0) return tunnelGso(engine, batch, i, info, dest, vaddr, neigh);
  const buf = batch.buf;
  const l3 = info.l3;
  const inner = info.totalLen;
  const df = (buf[l3 + 6] & 0x40) !== 0;
  // __ip_vs_get_out_rt: mtu = dst_mtu - the outer headers; __mtu_check_toobig_v4
  // answers a DF packet longer than that with ICMP_FRAG_NEEDED carrying it.
  const hlen = outerLen(engine, batch, i, dest);
  const mtu = pathMtu(engine, neigh, hlen);
  // DF clear: the outer packet is fragmented once written (as ip_fragment after ip_vs_tunnel_xmit).
  if (inner > mtu && (df || !engine.fragmentLater(i))) return tooBig(engine, batch, i, info, df && !icmp, mtu);
  const o = batch.off[i];
  const l2len = l3 - o;
  const at = engine.spill(batch, l2len + hlen + inner);
  if (at < 0) return engine.drop(batch, i, DROP_NO_ROOM);
  buf.copyWithin(at + l2len + hlen, l3, l3 + inner);
  buf.copyWithin(at, o, o + l2len);
  return encapAt(engine, batch, i, at, l2len, hlen, inner, dest, vaddr, neigh);
}

/** The outer headers' length for frame i to tunnel server `dest`: IPv4, and GUE's (UDP + GUE [+ remcsum]) or GRE's. */
export function outerLen(engine: Engine, batch: Batch, i: number, dest: number): number {
  const rt = engine.services;
  const type = rt.destTunType[dest];
  if (type === TUN_IPIP) return IPIP_HLEN;
  return IPIP_HLEN + encapLen(type, rt.destTunCsum[dest], remcsumFor(type, rt.destTunCsum[dest], batch, i));
}

/** __ip_vs_get_out_rt: the largest inner datagram the egress device takes behind `hlen` bytes of outer headers. */
export function pathMtu(engine: Engine, neigh: number, hlen: number): number {
  const dev = engine.l2.ifMtu[engine.neigh.neighIf[neigh]];
  return (dev === MTU_UNKNOWN ? DEFAULT_MTU : dev) - hlen;
}

/** Remote checksum offload only when a checksum is still to be filled in (ipvs_gue_encap's need_priv). */
function remcsumFor(type: number, csumMode: number, batch: Batch, i: number): boolean {
  return type === TUN_GUE && csumMode === TUN_REMCSUM && batch.csumPartial[i] !== 0;
}

/**
 * Frame i's outer headers (`hlen` bytes, outerLen), its datagram (`inner`
 * bytes) already copied to `at` + l2len + hlen and its link header to `at`:
 * the frame becomes that, addressed to the server's next hop. IPIP, GUE or GRE
 * as the server's type.
 */
export function encapAt(engine: Engine, batch: Batch, i: number, at: number, l2len: number, hlen: number, inner: number, dest: number, vaddr: number, neigh: number): number {
  const buf = batch.buf;
  const rt = engine.services;
  const type = rt.destTunType[dest];
  const l3 = at + l2len + hlen;
  const df = (buf[l3 + 6] & 0x40) !== 0;
  // ip_select_ident: an atomic datagram (DF) gets ID 0; another a counter's.
  const id = df ? 0 : engine.nextIpId();
  const src = tunnelSource(engine, dest, engine.neigh.neighIf[neigh], vaddr);
  if (type === TUN_IPIP) writeIpipHeader(buf, at + l2len, inner, buf[l3 + 1], buf[l3 + 8], df, id, src, rt.destAddr[dest]);
  else encapsulate(batch, i, at + l2len, hlen, inner, type, rt.destTunCsum[dest], remcsumFor(type, rt.destTunCsum[dest], batch, i), rt.destTunPort[dest], src, rt.destAddr[dest], l2len, id, df);
  batch.off[i] = at;
  batch.len[i] = l2len + hlen + inner;
  // A checksum the kernel still has to fill in (CHECKSUM_PARTIAL) moved with the inner datagram.
  if (batch.csumPartial[i] !== 0) batch.csumStart[i] += hlen;
  engine.toNeighbour(batch, i, neigh);
  engine.counters.n[N_TUNNELED]++;
  return VERDICT_TX;
}

/** Bytes between the outer IPv4 header and the inner datagram for GUE (UDP + GUE [+ remcsum option]) and GRE ([+ checksum]). */
export function encapLen(type: number, csumMode: number, remcsum: boolean): number {
  if (type === TUN_GUE) return UDP_HLEN + GUE_HLEN + (remcsum ? GUE_REMCSUM_OPTLEN : 0);
  if (type === TUN_GRE) return csumMode === TUN_CSUM ? GRE_CSUM_HLEN : GRE_HLEN;
  return 0;
}

/**
 * The outer IPv4 header and the GUE or GRE header at `outer`, the inner
 * datagram already after them. TOS, TTL and DF come from the inner header, as
 * for IPIP. A remote checksum hands the inner checksum to the server: the frame
 * leaves with it as the seed (CHECKSUM_NONE in the kernel).
 */
function encapsulate(
  batch: Batch, i: number, outer: number, hlen: number, inner: number, type: number, csumMode: number, remcsum: boolean,
  port: number, src: number, dst: number, l2len: number, id: number, df: boolean,
): void {
  const buf = batch.buf;
  const l3 = outer + hlen;
  const e = outer + IPIP_HLEN;
  const partial = batch.csumPartial[i] !== 0 && !remcsum;
  // Frame-relative csumStart, before the move: where the inner checksum's region starts in the new frame.
  const partialAt = partial ? l3 + batch.csumStart[i] - l2len : -1;
  const fieldAt = partial ? partialAt + batch.csumOffset[i] : -1;
  writeOuterIpv4(buf, outer, hlen - IPIP_HLEN + inner, type === TUN_GUE ? IPPROTO_UDP : IPPROTO_GRE, buf[l3 + 1], buf[l3 + 8], df, id, src, dst);
  if (type === TUN_GRE) {
    writeGreHeader(buf, e, inner, csumMode === TUN_CSUM, partialAt, fieldAt);
    return;
  }
  const remStart = remcsum ? batch.csumStart[i] - l2len : -1;
  const udpLen = hlen - IPIP_HLEN + inner;
  writeGueHeaders(buf, e, inner, flowPort(buf, l3), port, csumMode !== TUN_CSUM_NONE, remStart, batch.csumOffset[i], partialAt, fieldAt, pseudoSum(src, dst, IPPROTO_UDP, udpLen));
  if (remcsum) {
    batch.csumPartial[i] = 0;
    batch.csumStart[i] = 0;
    batch.csumOffset[i] = 0;
  }
}

/**
 * The UDP source port of a GUE packet: udp_flow_src_port spreads flows over the
 * local port range (32768..60999) by the inner flow's hash, so that the path and
 * the server's receive queues can tell flows apart. The kernel's hash is seeded
 * at random; this one mixes the inner addresses and the first 4 bytes of the
 * transport header (the ports), the same for every packet of a flow.
 */
function flowPort(buf: Uint8Array, l3: number): number {
  const ihl = (buf[l3] & 0x0f) << 2;
  const p = l3 + ihl;
  let h = Math.imul((buf[l3 + 12] << 24) | (buf[l3 + 13] << 16) | (buf[l3 + 14] << 8) | buf[l3 + 15], 0x9e3779b1);
  h = Math.imul(h ^ ((buf[l3 + 16] << 24) | (buf[l3 + 17] << 16) | (buf[l3 + 18] << 8) | buf[l3 + 19]), 0x85ebca6b);
  h = Math.imul(h ^ ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]), 0xc2b2ae35);
  h ^= h >>> 16;
  return 32768 + Math.floor(((h >>> 0) * (60999 - 32768)) / 0x100000000);
}

/** Over the MTU: "fragmentation needed" back to a DF sender; otherwise (an ICMP error with DF, or no room to fragment) dropped. */
export function tooBig(engine: Engine, batch: Batch, i: number, info: FrameInfo, answer: boolean, mtu: number): number {
  if (answer && sendIcmpError(engine, batch, i, info, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, mtu, N_ICMP_FRAG_NEEDED) === VERDICT_TX) return VERDICT_TX;
  return engine.drop(batch, i, DROP_TUNNEL_TOO_BIG);
}

/**
 * The outer source, as the kernel takes the route's source: the router's own
 * address on the egress device (the kernel's, as the daemon found it at start);
 * else an owned address whose prefix holds the server (longest first); else the
 * VIP the client used (a server that holds the VIP itself drops that as a
 * martian source unless its accept_local is set). Found once per dest and
 * cached; engine.applyDelta forgets it when the owned addresses change.
 */
function tunnelSource(engine: Engine, dest: number, itf: number, vaddr: number): number {
  const rt = engine.services;
  let src = rt.destTunSrc[dest];
  if (src === 0) src = rt.destTunSrc[dest] = engine.l2.ifSource[itf] || onLinkSource(engine, rt.destAddr[dest]);
  return src === SRC_VIP ? vaddr : src;
}

function onLinkSource(engine: Engine, addr: number): number {
  let best = SRC_VIP;
  let bestLen = -1;
  const list = engine.addresses;
  for (let k = 0; k < list.length; k++) {
    const a = list[k];
    const mask = prefixToMask(a.prefixLen);
    if (((addr & mask) >>> 0) === ((a.address & mask) >>> 0) && a.prefixLen > bestLen) {
      best = a.address;
      bestLen = a.prefixLen;
    }
  }
  return best;
}

