// VRRP advertisements on the wire, IPv4 only: version 2 (RFC 3768 section 5)
// and version 3 (RFC 5798 section 5), and the IPv4 packet that carries them
// (protocol 112, TTL 255, to 224.0.0.18). Pure functions over byte arrays: a
// bad packet is a rejection with a stable code (keepalived's statistics name)
// and a reason worded as keepalived logs it, never an exception.
//
//  v2:  0       4       8               16              24             31
//      |Version| Type  | Virtual Rtr ID |   Priority    | Count IP Addrs|
//      |   Auth Type   |   Adver Int    |          Checksum             |
//      |                  IP Address (1) ... (n)                        |
//      |                  Authentication Data (1), (2)                  |
//  v3: |Version| Type  | Virtual Rtr ID |   Priority    | Count IPvX Addr|
//      |(rsvd) |     Max Adver Int      |          Checksum             |
//      |                  IPvX Address (1) ... (n)                      |
import { formatIPv4 } from '../model/index.js';
import { readU16, readU32, writeU16, writeU32 } from '../packet/bytes.js';
import { checksum, pseudoSum, sum16 } from '../packet/checksum.js';
import { IP_MF, IP_OFFMASK, IPV4_MIN_HLEN, ipv4SetChecksum } from '../packet/ipv4.js';

export const IPPROTO_VRRP = 112;
/** RFC 5798 5.1.1.2: "224.0.0.18" (IANA's VRRP group). */
export const VRRP_GROUP = 0xe0000012;
/** RFC 3768 5.2.3 / RFC 5798 5.1.1.3: "The TTL MUST be set to 255." */
export const VRRP_TTL = 255;
/** keepalived's vrrp_build_ip4: "set tos to internet network control". */
export const VRRP_TOS = 0xc0;
export const VRRP_TYPE_ADVERT = 1;
export const AUTH_NONE = 0;
/** "Simple Text Password", 8 octets in the clear (RFC 2338 5.3.6; RFC 3768 reserved types 1 and 2, keepalived still speaks them). */
export const AUTH_PASS = 1;
/** IPsec AH (RFC 2338): accepted as a type by keepalived; not spoken here. */
export const AUTH_AH = 2;
export const AUTH_DATA_LEN = 8;
const HEADER_LEN = 8;

export interface Advert {
  version: 2 | 3;
  vrid: number;
  /** 0: the master is stopping (RFC 5798 5.2.4); 255: the address owner. */
  priority: number;
  /** In the packet's unit: v2 whole seconds (8 bits), v3 centiseconds (12 bits). */
  interval: number;
  addresses: number[];
  /** v2 only (0 in v3). */
  authType: number;
  /** v2 only: the 8 bytes of authentication data (empty in v3). */
  authData: Uint8Array;
}

/** keepalived's statistics counter each rejection adds to (vrrp_stats in vrrp.h). */
export type RejectCode =
  | 'packet_len_err' | 'ip_ttl_err' | 'vers_err' | 'invalid_type_rcvd' | 'invalid_authtype' | 'chk_err'
  | 'ip_hdr_err' | 'vrid_err' | 'authtype_mismatch' | 'auth_failure' | 'advert_interval_err' | 'addr_list_err' | 'unicast_src_err';

export type Rejected = { ok: false; code: RejectCode; reason: string };

/** The advertisement's interval in ms. */
export function advertIntervalMs(a: Pick<Advert, 'version' | 'interval'>): number {
  return a.version === 2 ? a.interval * 1000 : a.interval * 10;
}

/** keepalived's auth_pass: at most 8 bytes, zero-padded (strncpy into auth_data). */
export function authPassBytes(pass: string): Uint8Array {
  const out = new Uint8Array(AUTH_DATA_LEN);
  out.set(new TextEncoder().encode(pass).subarray(0, AUTH_DATA_LEN));
  return out;
}

