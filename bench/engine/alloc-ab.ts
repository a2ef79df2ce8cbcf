// The engine with its counters in private memory (replay, simulate, the inline
// data plane) against shared memory (SharedArrayBuffers, as the router's worker
// data plane has them so the control plane reads them without a message: see
// src/conn/memory.ts). The same engine workloads as bench:ab (abWorkloads), one
// set per kind of memory, timed in alternating passes in one process (ab.ts's
// runAb), so drift of the machine falls on both alike. A ratio below 1 means
// shared memory is slower. Typed arrays over either kind of buffer share one
// hidden class in V8, so both sides run the same optimised code.
//   npm run bench -- alloc [--quick]
//   node dist/bench/engine/alloc-ab.js [--rounds N] [--quick]
import { pathToFileURL } from 'node:url';
import { privateAlloc, sharedAlloc } from '../../src/conn/memory.js';
import { report, type Row } from '../lib/report.js';
import { runAb } from './ab.js';
import { abWorkloads } from './engine.bench.js';

export function runAllocAb(opts: { quick?: boolean; rounds?: number } = {}): Row[] {
  const rounds = opts.rounds ?? (opts.quick ? 3 : 15);
  return runAb(abWorkloads({ quick: opts.quick, alloc: privateAlloc }), abWorkloads({ quick: opts.quick, alloc: sharedAlloc }), {
    rounds, labels: ['private', 'shared'],
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--rounds');
  const rounds = at >= 0 ? Number(args[at + 1]) : undefined;
  if (rounds !== undefined && !(rounds >= 1)) {
    process.stderr.write('usage: node dist/bench/engine/alloc-ab.js [--rounds N] [--quick]\n');
    process.exit(2);
  }
  report('engine A/B: counters in private vs shared memory (ratio = shared / private)', runAllocAb({ quick: args.includes('--quick'), rounds }));
}
