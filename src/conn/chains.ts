// Open hashing with index chains: bucket heads and one "next" link per ref, both
// Uint32Array, 0 = end of chain. A ref is slot*2 + dir, so one slot can sit in two
// chains (its client->VIP tuple and, for NAT, its reply tuple), as an ip_vs_conn sits
// in ip_vs_conn_tab under c_list. Callers hash; this file only links and unlinks.

export class HashChains {
  /** First ref of each bucket. */
  readonly buckets: Uint32Array;
  readonly mask: number;
  /** Next ref after each ref (index = ref). Free slots may reuse link[slot*2]. */
  readonly link: Uint32Array;

  /** Room for refs 0 .. 2*maxSlot+1, with at least minBuckets buckets (rounded up to a power of two). */
  constructor(maxSlot: number, minBuckets: number) {
    let nb = 16;
    while (nb < minBuckets) nb *= 2;
    this.buckets = new Uint32Array(nb);
    this.mask = nb - 1;
    this.link = new Uint32Array(2 * (maxSlot + 1));
  }

  /** Pushes ref at the head of hash h's chain. */
  insert(ref: number, h: number): void {
    const b = h & this.mask;
    this.link[ref] = this.buckets[b];
    this.buckets[b] = ref;
  }

  /** Unlinks ref from hash h's chain (a walk: chains are short at load factor <= 1). */
  remove(ref: number, h: number): void {
    const b = h & this.mask;
    const link = this.link;
    let cur = this.buckets[b];
    if (cur === ref) {
      this.buckets[b] = link[ref];
    } else {
      while (cur !== 0) {
        const nx = link[cur];
        if (nx === ref) {
          link[cur] = link[ref];
          break;
        }
        cur = nx;
      }
    }
    link[ref] = 0;
  }

  clear(): void {
    this.buckets.fill(0);
    this.link.fill(0);
  }

  get bytes(): number {
    return this.buckets.byteLength + this.link.byteLength;
  }
}
