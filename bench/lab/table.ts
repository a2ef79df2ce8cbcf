// The lab bench's figures as rows (for bench/lib/report.ts: a table and JSON) and
// as a markdown table for the README (bench/results/lab.md), each figure beside
// its ratio to the kernel's.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Row } from '../lib/report.js';
import { formatLosses, type Losses } from './losses.js';
import type { Test } from './load.js';

/** A test as the table keys it: the load tests with offloads off, and bulk-on: the bulk GETs with offloads on. */
export type TestKey = Test | 'bulk-on';
const KEYS: TestKey[] = ['new-conn', 'keep-alive', 'bulk', 'udp', 'bulk-on'];

export interface Measured {
  director: string;
  /**
   * Medians per test: rate (req/s, Gbit/s or kpps), cpu (µs per op), util (router core 0-1), loss (%),
   * and for HTTP wrk's latency percentiles p50, p90, p99 (ms).
   */
  figures: Partial<Record<TestKey, Record<string, number>>>;
  /** Frames lost per test, summed over its runs (bench/lab/losses.ts). */
  losses: Partial<Record<TestKey, Losses>>;
  notes: string[];
  setupS?: number;
  /** The router core's busy share with no load, subtracted from every run. */
  baseline?: number;
}

interface Column {
  name: string;
  test: TestKey;
  field: string;
  digits: number;
  /** Ratio to the kernel shown in markdown and in "vs kernel". */
  ratio?: string;
}

const COLUMNS: Column[] = [
  { name: 'new-conn req/s', test: 'new-conn', field: 'rate', digits: 0 },
  { name: 'µs CPU/new conn', test: 'new-conn', field: 'cpu', digits: 1, ratio: 'conn' },
  { name: 'keep-alive req/s', test: 'keep-alive', field: 'rate', digits: 0 },
  { name: 'µs CPU/req', test: 'keep-alive', field: 'cpu', digits: 2, ratio: 'req' },
  { name: 'Gbit/s bulk', test: 'bulk', field: 'rate', digits: 2 },
  { name: 'µs CPU/MiB', test: 'bulk', field: 'cpu', digits: 0, ratio: 'MiB' },
  { name: 'bulk p99 ms', test: 'bulk', field: 'p99', digits: 0, ratio: 'p99' },
  { name: 'UDP 64B kpps', test: 'udp', field: 'rate', digits: 0 },
  { name: 'UDP loss %', test: 'udp', field: 'loss', digits: 1 },
  { name: 'µs CPU/pkt', test: 'udp', field: 'cpu', digits: 2, ratio: 'pkt' },
  { name: 'offloads on: Gbit/s bulk', test: 'bulk-on', field: 'rate', digits: 2 },
  { name: 'offloads on: µs CPU/MiB', test: 'bulk-on', field: 'cpu', digits: 0, ratio: 'MiB on' },
  { name: 'offloads on: bulk p99 ms', test: 'bulk-on', field: 'p99', digits: 0, ratio: 'p99 on' },
];

/** Percentiles shown per test in the second table (and the JSON rows). */
const LATENCY: Array<{ test: TestKey; name: string }> = [
  { test: 'new-conn', name: 'new conn' },
  { test: 'keep-alive', name: 'keep-alive' },
  { test: 'bulk', name: 'bulk' },
  { test: 'bulk-on', name: 'bulk, offloads on' },
];

const ms = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(0));
const percentiles = (m: Measured, t: TestKey): string => {
  const f = m.figures[t];
  return f?.p99 === undefined ? '-' : `${ms(f.p50)} / ${ms(f.p90)} / ${ms(f.p99)}`;
};

const value = (m: Measured, c: Column): number | undefined => {
  const v = m.figures[c.test]?.[c.field];
  return v !== undefined && Number.isFinite(v) ? Number(v.toFixed(c.digits)) : undefined;
};

const ratio = (m: Measured, base: Measured | undefined, c: Column): number | undefined => {
  const a = m.figures[c.test]?.[c.field];
  const b = base?.figures[c.test]?.[c.field];
  return a !== undefined && b !== undefined && b > 0 && Number.isFinite(a) ? a / b : undefined;
};

const fmtRatio = (r: number): string => `${r < 10 ? r.toFixed(2) : r.toFixed(1)}x`;

