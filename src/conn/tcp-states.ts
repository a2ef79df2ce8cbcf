// The IPVS TCP state machine (net/netfilter/ipvs/ip_vs_proto_tcp.c) as const tables,
// so that it can be read, and tested, cell by cell: the normal table (`tcp_states`)
// and the one the secure_tcp defence switches to (`tcp_states_dos`).

export const TCP_S_NONE = 0;
export const TCP_S_ESTABLISHED = 1;
export const TCP_S_SYN_SENT = 2;
export const TCP_S_SYN_RECV = 3;
export const TCP_S_FIN_WAIT = 4;
export const TCP_S_TIME_WAIT = 5;
export const TCP_S_CLOSE = 6;
export const TCP_S_CLOSE_WAIT = 7;
export const TCP_S_LAST_ACK = 8;
export const TCP_S_LISTEN = 9;
export const TCP_S_SYNACK = 10;
/** IP_VS_TCP_S_LAST: number of TCP states. */
export const TCP_S_LAST = 11;

/** tcp_state_name_table, as `ipvsadm -L -c` prints them. */
export const TCP_STATE_NAMES: readonly string[] = [
  'NONE', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT', 'TIME_WAIT',
  'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'SYNACK',
];

/** IP_VS_UDP_S_NORMAL: UDP conns have this one state. */
export const UDP_S_NORMAL = 0;
export const UDP_STATE_NAMES: readonly string[] = ['UDP'];
/** ip_vs_ctpl_state_name_table: templates show NONE (or ASSURED, unused here). */
export const TEMPLATE_STATE_NAMES: readonly string[] = ['NONE', 'ASSURED'];

/** Packet directions (IP_VS_DIR_INPUT, IP_VS_DIR_OUTPUT, IP_VS_DIR_INPUT_ONLY). */
export const DIR_INPUT = 0;
export const DIR_OUTPUT = 1;
export const DIR_INPUT_ONLY = 2;

/** Events, in the kernel's row order within each direction. */
export const EV_SYN = 0;
export const EV_FIN = 1;
export const EV_ACK = 2;
export const EV_RST = 3;

/** TCP header flag bits (byte 13 of the TCP header). */
export const TCP_FLAG_FIN = 0x01;
export const TCP_FLAG_SYN = 0x02;
export const TCP_FLAG_RST = 0x04;
export const TCP_FLAG_ACK = 0x10;

const sSA = TCP_S_SYNACK;
const sES = TCP_S_ESTABLISHED, sSS = TCP_S_SYN_SENT, sSR = TCP_S_SYN_RECV;
const sFW = TCP_S_FIN_WAIT, sTW = TCP_S_TIME_WAIT, sCL = TCP_S_CLOSE, sCW = TCP_S_CLOSE_WAIT;
const sLA = TCP_S_LAST_ACK, sLI = TCP_S_LISTEN;

/** TCP_STATES[dir][event][state] = next state; copied row by row from `tcp_states[]`. */
export const TCP_STATES: readonly (readonly (readonly number[])[])[] = [
  /*      INPUT */
  /*        sNO, sES, sSS, sSR, sFW, sTW, sCL, sCW, sLA, sLI, sSA */
  [
    /*syn*/ [sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR],
    /*fin*/ [sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sTW],
    /*ack*/ [sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES],
    /*rst*/ [sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sSR],
  ],
  /*      OUTPUT */
  [
    /*syn*/ [sSS, sES, sSS, sSR, sSS, sSS, sSS, sSS, sSS, sLI, sSR],
    /*fin*/ [sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW],
    /*ack*/ [sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES],
    /*rst*/ [sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL],
  ],
  /*      INPUT-ONLY */
  [
    /*syn*/ [sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR],
    /*fin*/ [sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW],
    /*ack*/ [sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES],
    /*rst*/ [sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL],
  ],
];

/**
 * `tcp_states_dos[]`, what secure_tcp switches to (tcp_timeout_change): a client's
 * ACK alone no longer makes a SYN_RECV conn ESTABLISHED (INPUT ack sSR -> sSR), so
 * a spoofed handshake stays half-open, on the short secure SYN_RECV timeout, until
 * the real server answers; and the first SYN of a DR conn starts in SYNACK.
 */
