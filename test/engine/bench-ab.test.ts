// The A/B harness (bench/engine/ab.ts) loads a second build's workloads and times
// both in alternation. Here the "base" is this source tree itself, so each workload
// must come out in both columns with a ratio near 1; a broken harness (wrong module,
// a workload missing, builds swapped into one column) shows here.
import { describe, expect, it } from 'vitest';
import { loadBase, runAb } from '../../bench/engine/ab.js';
import { runAllocAb } from '../../bench/engine/alloc-ab.js';
import { abWorkloads } from '../../bench/engine/engine.bench.js';

describe('bench:ab', () => {
  it('times every workload of both builds and reports the ratio of their medians', async () => {
    const base = await loadBase('bench/engine/engine.bench.ts');
    const rows = runAb(base({ quick: true }), abWorkloads({ quick: true }), { rounds: 3 });
    expect(rows.map((r) => r.workload)).toEqual([
      'NAT established, 10k flows (in+out)', 'DR established, 10k flows', 'TUN established, 10k flows (IPIP)', 'NAT new connections, 5 k into a fresh table',
    ]);
    for (const r of rows) {
      expect(r['base M/s']).toBeGreaterThan(0);
      expect(r['this M/s']).toBeGreaterThan(0);
      expect(r['ratio (median)']).toBeGreaterThan(0);
    }
  }, 60_000);

  it('times the workloads with the counters in private and in shared memory (npm run bench -- alloc)', () => {
    const rows = runAllocAb({ quick: true, rounds: 2 });
    expect(rows.map((r) => r.workload)).toHaveLength(4);
    for (const r of rows) {
      expect(r['private M/s']).toBeGreaterThan(0);
      expect(r['shared M/s']).toBeGreaterThan(0);
    }
  }, 60_000);

  it('refuses a base without the workloads, saying why', async () => {
    await expect(loadBase('bench/lib/report.ts')).rejects.toThrow(/no abWorkloads/);
    await expect(loadBase('no/such/dir')).rejects.toThrow(/no built engine benchmark/);
  });
});
