// The control group of `npm run bench -- control [--quick] [--inline]`: table
// changes through the control API, and what a change costs the data plane. As
// root with the native addon, the router runs in a namespace lab with the worker
// data plane (lab.ts); elsewhere, or with --inline, in this process with the data
// plane inline on a memory port. The in-process apply() timing runs either way.
import type { Row } from '../lib/report.js';
import { runApplyBench } from './apply.bench.js';
import { runChangesBench } from './changes.bench.js';
import { labUnavailable, runInLab } from './lab.js';

export interface Table {
  title: string;
  rows: Row[];
}

export async function runControlBench(opts: { quick?: boolean; inline?: boolean } = {}): Promise<Table[]> {
  const quick = opts.quick ?? false;
  const why = opts.inline ? '--inline' : labUnavailable();
  const tables: Table[] = [];
  if (why === null) {
    const lab = await runInLab(quick);
    tables.push({ title: 'control: table changes through the API (worker data plane, namespace lab)', rows: lab.changes });
    tables.push({ title: 'control: data plane stall during changes (worker data plane forwarding a flood, namespace lab)', rows: lab.stall });
  } else {
    const rows = await runChangesBench({ kind: 'inline', quick, nat: true });
    tables.push({ title: 'control: table changes through the API (inline data plane)', rows: rows.map((r) => ({ ...r, note: `inline: ${why}` })) });
  }
  tables.push({ title: 'control: DataPlaneHost.apply per change (inline data plane, in-process)', rows: await runApplyBench({ quick }) });
  return tables;
}
