// Import rules that no compiler checks: shipped code (src/) never imports the
// development benchmarks (bench/ may import src/, never the reverse), and the
// scheduler benchmark's simulator sits below the tsvs command.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = process.cwd();

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Module specifiers of static imports and re-exports, dynamic import() and require(). */
function specifiers(text: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1]);
  return out;
}

/** Every import of a file under `from` (relative to the repository) that lands under `to`. */
function importsInto(from: string, to: string): string[] {
  const target = resolve(ROOT, to) + sep;
  const found: string[] = [];
  for (const file of tsFiles(resolve(ROOT, from))) {
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      if (resolve(dirname(file), spec).startsWith(target)) found.push(`${relative(ROOT, file)} imports ${spec}`);
    }
  }
  return found;
}

describe('import rules', () => {
  it('finds imports of every kind (the scan itself works)', () => {
    expect(specifiers(`import { a } from './a.js';\nimport type { B } from "../b.js";\nexport { c } from './c.js';\nimport './d.js';\nconst e = await import('./e.js');`))
      .toEqual(['./a.js', '../b.js', './c.js', './d.js', './e.js']);
    expect(importsInto('bench', 'src').length).toBeGreaterThan(10);
  });

  it('no file under src/ imports from bench/', () => {
    expect(importsInto('src', 'bench')).toEqual([]);
  });

  it('the scheduler benchmark (src/schedbench/) does not import the tsvs command (src/cli/)', () => {
    expect(importsInto('src/schedbench', 'src/cli')).toEqual([]);
  });
});
