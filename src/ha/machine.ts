// What the router's failover component (router/failover.ts) drives: a state
// machine on a clock that decides whether this router is the active one. Two
// implement it: Piranha's pulse (pulse.ts) and VRRP as keepalived speaks it
// (vrrp.ts). Neither owns a socket or a timer: the component feeds them
// datagrams, the clock and link state, and carries out the actions they return.

export type FailoverAction =
  /**
   * Send these bytes to every peer (pulse: the partner's public and private address; VRRP: the group),
   * or only to `to` (VRRP unicast: one copy per peer, as the v3 checksum covers the destination).
   */
  | { kind: 'send'; bytes: Uint8Array; what: string; to?: number }
  /** Become active: claim every VIP and the NAT router address (gratuitous ARPs), run active_cmd, sync as master. */
  | { kind: 'activate'; reason: string }
  /** Become inactive at once: stop answering for the addresses, run inactive_cmd, sync as backup. */
  | { kind: 'deactivate'; reason: string }
  /** Claim the addresses again while active: gratuitous ARPs (5, 1 s apart) and active_cmd. */
  | { kind: 'rearp'; reason: string }
  | { kind: 'log'; level: 'info' | 'warn'; msg: string; fields?: Record<string, unknown> };

export interface FailoverMachine {
  readonly active: boolean;
  /** What the status shows: pulse's role, or VRRP's state (MASTER, BACKUP, FAULT). */
  state(): string;
  start(now: number): FailoverAction[];
  /** The clock moved (call at nextDeadline() at the latest). */
  tick(now: number): FailoverAction[];
  nextDeadline(): number;
  /** A datagram from `from` (IPv4 as a uint32). */
  receive(from: number, data: Uint8Array, now: number): FailoverAction[];
  /** Whether every monitored link of this router is up. */
  links(up: boolean, now: number): FailoverAction[];
  /**
   * The partner as last heard: when (ms on the machine's clock; null: never), what it said
   * (pulse: RUNNING or STOPPED; VRRP: "MASTER 198.18.0.2 prio 150"), and how many valid messages came.
   */
  peer(): { heardAt: number | null; says: string | null; valid: number };
  /** Whether the operator's maintenance switch is on. */
  readonly standby: boolean;
  /** An operator's maintenance switch: on, the router becomes and stays inactive. */
  setStandby(on: boolean, now: number): FailoverAction[];
  /** Stopping: the last words (pulse: nothing; VRRP: an advertisement with priority 0). */
  stop(now: number): FailoverAction[];
}
