// Shared by every benchmark: time a function in steady state (measure), and
// the results format (an aligned table for people, the same rows as JSON in
// bench/results/<slug>.json for scripts), which lives in src/ because the
// shipped `tsvs bench sched` writes it too. bench/ may import src/, never the reverse.
export { formatRate, formatTable, report, resultsDir, slug, type BenchReport, type ReportOptions, type Row } from '../../src/schedbench/results.js';

export interface Measurement {
  opsPerSec: number;
  nsPerOp: number;
  /** Operations and time of the measured rounds (warm-up excluded). */
  ops: number;
  ms: number;
  rounds: number;
}

/**
 * Runs fn(iterations) in rounds until `minMs` of measured time has passed; fn does
 * that much work and returns how many operations it did (e.g. frames processed).
 * A warm-up first lets the JIT settle and sizes the rounds to about a tenth of
 * minMs, so set-up and compilation are not counted as steady state.
 */
export function measure(fn: (iterations: number) => number, opts: { minMs?: number } = {}): Measurement {
  const minMs = opts.minMs ?? 1000;
  const target = Math.max(minMs / 10, 1);
  let iterations = 1;
  // Warm-up: double until one round takes a tenth of minMs, then scale to it.
  for (;;) {
    const t = performance.now();
    fn(iterations);
    const dt = performance.now() - t;
    if (dt >= target / 2 || iterations >= 2 ** 30) {
      iterations = Math.max(1, Math.round((iterations * target) / Math.max(dt, 1e-3)));
      break;
    }
    iterations *= 2;
  }
  let ops = 0;
  let ms = 0;
  let rounds = 0;
  while (ms < minMs) {
    const t = performance.now();
    ops += fn(iterations);
    ms += performance.now() - t;
    rounds++;
  }
  const opsPerSec = ops / (ms / 1000);
  return { opsPerSec, nsPerOp: (ms * 1e6) / ops, ops, ms, rounds };
}
