// This process's threads, from /proc (Linux): which one is the data plane's
// worker, what CPU time and run-queue wait each has had (schedstat), and pinning
// one to a CPU. On a 2-vCPU machine the data plane, the control plane and the
// generator cannot each have a core: pinning gives the data plane one of its own,
// so a gap it shows is its own work (or another process's), not the control plane
// taking its CPU; the run-queue wait says how much of a gap it spent waiting.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export const hasProc = (): boolean => existsSync('/proc/self/task');

export function tids(): number[] {
  return readdirSync('/proc/self/task').map(Number);
}

/** CPU time (user + system) of thread `tid`, in clock ticks. */
export function cpuTicks(tid: number): number {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** Nanoseconds thread `tid` has run and has waited on a run queue (/proc/.../schedstat). */
export function schedstat(tid: number): { runNs: number; waitNs: number } {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return { runNs: run, waitNs: wait };
  } catch {
    return { runNs: NaN, waitNs: NaN };
  }
}

/** Sets the CPU affinity of one thread (taskset -p takes a thread id as well as a pid). */
export function pin(tid: number, cpuList: string): boolean {
  return spawnSync('taskset', ['-p', '-c', cpuList, String(tid)], { stdio: 'ignore' }).status === 0;
}

export interface Pinning {
  /** The data plane's thread. */
  tid: number;
  /** What was done, for the table. */
  note: string;
  /** Every thread back on every CPU. */
  undo(): void;
}

/**
 * Pins `dataPlaneTid` to CPU 0 and every other thread of this process to the rest
 * (CPU 1 on two CPUs, which the generator shares). With one CPU nothing is pinned.
 */
export function pinDataPlane(dataPlaneTid: number): Pinning {
  const n = cpus().length;
  const all = `0-${n - 1}`;
  if (n < 2) return { tid: dataPlaneTid, note: 'one CPU: nothing pinned', undo: () => {} };
  const rest = n >= 3 ? `1-${n - 2}` : `${n - 1}`;
  const ok = pin(dataPlaneTid, '0') && tids().filter((t) => t !== dataPlaneTid).every((t) => pin(t, rest));
  return {
    tid: dataPlaneTid,
    note: ok ? `data plane thread on CPU 0, the router's other threads on ${rest}, the generator on ${n - 1}` : 'pinning failed (taskset)',
    undo: () => {
      for (const t of tids()) pin(t, all);
    },
  };
}

/** Of threads `candidates`, the one that has used the most CPU (the data plane, under a flood). */
export function busiest(candidates: number[]): number {
  let best = candidates[0];
  for (const t of candidates) if (cpuTicks(t) > cpuTicks(best)) best = t;
  return best;
}