export function toRows(results: Measured[]): Row[] {
  const base = results.find((m) => m.director.startsWith('kernel'));
  return results.map((m) => {
    const row: Row = { director: m.director };
    for (const c of COLUMNS) row[c.name] = value(m, c) ?? '-';
    const busy = (['new-conn', 'keep-alive', 'bulk', 'udp', 'bulk-on'] as TestKey[]).map((t) => {
      const u = m.figures[t]?.util;
      return u === undefined ? '-' : String(Math.round(u * 100));
    });
    row['router busy % (conn/req/bulk/udp/bulk-on)'] = busy.join('/');
    for (const l of LATENCY) row[`${l.name} p50/p90/p99 ms`] = percentiles(m, l.test);
    for (const t of KEYS) if (m.losses[t]) row[`${t} losses`] = formatLosses(m.losses[t]!);
    const vs = COLUMNS.filter((c) => c.ratio).flatMap((c) => {
      const r = ratio(m, base, c);
      return r === undefined ? [] : [`${c.ratio} ${fmtRatio(r)}`];
    });
    row['vs kernel (CPU/op)'] = m === base ? '1' : vs.length ? vs.join(', ') : '-';
    if (m.baseline !== undefined) row['idle busy %'] = Number((m.baseline * 100).toFixed(1));
    if (m.setupS !== undefined) row['setup s'] = Number(m.setupS.toFixed(1));
    if (m.notes.length) row.notes = [...new Set(m.notes)].join('; ');
    return row;
  });
}

function resultsDir(): string {
  if (process.env.TSVS_BENCH_RESULTS) return process.env.TSVS_BENCH_RESULTS;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'bench', 'results');
}

/** A markdown table: each figure with its ratio to the kernel's in parentheses. */
export function markdown(results: Measured[], setup: string): string {
  const base = results.find((m) => m.director.startsWith('kernel'));
  const head = ['director', ...COLUMNS.map((c) => c.name)];
  const lines = [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...results.map((m) => {
      const cells = COLUMNS.map((c) => {
        const v = value(m, c);
        if (v === undefined) return '–';
        const r = c.field === 'loss' || m === base ? undefined : ratio(m, base, c);
        return r === undefined ? String(v) : `${v} (${fmtRatio(r)})`;
      });
      return `| ${m.director} | ${cells.join(' | ')} |`;
    }),
  ];
  const latHead = ['director', ...LATENCY.map((l) => `${l.name} p50 / p90 / p99 ms`)];
  const latLines = [
    `| ${latHead.join(' | ')} |`,
    `|${latHead.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...results.map((m) => `| ${m.director} | ${LATENCY.map((l) => percentiles(m, l.test)).join(' | ')} |`),
  ];
  const lossLines = [
    '| director | test | losses (summed over the runs) |',
    '|---|---|---|',
    ...results.flatMap((m) => KEYS.filter((t) => m.losses[t]).map((t) => `| ${m.director} | ${t} | ${formatLosses(m.losses[t]!)} |`)),
  ];
  const notes = results.flatMap((m) => [...new Set(m.notes)].map((n) => `- ${m.director}: ${n}`));
  const n = cpus();
  return [
    '### tsvs vs kernel NAT vs HAProxy (LVS-NAT lab, 3 real servers)',
    '',
    lines.join('\n'),
    '',
    `Ratios in parentheses are to the kernel NAT's figure (for CPU time, lower is better). "µs CPU" is the router core's busy time`,
    `(elapsed minus idle time in /proc/stat, less the share it is busy with no load) divided by the operations done: the director's`,
    `own work plus the kernel's receive and send work of the router's interfaces (RPS pinned to that core). The real servers (Node)`,
    `and the load generators share the other core and fill it first, so the rates are theirs more than the directors'. Bulk: 1 MiB`,
    `GETs over 4 connections. UDP: one client core sending 64-byte frames as fast as it can; kpps is what reached the real servers.`,
    `HAProxy is a TCP proxy: no UDP. "offloads on": the bulk GETs again in a lab whose veths keep their offloads (GSO, checksum offload).`,
    '',
    'Latency of the HTTP tests (wrk, medians of the runs\' percentiles):',
    '',
    latLines.join('\n'),
    '',
    'Losses: TCP retransmissions by the client and the real servers, drops of every lab interface (a veth counts what its peer\'s',
    'backlog refused as tx_dropped), and tsvs\'s own backend_* (frames/port.ts) and drop_* counters:',
    '',
    lossLines.join('\n'),
    '',
    `${new Date().toISOString().slice(0, 10)}, ${n.length ? `${n[0].model.trim()} x ${n.length}` : 'unknown CPU'}, Node ${process.version}; ${setup}.`,
    ...(notes.length ? ['', ...notes] : []),
    '',
  ].join('\n');
}

/** Prints the markdown (every figure with its ratio to the kernel's), writes it to bench/results/lab.md, returns the rows. */
export function writeMarkdown(results: Measured[], setup: string): Row[] {
  const dir = resultsDir();
  const md = markdown(results, setup);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'lab.md'), md);
  process.stdout.write(`\n${md}(written to ${join(dir, 'lab.md')})\n`);
  return toRows(results);
}
