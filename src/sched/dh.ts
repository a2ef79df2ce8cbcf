// Destination hashing (ip_vs_dh.c): a 256-bucket table indexed by
// hash_32(ntohl(daddr), 8), filled round robin over the dest list, one bucket
// per dest in turn; weights are ignored. If the bucket's dest is gone, has
// weight <= 0 or is overloaded there is no dest ("n is dead OR n is
// overloaded OR n.weight <= 0 then return NULL"): dh never falls back.
import { hash32, legacyHash } from './hash.js';
import { DEST_AVAILABLE, usable, type DestView, type Scheduler } from './types.js';

export const DH_TAB_BITS = 8;
export const DH_TAB_SIZE = 1 << DH_TAB_BITS;

/** ip_vs_dh_reassign(): bucket i -> ids[i % n] (0 when the list is empty). */
export function dhTable(ids: Uint32Array): Uint32Array {
  const table = new Uint32Array(DH_TAB_SIZE);
  if (ids.length === 0) return table;
  for (let i = 0; i < DH_TAB_SIZE; i++) table[i] = ids[i % ids.length];
  return table;
}

export class DestinationHashing implements Scheduler {
  readonly name = 'dh';
  private table: Uint32Array = new Uint32Array(DH_TAB_SIZE);
  private readonly hash: (val: number, bits: number) => number;

  constructor(legacy = false) {
    this.hash = legacy ? legacyHash : hash32;
  }

  /** dh has add_dest and del_dest hooks only; the table does not depend on weights, so rebuilding on edits too changes nothing. */
  update(ids: Uint32Array, _dests?: DestView): void {
    this.table = dhTable(ids);
  }

  schedule(dests: DestView, _saddr: number, _sport: number, daddr: number, _dport?: number, _now?: number): number {
    const d = this.table[this.hash(daddr, DH_TAB_BITS)];
    if (d === 0 || (dests.flags[d] & DEST_AVAILABLE) === 0 || !usable(dests, d)) return 0;
    return d;
  }

  /** The bucket table, for tests and `tsvs simulate`. */
  buckets(): Uint32Array {
    return this.table;
  }
}
