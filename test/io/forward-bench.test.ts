// Smoke run of bench/io/forward.bench.ts (quick: 1 s per backend): rows for every
// backend (AF_XDP's when the addon is built), frames really forwarded. The figures themselves are the bench's business.
import { describe, expect, it } from 'vitest';
import { runForwardBench } from '../../bench/io/forward.bench.js';
import { formatTable } from '../../bench/lib/report.js';
import { isRoot } from '../../bench/io/netns.js';
import { loadXdp } from '../../src/io/afxdp.js';

describe('bench/io forward', () => {
  it.skipIf(isRoot())('says it is skipped when not root', () => {
    expect(runForwardBench({ quick: true })).toEqual([{ backend: 'all', skipped: 'needs root (network namespaces, AF_PACKET)' }]);
  });

  it.skipIf(!isRoot())('forwards generated 64-byte frames with every backend [root]', { timeout: process.env.TSVS_IO_BENCH_FULL ? 180_000 : 60_000 }, () => {
    const rows = runForwardBench({ quick: !process.env.TSVS_IO_BENCH_FULL });
    console.log(formatTable(rows));
    const xdp = loadXdp();
    // Two rows (flood, drain) per backend; without the AF_XDP addon, one row saying why.
    expect(rows.length).toBe(xdp.addon ? 6 : 5);
    for (const r of rows.filter((x) => xdp.addon || x.backend !== 'AF_XDP')) {
      expect(r.skipped).toBeUndefined();
      expect(r.delivered as number).toBeGreaterThan(1000);
      expect(r['fwd pps'] as number).toBeGreaterThan(1000);
    }
  });
});
