// LVS-TUN of a GSO super-frame: a TCP segment of up to 64 KB that the sender's
// TSO or the receiving device's GRO left whole, which AF_PACKET hands over with
// a virtio-net header. The kernel's ip_vs_tunnel_xmit marks such a packet
// SKB_GSO_IPXIP4 (or a UDP or GRE tunnel's type) and the device, or
// skb_gso_segment, cuts it after encapsulation. A virtio-net header cannot say
// "tunnelled", and a kernel that segments the frame as plain TCP/IPv4 would cut
// the outer packet wrong, so the router cuts it itself, as tcp_gso_segment does:
// segments of gso_size payload bytes, sequence numbers advancing, FIN and PSH on
// the last only, CWR on the first only, IP IDs counting up; each then
// encapsulated as tunnelXmit does a plain frame. The segments' TCP checksums stay
// for the device to fill in (CHECKSUM_PARTIAL), as the super-frame's was. The
// first segment takes the super-frame's place in the batch and the others are
// appended after the received frames (Batch.slots); this path is taken by
// tunnel servers' GSO frames only.
import { readU16, readU32, writeU16, writeU32 } from '../packet/bytes.js';
import { pseudoSum, pseudoSum6 } from '../packet/checksum.js';
import { IPV6_HLEN } from '../packet/ipv6.js';
import { IPPROTO_TCP, ipv4SetChecksum } from '../packet/ipv4.js';
import type { FrameInfo } from '../packet/parse.js';
import { VERDICT_TX, type Batch } from '../frames/batch.js';
import { DROP_NO_ROOM, DROP_TUNNEL_GSO, N_TUNNEL_GSO_CUT } from './counters.js';
import type { Engine } from './engine.js';
import { encapAt, outerLen, pathMtu, tooBig } from './tunnel.js';
import { encapAt6 } from './tunnel6.js';

/** virtio_net_hdr gso_type: VIRTIO_NET_HDR_GSO_TCPV4, and the ECN bit that may come with it. */
export const GSO_TCPV4 = 1;
const GSO_ECN = 0x80;
const TCP_FIN = 0x01, TCP_PSH = 0x08, TCP_CWR = 0x80;
/** Where the TCP checksum sits in its header (virtio csum_offset). */
const TCP_CSUM_OFFSET = 16;

/**
 * Frame i, a GSO super-frame to tunnel server `dest` (of a connection to
 * `vaddr`) through neighbour `neigh`: cut, and each segment encapsulated
 * (tunnel.ts encapAt). Returns frame i's verdict (the first segment's);
 * the other segments' verdicts are set and counted as appended frames. A frame
 * that is not TCP/IPv4 GSO is dropped as tunnel_gso; one whose segments would
 * not fit the path is answered as tunnelXmit answers a datagram over it; one the batch has no room to cut
 * is dropped as no_room_to_grow, whole.
 */
export function tunnelGso(engine: Engine, batch: Batch, i: number, info: FrameInfo, dest: number, vaddr: number, neigh: number): number {
  const buf = batch.buf;
  const l3 = info.l3;
  const ihl = (buf[l3] & 0x0f) << 2;
  const l4 = l3 + ihl;
  if ((batch.gsoType[i] & ~GSO_ECN) !== GSO_TCPV4 || buf[l3 + 9] !== IPPROTO_TCP || info.totalLen < ihl + 20) {
    return engine.drop(batch, i, DROP_TUNNEL_GSO);
  }
  const thl = (buf[l4 + 12] >> 4) << 2;
  const hdrs = ihl + thl;
  const payload = info.totalLen - hdrs;
  const mss = batch.gsoSize[i];
  if (mss === 0 || payload <= 0 || thl < 20) return engine.drop(batch, i, DROP_TUNNEL_GSO);
  // The segments leave with their checksums still to be filled in: GUE's remote checksum applies to them.
  batch.csumPartial[i] = 1;
  const hlen = outerLen(engine, batch, i, dest);
  const mtu = pathMtu(engine, neigh, hlen);
  // __mtu_check_toobig_v4: a GSO packet is too big when one of its segments would be.
  if (hdrs + mss > mtu) return tooBig(engine, batch, i, info, (buf[l3 + 6] & 0x40) !== 0, mtu);
  return cutSegments(engine, batch, i, l3, ihl, thl, payload, mss, hlen, false, dest, vaddr, neigh);
}

