// LVS-TUN of an IPv6 GSO super-frame (VIRTIO_NET_HDR_GSO_TCPV6), cut as
// tunnel-gso.ts cuts IPv4's and for the same reason: a virtio-net header cannot
// say "tunnelled". tcp_gso_segment's rules: gso_size payload bytes a segment,
// sequence numbers advancing, FIN and PSH on the last only, CWR on the first
// only; IPv6 has no ID or header checksum to keep. Each segment is encapsulated
// by encapAt6 with its TCP checksum left for the device (CHECKSUM_PARTIAL).
import { readU32, writeU16, writeU32 } from '../packet/bytes.js';
import { pseudoSum6 } from '../packet/checksum.js';
import { IPV6_HLEN } from '../packet/ipv6.js';
import type { FrameInfo } from '../packet/parse.js';
import { VERDICT_TX, type Batch } from '../frames/batch.js';
import { A6 } from '../conn/table.js';
import { DROP_NO_ROOM, DROP_TUNNEL_GSO, DROP_TUNNEL_TOO_BIG, N_TUNNEL_GSO_CUT } from './counters.js';
import type { Engine } from './engine.js';
import { encapAt6, outerLen6, pathMtu6 } from './tunnel6.js';

/** virtio_net_hdr gso_type VIRTIO_NET_HDR_GSO_TCPV6, and the ECN bit that may come with it. */
export const GSO_TCPV6 = 4;
const GSO_ECN = 0x80;
const TCP_FIN = 0x01, TCP_PSH = 0x08, TCP_CWR = 0x80;
const TCP_CSUM_OFFSET = 16;
const IPPROTO_TCP = 6;

/**
 * Frame i, an IPv6 GSO super-frame of connection `slot` to tunnel server
 * `dest` through IPv6 neighbour `n`: cut and encapsulated. Frame i's verdict
 * (the first segment's) is returned; the others are appended and counted. A
 * frame that is not plain TCP/IPv6 GSO (an extension header between) is dropped
 * as tunnel_gso; one whose segments would not fit is answered Packet Too Big.
 */
export function tunnelGso6(engine: Engine, batch: Batch, i: number, info: FrameInfo, dest: number, slot: number, n: number): number {
  const buf = batch.buf;
  const l3 = info.l3;
  const l4 = l3 + IPV6_HLEN;
  if ((batch.gsoType[i] & ~GSO_ECN) !== GSO_TCPV6 || info.proto !== IPPROTO_TCP || info.ihl !== IPV6_HLEN || info.totalLen < IPV6_HLEN + 20) {
    return engine.drop(batch, i, DROP_TUNNEL_GSO);
  }
  const thl = (buf[l4 + 12] >> 4) << 2;
  const hdrs = IPV6_HLEN + thl;
  const payload = info.totalLen - hdrs;
  const mss = batch.gsoSize[i];
  if (mss === 0 || payload <= 0 || thl < 20) return engine.drop(batch, i, DROP_TUNNEL_GSO);
  const hlen = outerLen6(engine, dest);
  const mtu = pathMtu6(engine, engine.v6.neigh.itf[n], hlen);
  // __mtu_check_toobig_v6: a GSO packet is too big when one of its segments would be.
  if (hdrs + mss > mtu) {
    if (mtu < 1280) return engine.drop(batch, i, DROP_TUNNEL_TOO_BIG);
    return engine.v6.tooBigAt(batch, i, mtu, engine.conns.addr6, slot * A6 + 4);
  }
  const count = Math.ceil(payload / mss);
  const o = batch.off[i];
  const l2len = l3 - o;
  if (batch.count + count - 1 > batch.slots || engine.spillRoom(batch) < count * (l2len + hlen + hdrs + mss)) {
    return engine.drop(batch, i, DROP_NO_ROOM);
  }
  const seq = readU32(buf, l4 + 4);
  const flags = buf[l4 + 13];
  const ifIn = batch.ifIn[i];
  let first = 0;
  for (let k = 0; k < count; k++) {
    const len = k === count - 1 ? payload - k * mss : mss;
    const at = engine.spill(batch, l2len + hlen + hdrs + len);
    const inner = at + l2len + hlen;
    // The super-frame's bytes stay where they are until every segment is cut from them.
    buf.copyWithin(at, o, l3);
    buf.copyWithin(inner, l3, l4 + thl);
    buf.copyWithin(inner + hdrs, l4 + thl + k * mss, l4 + thl + k * mss + len);
    const f = (k === count - 1 ? flags : flags & ~(TCP_FIN | TCP_PSH)) & (k === 0 ? 0xff : ~TCP_CWR);
    writeSegment(buf, inner, thl, len, (seq + k * mss) >>> 0, f);
    const j = k === 0 ? i : batch.append(at, 0, ifIn);
    batch.gsoType[j] = 0;
    batch.gsoSize[j] = 0;
    batch.hdrLen[j] = 0;
    batch.csumPartial[j] = 1;
    batch.csumStart[j] = l2len + IPV6_HLEN;
    batch.csumOffset[j] = TCP_CSUM_OFFSET;
    const v = encapAt6(engine, batch, j, at, l2len, hlen, hdrs + len, dest, slot, n);
    if (k === 0) first = v;
    else {
      batch.verdict[j] = v;
      if (v === VERDICT_TX) engine.appendedTx++;
    }
  }
  engine.counters.n[N_TUNNEL_GSO_CUT]++;
  return first;
}

/** One segment's payload length, sequence number and flags, and the pseudo-header sum the device completes. */
function writeSegment(buf: Uint8Array, l3: number, thl: number, len: number, seq: number, flags: number): void {
  const l4 = l3 + IPV6_HLEN;
  writeU16(buf, l3 + 4, thl + len);
  writeU32(buf, l4 + 4, seq);
  buf[l4 + 13] = flags;
  writeU16(buf, l4 + TCP_CSUM_OFFSET, pseudoSum6(buf, l3, IPPROTO_TCP, thl + len));
}
