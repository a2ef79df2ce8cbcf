// The results format every tsvs benchmark writes (src/schedbench/results.ts):
// rates, the aligned table, the JSON file and where it goes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatRate, formatTable, report, resultsDir, slug } from '../../src/schedbench/results.js';
import { tempDir } from '../io/helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

describe('benchmark results', () => {
  it('formats rates with three digits and an SI prefix', () => {
    expect(formatRate(3_214_567)).toBe('3.21 M/s');
    expect(formatRate(950_000)).toBe('950 k/s');
    expect(formatRate(999_700)).toBe('1.00 M/s');
    expect(formatRate(12)).toBe('12.0 /s');
    expect(formatRate(1.5e9)).toBe('1.50 G/s');
  });

  it('aligns text left and numbers right', () => {
    const t = formatTable([
      { case: 'rr', rate: 12 },
      { case: 'maglev', rate: 3.5, note: 'x' },
    ]);
    expect(t.split('\n')).toEqual([
      'case    rate  note',
      '------  ----  ----',
      'rr        12',
      'maglev  3.50  x',
    ]);
  });

  it('writes the report as JSON named after the title and returns it', () => {
    const rows = [{ case: 'rr', 'frames/s': 1000 }];
    const r = report('Engine: NAT pipeline', rows, { dir: tmp.dir, quiet: true });
    expect(slug(r.title)).toBe('engine-nat-pipeline');
    const saved = JSON.parse(readFileSync(join(tmp.dir, 'engine-nat-pipeline.json'), 'utf8'));
    expect(saved).toEqual(r);
    expect(saved).toMatchObject({ title: 'Engine: NAT pipeline', node: process.version, rows });
    expect(Number.isNaN(Date.parse(saved.date))).toBe(false);
    expect(typeof saved.cpu).toBe('string');
  });

  it('writes to bench/results of the repository unless told otherwise', () => {
    const saved = process.env.TSVS_BENCH_RESULTS;
    delete process.env.TSVS_BENCH_RESULTS;
    try {
      expect(resultsDir()).toBe(join(process.cwd(), 'bench', 'results'));
      process.env.TSVS_BENCH_RESULTS = tmp.dir;
      expect(resultsDir()).toBe(tmp.dir);
    } finally {
      if (saved === undefined) delete process.env.TSVS_BENCH_RESULTS;
      else process.env.TSVS_BENCH_RESULTS = saved;
    }
  });
});
