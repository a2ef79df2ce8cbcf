// Tests of bench/lib/report.ts (kept with the io tests, the folder this layer owns).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatRate, formatTable, measure, report, slug } from '../../bench/lib/report.js';
import { tempDir } from '../io/helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

describe('bench report', () => {
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

  it('measures for at least minMs and counts the ops fn reports', () => {
    let calls = 0;
    const m = measure(
      (n) => {
        calls++;
        let x = 0;
        for (let i = 0; i < n; i++) x += Math.sqrt(i);
        return x >= 0 ? n * 2 : 0; // two "ops" per iteration
      },
      { minMs: 30 },
    );
    expect(m.ms).toBeGreaterThanOrEqual(30);
    expect(m.rounds).toBeGreaterThanOrEqual(1);
    expect(calls).toBeGreaterThan(m.rounds); // warm-up rounds are not counted
    expect(m.ops % 2).toBe(0);
    expect(m.opsPerSec).toBeCloseTo(m.ops / (m.ms / 1000), 6);
    expect(m.nsPerOp * m.opsPerSec).toBeCloseTo(1e9, 0);
  });
});
