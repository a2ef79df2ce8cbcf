// Maglev hashing (ip_vs_mh.c, Linux 4.18+; Eisenbud et al., NSDI'16 §3.4).
// A lookup table of prime size M maps a hash of the client address (and,
// with mh-port, its source port) to a dest. Each dest has a preference list of
// slots, (offset + j * skip) mod M, from two hashes of its own address and
// port; the dests take turns claiming their next free preferred slot until the
// table is full. Equal weights get slot counts differing by at most one, and
// removing a dest only moves the slots it held (mostly; Maglev's "minimal
// disruption"). Weights act through turns: a dest claims
//   turns = ((last_weight / gcd) >> rshift) ?: (last_weight != 0)
// slots per round, rshift keeping max(last_weight)/gcd within
// IP_VS_MH_TAB_BITS bits. last_weight is the latest non-zero weight, so a
// quiesced (weight 0) dest keeps its slots and lookups landing there find no
// dest, unless mh-fallback probes on as sh does.
//
// The hashes are the kernel's: hsiphash (SipHash-1-3 on 64-bit kernels) of the
// u32 `offset + ntohs(port) + ntohl(addr)` with keys 2654435761 (offset, and
// lookups) and 2654446892 (skip).
import { hsiphash32 } from './hash.js';
import { SVC_F_SCHED1, SVC_F_SCHED2 } from './names.js';
import { usable, type DestView, type Scheduler } from './types.js';

/** "Available prime numbers for MH table", index CONFIG_IP_VS_MH_TAB_INDEX - 8. */
export const MH_PRIMES = [251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071] as const;
/** CONFIG_IP_VS_MH_TAB_INDEX default 12 -> primes[4] = 4093. */
export const MH_DEFAULT_SIZE = 4093;
/** generate_hash_secret(): hash1 key words, hash2 key words. */
export const MH_KEY1 = 2654435761;
export const MH_KEY2 = 2654446892;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** fls(): 1-based index of the highest set bit, 0 for 0. */
function fls(x: number): number {
  return 32 - Math.clz32(x);
}

export class MaglevHashing implements Scheduler {
  readonly name = 'mh';
  readonly size: number;
  /** IP_VS_MH_TAB_BITS = CONFIG_IP_VS_MH_TAB_INDEX / 2. */
  private readonly bits: number;
  private readonly fallback: boolean;
  private readonly usePort: boolean;
  private table: Uint32Array;
  private lastWeight = new Map<number, number>();

  constructor(flagBits = 0, tableSize: number = MH_DEFAULT_SIZE) {
    const index = (MH_PRIMES as readonly number[]).indexOf(tableSize);
    if (index < 0) throw new RangeError(`mh table size must be one of ${MH_PRIMES.join(', ')}, got ${tableSize}`);
    this.size = tableSize;
    this.bits = Math.trunc((index + 8) / 2);
    this.fallback = (flagBits & SVC_F_SCHED1) !== 0; // IP_VS_SVC_F_SCHED_MH_FALLBACK
    this.usePort = (flagBits & SVC_F_SCHED2) !== 0; // IP_VS_SVC_F_SCHED_MH_PORT
    this.table = new Uint32Array(tableSize);
  }

  /** ip_vs_mh_dest_changed (add, del and upd_dest): recompute gcd and rshift, permutate, populate. */
  update(ids: Uint32Array, dests: DestView): void {
    // __ip_vs_update_dest: "keep the last_weight with latest non-0 weight":
    // "if (add || udest->weight != 0) atomic_set(&dest->last_weight, udest->weight)"
    const last = new Map<number, number>();
    for (let i = 0; i < ids.length; i++) {
      const d = ids[i];
      const w = dests.weight[d];
      const before = this.lastWeight.get(d);
      last.set(d, before === undefined || w !== 0 ? w : before);
    }
    this.lastWeight = last;
    let g = 0;
    let max = 0;
    for (const w of last.values()) {
      if (w > 0) g = g > 0 ? gcd(w, g) : w;
      if (w > max) max = w;
    }
    // "If gcd is smaller then 1, number of dests or all last_weight of dests are zero": empty table.
    if (g < 1) {
      this.table = new Uint32Array(this.size);
      return;
    }
    const shift = Math.max(fls(Math.trunc(max / g)) - this.bits, 0);
    this.table = this.populate(ids, dests, g, shift);
  }

  schedule(dests: DestView, saddr: number, sport: number, _daddr?: number, _dport?: number, _now?: number): number {
    const v = ((this.usePort ? sport : 0) + saddr) >>> 0;
    const m = this.size;
    const ihash = hsiphash32(v, MH_KEY1) % m;
    let d = this.table[ihash];
    if (d === 0) return 0;
    if (usable(dests, d)) return d;
    if (!this.fallback) return 0;
    // ip_vs_mh_get_fallback: "loop around the table starting from ihash", rehashing with each offset.
    for (let offset = 0; offset < m; offset++) {
      const roffset = (offset + ihash) % m;
      d = this.table[hsiphash32((roffset + v) >>> 0, MH_KEY1) % m];
      if (d === 0) break;
      if (usable(dests, d)) return d;
    }
    return 0;
  }

  /** The lookup table (slot -> dest id), for tests and `tsvs simulate`. */
  slots(): Uint32Array {
    return this.table;
  }

  /** ip_vs_mh_permutate() then ip_vs_mh_populate(). */
  private populate(ids: Uint32Array, dests: DestView, g: number, shift: number): Uint32Array {
    const m = this.size;
    const n = ids.length;
    const perm = new Float64Array(n);
    const skip = new Float64Array(n);
    const turns = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const d = ids[k];
      // ip_vs_mh_hashkey(dest->addr, dest->port, key, 0): v = 0 + ntohs(port) + ntohl(addr)
      const v = dests.addr ? ((dests.port ? dests.port[d] : 0) + dests.addr[d]) >>> 0 : d;
      perm[k] = hsiphash32(v, MH_KEY1) % m; // ds->perm = ds->offset
      skip[k] = (hsiphash32(v, MH_KEY2) % (m - 1)) + 1;
      const lw = this.lastWeight.get(d) ?? 0;
      turns[k] = Math.trunc(lw / g) >> shift || (lw !== 0 ? 1 : 0);
    }
    const table = new Uint32Array(m);
    const taken = new Uint8Array(m);
    let filled = 0;
    let count = 0;
    for (;;) {
      for (let k = 0; k < n; ) {
        // "Ignore added server with zero weight"
        if (turns[k] < 1) {
          k++;
          continue;
        }
        let c = perm[k];
        while (taken[c] !== 0) {
          c += skip[k];
          if (c >= m) c -= m;
        }
        perm[k] = c;
        taken[c] = 1;
        table[c] = ids[k];
        if (++filled === m) return table;
        if (++count >= turns[k]) {
          count = 0;
          k++;
        }
      }
    }
  }
}
