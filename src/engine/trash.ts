// Dests out of their service's list but maybe still referred to by connections
// or templates, waiting to be freed (ServiceRuntime.collectDests). A reload that
// replaces ten thousand servers retires ten thousand dests in the one step that
// switches the version, between two batches: a Set of numbers costs about 2 ms
// for that (it grows and rehashes as it goes), this costs a few microseconds.
// Ids are bounded by the dest capacity, so a state byte per id and a list of
// ids do it with no allocation once built.

const OUT = 0; // not in the list
const IN = 1; // in the list, retired
const STALE = 2; // in the list, but taken back (restore()); dropped when the walk meets it

export class DestTrash {
  private readonly state: Uint8Array;
  private readonly list: Uint32Array;
  private count = 0;
  /** Where the next walk starts, so that a walk cut short resumes instead of rereading the same ids. */
  private cursor = 0;

  constructor(capacity: number) {
    this.state = new Uint8Array(capacity);
    this.list = new Uint32Array(capacity);
  }

  has(id: number): boolean {
    return this.state[id] === IN;
  }

  add(id: number): void {
    const s = this.state[id];
    if (s === IN) return;
    this.state[id] = IN;
    if (s === STALE) return; // still in the list
    this.list[this.count++] = id;
  }

  /**
   * Takes ids[from, to) out of service, all at once: their AVAILABLE bit (1)
   * of `flags` cleared, nothing else (addAll() then puts them here). One tight
   * loop: it runs in the step that switches a version, for up to every server
   * of a service, and seldom enough that it runs unoptimised.
   */
  static clearAvailable(flags: Uint8Array, ids: Uint32Array): void {
    for (let k = 0; k < ids.length; k++) flags[ids[k]] &= 0xfe;
  }

  /** add() of ids[from, to). */
  addAll(ids: Uint32Array, from: number, to: number): void {
    const state = this.state;
    for (let k = from; k < to; k++) {
      const id = ids[k];
      const s = state[id];
      if (s === IN) continue;
      state[id] = IN;
      if (s !== STALE) this.list[this.count++] = id;
    }
  }

  /** Takes an id back out (a server that returns before it was freed). */
  restore(id: number): void {
    if (this.state[id] === IN) this.state[id] = STALE;
  }

  /**
   * Offers at most `budget` ids in the list (and at most the list's length) to
   * `free`, which returns whether it freed the id (then it leaves the list).
   * Resumes where the last walk stopped.
   * Returns how many were freed.
   */
  walk(budget: number, maxFreed: number, free: (id: number) => boolean): number {
    let freed = 0;
    // At most one pass: ids still in use are not offered twice in a walk.
    const looks = Math.min(budget, this.count);
    for (let seen = 0; seen < looks && this.count > 0 && freed < maxFreed; seen++) {
      if (this.cursor >= this.count) this.cursor = 0;
      const id = this.list[this.cursor];
      if (this.state[id] === STALE || free(id)) {
        if (this.state[id] === IN) freed++;
        this.state[id] = OUT;
        this.list[this.cursor] = this.list[--this.count]; // swap-remove; the cursor now holds an unseen id
      } else {
        this.cursor++;
      }
    }
    return freed;
  }

  get size(): number {
    return this.count;
  }
}
