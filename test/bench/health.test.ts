// Smoke run of bench/health (root: a namespace lab): the --quick monitor alone
// with TCP checks on 1,000 responders, and its failure detection, must come out
// with their rows, every failed server must be seen down and back up, no healthy
// one taken down, and the lab's namespaces must be gone afterwards. The data
// plane part and the other configurations run only from `npm run bench -- health`.
// No timing is asserted: speed is what the benchmark prints.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runHealthBench } from '../../bench/health/health.bench.js';
import { isRoot } from '../../bench/io/netns.js';
import { formatTable } from '../../bench/lib/report.js';

const ours = (): string[] => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith(`tsvs-hb-${process.pid}-`));

describe('bench/health', () => {
  it.skipIf(isRoot())('says it is skipped when not root', async () => {
    const tables = await runHealthBench({ quick: true });
    expect(tables).toHaveLength(1);
    expect(tables[0].rows).toEqual([{ skipped: 'needs root (network namespaces)' }]);
  });

  it.skipIf(!isRoot())('checks 1,000 responders and sees 10, then 100, of them fail and come back [root]', { timeout: 60_000 }, async () => {
    const tables = await runHealthBench({ quick: true, variants: [{ kind: 'tcp' }], dataPlane: false });
    for (const t of tables) console.log(`${t.title}\n${formatTable(t.rows)}`);
    expect(tables.map((t) => t.rows.length)).toEqual([1, 2]);
    const [alone] = tables[0].rows;
    expect(alone.servers).toBe(1000);
    expect(alone['rounds/s']).toBeGreaterThan(0);
    expect(alone['failed rounds']).toBe(0);
    expect(tables[1].rows.map((r) => r.detected)).toEqual(['10/10', '100/100']);
    for (const r of tables[1].rows) {
      expect(r['false downs']).toBe(0);
      expect(String(r['back up p50 / max s'])).toMatch(/\((10|100)\/\1\)$/);
    }
    expect(ours()).toEqual([]);
  });
});
