// `tsvs lab down`: ends the lab's processes by PID (recorded ones first, then
// whatever `ip netns pids` finds inside its namespaces, which would otherwise
// keep a deleted namespace alive), deletes its namespaces (which deletes their
// veths and bridges), removes the state directory. Idempotent; also cleans up
// after a crashed run, by the namespace prefix tsvs-<name>-.
import { rmSync } from 'node:fs';
import { checkLabName, isLabNamespace, stateDir } from './names.js';
import { LabError, netnsList, netnsPids, run } from './netns.js';
import { endProcesses } from './procs.js';
import { readState } from './state.js';

export interface DownReport {
  name: string;
  /** Namespaces deleted. */
  namespaces: string[];
  /** PIDs ended (recorded ones and those found inside the namespaces). */
  processes: number[];
}

export async function labDown(name: string): Promise<DownReport> {
  checkLabName(name);
  const dir = stateDir(name);
  const state = readState(dir);
  const report: DownReport = { name, namespaces: [], processes: [] };
  const problems: string[] = [];

  const recorded = state?.processes ?? [];
  const stuck = await endProcesses(recorded);
  report.processes.push(...recorded.map((p) => p.pid).filter((pid) => !stuck.includes(pid)));

  const existing = await netnsList();
  const ours = existing.filter((ns) => isLabNamespace(name, ns));

  const inside = [...new Set((await Promise.all(ours.map(netnsPids))).flat())];
  const left = await endProcesses(inside.map((pid) => ({ pid })));
  report.processes.push(...inside.filter((pid) => !left.includes(pid) && !report.processes.includes(pid)));
  for (const pid of [...stuck, ...left]) problems.push(`process ${pid} did not end after SIGKILL`);

  await Promise.all(
    ours.map(async (ns) => {
      const r = await run('ip', ['netns', 'del', ns]);
      if (r.code === 0) report.namespaces.push(ns);
      else problems.push(`ip netns del ${ns} failed: ${r.stderr.trim() || r.code}`);
    }),
  );
  report.namespaces.sort();

  if (problems.length === 0) rmSync(dir, { recursive: true, force: true });
  else throw new LabError(`lab ${name}: not everything could be removed (state kept in ${dir}):\n${problems.join('\n')}`);
  return report;
}
