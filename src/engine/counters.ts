// Every exit of the packet path is a verdict with a counter (katran's habit):
// drops by reason, passes by reason, and what was sent. Reason codes index
// Float64Arrays so counting allocates nothing.
import { privateAlloc, type Alloc } from '../conn/memory.js';
import { PARSE_IPV6, PARSE_RESULT_NAMES } from '../packet/parse.js';

/** Drop reasons of the engine itself. Malformed frames use MALFORMED_BASE + parse code. */
export const DROP_FRAGMENT = 1; // later fragment of a datagram whose first fragment was dropped (frags.ts)
export const DROP_NO_CONN = 2; // TCP non-SYN to a virtual service with no connection
export const DROP_NO_DEST = 3; // scheduler found no usable real server
export const DROP_TABLE_FULL = 4; // connection table at capacity
export const DROP_NO_NEIGH = 5; // next hop MAC unknown
export const DROP_TTL = 6; // TTL would reach 0 on a forwarded reply
export const DROP_ICMP_NO_CONN = 8; // ICMP error to a VIP about no known flow
export const DROP_DEST_GONE = 9; // connection's real server removed (expire_nodest_conn = 0)
export const DROP_BAD_ICMP_CSUM = 10; // echo request to an owned address with a bad ICMP checksum
export const DROP_OTHER_HOST = 11; // unicast frame to another host's MAC (PACKET_OTHERHOST)
// LVS-TUN and the ICMP errors the router sends (tunnel.ts, icmp-send.ts).
export const DROP_TUNNEL_TOO_BIG = 20; // encapsulated packet over the egress MTU (answered "fragmentation needed" when DF)
export const DROP_TUNNEL_GSO = 21; // GSO super-frame for a tunnel server that the router cannot cut (not TCP/IPv4, or malformed)
export const DROP_NO_ROOM = 22; // no batch tailroom left for a frame that grows
// Fragments (frags.ts): one block, codes 24-31, so other drop codes can grow from 12.
export const DROP_FRAG_TIMEOUT = 24; // held before its first fragment, which did not come within ipfrag_time
export const DROP_FRAG_OVERLAP = 25; // overlaps another fragment of its datagram (RFC 5722): the datagram is refused
export const DROP_FRAG_DUPLICATE = 26; // the same bytes of a datagram again
export const DROP_FRAG_STORE_FULL = 27; // no free flow or held-frame slot (ipfrag_high_thresh)
export const DROP_FRAG_TOO_MANY = 28; // more than MAX_FRAGS fragments in one datagram
export const DROP_FRAG_OVERSIZE = 29; // the datagram would be longer than 65535 octets
export const DROP_FRAG_BAD_LENGTH = 30; // empty, or not a multiple of 8 octets without being the last
export const DROP_FRAG_REFUSED = 31; // of a datagram refused earlier (overlap, too many, oversize)
// SYN flood defences (defense.ts, syn-proxy.ts); codes apart from the others' to keep merges apart.
export const DROP_DEFENSE = 15; // drop_packet: a new connection refused under pressure (ip_vs_todrop)
export const DROP_SYNPROXY_NOT_NAT = 18; // syn_proxy: a cookie's connection went to a DR or tunnel server, which replies past the router
export const DROP_SYNPROXY_WAITING = 19; // syn_proxy: a segment of a connection whose server has not answered the proxy's SYN yet
// Frames the kernel would not take as they are (issue 15 items 5, 7, 9); codes 12-14.
export const DROP_VLAN = 12; // 802.1Q-tagged frame: tsvs runs no VLANs (use a VLAN device such as eth0.42)
export const DROP_FRAG_NEEDED = 13; // bigger than the egress MTU, DF set: answered with ICMP frag needed (rate allowing)
export const DROP_TOO_BIG = 14; // bigger than the egress MTU, DF clear, and no room in the batch to fragment it
/** Parse codes 0..PARSE_RESULT_COUNT-1 (14 now) land in drops[32..45]; the array has 64 slots. */
export const MALFORMED_BASE = 32;

const ENGINE_DROP_NAMES: Record<number, string> = {
  [DROP_FRAGMENT]: 'fragment',
  [DROP_NO_CONN]: 'tcp_no_connection',
  [DROP_NO_DEST]: 'no_real_server',
  [DROP_TABLE_FULL]: 'conn_table_full',
  [DROP_NO_NEIGH]: 'next_hop_unknown',
  [DROP_TTL]: 'ttl_exceeded',
  [DROP_ICMP_NO_CONN]: 'icmp_error_no_connection',
  [DROP_DEST_GONE]: 'real_server_removed',
  [DROP_BAD_ICMP_CSUM]: 'bad_icmp_checksum',
  [DROP_OTHER_HOST]: 'other_host',
  [DROP_TUNNEL_TOO_BIG]: 'tunnel_too_big',
  [DROP_TUNNEL_GSO]: 'tunnel_gso',
  [DROP_NO_ROOM]: 'no_room_to_grow',
  [DROP_FRAG_TIMEOUT]: 'fragment_timeout',
  [DROP_FRAG_OVERLAP]: 'fragment_overlap',
  [DROP_FRAG_DUPLICATE]: 'fragment_duplicate',
  [DROP_FRAG_STORE_FULL]: 'fragment_store_full',
  [DROP_FRAG_TOO_MANY]: 'fragment_too_many',
  [DROP_FRAG_OVERSIZE]: 'fragment_oversize',
  [DROP_FRAG_BAD_LENGTH]: 'fragment_bad_length',
  [DROP_FRAG_REFUSED]: 'fragment_refused',
  [DROP_DEFENSE]: 'defense_drop_packet',
  [DROP_SYNPROXY_NOT_NAT]: 'synproxy_not_nat',
  [DROP_SYNPROXY_WAITING]: 'synproxy_waiting',
  [DROP_VLAN]: 'vlan_tagged',
  [DROP_FRAG_NEEDED]: 'fragmentation_needed',
  [DROP_TOO_BIG]: 'too_big_not_fragmented',
};

