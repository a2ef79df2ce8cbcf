// The one interface every scheduler implements. A scheduler sees the service's
// destinations as ids into struct-of-arrays counters (conn/dests.ts satisfies
// DestView structurally), so choosing a server allocates nothing.

/** Per-destination state a scheduler may read; indexed by dest id (0 = none). */
export interface DestView {
  readonly weight: Int32Array;
  /** DEST_AVAILABLE = 1, DEST_OVERLOAD = 2 */
  readonly flags: Uint8Array;
  readonly active: Uint32Array;
  readonly inactive: Uint32Array;
}

export const DEST_AVAILABLE = 1;
export const DEST_OVERLOAD = 2;

export interface Scheduler {
  readonly name: string;
  /**
   * The service's destination list changed (ids in IPVS list order: the most
   * recently added first, as list_add_rcu puts it at the head), or a weight or
   * threshold changed. Schedulers with state (rr's position, wrr's current
   * weight, hash tables) rebuild it here, as IPVS does on add/edit/del dest.
   */
  update(ids: Uint32Array, dests: DestView): void;
  /**
   * Chooses a destination for a new connection; 0 when none is available.
   * saddr/sport/daddr/dport are the packet's (host order numbers); now is the
   * engine's clock in ms (lblc/lblcr age their entries with it).
   */
  schedule(dests: DestView, saddr: number, sport: number, daddr: number, dport: number, now: number): number;
  /**
   * Optional: dest d's counters or overload flag changed (a connection bound,
   * unbound, or moved between active and inactive). Schedulers that keep an
   * index over the counters (least-connection over thousands of servers)
   * update it here instead of scanning on every decision.
   */
  changed?(d: number, dests: DestView): void;
}

export type SchedulerFactory = (flags: readonly string[]) => Scheduler;

/** A dest takes new connections when it is not overloaded and its weight is above 0. */
export function usable(dests: DestView, d: number): boolean {
  return (dests.flags[d] & DEST_OVERLOAD) === 0 && dests.weight[d] > 0;
}
