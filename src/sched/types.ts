// The one interface every scheduler implements. A scheduler sees the service's
// destinations as ids into struct-of-arrays counters (conn/dests.ts satisfies
// DestView structurally), so choosing a server allocates nothing.

/** Per-destination state a scheduler may read; indexed by dest id (0 = none). */
export interface DestView {
  readonly weight: Int32Array;
  /** DEST_F_AVAILABLE = 1, DEST_F_OVERLOAD = 2 */
  readonly flags: Uint8Array;
  readonly active: Uint32Array;
  readonly inactive: Uint32Array;
}

export const DEST_OVERLOAD = 2;

export interface Scheduler {
  readonly name: string;
  /**
   * The service's destination list changed (ids in list order, as IPVS keeps
   * them: in the order they were added). Schedulers with state (rr's position,
   * wrr's current weight, hash tables) rebuild it here, as IPVS does on
   * add/edit/del dest.
   */
  update(ids: Uint32Array, dests: DestView): void;
  /** Chooses a destination for a new connection; 0 when none is available. */
  schedule(dests: DestView, saddr: number, sport: number, daddr: number, dport: number): number;
}

export type SchedulerFactory = (flags: readonly string[]) => Scheduler;

/** A dest takes new connections when it is not overloaded and its weight is above 0. */
export function usable(dests: DestView, d: number): boolean {
  return (dests.flags[d] & DEST_OVERLOAD) === 0 && dests.weight[d] > 0;
}