export function dropName(code: number): string {
  if (code >= MALFORMED_BASE) return `malformed_${PARSE_RESULT_NAMES[code - MALFORMED_BASE] ?? code - MALFORMED_BASE}`;
  return ENGINE_DROP_NAMES[code] ?? `drop_${code}`;
}

/** Why a frame was passed over (not the data plane's business). */
export const PASS_NOT_IP = 0; // neither IPv4 nor ARP
export const PASS_NOT_OURS = 1; // IPv4 not to a virtual service nor a NAT reply
export const PASS_ARP = 2; // ARP not asking for an address the router owns
export const PASS_ICMP = 3; // ICMP we neither answer nor translate
export const PASS_NAMES = ['not_ipv4_or_arp', 'not_a_virtual_service', 'arp_not_for_us', 'icmp_not_for_us'];

/** Slots of Counters.n. */
const N_RX = 0, N_TX = 1, N_ARP = 2, N_ECHO = 3, N_ICMP = 4, N_CREATED = 5;
/** Counted by the client peer table (l2.ts): no room for a new client MAC; unused ones evicted. */
export const N_PEER_FULL = 6, N_PEER_EVICTED = 7;
/** LVS-TUN frames sent; ICMP errors sent (port unreachable: ip_vs_leave; fragmentation needed: tunnel MTU), and not sent for the rate limit. */
export const N_TUNNELED = 8, N_ICMP_UNREACH = 9, N_ICMP_FRAG_NEEDED = 10, N_ICMP_RATE_LIMITED = 11;
/** SYN flood defences: events (counters) and, from N_DEF_DROP_ENTRY_ON, the levels now (gauges). */
export const N_HALF_OPEN_EVICTED = 12, N_DROP_ENTRY_DROPPED = 13,
  N_DEF_DROP_ENTRY_ON = 14, N_DEF_DROP_RATE = 15, N_DEF_SECURE_TCP_ON = 16;
/** Their names in snapshots (`defense_` prefix: views.ts and the metrics pick them by it). */
const DEFENSE_NAMES: readonly (readonly [number, string])[] = [
  [N_HALF_OPEN_EVICTED, 'defense_half_open_evicted'], [N_DROP_ENTRY_DROPPED, 'defense_drop_entry_dropped'],
  [N_DEF_DROP_ENTRY_ON, 'defense_drop_entry_on'], [N_DEF_DROP_RATE, 'defense_drop_rate'],
  [N_DEF_SECURE_TCP_ON, 'defense_secure_tcp_on'],
];
/** Answers in place of a dropped frame (replies.ts): sent, and not sent for the rate limit; frag-needed sent shares LVS-TUN's count. */
export const N_RST_SENT = 17, N_RST_LIMITED = 18, N_FRAG_NEEDED_SENT = N_ICMP_FRAG_NEEDED, N_FRAG_NEEDED_LIMITED = 19;
/** The FTP helper (engine/ftp/): 227 replies rewritten, data connections created in advance,
 *  and what it could not do for want of room (sessions, announcements, conn table, batch tailroom). */
export const N_FTP_REWRITTEN = 20, N_FTP_DATA_CONNS = 21, N_FTP_NO_ROOM = 22;
/** Frames held for a next hop being resolved (unresolved.ts), and those sent when it answered; the rest are dropped as next_hop_unknown. */
export const N_NEIGH_HELD = 23, N_NEIGH_HELD_SENT = 24;
/** The SYN proxy (syn-proxy.ts): cookie SYN-ACKs sent, ACKs with a valid cookie and without, connections whose
 *  server completed the proxied handshake, client segments held until then; and whether it acts now (a gauge, slot 29). `synproxy_` prefix, as `defense_`. */
export const N_SYNPROXY_COOKIES_SENT = 25, N_SYNPROXY_ACK_VALID = 26, N_SYNPROXY_ACK_INVALID = 27, N_SYNPROXY_CONNS = 28,
  N_SYNPROXY_ON = 29, N_SYNPROXY_HELD = 30;
