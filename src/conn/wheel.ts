// A coarse hashed timer wheel over typed arrays, driven by the `now` the caller passes.
// IPVS gives every conn its own kernel timer and re-arms it on every packet
// (ip_vs_conn_put -> mod_timer(jiffies + cp->timeout)); a per-packet re-sort would be
// too dear here, so re-arming is lazy: a later expiry only writes `expires`, and the
// entry is re-filed when its wheel slot comes round. An earlier expiry (state change
// to CLOSE, a shorter setTimeout) is re-filed at once, so nothing expires late.
//
// Times are ticks (now / tickMs) kept as int32 and compared modulo 2^32, which is exact
// while the distances involved stay below 2^31 ticks (4.3 years at 64 ms). int32, not
// uint32, because V8 boxes a number >= 2^31 that crosses a call: that would allocate.
// Guarantee: an entry expires on the first sweep whose tick reaches its deadline tick
// ceil((armTime + timeout) / tickMs): never early, at most one tick late.

/** The wheel's client: called for each entry whose time has come, after the entry
 *  was taken out of the wheel. It either frees the entry (returns 1) or re-arms it
 *  with insert() (returns 0). It must not move other entries in the wheel. */
export interface WheelOwner {
  fire(slot: number, now: number): number;
}

export class TimerWheel {
  readonly tickMs: number;
  /** Wheel slots, a power of two; entries further ahead than this wait in a nearer slot. */
  readonly size: number;
  private readonly mask: number;
  /** First entry of each wheel slot (0 = empty). */
  readonly heads: Uint32Array;
  readonly next: Uint32Array;
  readonly prev: Uint32Array;
  /** Tick when the entry's wheel slot is next visited; always <= expires. */
  readonly due: Int32Array;
  /** Tick from which the entry counts as expired. */
  readonly expires: Int32Array;
  /** Next tick to visit. Set from the first `now` seen (start). */
  cursor = 0;
  started = false;

  constructor(capacity: number, tickMs: number, size: number) {
    if (!(tickMs > 0)) throw new RangeError(`tickMs must be > 0, got ${tickMs}`);
    if (!Number.isInteger(size) || size < 2 || (size & (size - 1)) !== 0) throw new RangeError(`wheel size must be a power of two, got ${size}`);
    this.tickMs = tickMs;
    this.size = size;
    this.mask = size - 1;
    this.heads = new Uint32Array(size);
    this.next = new Uint32Array(capacity + 1);
    this.prev = new Uint32Array(capacity + 1);
    this.due = new Int32Array(capacity + 1);
    this.expires = new Int32Array(capacity + 1);
  }

  start(now: number): void {
    if (this.started) return;
    this.cursor = Math.floor(now / this.tickMs) | 0;
    this.started = true;
  }

  // The last deadline computed: within a batch `now` is one value and most packets
  // re-arm with the same timeout (ESTABLISHED), so the division is mostly skipped.
  private lastNow = NaN;
  private lastMs = NaN;
  private lastTick = 0;

  /** Deadline tick of a timer armed at `now` for `ms`: rounded up, so never early. */
  deadline(now: number, ms: number): number {
    if (now === this.lastNow && ms === this.lastMs) return this.lastTick;
    this.lastNow = now;
    this.lastMs = ms;
    this.lastTick = Math.ceil((now + ms) / this.tickMs) | 0;
    return this.lastTick;
  }

  /** Files a slot that is not in the wheel, to expire at tick e. */
  insert(slot: number, e: number): void {
    this.expires[slot] = e;
    const ahead = (e - this.cursor) | 0;
    let d = e;
    if (ahead < 0) d = this.cursor;
    else if (ahead >= this.size) d = (this.cursor + this.size - 1) | 0;
    this.due[slot] = d;
    const h = d & this.mask;
    const first = this.heads[h];
    this.next[slot] = first;
    this.prev[slot] = 0;
    if (first !== 0) this.prev[first] = slot;
    this.heads[h] = slot;
  }

  /** Takes a slot out of the wheel. */
  remove(slot: number): void {
    const p = this.prev[slot];
    const n = this.next[slot];
    if (p !== 0) this.next[p] = n;
    else this.heads[this.due[slot] & this.mask] = n;
    if (n !== 0) this.prev[n] = p;
    this.next[slot] = 0;
    this.prev[slot] = 0;
  }

  /** Moves a filed slot's expiry to tick e: lazily when later, at once when earlier. */
  reschedule(slot: number, e: number): void {
    if (((e - this.due[slot]) | 0) < 0) {
      this.remove(slot);
      this.insert(slot, e);
    } else {
      this.expires[slot] = e;
    }
  }

  /**
   * Visits every wheel slot from the cursor up to now's tick: entries whose expiry
   * has come are handed to owner.fire, the others (expiry moved later) are re-filed.
   * At most `budget` entries are fired and 4*budget examined (a re-file is a few
   * stores, a fire frees a conn); the rest wait for the next call, which resumes at
   * the same wheel slot. Returns how many entries fire() freed.
   */
  sweep(now: number, budget: number, owner: WheelOwner): number {
    const t = Math.floor(now / this.tickMs) | 0;
    this.start(now);
    let c = this.cursor;
    // Every filed entry has due within [cursor, cursor + size - 1], so one turn of
    // the wheel reaches all of them: a longer gap need not visit each tick.
    if (((t - c) | 0) >= this.size) c = (t - this.size + 1) | 0;
    const heads = this.heads, next = this.next, expires = this.expires, mask = this.mask;
    const maxWork = 4 * budget;
    let work = 0;
    let fired = 0;
    let freed = 0;
    while (((t - c) | 0) >= 0) {
      // While slot c is visited the cursor stays at c: re-filed entries land in
      // c+1 .. c+size-1, never back in the list being walked.
      this.cursor = c;
      let s = heads[c & mask];
      while (s !== 0) {
        if (fired >= budget || work >= maxWork) return freed;
        work++;
        const nx = next[s];
        this.remove(s);
        if (((expires[s] - c) | 0) <= 0) {
          fired++;
          freed += owner.fire(s, now);
        } else {
          this.insert(s, expires[s]);
        }
        s = nx;
      }
      c = (c + 1) | 0;
    }
    this.cursor = c;
    return freed;
  }

  /** Milliseconds from now until the slot's deadline tick (0 when due). */
  remaining(slot: number, now: number): number {
    const tf = Math.floor(now / this.tickMs);
    const d = (this.expires[slot] - (tf | 0)) | 0;
    const ms = (tf + d) * this.tickMs - now;
    return ms > 0 ? ms : 0;
  }

  /** Empties the wheel (the caller frees the entries). */
  clear(): void {
    this.heads.fill(0);
    this.next.fill(0);
    this.prev.fill(0);
  }

  get bytes(): number {
    return this.heads.byteLength + this.next.byteLength + this.prev.byteLength + this.due.byteLength + this.expires.byteLength;
  }
}
