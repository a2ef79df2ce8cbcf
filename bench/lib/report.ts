// Shared by every benchmark: time a function in steady state, print an aligned
// table for people, and write the same rows as JSON (bench/results/<slug>.json)
// so runs on different machines and commits can be compared by scripts.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Row = Record<string, string | number>;

export interface BenchReport {
  title: string;
  date: string;
  node: string;
  cpu: string;
  rows: Row[];
}

export interface ReportOptions {
  /** Where the JSON goes; default bench/results of the repository (or $TSVS_BENCH_RESULTS). */
  dir?: string;
  /** Skip printing the table (tests). */
  quiet?: boolean;
}

/** Prints `rows` as a table, writes them to <dir>/<slug of title>.json, and returns the report. */
export function report(title: string, rows: Row[], opts: ReportOptions = {}): BenchReport {
  const n = cpus();
  const result: BenchReport = {
    title,
    date: new Date().toISOString(),
    node: process.version,
    cpu: n.length ? `${n[0].model.trim()} x ${n.length}` : 'unknown',
    rows,
  };
  if (!opts.quiet) process.stdout.write(`\n${title}\n${formatTable(rows)}\n`);
  const dir = opts.dir ?? process.env.TSVS_BENCH_RESULTS ?? join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${slug(title)}.json`), JSON.stringify(result, null, 2) + '\n');
  return result;
}

/** Columns in first-seen order; numbers right-aligned, text left-aligned. */
export function formatTable(rows: Row[]): string {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const cell = (v: string | number | undefined): string =>
    v === undefined ? '' : typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(2) : String(v);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (cells: string[], right: boolean[]): string =>
    cells.map((s, i) => (right[i] ? s.padStart(width[i]) : s.padEnd(width[i]))).join('  ').trimEnd();
  const out = [line(cols, cols.map(() => false)), line(width.map((w) => '-'.repeat(w)), cols.map(() => false))];
  for (const r of rows) out.push(line(cols.map((c) => cell(r[c])), cols.map((c) => typeof r[c] === 'number')));
  return out.join('\n');
}

export function slug(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'bench';
}

/** A rate with three significant digits and an SI prefix: 3.21 M/s, 950 k/s, 12.0 /s. */
export function formatRate(perSec: number): string {
  const prefixes = ['', 'k', 'M', 'G', 'T'];
  let v = perSec;
  let p = 0;
  // Step up while the rounded figure would need a fourth digit (999.7 k -> 1.00 M).
  while (p < prefixes.length - 1 && Math.abs(Number(v.toPrecision(3))) >= 1000) {
    v /= 1000;
    p++;
  }
  return `${v.toPrecision(3)} ${prefixes[p]}/s`;
}

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

/** The directory holding package.json, found from this file (works from src and dist). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}
