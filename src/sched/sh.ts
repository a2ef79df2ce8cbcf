// Source hashing (ip_vs_sh.c): a 256-bucket table of dests indexed by a hash
// of the client address (and, with sh-port, its source port). The table is
// filled in list order, "Don't move to next dest until filling weight": each
// dest takes `weight` consecutive buckets (at least one, also at weight 0),
// and the list repeats until all 256 are assigned. It is rebuilt on every
// add, delete and edit of a dest.
//
// Lookup: "(offset + hash_32(ntohs(port) + ntohl(addr_fold), 8)) & 255" with
// offset 0. If that bucket's dest is unusable ("weight <= 0 || OVERLOAD") the
// result is no dest, unless sh-fallback: then offsets roffset = (k + ihash) %
// 256 for k = 0..255 are tried in turn and the first usable dest wins.
import { SVC_F_SCHED1, SVC_F_SCHED2 } from './names.js';
import { hash32, legacyHash } from './hash.js';
import { usable, type DestView, type Scheduler } from './types.js';

export const SH_TAB_BITS = 8;
export const SH_TAB_SIZE = 1 << SH_TAB_BITS;
const SH_TAB_MASK = SH_TAB_SIZE - 1;

/** ip_vs_sh_reassign(): bucket i -> dest id (0 only when the list is empty). */
export function shTable(ids: Uint32Array, dests: DestView): Uint32Array {
  const table = new Uint32Array(SH_TAB_SIZE);
  if (ids.length === 0) return table;
  let p = 0;
  let count = 0;
  for (let i = 0; i < SH_TAB_SIZE; i++) {
    const d = ids[p];
    table[i] = d;
    if (++count >= dests.weight[d]) {
      p = p + 1 === ids.length ? 0 : p + 1;
      count = 0;
    }
  }
  return table;
}

export class SourceHashing implements Scheduler {
  readonly name = 'sh';
  private table: Uint32Array = new Uint32Array(SH_TAB_SIZE);
  private readonly fallback: boolean;
  private readonly usePort: boolean;
  private readonly hash: (val: number, bits: number) => number;

  constructor(flagBits = 0, legacy = false) {
    this.fallback = (flagBits & SVC_F_SCHED1) !== 0; // IP_VS_SVC_F_SCHED_SH_FALLBACK
    this.usePort = (flagBits & SVC_F_SCHED2) !== 0; // IP_VS_SVC_F_SCHED_SH_PORT
    this.hash = legacy ? legacyHash : hash32;
  }

  update(ids: Uint32Array, dests: DestView): void {
    this.table = shTable(ids, dests);
  }

  schedule(dests: DestView, saddr: number, sport: number, _daddr?: number, _dport?: number, _now?: number): number {
    const key = ((this.usePort ? sport : 0) + saddr) >>> 0;
    const h = this.hash(key, SH_TAB_BITS);
    const ihash = h & SH_TAB_MASK;
    let d = this.table[ihash];
    if (d === 0) return 0;
    if (usable(dests, d)) return d;
    if (!this.fallback) return 0;
    // ip_vs_sh_get_fallback: "loop around the table starting from ihash"
    for (let offset = 0; offset < SH_TAB_SIZE; offset++) {
      const roffset = (offset + ihash) % SH_TAB_SIZE;
      d = this.table[(roffset + h) & SH_TAB_MASK];
      if (d === 0) break;
      if (usable(dests, d)) return d;
    }
    return 0;
  }

  /** The bucket table, for tests and `tsvs simulate`. */
  buckets(): Uint32Array {
    return this.table;
  }
}
