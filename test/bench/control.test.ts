// Smoke test of the control benchmarks' in-process parts (bench/control/): the
// --quick table changes through the real control API with the inline data plane
// and the apply() timing must each come out with their rows. The lab parts need
// root and namespaces and run only from `npm run bench -- control`. The sampler's
// gap arithmetic is checked on made-up samples. No timing is asserted: speed is what the benchmarks print.
import { describe, expect, it } from 'vitest';
import { runApplyBench } from '../../bench/control/apply.bench.js';
import { runChangesBench } from '../../bench/control/changes.bench.js';
import { windowMaxima, windowStats, type Samples } from '../../bench/control/sampler.js';

const samples = (rows: Array<[number, number, number]>): Samples => ({
  t: Float64Array.from(rows, (r) => r[0]), batches: Float64Array.from(rows, (r) => r[1]),
  rx: Float64Array.from(rows, (r) => 2 * r[2]), tx: Float64Array.from(rows, (r) => r[2]),
});

describe('control benchmarks (--quick, in-process)', () => {
  it('times table changes through the control API, every way, for wlc and rr', async () => {
    const rows = await runChangesBench({ kind: 'inline', quick: true, nat: true });
    expect(rows.map((r) => `${r.sched} ${r.fwd} ${r.change}`)).toEqual([
      'wlc dr 500 x add-server, one per request', 'wlc dr one POST /v1/ops of 500 add-server', 'wlc dr reload lvs.cf: 0 -> 500 servers', 'wlc dr reload lvs.cf: 500 -> 500, one weight changed (x5)',
      'rr dr 500 x add-server, one per request', 'rr dr one POST /v1/ops of 500 add-server', 'rr dr reload lvs.cf: 0 -> 500 servers', 'rr dr reload lvs.cf: 500 -> 500, one weight changed (x5)',
      'wlc nat add-server to a 500-server service, one per request (1 s budget)', 'wlc nat reload lvs.cf: 500 -> 500, one weight changed (x3)',
    ]);
    for (const r of rows.slice(0, 8)) expect(r.servers).toBe(500);
    for (const r of rows) expect(r['p50 ms']).toBeGreaterThan(0);
  }, 60_000);

  it('times DataPlaneHost.apply for each kind of change', async () => {
    const rows = await runApplyBench({ quick: true });
    // Three kinds of change per scheduler, and the reloads of issue 15's config of many services.
    expect(rows).toHaveLength(7);
    for (const r of rows) {
      expect(r['longest step p50 ms']).toBeGreaterThan(0);
      expect(r['servers in delta (p50)']).toBeGreaterThan(0);
    }
    expect(rows.filter((r) => String(r.change).includes('replaced')).map((r) => r['servers in delta (p50)'])).toEqual([1000, 1000]);
    expect(rows[6].change).toMatch(/100 services x 10 servers/);
  }, 60_000);
});

describe('the sampler arithmetic', () => {
  // Batches at 0, 1, 2 ms, then none until 7 ms (sampled every 0.5 ms), then every ms.
  const s = samples([
    [0, 1, 10], [0.5, 1, 10], [1, 2, 20], [1.5, 2, 20], [2, 3, 30], [2.5, 3, 30], [3, 3, 30], [4, 3, 30], [5, 3, 30], [6, 3, 30], [6.5, 3, 30],
    [7, 4, 40], [8, 5, 50], [9, 6, 60],
  ]);

  it('finds the gap a window overlaps: proven from the samples that saw one count, bounded to the next count', () => {
    const w = windowStats(s, 3, 5);
    expect(w.proven).toBe(4.5); // count 3 seen from 2 to 6.5 ms
    expect(w.bounded).toBe(5); // 2 ms to 7 ms, when count 4 was first seen
    expect(w.sent).toBe(0);
    expect(windowStats(s, 7, 9).proven).toBe(0);
    expect(windowStats(s, 0, 2).sent).toBe(20);
    expect(windowStats(s, 0, 2).read).toBe(40);
    expect(windowStats(s, 7.5, 8).sent).toBe(5); // interpolated between 7 ms (40) and 8 ms (50)
  });

  it('gives the longest gap of every same-length window, for the no-change comparison', () => {
    const m = windowMaxima(s, 0, 9, 1);
    expect(m).toHaveLength(9);
    expect(Math.max(...m)).toBe(4.5);
  });
});
