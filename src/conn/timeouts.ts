// Per-state timeouts (pd->timeout_table in IPVS), in milliseconds for the table and in
// seconds at the ipvsadm surface. A change affects a conn at its next state transition:
// IPVS copies "cp->timeout = pd->timeout_table[cp->state = new_state]" on every packet,
// it does not walk existing conns.
import { TCP_S_ESTABLISHED, TCP_S_FIN_WAIT, TCP_S_LAST, TCP_TIMEOUTS_S, TCP_TIMEOUTS_SECURE_S, UDP_TIMEOUT_S } from './tcp-states.js';

/** Largest timeout in seconds that still fits a u32 of milliseconds (about 49.7 days). */
export const MAX_TIMEOUT_S = Math.floor(0xffffffff / 1000);

/** What `ipvsadm -L --timeout` prints: "Timeout (tcp tcpfin udp): 900 120 300". */
export interface TimeoutSettings {
  tcp: number;
  tcpfin: number;
  udp: number;
}

export class Timeouts {
  /** Milliseconds per TCP state, indexed by TCP_S_*. */
  readonly tcpMs: Uint32Array;
  /** What secure_tcp uses while it is on: tcpMs, shortened where TCP_TIMEOUTS_SECURE_S says. */
  readonly tcpMsSecure: Uint32Array;
  /** Milliseconds for UDP_S_NORMAL. */
  udpMs: number;

  constructor() {
    this.tcpMs = new Uint32Array(TCP_S_LAST);
    this.tcpMsSecure = new Uint32Array(TCP_S_LAST);
    for (let s = 0; s < TCP_S_LAST; s++) this.tcpMs[s] = TCP_TIMEOUTS_S[s] * 1000;
    this.udpMs = UDP_TIMEOUT_S * 1000;
    this.deriveSecure();
  }

  /** The secure table follows the normal one, never longer than it. */
  private deriveSecure(): void {
    for (let s = 0; s < TCP_S_LAST; s++) {
      const short = TCP_TIMEOUTS_SECURE_S[s];
      this.tcpMsSecure[s] = short === undefined ? this.tcpMs[s] : Math.min(this.tcpMs[s], short * 1000);
    }
  }

  /**
   * `ipvsadm --set tcp tcpfin udp` (ip_vs_set_timeout): tcp -> ESTABLISHED,
   * tcpfin -> FIN_WAIT, udp -> UDP NORMAL; "if (u->tcp_timeout)" i.e. 0 keeps the
   * current value. Negative or oversized values are rejected (the kernel: -EINVAL),
   * leaving every value unchanged.
   */
  set(tcp: number, tcpfin: number, udp: number): void {
    check('tcp', tcp);
    check('tcpfin', tcpfin);
    check('udp', udp);
    if (tcp !== 0) this.tcpMs[TCP_S_ESTABLISHED] = tcp * 1000;
    if (tcpfin !== 0) this.tcpMs[TCP_S_FIN_WAIT] = tcpfin * 1000;
    if (udp !== 0) this.udpMs = udp * 1000;
    this.deriveSecure();
  }

  /** __ip_vs_get_timeouts(): whole seconds, as `ipvsadm -L --timeout` shows them. */
  get(): TimeoutSettings {
    return {
      tcp: Math.floor(this.tcpMs[TCP_S_ESTABLISHED] / 1000),
      tcpfin: Math.floor(this.tcpMs[TCP_S_FIN_WAIT] / 1000),
      udp: Math.floor(this.udpMs / 1000),
    };
  }

  /** Timeout in ms of a TCP state. */
  tcp(state: number): number {
    return this.tcpMs[state];
  }

  /** Timeout in ms of the UDP state. */
  udp(): number {
    return this.udpMs;
  }
}

function check(name: string, seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_TIMEOUT_S) {
    throw new RangeError(`timeout ${name} must be an integer number of seconds 0..${MAX_TIMEOUT_S}, got ${seconds}`);
  }
}
