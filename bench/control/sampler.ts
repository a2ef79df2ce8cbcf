// Watches a running data plane from outside: a thread of its own (sampler-worker.ts)
// reads the batch count and the frames sent that the data plane publishes in shared
// memory (engine/published.ts), every ~50 µs, with a clock every thread shares. From
// those samples: the gaps between batches (how long the data plane's loop did no
// batch) and the frames read and sent, in given windows of time.
import { Worker } from 'node:worker_threads';
import type { DataPlaneMemory } from '../../src/engine/published.js';
import type { SamplerData } from './sampler-worker.js';

/** Milliseconds on process.hrtime's clock (CLOCK_MONOTONIC: the same in every thread). */
export const clockMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export interface Samples {
  /** Per sample: time (clockMs), batches so far, frames read and sent so far. */
  t: Float64Array;
  batches: Float64Array;
  rx: Float64Array;
  tx: Float64Array;
}

export class Sampler {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(12));
  private readonly out: Float64Array;
  private readonly worker: Worker;
  private readonly done: Promise<void>;

  /** Starts sampling `memory` (SharedArrayBuffer-backed: the worker data plane's) for at most `seconds`. */
  constructor(memory: DataPlaneMemory, seconds: number, periodUs = 50) {
    this.out = new Float64Array(new SharedArrayBuffer(4 * 8 * Math.ceil((seconds * 1e6) / periodUs)));
    const data: SamplerData = { host: memory.host, totals: memory.totals, ctl: this.ctl, out: this.out, periodUs };
    this.worker = new Worker(new URL('./sampler-worker.js', import.meta.url), { workerData: data, name: 'tsvs bench sampler' });
    this.done = new Promise((resolve, reject) => {
      this.worker.once('exit', () => resolve());
      this.worker.once('error', reject);
    });
  }

  async stop(): Promise<Samples> {
    Atomics.store(this.ctl, 0, 1);
    await this.done;
    const n = Atomics.load(this.ctl, 1);
    const t = new Float64Array(n), batches = new Float64Array(n), rx = new Float64Array(n), tx = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      t[i] = this.out[4 * i];
      batches[i] = this.out[4 * i + 1];
      rx[i] = this.out[4 * i + 2];
      tx[i] = this.out[4 * i + 3];
    }
    return { t, batches, rx, tx };
  }
}

export interface WindowStats {
  /**
   * Longest time without a batch that overlaps the window (ms), two ways: proven,
   * from the first to the last sample that saw one batch count (no batch ended in
   * between, whatever the sampler's own delays); and bounded, from the first sample
   * that saw a count to the first that saw the next (at most the true gap plus the
   * sampler's interval there, which a descheduled sampler makes long).
   */
  proven: number;
  bounded: number;
  /** Batches, frames read and frames sent in the window (counts interpolated linearly between samples). */
  batches: number;
  read: number;
  sent: number;
  /** Longest time between two samples in the window (the sampler's own resolution there). */
  samplerMax: number;
}

/** First sample index with time >= x (binary search). */
function at(t: Float64Array, x: number): number {
  let lo = 0, hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A counter's value at time x, interpolated between the samples around it. */
export function valueAt(s: Samples, counter: Float64Array, x: number): number {
  const i = at(s.t, x);
  if (i === 0) return counter[0];
  if (i >= s.t.length) return counter[s.t.length - 1];
  const f = (x - s.t[i - 1]) / (s.t[i] - s.t[i - 1]);
  return counter[i - 1] + f * (counter[i] - counter[i - 1]);
}

export function windowStats(s: Samples, from: number, to: number): WindowStats {
  const { t, batches } = s;
  let proven = 0;
  let bounded = 0;
  let samplerMax = 0;
  // Start at the first sample that saw the batch count current at `from`.
  const first = at(t, from);
  let lo = first < t.length && t[first] === from ? first : Math.max(0, first - 1);
  while (lo > 0 && batches[lo - 1] === batches[lo]) lo--;
  const hi = Math.min(t.length - 1, at(t, to));
  let since = lo;
  for (let i = lo + 1; i <= hi; i++) {
    samplerMax = Math.max(samplerMax, t[i] - t[i - 1]);
    if (batches[i] !== batches[i - 1]) {
      proven = Math.max(proven, t[i - 1] - t[since]);
      bounded = Math.max(bounded, t[i] - t[since]);
      since = i;
    }
  }
  // A gap still open at the window's end counts whole: follow it to its end.
  if (hi >= 0 && t[since] < to) {
    let j = hi + 1;
    while (j < t.length && batches[j] === batches[since]) j++;
    proven = Math.max(proven, t[j - 1] - t[since]);
    bounded = Math.max(bounded, j < t.length ? t[j] - t[since] : proven);
  }
  const read = valueAt(s, s.rx, to) - valueAt(s, s.rx, from);
  const b = valueAt(s, s.batches, to) - valueAt(s, s.batches, from);
  return { proven, bounded, batches: b, read, sent: valueAt(s, s.tx, to) - valueAt(s, s.tx, from), samplerMax };
}

/**
 * The baseline's longest proven gap in every window of `len` ms that starts at a
 * sample in [from, to - len], for comparing changes with stretches of no change
 * of the same length. Stride: every `step` ms.
 */
export function windowMaxima(s: Samples, from: number, to: number, len: number, step = 1): number[] {
  const out: number[] = [];
  for (let x = from; x + len <= to; x += step) out.push(windowStats(s, x, x + len).proven);
  return out;
}
