// A map from integer keys to non-negative integers, sized once for the most
// entries it will hold and never resized. The data plane's tables of dests and
// neighbours used JS Maps, which rehash everything when they grow: 3 ms at
// 16,384 entries and 6 ms at 32,768 on this machine, in one step between two
// batches, in the middle of a change staged in slices so that no step would
// take a millisecond. Open addressing with linear probing over typed arrays,
// deletion by backward shift (no tombstones, so a long-lived table never
// degrades), and a key of two parts: an integer below 2^53 and a 32-bit tag
// (a dest is named by address and port within its service's id).

const EMPTY = -1;

export class IntMap {
  /** Key slots; EMPTY marks a free one. Integers below 2^53 are exact in a double. */
  private readonly keys: Float64Array;
  private readonly tags: Uint32Array;
  private readonly vals: Float64Array;
  private readonly mask: number;
  /** The most entries it takes: half its slots, so probes stay short. */
  readonly capacity: number;
  size = 0;

  constructor(maxEntries: number) {
    let slots = 16;
    while (slots < 2 * maxEntries) slots *= 2;
    this.keys = new Float64Array(slots).fill(EMPTY);
    this.tags = new Uint32Array(slots);
    this.vals = new Float64Array(slots);
    this.mask = slots - 1;
    this.capacity = slots >>> 1;
  }

  /** The value of a key, or -1. */
  get(key: number, tag = 0): number {
    const i = this.find(key, tag);
    return i < 0 ? -1 : this.vals[i];
  }

  has(key: number, tag = 0): boolean {
    return this.find(key, tag) >= 0;
  }

  /** Sets a key's value (>= 0). Throws when the map is full: callers size it for their bound. */
  set(key: number, tag: number, value: number): void {
    const keys = this.keys;
    let i = this.slot(key, tag);
    while (keys[i] !== EMPTY) {
      if (keys[i] === key && this.tags[i] === tag) {
        this.vals[i] = value;
        return;
      }
      i = (i + 1) & this.mask;
    }
    if (this.size >= this.capacity) throw new Error(`table full (${this.capacity} entries)`);
    keys[i] = key;
    this.tags[i] = tag;
    this.vals[i] = value;
    this.size++;
  }

  /** Removes a key; returns whether it was there. */
  delete(key: number, tag = 0): boolean {
    let i = this.find(key, tag);
    if (i < 0) return false;
    const { keys, tags, vals, mask } = this;
    // Backward shift: pull later entries of the probe run into the hole when
    // their home slot does not lie between the hole and themselves.
    for (let j = (i + 1) & mask; keys[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.slot(keys[j], tags[j]);
      if (((j - home) & mask) >= ((j - i) & mask)) {
        keys[i] = keys[j];
        tags[i] = tags[j];
        vals[i] = vals[j];
        i = j;
      }
    }
    keys[i] = EMPTY;
    this.size--;
    return true;
  }

  /** Calls fn for every entry (in slot order). fn must not change the map. */
  forEach(fn: (key: number, tag: number, value: number) => void): void {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) fn(keys[i], this.tags[i], this.vals[i]);
  }

  /** Every key (first parts), for the few callers that walk the whole map. */
  keyList(): number[] {
    const out: number[] = [];
    this.forEach((k) => out.push(k));
    return out;
  }

  private find(key: number, tag: number): number {
    const keys = this.keys;
    for (let i = this.slot(key, tag); keys[i] !== EMPTY; i = (i + 1) & this.mask) {
      if (keys[i] === key && this.tags[i] === tag) return i;
    }
    return -1;
  }

  /** The home slot: both 32-bit halves of the key and the tag, mixed (murmur3's finaliser). */
  private slot(key: number, tag: number): number {
    let h = (key >>> 0) ^ Math.imul(Math.floor(key / 4294967296), 0x9e3779b1) ^ Math.imul(tag, 0x85ebca6b);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h & this.mask;
  }
}
