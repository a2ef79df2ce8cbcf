// Every exit of the packet path is a verdict with a counter (katran's habit):
// drops by reason, passes by reason, and what was sent. Reason codes index
// Float64Arrays so counting allocates nothing.
import { PARSE_RESULT_NAMES } from '../packet/parse.js';

/** Drop reasons of the engine itself. Malformed frames use MALFORMED_BASE + parse code. */
export const DROP_FRAGMENT = 1; // IP fragment of a virtual-service flow (no reassembly)
export const DROP_NO_CONN = 2; // TCP non-SYN to a virtual service with no connection
export const DROP_NO_DEST = 3; // scheduler found no usable real server
export const DROP_TABLE_FULL = 4; // connection table at capacity
export const DROP_NO_NEIGH = 5; // next hop MAC unknown
export const DROP_TTL = 6; // TTL would reach 0 on a forwarded reply
export const DROP_FWD_UNSUPPORTED = 7; // forwarding method not built (tunnel)
export const DROP_ICMP_NO_CONN = 8; // ICMP error to a VIP about no known flow
export const DROP_DEST_GONE = 9; // connection's real server removed (expire_nodest_conn = 0)
export const MALFORMED_BASE = 32;

const ENGINE_DROP_NAMES: Record<number, string> = {
  [DROP_FRAGMENT]: 'fragment',
  [DROP_NO_CONN]: 'tcp_no_connection',
  [DROP_NO_DEST]: 'no_real_server',
  [DROP_TABLE_FULL]: 'conn_table_full',
  [DROP_NO_NEIGH]: 'next_hop_unknown',
  [DROP_TTL]: 'ttl_exceeded',
  [DROP_FWD_UNSUPPORTED]: 'forwarding_method_unsupported',
  [DROP_ICMP_NO_CONN]: 'icmp_error_no_connection',
  [DROP_DEST_GONE]: 'real_server_removed',
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

export class Counters {
  readonly drops = new Float64Array(64);
  readonly passes = new Float64Array(8);
  rxFrames = 0;
  txFrames = 0;
  arpReplies = 0;
  echoReplies = 0;
  icmpTranslated = 0;
  connsCreated = 0;

  /** Non-zero counters by name, for summaries and the admin CLI. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {
      rx_frames: this.rxFrames,
      tx_frames: this.txFrames,
      conns_created: this.connsCreated,
      arp_replies: this.arpReplies,
      icmp_echo_replies: this.echoReplies,
      icmp_errors_translated: this.icmpTranslated,
    };
    this.drops.forEach((n, code) => {
      if (n) out[`drop_${dropName(code)}`] = n;
    });
    this.passes.forEach((n, code) => {
      if (n) out[`pass_${PASS_NAMES[code]}`] = n;
    });
    return out;
  }
}
