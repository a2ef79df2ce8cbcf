// A minimal SVG well-formedness check shared by the chart's tests and the command's.
import { expect } from 'vitest';

export /** Checks the SVG is one well-formed element tree; returns the text content of its <text> elements. */
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
