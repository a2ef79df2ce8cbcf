// A benchmark's results as every tsvs benchmark gives them: an aligned table
// for people and the same rows as JSON (bench/results/<slug>.json) so runs on
// different machines and commits can be compared by scripts. Here because the
// shipped `tsvs bench sched` writes them; bench/lib/report.ts re-exports them
// for the development benchmarks.
import { existsSync, writeFileSync } from 'node:fs';
import { makeDirs } from '../io/make-dirs.js';
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
  /** Where the JSON goes; default resultsDir(). */
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
  const dir = opts.dir ?? resultsDir();
  makeDirs(dir);
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

/** $TSVS_BENCH_RESULTS, else bench/results of the package (found from this file: works from src and dist). */
export function resultsDir(): string {
  if (process.env.TSVS_BENCH_RESULTS) return process.env.TSVS_BENCH_RESULTS;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return join(process.cwd(), 'bench', 'results');
    dir = up;
  }
  return join(dir, 'bench', 'results');
}
