// The response-time model: each real server is a processor-sharing queue with
// `slots` parallel units of speed 1 (slots = capacity in requests/s x mean
// demand in s, so that a saturated server completes `capacity` requests of the
// mean demand per second). With n requests in progress each advances at
// min(1, slots/n): alone, a request takes exactly its demand; past `slots`
// concurrent requests everything on that server slows down together - an
// M/G/c-like processor-sharing server, deterministic given the arrivals.
//
// Standard virtual-time bookkeeping: `work` is the service every request in
// progress has received since the server started; a request arriving with
// demand D finishes when work reaches work_at_arrival + D. A min-heap of these
// finish marks gives the next completion without touching the other requests.

export class PsServer {
  readonly slots: number;
  /** Requests in progress. */
  n = 0;
  /** Service per request so far (ms at speed 1). */
  private work = 0;
  /** Time `work` was last brought up to date (ms). */
  private last = 0;
  // Min-heap of (finish mark, job id).
  private keys = new Float64Array(64);
  private jobs = new Uint32Array(64);

  constructor(slots: number) {
    this.slots = slots;
  }

  /** Speed of each request in progress. */
  rate(): number {
    return this.n <= this.slots ? 1 : this.slots / this.n;
  }

  advance(now: number): void {
    if (this.n !== 0) this.work += (now - this.last) * this.rate();
    this.last = now;
  }

  /** Time of the next completion if nothing arrives first (Infinity when idle). */
  nextDone(): number {
    if (this.n === 0) return Infinity;
    return this.last + Math.max(0, this.keys[0] - this.work) / this.rate();
  }

  /** True when the first request's mark is reached (within rounding); call after advance(). */
  due(): boolean {
    return this.n !== 0 && this.keys[0] <= this.work + 1e-9 * Math.max(1, this.work);
  }

  add(job: number, demand: number, now: number): void {
    this.advance(now);
    if (this.n === this.keys.length) {
      const k = new Float64Array(this.n * 2);
      k.set(this.keys);
      this.keys = k;
      const j = new Uint32Array(this.n * 2);
      j.set(this.jobs);
      this.jobs = j;
    }
    let i = this.n++;
    const key = this.work + demand;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.keys[p] <= key) break;
      this.keys[i] = this.keys[p];
      this.jobs[i] = this.jobs[p];
      i = p;
    }
    this.keys[i] = key;
    this.jobs[i] = job;
  }

  /** Removes and returns the request that finishes first. */
  pop(): number {
    const top = this.jobs[0];
    const n = --this.n;
    const key = this.keys[n];
    const job = this.jobs[n];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.keys[c + 1] < this.keys[c]) c++;
      if (this.keys[c] >= key) break;
      this.keys[i] = this.keys[c];
      this.jobs[i] = this.jobs[c];
      i = c;
    }
    this.keys[i] = key;
    this.jobs[i] = job;
    return top;
  }

  /** Every request in progress (heap order), e.g. to refresh or abort them. */
  inProgress(): Uint32Array {
    return this.jobs.subarray(0, this.n);
  }

  /** The server failed: its requests are gone. */
  clear(now: number): void {
    this.advance(now);
    this.n = 0;
  }
}
