// A/B of two builds in one process: the engine workloads of each (abWorkloads in
// engine.bench.ts, loaded from each build so each runs its own code) timed in
// alternating short passes. The VM this was written on drifts by a third from one
// half hour to the next; alternating passes put both builds in the same moments, so
// the ratio of their medians shows differences of a few per cent that separate runs
// cannot.
//   git worktree add /tmp/base REV && (cd /tmp/base && npm ci && npm run build)
//   npm run bench:ab -- /tmp/base [--rounds N] [--quick]
// The base must have abWorkloads (commits from the one that added this file on).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { report, type Row } from '../lib/report.js';
import * as mine from './engine.bench.js';

type Workloads = Record<string, () => number>;

export interface AbOptions {
  rounds?: number;
  quick?: boolean;
  /** Column names of the two sides (default base, this). */
  labels?: [string, string];
}

/** Loads the base build's engine benchmark module: a repository (its dist/) or the module file itself. */
export async function loadBase(path: string): Promise<(o: { quick?: boolean }) => Workloads> {
  const abs = resolve(path);
  const file = existsSync(join(abs, 'dist')) ? join(abs, 'dist', 'bench', 'engine', 'engine.bench.js') : abs;
  if (!existsSync(file)) throw new Error(`${path}: no built engine benchmark at ${file} (run npm run build there)`);
  const mod = (await import(pathToFileURL(file).href)) as { abWorkloads?: (o: { quick?: boolean }) => Workloads };
  if (typeof mod.abWorkloads !== 'function') throw new Error(`${file} has no abWorkloads: the base predates bench:ab`);
  return mod.abWorkloads;
}

const median = (x: number[]): number => {
  const s = [...x].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Rows: per workload the medians of both builds and the median and range of the per-round ratios. */
export function runAb(base: Workloads, self: Workloads, opts: AbOptions = {}): Row[] {
  const rounds = opts.rounds ?? 15;
  const [la, lb] = opts.labels ?? ['base', 'this'];
  const names = Object.keys(self).filter((k) => k in base);
  // Warm-up: both builds' code optimised before anything counts.
  for (const k of names) {
    for (let w = 0; w < 2; w++) {
      base[k]();
      self[k]();
    }
  }
  const rows: Row[] = [];
  for (const k of names) {
    const a: number[] = [], b: number[] = [], ratio: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate which build goes first, so neither always runs in the other's wake.
      let rb: number, rs: number;
      if (r % 2 === 0) {
        rb = base[k]();
        rs = self[k]();
      } else {
        rs = self[k]();
        rb = base[k]();
      }
      a.push(rb);
      b.push(rs);
      ratio.push(rs / rb);
    }
    rows.push({
      workload: k, [`${la} M/s`]: +(median(a) / 1e6).toFixed(2), [`${lb} M/s`]: +(median(b) / 1e6).toFixed(2),
      'ratio (median)': +median(ratio).toFixed(3), 'ratio range': `${Math.min(...ratio).toFixed(2)}-${Math.max(...ratio).toFixed(2)}`,
    });
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--rounds');
  const rounds = at >= 0 ? Number(args[at + 1]) : undefined;
  const quick = args.includes('--quick');
  const path = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--rounds');
  if (!path || (rounds !== undefined && !(rounds >= 1))) {
    process.stderr.write('usage: npm run bench:ab -- BASE_REPO_OR_MODULE [--rounds N] [--quick]\n');
    process.exit(2);
  }
  const baseWorkloads = await loadBase(path).catch((e: Error) => {
    process.stderr.write(`bench:ab: ${e.message}\n`);
    process.exit(2);
  });
  report(`engine A/B: this build vs ${path}`, runAb(baseWorkloads({ quick }), mine.abWorkloads({ quick }), { rounds, quick }));
}
