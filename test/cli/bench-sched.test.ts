// tsvs bench sched, the command: the table, sched.json, a well-formed SVG chart
// (parsed minimally: one root, balanced tags, escaped text, every scheduler
// named), JSON for a trace, and bad options.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { runCli } from '../../src/cli/run.js';
import { implementedSchedulers } from '../../src/sched/registry.js';
import { parseSvg } from '../schedbench/svg.js';

const dir = mkdtempSync(join(tmpdir(), 'tsvs-bench-svg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function benchSched(args: string[], io: { out?: (t: string) => void; err?: (t: string) => void } = {}): Promise<number> {
  return runCli(COMMANDS, ['bench', 'sched', ...args], { out: io.out ?? (() => undefined), err: io.err ?? (() => undefined) });
}

describe('tsvs bench sched output', () => {
  it('prints the table, writes sched.json and sched.svg, and a copy with --svg', async () => {
    const names = implementedSchedulers();
    let out = '';
    let err = '';
    const copy = join(dir, 'docs', 'sched-chart.svg');
    const code = await benchSched(
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
    expect(await benchSched(args, { out: (t) => void (out += t) })).toBe(0);
    const res = JSON.parse(out);
    expect(res.workload).toMatch(/^trace .*three-clients\.trace: 5 opens to tcp 198\.18\.0\.10:80 .*1 events skipped/);
    expect(res.results.map((r: { scheduler: string }) => r.scheduler)).toEqual(['rr', 'wlc']);
    expect(res.results[1].opened).toBe(5);
    expect(res.options).toMatchObject({ capacities: [1000, 1000, 1000], failAt: null, trace: 'test/fixtures/sim/three-clients.trace' });
  });

  it('rejects bad options with status 2, one line naming the flag, and the usage line', async () => {
    const cases: [string[], string][] = [
      [['--schedulers', 'nope'], '--schedulers: nope is not implemented (implemented: '],
      [['--rate', 'fast'], '--rate fast: want a number, at least 0.001'],
      [['--fail-at', '50', '--return-at', '10'], '--return-at 10 must come after --fail-at 50'],
      [['--fail-at', 'soon'], '--fail-at soon: want seconds (a number, at least 0) or none'],
      [['--clients', '1.5'], '--clients 1.5: want a whole number from 1 to 16777216'],
      [['--servers', '100,,50'], '--servers 100,,50: want positive numbers separated by commas'],
      [['--weights', '1,2'], '--weights 1,2: want 4 whole numbers 1..65535 (one per server), or capacity, or equal'],
      [['--fail-server', '5'], '--fail-server 5: want a server from 1 to 4'],
      [['--arrivals', 'sometimes'], '--arrivals sometimes: want poisson or bursty'],
      [['--bogus'], 'unknown option --bogus'],
      [['extra'], 'unexpected argument "extra"'],
    ];
    for (const [args, message] of cases) {
      let err = '';
      expect(await benchSched(args, { err: (t) => void (err += t) }), args.join(' ')).toBe(2);
      const lines = err.trimEnd().split('\n');
      expect(lines, args.join(' ')).toHaveLength(2);
      expect(lines[0].startsWith(`tsvs bench sched: ${message}`), lines[0]).toBe(true);
      expect(lines[1]).toBe('usage: tsvs bench sched [options]  (more: tsvs bench sched --help)');
    }
    let out = '';
    expect(await benchSched(['--help'], { out: (t) => void (out += t) })).toBe(0);
    expect(out).toMatch(/^usage: tsvs bench sched \[options\]\n/);
    expect(out).toMatch(/--rate N\s+new connections per second \(>= 0\.001\) \[900\]/);
    expect(out).toMatch(/--fail-at S\s+a server leaves the table \(none = never\) \[duration\/3\]/);
  });

  it('a run that cannot read its trace fails with status 1 and one prefixed line', async () => {
    let err = '';
    expect(await benchSched(['--trace', join(dir, 'no-such.trace'), '--out-dir', dir], { err: (t) => void (err += t) })).toBe(1);
    expect(err).toMatch(/^tsvs bench sched: ENOENT: no such file or directory, open '.*no-such\.trace'\n$/);
  });
});

describe('tsvs bench sched, where results go (issue 15 item 17)', () => {
  it('writes sched.json and sched.svg to the current directory by default, not into the package', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tsvs-bench-cwd-'));
    try {
      const main = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
      const env = { ...process.env };
      delete env.TSVS_BENCH_RESULTS;
      const r = spawnSync(process.execPath, [main, 'bench', 'sched', '--quick', '--duration', '5', '--schedulers', 'rr', '--json'], { cwd, env, encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(0);
      expect(readdirSync(cwd).sort()).toEqual(['sched.json', 'sched.svg']);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