/**
 * The cutting both families share: the super-frame at frame i (IPv4 or IPv6
 * header of `ihl` bytes at l3, TCP header of `thl`) cut into segments of `mss`
 * payload bytes, each written past the batch's frames and encapsulated (encapAt
 * for IPv4, with `x` the connection's VIP; encapAt6 for IPv6, with `x` its slot).
 * The first segment takes frame i's place, the others are appended. Returns
 * frame i's verdict.
 */
export function cutSegments(
  engine: Engine, batch: Batch, i: number, l3: number, ihl: number, thl: number, payload: number, mss: number,
  hlen: number, v6: boolean, dest: number, x: number, neigh: number,
): number {
  const buf = batch.buf;
  const l4 = l3 + ihl;
  const hdrs = ihl + thl;
  const n = Math.ceil(payload / mss);
  const o = batch.off[i];
  const l2len = l3 - o;
  if (batch.count + n - 1 > batch.slots || engine.spillRoom(batch) < n * (l2len + hlen + hdrs + mss)) {
    return engine.drop(batch, i, DROP_NO_ROOM);
  }
  const seq = readU32(buf, l4 + 4);
  const flags = buf[l4 + 13];
  const id = v6 ? 0 : readU16(buf, l3 + 4);
  const ifIn = batch.ifIn[i];
  let first = 0;
  for (let k = 0; k < n; k++) {
    const len = k === n - 1 ? payload - k * mss : mss;
    const at = engine.spill(batch, l2len + hlen + hdrs + len);
    const inner = at + l2len + hlen;
    // The super-frame's bytes stay where they are until every segment is cut from them.
    buf.copyWithin(at, o, l3);
    buf.copyWithin(inner, l3, l4 + thl);
    buf.copyWithin(inner + hdrs, l4 + thl + k * mss, l4 + thl + k * mss + len);
    const f = (k === n - 1 ? flags : flags & ~(TCP_FIN | TCP_PSH)) & (k === 0 ? 0xff : ~TCP_CWR);
    if (v6) writeSegment6(buf, inner, thl, len, (seq + k * mss) >>> 0, f);
    else writeSegment(buf, inner, ihl, thl, len, (seq + k * mss) >>> 0, f, (id + k) & 0xffff);
    const j = k === 0 ? i : batch.append(at, 0, ifIn);
    batch.gsoType[j] = 0;
    batch.gsoSize[j] = 0;
    batch.hdrLen[j] = 0;
    batch.csumPartial[j] = 1;
    batch.csumStart[j] = l2len + ihl;
    batch.csumOffset[j] = TCP_CSUM_OFFSET;
    const v = v6 ? encapAt6(engine, batch, j, at, l2len, hlen, hdrs + len, dest, x, neigh) : encapAt(engine, batch, j, at, l2len, hlen, hdrs + len, dest, x, neigh);
    if (k === 0) first = v;
    else {
      batch.verdict[j] = v;
      if (v === VERDICT_TX) engine.appendedTx++;
    }
  }
  engine.counters.n[N_TUNNEL_GSO_CUT]++;
  return first;
}

/** One segment's IPv6 payload length, sequence number and flags, and the pseudo-header sum the device completes. */
function writeSegment6(buf: Uint8Array, l3: number, thl: number, len: number, seq: number, flags: number): void {
  const l4 = l3 + IPV6_HLEN;
  writeU16(buf, l3 + 4, thl + len);
  writeU32(buf, l4 + 4, seq);
  buf[l4 + 13] = flags;
  writeU16(buf, l4 + TCP_CSUM_OFFSET, pseudoSum6(buf, l3, IPPROTO_TCP, thl + len));
}

/**
 * One segment's IPv4 and TCP headers at `l3`: its length, ID and header
 * checksum; its sequence number and flags; and in the checksum field the
 * pseudo-header sum the device completes (CHECKSUM_PARTIAL's convention).
 */
function writeSegment(buf: Uint8Array, l3: number, ihl: number, thl: number, len: number, seq: number, flags: number, id: number): void {
  const l4 = l3 + ihl;
  writeU16(buf, l3 + 2, ihl + thl + len);
  writeU16(buf, l3 + 4, id);
  ipv4SetChecksum(buf, l3, ihl);
  writeU32(buf, l4 + 4, seq);
  buf[l4 + 13] = flags;
  writeU16(buf, l4 + TCP_CSUM_OFFSET, pseudoSum(readU32(buf, l3 + 12), readU32(buf, l3 + 16), IPPROTO_TCP, thl + len));
}