const SYNPROXY_NAMES: readonly (readonly [number, string])[] = [
  [N_SYNPROXY_COOKIES_SENT, 'synproxy_cookies_sent'], [N_SYNPROXY_ACK_VALID, 'synproxy_acks_valid'],
  [N_SYNPROXY_ACK_INVALID, 'synproxy_acks_invalid'], [N_SYNPROXY_CONNS, 'synproxy_conns'], [N_SYNPROXY_ON, 'synproxy_on'],
  [N_SYNPROXY_HELD, 'synproxy_held'],
];
/** GSO super-frames for a tunnel server that the router cut into segments itself (tunnel-gso.ts). */
export const N_TUNNEL_GSO_CUT = 31;
/** Datagrams with DF clear over the egress MTU that the router fragmented, and the fragments it sent for them (fragment-out.ts). */
export const N_FRAGMENTED = 32, N_FRAGMENTS_OUT = 33;
export const N_FIELDS = 34;

export class Counters {
  readonly drops: Float64Array;
  readonly passes: Float64Array;
  /** The named totals below, in one array so it can live in shared memory (conn/memory.ts). */
  readonly n: Float64Array;

  constructor(alloc: Alloc = privateAlloc) {
    this.drops = alloc(Float64Array, 64);
    this.passes = alloc(Float64Array, 8);
    this.n = alloc(Float64Array, N_FIELDS);
  }

  get rxFrames(): number { return this.n[N_RX]; }
  set rxFrames(v: number) { this.n[N_RX] = v; }
  get txFrames(): number { return this.n[N_TX]; }
  set txFrames(v: number) { this.n[N_TX] = v; }
  get arpReplies(): number { return this.n[N_ARP]; }
  set arpReplies(v: number) { this.n[N_ARP] = v; }
  get echoReplies(): number { return this.n[N_ECHO]; }
  set echoReplies(v: number) { this.n[N_ECHO] = v; }
  get icmpTranslated(): number { return this.n[N_ICMP]; }
  set icmpTranslated(v: number) { this.n[N_ICMP] = v; }
  get connsCreated(): number { return this.n[N_CREATED]; }
  set connsCreated(v: number) { this.n[N_CREATED] = v; }

  /** Non-zero counters by name, for summaries and the admin CLI. */
  snapshot(): Record<string, number> {
    return countersSnapshot(this.drops, this.passes, this.n, false);
  }
}

/** Every counter by name (zeros too, when `all`), from the arrays: the engine's own or a reader's shared views. */
export function countersSnapshot(drops: Float64Array, passes: Float64Array, n: Float64Array, all: boolean): Record<string, number> {
  const out: Record<string, number> = {
    rx_frames: n[N_RX],
    tx_frames: n[N_TX],
    conns_created: n[N_CREATED],
    arp_replies: n[N_ARP],
    icmp_echo_replies: n[N_ECHO],
    icmp_errors_translated: n[N_ICMP],
    client_table_full: n[N_PEER_FULL] ?? 0,
    client_peers_evicted: n[N_PEER_EVICTED] ?? 0,
    tunneled: n[N_TUNNELED] ?? 0,
    tunnel_gso_cut: n[N_TUNNEL_GSO_CUT] ?? 0,
    datagrams_fragmented: n[N_FRAGMENTED] ?? 0,
    fragments_sent: n[N_FRAGMENTS_OUT] ?? 0,
    icmp_port_unreachable_sent: n[N_ICMP_UNREACH] ?? 0,
    icmp_frag_needed_sent: n[N_ICMP_FRAG_NEEDED] ?? 0,
    icmp_rate_limited: n[N_ICMP_RATE_LIMITED] ?? 0,
    tcp_resets_sent: n[N_RST_SENT] ?? 0,
    tcp_resets_rate_limited: n[N_RST_LIMITED] ?? 0,
    icmp_frag_needed_rate_limited: n[N_FRAG_NEEDED_LIMITED] ?? 0,
    ftp_replies_rewritten: n[N_FTP_REWRITTEN] ?? 0,
    ftp_data_conns: n[N_FTP_DATA_CONNS] ?? 0,
    ftp_no_room: n[N_FTP_NO_ROOM] ?? 0,
    next_hop_frames_held: n[N_NEIGH_HELD] ?? 0,
    next_hop_held_sent: n[N_NEIGH_HELD_SENT] ?? 0,
  };
  for (const [at, name] of DEFENSE_NAMES) if (all || n[at]) out[name] = n[at] ?? 0;
  for (const [at, name] of SYNPROXY_NAMES) if (all || n[at]) out[name] = n[at] ?? 0;
  drops.forEach((v, code) => {
    if (v || (all && dropKnown(code))) out[`drop_${dropName(code)}`] = v;
  });
  passes.forEach((v, code) => {
    if (v || (all && code < PASS_NAMES.length)) out[`pass_${PASS_NAMES[code]}`] = v;
  });
  return out;
}

/** Drop codes that have a name: the engine's own, and the parser's malformed-frame results (after ipv4, arp, other; ipv6 is no malformation either). */
function dropKnown(code: number): boolean {
  return code in ENGINE_DROP_NAMES ||
    (code >= MALFORMED_BASE + 3 && code !== MALFORMED_BASE + PARSE_IPV6 && PARSE_RESULT_NAMES[code - MALFORMED_BASE] !== undefined);
}
