// Tests of bench/lib/report.ts's measure(); the results format it re-exports is
// tested with src/schedbench/results.ts (test/schedbench/results.test.ts).
import { describe, expect, it } from 'vitest';
import { formatTable, measure } from '../../bench/lib/report.js';
import { formatTable as srcFormatTable } from '../../src/schedbench/results.js';

describe('bench report', () => {
  it('re-exports the results format of src/, not a copy', () => {
    expect(formatTable).toBe(srcFormatTable);
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