/** Bytes of the VRRP message for this version and address count. */
export function advertLength(version: number, count: number): number {
  return HEADER_LEN + 4 * count + (version === 2 ? AUTH_DATA_LEN : 0);
}

/**
 * The VRRP message. `src` and `dst` enter the v3 checksum only (RFC 5798 5.2.8:
 * the sum includes "a pseudo-header"; for IPv4 the RFC 768 one: source,
 * destination, zero, protocol 112, VRRP length). A unicast copy is summed
 * with its own destination, as keepalived does (its older releases used
 * 224.0.0.18 there; it still accepts those under unicast_chksum_compat).
 */
export function encodeAdvert(a: Advert, src = 0, dst = VRRP_GROUP): Uint8Array {
  const b = new Uint8Array(advertLength(a.version, a.addresses.length));
  b[0] = (a.version << 4) | VRRP_TYPE_ADVERT;
  b[1] = a.vrid;
  b[2] = a.priority;
  b[3] = a.addresses.length;
  if (a.version === 2) {
    b[4] = a.authType;
    b[5] = a.interval;
  } else {
    // RFC 5798 5.2.6: "(rsvd) ... MUST be set to zero on transmission".
    writeU16(b, 4, a.interval & 0x0fff);
  }
  a.addresses.forEach((addr, i) => writeU32(b, HEADER_LEN + 4 * i, addr));
  if (a.version === 2) b.set(a.authData.subarray(0, AUTH_DATA_LEN), HEADER_LEN + 4 * a.addresses.length);
  writeU16(b, 6, advertChecksum(b, a.version, src, dst));
  return b;
}

/**
 * RFC 3768 5.3.8: "the 16-bit one's complement of the one's complement sum of
 * the entire VRRP message starting with the version field"; v3 adds the
 * pseudo-header (5.2.8). The field must be zero, or the result is 0 for a good message.
 */
function advertChecksum(b: Uint8Array, version: number, src: number, dst: number): number {
  const initial = version === 3 ? pseudoSum(src, dst, IPPROTO_VRRP, b.length) : 0;
  return checksum(b, 0, b.length, initial);
}

export interface AdvertContext {
  /** The IP header's source and destination (v3 checksum, and the reasons). */
  src: number;
  dst: number;
  /** The IP header's TTL; null: not checked (keepalived: "but not if unicast"). */
  ttl: number | null;
}

/**
 * Reads and checks a VRRP message in keepalived's order (vrrp_check_packet):
 * length, TTL, version, type, auth type, checksum. What depends on the local
 * configuration (VRID, auth, interval, addresses) is the machine's to check.
 */
export function decodeAdvert(b: Uint8Array, ctx: AdvertContext): { ok: true; advert: Advert } | Rejected {
  const from = formatIPv4(ctx.src);
  if (b.length < HEADER_LEN) return reject('packet_len_err', `vrrp packet from ${from} too short, length ${b.length} and expect ${HEADER_LEN}`);
  const version = b[0] >> 4;
  const expect = advertLength(version, b[3]);
  // RFC 5798 7.1: "MUST verify that the received packet contains the complete VRRP packet".
  if (b.length !== expect) return reject('packet_len_err', `vrrp packet from ${from} too ${b.length > expect ? 'long' : 'short'}, length ${b.length} and expect ${expect}`);
  // RFC 5798 7.1: "MUST verify that the IPv4 TTL/IPv6 HL is 255" (RFC 3768 7.1: "the IP TTL").
  if (ctx.ttl !== null && ctx.ttl !== VRRP_TTL) return reject('ip_ttl_err', `invalid TTL/HL from ${from}. Received ${ctx.ttl} and expect ${VRRP_TTL}`);
  if (version !== 2 && version !== 3) return reject('vers_err', `wrong VRRP version from ${from}. Received ${version} and expect 2 or 3`);
  if ((b[0] & 0x0f) !== VRRP_TYPE_ADVERT) return reject('invalid_type_rcvd', `Invalid packet type from ${from}. ${b[0] & 0x0f} and expect ${VRRP_TYPE_ADVERT}`);
  if (version === 2 && b[4] > AUTH_AH) return reject('invalid_authtype', `Invalid auth type from ${from}: ${b[4]}`);
  if (advertChecksum(b, version, ctx.src, ctx.dst) !== 0) return reject('chk_err', `Invalid VRRPv${version} checksum from ${from}`);
  return { ok: true, advert: readAdvert(b, version) };
}

