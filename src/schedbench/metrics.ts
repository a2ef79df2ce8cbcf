// The measures of a run: load imbalance sampled over time, response-time
// percentiles, and how many clients a membership change moves.

/**
 * Imbalance of one sample: each in-service server's active connections per
 * unit of its capacity (so a server twice as fast is expected to hold twice
 * as many); returns max/mean and the coefficient of variation (stddev/mean).
 * Samples with no active connection at all say nothing and are skipped.
 */
export class ImbalanceMeter {
  samples = 0;
  private sumMaxMean = 0;
  private sumCv = 0;
  worstMaxMean = 0;

  add(loads: readonly number[]): void {
    const n = loads.length;
    if (n === 0) return;
    let sum = 0;
    let max = 0;
    for (const x of loads) {
      sum += x;
      if (x > max) max = x;
    }
    if (sum === 0) return;
    const mean = sum / n;
    let sq = 0;
    for (const x of loads) sq += (x - mean) * (x - mean);
    this.samples++;
    this.sumMaxMean += max / mean;
    this.sumCv += Math.sqrt(sq / n) / mean;
    if (max / mean > this.worstMaxMean) this.worstMaxMean = max / mean;
  }

  get maxMean(): number {
    return this.samples ? this.sumMaxMean / this.samples : 0;
  }

  get cv(): number {
    return this.samples ? this.sumCv / this.samples : 0;
  }
}

/** Growable list of response times (ms). */
export class Samples {
  private v = new Float64Array(1 << 12);
  n = 0;

  push(x: number): void {
    if (this.n === this.v.length) {
      const next = new Float64Array(this.n * 2);
      next.set(this.v);
      this.v = next;
    }
    this.v[this.n++] = x;
  }

  /** Nearest-rank percentiles (p in 0..100), in the order asked. */
  percentiles(ps: readonly number[]): number[] {
    if (this.n === 0) return ps.map(() => 0);
    const sorted = this.v.slice(0, this.n).sort();
    return ps.map((p) => sorted[Math.min(this.n - 1, Math.max(0, Math.ceil((p / 100) * this.n) - 1))]);
  }
}

export interface Disruption {
  name: string;
  atMs: number;
  /** Clients with a new connection both in the phase before and in the phase after. */
  clients: number;
  /** Of those, how many had their first connection after land on another server than their last before. */
  moved: number;
}

/**
 * Membership events split the run into phases. For each client (source
 * address: the flow key of sh and mh, and the persistence key) the server of
 * its last new connection in the phase before an event is compared with that
 * of its first new connection in the phase after. "baseline" is a mark with no
 * event: what a scheduler moves anyway (rr moves nearly everyone every time).
 */
export class DisruptionMeter {
  private readonly lastSrv: Int32Array;
  private readonly lastPhase: Int32Array;
  private phase = 0;
  readonly events: Disruption[] = [];

  constructor(clients: number) {
    this.lastSrv = new Int32Array(clients).fill(-1);
    this.lastPhase = new Int32Array(clients).fill(-1);
  }

  /** A membership event (or the baseline mark) happens now. */
  mark(name: string, atMs: number): void {
    this.events.push({ name, atMs, clients: 0, moved: 0 });
    this.phase++;
  }

  /** Client `key` opened a new connection on server `srv` (index into the server list). */
  conn(key: number, srv: number): void {
    const p = this.phase;
    const lp = this.lastPhase[key];
    if (lp !== p && p > 0 && lp === p - 1) {
      const ev = this.events[p - 1];
      ev.clients++;
      if (this.lastSrv[key] !== srv) ev.moved++;
    }
    this.lastSrv[key] = srv;
    this.lastPhase[key] = p;
  }

  share(name: string): number | null {
    const ev = this.events.find((e) => e.name === name);
    return ev && ev.clients > 0 ? ev.moved / ev.clients : null;
  }
}
