// `npm run bench -- health [--quick]`: what checking 10,000 real servers every 2 s
// costs (issue: "must cost the control plane well under one core and never delay
// the data plane"). Printed, never asserted. Root only: a lab of namespaces
// (lab.ts) with 10,000 cheap responders, the real HealthMonitor and probes in
// the router's namespace (child.ts), three tables:
//   1. the monitor alone, every server up: CPU, rounds/s, attempt times, round
//      lateness, event-loop delay, per configuration (TCP, TCP with a lower
//      maxConcurrent, half-open TCP, HTTP);
//   2. failure detection: 10 servers, then a tenth of them, vanish at once
//      (addresses deleted: timeouts); time to the down verdict, bound interval +
//      connect timeout; time back up once they return;
//   3. the worker data plane's forwarding rate under a flood with the monitor
//      off, on (in the router's own process) and off again (dataplane.ts; needs
//      the native addon as well).
// --quick: 1,000 servers, short windows. The machine of LAB-NOTES has 2 CPUs and
// other work: figures are noisy, compare rows of one run.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { labUnavailable } from '../control/lab.js';
import { isRoot, NetnsLab } from '../io/netns.js';
import type { Row } from '../lib/report.js';
import { INTERVAL_S, type CheckKind } from './checks.js';
import type { ChildArgs } from './child.js';
import { buildLab, compiled, runChild } from './lab.js';
import type { VariantRows } from './variant.js';

export interface Variant {
  kind: CheckKind;
  /** undefined: the monitor's default. */
  maxConcurrent?: number;
}

export interface HealthBenchOptions {
  quick?: boolean;
  /** The monitor configurations to run alone (default: TCP, TCP with a low maxConcurrent, half-open TCP, HTTP). */
  variants?: Variant[];
  /** Run the data plane part (default: when root with the native addon). */
  dataPlane?: boolean;
}

export interface Table {
  title: string;
  rows: Row[];
}

export function defaultVariants(quick: boolean): Variant[] {
  // The low bound is about 2.5 % of the servers: with a tenth of them timing out
  // (each failed round holds its slot for the whole connect timeout) it binds.
  return [{ kind: 'tcp' }, { kind: 'tcp', maxConcurrent: quick ? 32 : 256 }, { kind: 'tcp-syn' }, { kind: 'http' }];
}

export async function runHealthBench(o: HealthBenchOptions = {}): Promise<Table[]> {
  const quick = o.quick ?? false;
  const n = quick ? 1000 : 10_000;
  const where = `${n} servers, every ${INTERVAL_S} s, ${cpus().length} CPUs`;
  const titles = {
    alone: `health: the monitor alone in the router's namespace (${where})`,
    detect: `health: failure detection (${where}, failed servers' addresses deleted: timeouts)`,
    dp: `health: worker data plane forwarding a flood, monitor off / on in the router's process (${where})`,
  };
  if (!isRoot()) return [{ title: titles.alone, rows: [{ skipped: 'needs root (network namespaces)' }] }];
  const dpWhy = o.dataPlane === false ? 'not asked' : labUnavailable();
  const variants = o.variants ?? defaultVariants(quick);
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-health-bench-'));
  const lab = new NetnsLab('hb');
  // Ctrl-C or a kill mid-run: take the lab down (its processes by PID, then the
  // namespaces) before leaving; finally blocks do not run then.
  const abort = (sig: NodeJS.Signals): void => {
    lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', abort).once('SIGTERM', abort);
  const tables: Table[] = [];
  try {
    const h = await buildLab(lab, n, dpWhy === null, quick ? 900 : 3600);
    const responders = { ns: h.responders, pid: h.responderPid };
    const script = compiled('child.js');
    const child = async <T>(args: ChildArgs, limitMs: number): Promise<T> => {
      const out = join(dir, `rows-${args.mode}.json`);
      rmSync(out, { force: true });
      const code = await runChild(h.checker, script, { ...args, out }, limitMs);
      if (code !== 0) throw new Error(`the health bench's ${args.mode} process exited with ${code}`);
      return JSON.parse(readFileSync(out, 'utf8')) as T;
    };
    const alone: Row[] = [];
    const detect: Row[] = [];
    for (const v of variants) {
      const r = await child<VariantRows>({ mode: 'monitor', ...v, servers: n, quick, responders }, quick ? 90_000 : 240_000);
      alone.push(r.steady);
      detect.push(...r.detection);
    }
    tables.push({ title: titles.alone, rows: alone }, { title: titles.detect, rows: detect });
    if (dpWhy === null && h.gen) {
      const rows = await child<Row[]>({ mode: 'dataplane', quick, servers: n, kind: 'tcp', responders, genNs: h.gen.ns, genMac: h.gen.mac, devMac: h.gen.devMac }, quick ? 150_000 : 400_000);
      tables.push({ title: titles.dp, rows });
    } else if (o.dataPlane !== false) {
      tables.push({ title: titles.dp, rows: [{ skipped: dpWhy ?? 'no generator' }] });
    }
  } finally {
    process.off('SIGINT', abort).off('SIGTERM', abort);
    lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  return tables;
}
