// The benchmark's hand-written SVG bar chart: escaped text, missing values.
import { describe, expect, it } from 'vitest';
import { escapeXml, renderChart } from '../../src/schedbench/svg-chart.js';
import { parseSvg } from './svg.js';

describe('svg chart', () => {
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
