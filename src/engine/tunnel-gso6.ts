// LVS-TUN of an IPv6 GSO super-frame (VIRTIO_NET_HDR_GSO_TCPV6), cut as
// tunnel-gso.ts cuts IPv4's and for the same reason: a virtio-net header cannot
// say "tunnelled". tcp_gso_segment's rules: gso_size payload bytes a segment,
// sequence numbers advancing, FIN and PSH on the last only, CWR on the first
// only; IPv6 has no ID or header checksum to keep. The cutting is IPv4's
// (tunnel-gso.ts cutSegments); each segment is encapsulated by encapAt6 with its
// TCP checksum left for the device (CHECKSUM_PARTIAL).
import { IPV6_HLEN } from '../packet/ipv6.js';
import type { FrameInfo } from '../packet/parse.js';
import type { Batch } from '../frames/batch.js';
import { A6 } from '../conn/table.js';
import { DROP_TUNNEL_GSO, DROP_TUNNEL_TOO_BIG } from './counters.js';
import type { Engine } from './engine.js';
import { cutSegments } from './tunnel-gso.js';
import { outerLen6, pathMtu6 } from './tunnel6.js';

/** virtio_net_hdr gso_type VIRTIO_NET_HDR_GSO_TCPV6, and the ECN bit that may come with it. */
export const GSO_TCPV6 = 4;
const GSO_ECN = 0x80;
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
  return cutSegments(engine, batch, i, l3, IPV6_HLEN, thl, payload, mss, hlen, true, dest, slot, n);
}
