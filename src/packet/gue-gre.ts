// The two other encapsulations of LVS-TUN, as the kernel's ip_vs_xmit.c writes
// them between the outer IPv4 header and the inner datagram (keepalived's
// tunnel_type gue|gre, ipvsadm --tun-type):
//  - GUE (ipvs_gue_encap): a UDP header to the server's tunnel port, then the
//    4-byte GUE header (version 0, control 0, proto/ctype 4 = IPIP, no flags);
//    with remote checksum offload and a checksum still to fill in, 8 more bytes:
//    the private flags word (GUE_PFLAG_REMCSUM) and the checksum's start and
//    field offset, relative to the inner datagram.
//  - GRE (ipvs_gre_encap, gre_build_header): flags (C when checksummed),
//    version 0, protocol 0x0800; with C, the checksum and a reserved word.
// Checksums as the kernel leaves them on the wire: udp_set_csum (0 when not
// asked; 0 computed is sent as 0xffff) and GRE's over its header and payload.
// When the inner datagram's own checksum is still to be filled in by the device
// (CHECKSUM_PARTIAL), the outer one is computed as lco_csum does: the inner
// region will sum to the complement of the seed its checksum field holds now.
import { writeU16, writeU32 } from './bytes.js';
import { sum16 } from './checksum.js';

export const IPPROTO_GRE = 47;
export const UDP_HLEN = 8;
/** struct guehdr. */
export const GUE_HLEN = 4;
/** GUE_LEN_PRIV + GUE_PLEN_REMCSUM: the private flags word and the remote checksum's start/offset. */
export const GUE_REMCSUM_OPTLEN = 8;
/** gre_calc_hlen: 4, and 4 more with TUNNEL_CSUM. */
export const GRE_HLEN = 4;
export const GRE_CSUM_HLEN = 8;
const GUE_FLAG_PRIV = 0x0001;
const GUE_PFLAG_REMCSUM = 0x80000000;
const GRE_CSUM = 0x8000;
export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
export const IPPROTO_IPIP = 4;
export const IPPROTO_IPV6_INNER = 41;

/**
 * Sum (folded, not complemented) of buf[from, end) where the bytes from `partialAt`
 * on are a datagram whose checksum, at `fieldAt`, the device will still fill in:
 * lco_csum. partialAt < 0: the whole range is final.
 */
function encapSum(buf: Uint8Array, from: number, end: number, partialAt: number, fieldAt: number, initial: number): number {
  if (partialAt < 0) return sum16(buf, from, end - from, initial);
  const seed = ((buf[fieldAt] << 8) | buf[fieldAt + 1]) ^ 0xffff;
  return sum16(buf, from, partialAt - from, initial + seed);
}

/**
 * UDP + GUE at `at`, in front of the inner datagram (innerLen bytes) right after
 * them. `csum`: compute the UDP checksum (`pseudo`: the outer pseudo-header's
 * sum for this UDP length, pseudoSum or pseudoSum6). `inner`: GUE's proto/ctype,
 * the inner datagram's protocol (IPIP for IPv4, 41 for IPv6).
 * `remcsum` >= 0: write the remote checksum option, the inner checksum starting
 * that many bytes into the inner datagram with its field `remOff` further (the
 * caller reserved GUE_REMCSUM_OPTLEN more bytes). `partialAt`/`fieldAt`: an
 * inner checksum still to be filled in (absolute offsets), -1 when none.
 * Returns the header length written.
 */
export function writeGueHeaders(
  buf: Uint8Array, at: number, innerLen: number, sport: number, dport: number, csum: boolean,
  remStart: number, remOff: number, partialAt: number, fieldAt: number, pseudo: number, inner = IPPROTO_IPIP,
): number {
  const opt = remStart >= 0 ? GUE_REMCSUM_OPTLEN : 0;
  const hlen = UDP_HLEN + GUE_HLEN + opt;
  const udpLen = hlen + innerLen;
  writeU16(buf, at, sport);
  writeU16(buf, at + 2, dport);
  writeU16(buf, at + 4, udpLen);
  writeU16(buf, at + 6, 0);
  const g = at + UDP_HLEN;
  buf[g] = opt >> 2; // version 0, control 0, hlen in 32-bit words of options
  buf[g + 1] = inner;
  writeU16(buf, g + 2, opt ? GUE_FLAG_PRIV : 0);
  if (opt) {
    writeU32(buf, g + 4, GUE_PFLAG_REMCSUM);
    writeU16(buf, g + 8, remStart);
    writeU16(buf, g + 10, remStart + remOff);
  }
  if (csum) {
    const s = encapSum(buf, at, at + udpLen, partialAt, fieldAt, pseudo);
    const c = ~s & 0xffff;
    // RFC 768: a computed zero is sent as all ones (CSUM_MANGLED_0).
    writeU16(buf, at + 6, c === 0 ? 0xffff : c);
  }
  return hlen;
}

/** GRE at `at`, in front of innerLen bytes of `ethType` (IPv4 or IPv6); with `csum` the checksum over header and payload (RFC 2784). Returns the header length. */
export function writeGreHeader(buf: Uint8Array, at: number, innerLen: number, csum: boolean, partialAt: number, fieldAt: number, ethType = ETH_P_IP): number {
  writeU16(buf, at, csum ? GRE_CSUM : 0);
  writeU16(buf, at + 2, ethType);
  if (!csum) return GRE_HLEN;
  writeU32(buf, at + 4, 0);
  writeU16(buf, at + 4, ~encapSum(buf, at, at + GRE_CSUM_HLEN + innerLen, partialAt, fieldAt, 0) & 0xffff);
  return GRE_CSUM_HLEN;
}
