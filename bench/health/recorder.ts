// The real probe (health/probes' runProbe), wrapped to time what the monitor does
// with it: each attempt's own `ms`, and how late each server's round started. The
// monitor schedules a server's next round `interval` after its last round ended
// (monitor.ts), so a round's lateness is its start minus (the end of the same
// server's previous attempt + interval): timer lateness, event-loop delay and any
// wait for a free slot under maxConcurrent, together. With one check and no
// retries a round is one attempt. Two numbers and a Map look-up per attempt.
import { runProbe } from '../../src/health/probes/index.js';
import type { Probe } from '../../src/health/round.js';

/** At most this many samples of each kind are kept (a bounded memory whatever the run's length). */
const MAX_SAMPLES = 2_000_000;

export class ProbeRecorder {
  readonly probe: Probe;
  /** Attempt durations (ms) and round lateness (ms) since the last reset(). */
  ms: number[] = [];
  late: number[] = [];
  /** Failed attempts by detail ("timed out after 1000 ms"), since the last reset(). */
  failures = new Map<string, number>();
  /** Servers whose lateness is not recorded (the ones a failure phase takes down). */
  readonly skip: Uint8Array;
  private readonly index: Map<string, number>;
  private readonly lastEnd: Float64Array;

  constructor(addresses: string[], intervalMs: number, probe: Probe = runProbe) {
    this.index = new Map(addresses.map((a, i) => [a, i]));
    this.lastEnd = new Float64Array(addresses.length).fill(NaN);
    this.skip = new Uint8Array(addresses.length);
    this.probe = async (spec, target, timeoutMs, signal) => {
      const i = this.index.get(target.address) ?? -1;
      const t0 = performance.now();
      if (i >= 0 && !this.skip[i] && this.late.length < MAX_SAMPLES && !Number.isNaN(this.lastEnd[i])) this.late.push(t0 - this.lastEnd[i] - intervalMs);
      const r = await probe(spec, target, timeoutMs, signal);
      if (i >= 0) this.lastEnd[i] = performance.now();
      if (this.ms.length < MAX_SAMPLES) this.ms.push(r.ms);
      if (!r.ok) this.failures.set(r.detail, (this.failures.get(r.detail) ?? 0) + 1);
      return r;
    };
  }

  reset(): void {
    this.ms = [];
    this.late = [];
    this.failures = new Map();
  }

  /** The commonest failure detail and how many attempts failed, e.g. "timed out after 1000 ms (x 30)". */
  failureSummary(): string {
    let best = '';
    let n = 0;
    let total = 0;
    for (const [d, k] of this.failures) {
      total += k;
      if (k > n) [best, n] = [d, k];
    }
    return total === 0 ? 'none' : `${best} (${n} of ${total})`;
  }
}
