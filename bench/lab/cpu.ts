// Where the lab's work runs and what it costs (LAB-NOTES, method): the router (its
// process and the receive work of its interfaces, through RPS) on one core,
// everything else on the other; the router's cost is that core's busy time from
// /proc/stat, less what it is busy with when nothing runs, divided by what was done.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { Lab } from '../../src/lab/index.js';
import { run } from '../../src/lab/index.js';

export const ROUTER_CPU = 0;
/** The last core: bench/io/generator.ts pins the UDP generator there too. */
export const OTHER_CPU = Math.max(0, cpus().length - 1);

const mask = (cpu: number): string => (1 << cpu).toString(16);

/**
 * Seconds one core spent idle (idle + iowait) since boot. Busy time is elapsed time
 * minus this, not the sum of the user/system/softirq fields: those are sampled at the
 * tick (250 Hz here), and work that runs just after a tick, such as an AF_PACKET reader
 * woken by the ring's block timer, escapes the sample (tsvs's keep-alive cost read a
 * third of its real value that way), whereas idle time is clocked at each idle entry
 * and exit. Steal is left out: this hypervisor's steal clock also runs while the core
 * idles (idle + steal exceeds the elapsed time).
 */
export function coreIdle(cpu: number): number {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${cpu} `));
  if (!line) throw new Error(`/proc/stat has no cpu${cpu}`);
  const v = line.trim().split(/\s+/).slice(1, 6).map(Number); // user nice system idle iowait
  return (v[3] + v[4]) / 100; // USER_HZ: /proc/stat counts in 1/100 s
}

/** Runs `fn` and measures the router core's busy time meanwhile (seconds), and the elapsed time. */
export async function onRouterCore<T>(fn: () => Promise<T>): Promise<{ value: T; busyS: number; elapsedS: number; utilisation: number }> {
  const t0 = performance.now();
  const n0 = coreIdle(ROUTER_CPU);
  const value = await fn();
  const n1 = coreIdle(ROUTER_CPU);
  const elapsedS = (performance.now() - t0) / 1000;
  const busyS = Math.max(0, elapsedS - (n1 - n0));
  return { value, busyS, elapsedS, utilisation: Math.min(1, busyS / elapsedS) };
}

/** rps_cpus of every rx queue of `devs` in a namespace. */
async function setRps(lab: Lab, role: string, devs: string[], cpu: number): Promise<void> {
  const script = devs.map((d) => `for q in /sys/class/net/${d}/queues/rx-*/rps_cpus; do echo ${mask(cpu)} > $q; done`).join('; ');
  await lab.exec(role, ['sh', '-c', script], { check: true });
}

/** Pins a process and all its threads. */
export async function pinPid(pid: number, cpu: number): Promise<void> {
  const r = await run('taskset', ['-a', '-p', '-c', String(cpu), String(pid)]);
  if (r.code !== 0) throw new Error(`taskset -p ${pid}: ${r.stderr.trim()}`);
}

/**
 * Router interfaces' receive work on the router core; the client's and the real
 * servers' on the other, with the lab's processes (the real servers' httpd).
 */
export async function pinLab(lab: Lab): Promise<void> {
  await setRps(lab, 'router', lab.routerDevices, ROUTER_CPU);
  await setRps(lab, 'client', ['eth0'], OTHER_CPU);
  for (const rs of lab.serverNames) await setRps(lab, rs, ['eth0'], OTHER_CPU);
  for (const p of lab.processes) await pinPid(p.pid, OTHER_CPU);
}

/** Pins this process to the other core for the bench; returns how to undo it. */
export async function pinSelf(): Promise<() => Promise<void>> {
  const r = await run('taskset', ['-p', String(process.pid)]);
  const was = /:\s*([0-9a-f]+)\s*$/.exec(r.stdout.trim())?.[1];
  await pinPid(process.pid, OTHER_CPU);
  return async () => {
    if (was) await run('taskset', ['-a', '-p', was, String(process.pid)]);
  };
}
