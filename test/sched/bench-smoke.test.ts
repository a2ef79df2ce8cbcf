// The scheduler micro-benchmark runs and reports a row per scheduler and size.
import { expect, it } from 'vitest';
import { runSchedBench } from '../../bench/sched/decisions.bench.js';

it('runSchedBench returns decisions/s rows', () => {
  const rows = runSchedBench({ quick: true, schedulers: ['rr', 'wlc'], sizes: [3, 100] });
  expect(rows.map((r) => `${r.scheduler}/${r.servers}`)).toEqual(['rr/3', 'wlc/3', 'rr/100', 'wlc/100']);
  for (const r of rows) expect(r['decisions/s']).toBeGreaterThan(1000);
});
