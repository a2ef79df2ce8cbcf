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
  /**
   * The dest's address and port (host-order numbers). Only mh reads them: it
   * hashes them into each dest's Maglev permutation, as ip_vs_mh_permutate()
   * hashes dest->addr and dest->port. Without them mh hashes the dest id.
   */
  readonly addr?: Uint32Array;
  readonly port?: Uint16Array;
  /**
   * -x/-y thresholds. Only read to notice that update() is an edit: IPVS calls
   * the scheduler's upd_dest on every edit, and wrr resets its position then.
   */
  readonly upper?: Uint32Array;
  readonly lower?: Uint32Array;
}

/** Dests per piece of a resumable build (Scheduler.prepare): tens of microseconds even unoptimised. */
export const BUILD_CHUNK = 1024;

export const DEST_AVAILABLE = 1;
export const DEST_OVERLOAD = 2;

export interface Scheduler {
  readonly name: string;
  /**
   * The service's destination list changed (ids in IPVS list order: the most
   * recently added first, as list_add_rcu puts it at the head), or a weight or
   * threshold changed. Schedulers with state (rr's position, wrr's current
   * weight, hash tables) rebuild it here, as IPVS does on add/edit/del dest.
   * Calling it again with nothing changed is harmless.
   */
  update(ids: Uint32Array, dests: DestView): void;
  /**
   * Chooses a destination for a new connection; 0 when none is available.
   * saddr/sport/daddr/dport are the packet's (host order numbers); now is the
   * engine's clock in ms (lblc/lblcr age their entries with it).
   */
  schedule(dests: DestView, saddr: number, sport: number, daddr: number, dport: number, now: number): number;
  /**
   * Optional: dest d's counters, weight or overload flag changed (a connection
   * bound, unbound, or moved between active and inactive). Schedulers that keep
   * an index over the counters (least-connection over thousands of servers)
   * update it here instead of scanning on every decision; they rely on it
   * being called for every such change of a dest in their list.
   */
  changed?(d: number, dests: DestView): void;
  /**
   * Optional: dest id d is freed for reuse (it left the list earlier and nothing
   * refers to it any more). Schedulers that keep ids beyond the list (lblc/lblcr's
   * locality entries, which in the kernel hold a reference that keeps the dead
   * dest alive) drop them here, so a server later given the same id inherits nothing.
   */
  forget?(d: number): void;
  /**
   * Optional, with commit(): builds beside the running state what update(ids)
   * would build, so that a change of thousands of dests is prepared between
   * batches and switched in O(1). Returns null when it cannot (the switch then
   * calls update()); else steps to run to the end, each a bounded piece of the
   * work (the caller takes them between batches). From the first step to
   * commit(), changed() keeps the prepared state current too; update() drops it.
   */
  prepare?(ids: Uint32Array, dests: DestView): Iterator<void> | null;
  /** Makes the prepared state the running one, as update(ids) of prepare() would have. */
  commit?(): void;
}

/** Knobs beyond ipvsadm's flags: kernel build options, sysctls, test hooks. */
export interface SchedulerOptions {
  /** mh: Maglev table size, one of MH_PRIMES (CONFIG_IP_VS_MH_TAB_INDEX); default 4093. */
  mhTableSize?: number;
  /** twos: source of uniform 32-bit unsigned integers (get_random_u32); default a seeded xorshift. */
  random?: () => number;
  /** sh, dh, lblc, lblcr: the multiplicative hash of kernels before hash_32() (`(x * 2654435761) & mask`). */
  legacyHash?: boolean;
  /** lblc: sysctl lblc_expiration in ms; default 24 h. */
  lblcExpirationMs?: number;
  /** lblcr: sysctl lblcr_expiration in ms; default 24 h. */
  lblcrExpirationMs?: number;
  /** Least-connection family: list length from which the tournament index replaces the scan; default 24. */
  indexMin?: number;
}

export type SchedulerFactory = (flags: readonly string[], opts: SchedulerOptions) => Scheduler;

/** A dest takes new connections when it is not overloaded and its weight is above 0. */
export function usable(dests: DestView, d: number): boolean {
  return (dests.flags[d] & DEST_OVERLOAD) === 0 && dests.weight[d] > 0;
}

/**
 * ip_vs_dest_conn_overhead(): "(activeconns << 8) + inactconns", an int, so it
 * wraps as the kernel's does past 2^23 active connections.
 */
export function overhead(dests: DestView, d: number): number {
  return ((dests.active[d] << 8) + dests.inactive[d]) | 0;
}
