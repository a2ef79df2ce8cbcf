// LVS-TUN (ipvsadm -i, lvs.cf `network = tunnel`): the client's datagram goes to
// the real server inside an outer IPv4 header (IP-in-IP, RFC 2003), as the
// kernel's ip_vs_tunnel_xmit sends it; the real server decapsulates, answers
// the client from the VIP itself, and nothing comes back through the router.
// The frame grows by the outer header, so it is rewritten into the batch's
// tailroom (Engine.spill): one copy, no allocation.
import { DEFAULT_MTU, MTU_UNKNOWN } from './l2.js';
import { prefixToMask } from '../model/index.js';
import type { FrameInfo } from '../packet/parse.js';
import { IPIP_HLEN, writeIpipHeader } from '../packet/ipip.js';
import { ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED } from '../packet/icmp.js';
import { VERDICT_TX, type Batch } from '../frames/batch.js';
import { DROP_NO_NEIGH, DROP_NO_ROOM, DROP_TUNNEL_GSO, DROP_TUNNEL_TOO_BIG, N_ICMP_FRAG_NEEDED, N_TUNNELED } from './counters.js';
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
  // GSO super-frames would need SKB_GSO_IPXIP4, which a virtio-net header cannot say.
  if (batch.gsoType[i] !== 0) return engine.drop(batch, i, DROP_TUNNEL_GSO);
  const buf = batch.buf;
  const l3 = info.l3;
  const inner = info.totalLen;
  const df = (buf[l3 + 6] & 0x40) !== 0;
  // __ip_vs_get_out_rt: mtu = dst_mtu - sizeof(struct iphdr); __mtu_check_toobig_v4
  // answers a DF packet longer than that with ICMP_FRAG_NEEDED carrying it.
  const dev = engine.l2.ifMtu[engine.neigh.neighIf[neigh]];
  const mtu = (dev === MTU_UNKNOWN ? DEFAULT_MTU : dev) - IPIP_HLEN;
  if (inner > mtu) return tooBig(engine, batch, i, info, df && !icmp, mtu);
  const o = batch.off[i];
  const l2len = l3 - o;
  const at = engine.spill(batch, l2len + IPIP_HLEN + inner);
  if (at < 0) return engine.drop(batch, i, DROP_NO_ROOM);
  buf.copyWithin(at + l2len + IPIP_HLEN, l3, l3 + inner);
  buf.copyWithin(at, o, o + l2len);
  // ip_select_ident: an atomic datagram (DF) gets ID 0; another a counter's.
  const id = df ? 0 : engine.nextIpId();
  const src = tunnelSource(engine, dest, engine.neigh.neighIf[neigh], vaddr);
  writeIpipHeader(buf, at + l2len, inner, buf[l3 + 1], buf[l3 + 8], df, id, src, engine.services.destAddr[dest]);
  batch.off[i] = at;
  batch.len[i] = l2len + IPIP_HLEN + inner;
  // A checksum the kernel still has to fill in (CHECKSUM_PARTIAL) moved with the inner datagram.
  if (batch.csumPartial[i] !== 0) batch.csumStart[i] += IPIP_HLEN;
  engine.toNeighbour(batch, i, neigh);
  engine.counters.n[N_TUNNELED]++;
  return VERDICT_TX;
}

/** Over the MTU: "fragmentation needed" back to a DF sender; otherwise dropped (the kernel would fragment the outer packet; tsvs does not). */
function tooBig(engine: Engine, batch: Batch, i: number, info: FrameInfo, answer: boolean, mtu: number): number {
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

