// tsvs bench sched, the command: the table, sched.json, a well-formed SVG chart
// (parsed minimally: one root, balanced tags, escaped text, every scheduler
// named), JSON for a trace, and bad options.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { benchSchedCommand } from '../../src/cli/bench-sched.js';
import { implementedSchedulers } from '../../src/sched/registry.js';
import { parseSvg } from '../schedbench/svg.js';

const dir = mkdtempSync(join(tmpdir(), 'tsvs-bench-svg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tsvs bench sched output', () => {
  it('prints the table, writes sched.json and sched.svg, and a copy with --svg', async () => {
    const names = implementedSchedulers();
    let out = '';
    let err = '';
    const copy = join(dir, 'docs', 'sched-chart.svg');
    const code = await benchSchedCommand(
      ['--quick', '--duration', '12', '--rate', '200', '--clients', '500', '--out-dir', dir, '--svg', copy],
      { out: (t) => void (out += t), err: (t) => void (err += t) },
    );
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^tsvs bench sched: poisson 200\/s for 12 s, pareto a=1.5/);
    const head = lines.findIndex((l) => l.startsWith('scheduler '));
    expect(lines[head]).toMatch(/^scheduler\s+decisions\/s\s+sim arrivals\/s\s+max\/mean\s+CV\s+p50 ms\s+p95 ms\s+p99 ms\s+moved fail %\s+moved return %\s+churn %\s+dropped\s+aborted$/);
    expect(lines.slice(head + 2, head + 2 + names.length).map((l) => l.split(/\s+/)[0])).toEqual(names);
    for (const n of names) expect(err).toContain(`${n}: `);

    const saved = JSON.parse(readFileSync(join(dir, 'sched.json'), 'utf8'));
    expect(saved.title).toBe('sched');
    expect(saved.rows.map((r: { scheduler: string }) => r.scheduler)).toEqual(names);

    const svg = readFileSync(join(dir, 'sched.svg'), 'utf8');
    expect(readFileSync(copy, 'utf8')).toBe(svg);
    const texts = parseSvg(svg);
    for (const n of names) expect(texts, n).toContain(n);
    for (const t of ['p99', 'max/mean', 'server leaves', 'Response time, ms (log scale)']) expect(texts).toContain(t);
    // Three panels, each bar with its tooltip.
    expect(svg.match(/<g class="panel">/g)).toHaveLength(3);
    expect(svg.match(/<title>/g)!.length).toBeGreaterThanOrEqual(names.length * 5);
  });

  it('--json prints the whole result for a trace', async () => {
    let out = '';
    const args = ['--servers', '1000,1000,1000', '--fail-at', 'none', '--trace', 'test/fixtures/sim/three-clients.trace', '--json', '--out-dir', dir, '--schedulers', 'rr,wlc'];
    expect(await benchSchedCommand(args, { out: (t) => void (out += t) })).toBe(0);
    const res = JSON.parse(out);
    expect(res.workload).toMatch(/^trace .*three-clients\.trace: 5 opens to tcp 198\.18\.0\.10:80 .*1 events skipped/);
    expect(res.results.map((r: { scheduler: string }) => r.scheduler)).toEqual(['rr', 'wlc']);
    expect(res.results[1].opened).toBe(5);
    expect(res.options).toMatchObject({ capacities: [1000, 1000, 1000], failAt: null, trace: 'test/fixtures/sim/three-clients.trace' });
  });

  it('rejects bad options with status 2 and the usage', async () => {
    let err = '';
    const io = { out: () => undefined, err: (t: string) => void (err += t) };
    expect(await benchSchedCommand(['--schedulers', 'nope'], io)).toBe(2);
    expect(err).toContain('nope is not implemented');
    expect(await benchSchedCommand(['--rate', 'fast'], io)).toBe(2);
    expect(await benchSchedCommand(['--fail-at', '50', '--return-at', '10'], io)).toBe(2);
    expect(await benchSchedCommand(['--bogus'], io)).toBe(2);
    let out = '';
    expect(await benchSchedCommand(['--help'], { out: (t) => void (out += t) })).toBe(0);
    expect(out).toContain('--schedulers');
  });
});
