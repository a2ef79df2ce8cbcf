// Open hashing with index chains: bucket heads and one "next" link per slot, both
// Uint32Array, 0 = end of chain. A slot sits in one chain, as an ip_vs_conn sits in
// ip_vs_conn_tab under c_list. Callers hash; this file only links and unlinks.

export class HashChains {
  /** First slot of each bucket. */
  readonly buckets: Uint32Array;
  readonly mask: number;
  /** Next slot after each slot. Free slots may reuse their link. */
  readonly link: Uint32Array;

  /** Room for slots 0 .. maxSlot, with at least minBuckets buckets (rounded up to a power of two). */
  constructor(maxSlot: number, minBuckets: number) {
    let nb = 16;
    while (nb < minBuckets) nb *= 2;
    this.buckets = new Uint32Array(nb);
    this.mask = nb - 1;
    this.link = new Uint32Array(maxSlot + 1);
  }

  /** Pushes slot at the head of hash h's chain. */
  insert(slot: number, h: number): void {
    const b = h & this.mask;
    this.link[slot] = this.buckets[b];
    this.buckets[b] = slot;
  }

  /** Unlinks slot from hash h's chain (a walk: chains are short at load factor <= 1). */
  remove(slot: number, h: number): void {
    const b = h & this.mask;
    const link = this.link;
    let cur = this.buckets[b];
    if (cur === slot) {
      this.buckets[b] = link[slot];
    } else {
      while (cur !== 0) {
        const nx = link[cur];
        if (nx === slot) {
          link[cur] = link[slot];
          break;
        }
        cur = nx;
      }
    }
    link[slot] = 0;
  }

  clear(): void {
    this.buckets.fill(0);
    this.link.fill(0);
  }

  get bytes(): number {
    return this.buckets.byteLength + this.link.byteLength;
  }
}