export const TCP_STATES_DOS: readonly (readonly (readonly number[])[])[] = [
  /*      INPUT */
  /*        sNO, sES, sSS, sSR, sFW, sTW, sCL, sCW, sLA, sLI, sSA */
  [
    /*syn*/ [sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSA],
    /*fin*/ [sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sSA],
    /*ack*/ [sCL, sES, sSS, sSR, sFW, sTW, sCL, sCW, sCL, sLI, sSA],
    /*rst*/ [sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL],
  ],
  /*      OUTPUT */
  [
    /*syn*/ [sSS, sES, sSS, sSA, sSS, sSS, sSS, sSS, sSS, sLI, sSA],
    /*fin*/ [sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW],
    /*ack*/ [sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES],
    /*rst*/ [sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL],
  ],
  /*      INPUT-ONLY */
  [
    /*syn*/ [sSA, sES, sES, sSR, sSA, sSA, sSA, sSA, sSA, sSA, sSA],
    /*fin*/ [sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW],
    /*ack*/ [sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES],
    /*rst*/ [sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL],
  ],
];

function flatten(t: readonly (readonly (readonly number[])[])[]): Uint8Array {
  const out = new Uint8Array(3 * 4 * TCP_S_LAST);
  for (let dir = 0; dir < 3; dir++) {
    for (let ev = 0; ev < 4; ev++) {
      for (let st = 0; st < TCP_S_LAST; st++) out[(dir * 4 + ev) * TCP_S_LAST + st] = t[dir][ev][st];
    }
  }
  return out;
}

/** The tables flattened for the packet path: index ((dir * 4 + event) * 11 + state). */
export const TCP_NEXT = flatten(TCP_STATES);
export const TCP_NEXT_DOS = flatten(TCP_STATES_DOS);

/** tcp_state_idx() of every flags byte, so the packet path does one table read. */
const TCP_EVENTS = new Int8Array(256);
for (let f = 0; f < 256; f++) {
  // "if (th->rst) return 3; if (th->syn) return 0; if (th->fin) return 1;
  //  if (th->ack) return 2; return -1;"
  TCP_EVENTS[f] = f & TCP_FLAG_RST ? EV_RST : f & TCP_FLAG_SYN ? EV_SYN : f & TCP_FLAG_FIN ? EV_FIN : f & TCP_FLAG_ACK ? EV_ACK : -1;
}

/** tcp_state_idx(): the event row of a TCP flags byte, -1 for none of RST/SYN/FIN/ACK. */
export function tcpEvent(tcpFlags: number): number {
  return TCP_EVENTS[tcpFlags & 0xff];
}

/**
 * Next state for (table direction, event, state). set_tcp_state() starts from
 * "int new_state = IP_VS_TCP_S_CLOSE;" and jumps over the table lookup when
 * tcp_state_idx() < 0, so a packet with none of RST/SYN/FIN/ACK moves the conn to CLOSE.
 */
export function tcpNextState(dir: number, event: number, state: number, table: Uint8Array = TCP_NEXT): number {
  if (event < 0) return TCP_S_CLOSE;
  return table[(dir * 4 + event) * TCP_S_LAST + state];
}

/** tcp_timeouts[] in seconds. */
export const TCP_TIMEOUTS_S: readonly number[] = [
  /* NONE */ 2, /* ESTABLISHED */ 15 * 60, /* SYN_SENT */ 2 * 60, /* SYN_RECV */ 60,
  /* FIN_WAIT */ 2 * 60, /* TIME_WAIT */ 2 * 60, /* CLOSE */ 10, /* CLOSE_WAIT */ 60,
  /* LAST_ACK */ 30, /* LISTEN */ 2 * 60, /* SYNACK */ 120,
];
/**
 * The timeouts secure_tcp uses, in seconds, where they differ: Linux 2.4's
 * vs_timeout_table_dos (SYN_RECV 10 s, SYN_SENT, FIN_WAIT and TIME_WAIT 60 s,
 * SYNACK 100 s). Linux 2.6+ switches only the state table; tsvs switches both, so
 * that a flood's half-open entries leave six times sooner while it lasts.
 */
export const TCP_TIMEOUTS_SECURE_S: Readonly<Record<number, number>> = {
  [TCP_S_SYN_SENT]: 60, [TCP_S_SYN_RECV]: 10, [TCP_S_FIN_WAIT]: 60, [TCP_S_TIME_WAIT]: 60, [TCP_S_SYNACK]: 100,
};
/** udp_timeouts[IP_VS_UDP_S_NORMAL] in seconds. */
export const UDP_TIMEOUT_S = 5 * 60;

const IPPROTO_IP = 0;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/** ip_vs_state_name(): the state column of `ipvsadm -L -c`. */
export function stateName(proto: number, state: number, template: boolean): string {
  if (template) return TEMPLATE_STATE_NAMES[state] ?? 'ERR!';
  if (proto === IPPROTO_TCP) return TCP_STATE_NAMES[state] ?? 'ERR!';
  if (proto === IPPROTO_UDP) return UDP_STATE_NAMES[state] ?? 'ERR!';
  return proto === IPPROTO_IP ? 'NONE' : 'ERR!';
}