function readAdvert(b: Uint8Array, version: 2 | 3): Advert {
  const addresses = Array.from({ length: b[3] }, (_, i) => readU32(b, HEADER_LEN + 4 * i));
  const authAt = HEADER_LEN + 4 * b[3];
  return {
    version,
    vrid: b[1],
    priority: b[2],
    // RFC 5798 5.2.6: rsvd "MUST be ... ignored on reception".
    interval: version === 2 ? b[5] : readU16(b, 4) & 0x0fff,
    addresses,
    authType: version === 2 ? b[4] : 0,
    authData: version === 2 ? b.slice(authAt, authAt + AUTH_DATA_LEN) : new Uint8Array(0),
  };
}

export interface IpPacket {
  src: number;
  dst: number;
  ttl: number;
  /** The VRRP message: a view into the packet, up to the IP total length (Ethernet padding dropped). */
  payload: Uint8Array;
}

/**
 * The IPv4 packet a raw socket with IP_HDRINCL sends, built as keepalived's
 * vrrp_build_ip4 does: no options, TOS 0xc0, no fragment flags, TTL 255,
 * protocol 112; `id` is the caller's (keepalived counts it, skipping 0).
 */
export function encodeIpPacket(src: number, dst: number, payload: Uint8Array, id = 0): Uint8Array {
  const b = new Uint8Array(IPV4_MIN_HLEN + payload.length);
  b[0] = 0x45;
  b[1] = VRRP_TOS;
  writeU16(b, 2, b.length);
  writeU16(b, 4, id);
  b[8] = VRRP_TTL;
  b[9] = IPPROTO_VRRP;
  writeU32(b, 12, src);
  writeU32(b, 16, dst);
  ipv4SetChecksum(b, 0, IPV4_MIN_HLEN);
  b.set(payload, IPV4_MIN_HLEN);
  return b;
}

/** Reads the IPv4 packet a raw IPPROTO_VRRP socket hands over (the header included, as Linux gives it). */
export function decodeIpPacket(b: Uint8Array): ({ ok: true } & IpPacket) | Rejected {
  if (b.length < IPV4_MIN_HLEN) return reject('packet_len_err', `IPv4 VRRP packet too short - ${b.length} bytes`);
  const ihl = (b[0] & 0x0f) * 4;
  if (b[0] >> 4 !== 4 || ihl < IPV4_MIN_HLEN || ihl > b.length) return reject('ip_hdr_err', `not an IPv4 header (version/IHL 0x${b[0].toString(16)})`);
  const total = readU16(b, 2);
  // Short Ethernet frames arrive padded: bytes past the total length are not the packet's.
  if (total < ihl || total > b.length) return reject('packet_len_err', `ip_tot_len mismatch against received length. ${total} and received ${b.length}`);
  // RFC 791: the header checksum sums to 0xffff over a good header (our sum16 is not complemented).
  if (sum16(b, 0, ihl) !== 0xffff) return reject('ip_hdr_err', 'bad IPv4 header checksum');
  if (b[9] !== IPPROTO_VRRP) return reject('ip_hdr_err', `IP protocol ${b[9]} is not VRRP (112)`);
  if (readU16(b, 6) & (IP_MF | IP_OFFMASK)) return reject('ip_hdr_err', 'fragmented VRRP packet');
  return { ok: true, src: readU32(b, 12), dst: readU32(b, 16), ttl: b[8], payload: b.subarray(ihl, total) };
}

function reject(code: RejectCode, reason: string): Rejected {
  return { ok: false, code, reason };
}
