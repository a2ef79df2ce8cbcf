// tsvs bench sched output: the table, sched.json, and a well-formed SVG chart
// (parsed minimally here: one root, balanced tags, escaped text, every scheduler named).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { benchSchedCommand, resultsDir } from '../../src/cli/bench/sched-command.js';
import { escapeXml, renderChart } from '../../src/cli/bench/svg.js';
import { implementedSchedulers } from '../../src/sched/registry.js';

const dir = mkdtempSync(join(tmpdir(), 'tsvs-bench-svg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Checks the SVG is one well-formed element tree; returns the text content of its <text> elements. */
function parseSvg(svg: string): string[] {
  expect(svg.startsWith('<svg ')).toBe(true);
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  const stack: string[] = [];
  const texts: string[] = [];
  let pos = 0;
  let roots = 0;
  for (let m = tag.exec(svg); m !== null; m = tag.exec(svg)) {
    const between = svg.slice(pos, m.index);
    expect(between, `stray markup before offset ${m.index}`).not.toMatch(/[<>]|&(?!(amp|lt|gt|quot);)/);
    if (stack.at(-1) === 'text') texts.push(between);
    pos = m.index + m[0].length;
    const [, close, name, attrs, self] = m;
    expect(attrs, `<${name}> attributes`).not.toMatch(/NaN|undefined|Infinity/);
    if (close) expect(stack.pop(), `</${name}> closes`).toBe(name);
    else if (!self) {
      if (stack.length === 0) roots++;
      stack.push(name);
    } else if (stack.length === 0) roots++;
  }
  expect(svg.slice(pos).trim()).toBe('');
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
  return texts;
}

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

  it('writes to bench/results of the repository unless told otherwise', () => {
    const saved = process.env.TSVS_BENCH_RESULTS;
    delete process.env.TSVS_BENCH_RESULTS;
    try {
      expect(resultsDir()).toBe(join(process.cwd(), 'bench', 'results'));
      process.env.TSVS_BENCH_RESULTS = dir;
      expect(resultsDir()).toBe(dir);
    } finally {
      if (saved === undefined) delete process.env.TSVS_BENCH_RESULTS;
      else process.env.TSVS_BENCH_RESULTS = saved;
    }
  });

  it('escapes text and survives empty or missing values', () => {
    const svg = renderChart('a < b & "c"', 'sub', ['x<y', 'z'], [
      { title: 'log', log: true, series: [{ name: 's&1', color: '#000', values: [0, null] }] },
      { title: 'lin', log: false, series: [{ name: 's2', color: '#111', values: [null, null] }] },
    ]);
    const texts = parseSvg(svg);
    expect(texts).toContain(escapeXml('a < b & "c"'));
    expect(texts).toContain('x&lt;y');
  });
});
