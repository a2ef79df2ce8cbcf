// The lab's background processes: started inside a namespace, recorded by PID
// and start time (so a recycled PID is never mistaken for ours), ended by PID
// with a bounded wait. LAB-NOTES gotcha 10: `ip netns exec` execs the command,
// so the PID we get is the command's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface ProcRecord {
  pid: number;
  ns: string;
  /** What it is, e.g. "httpd rs1" or "tsvs start". */
  label: string;
  cmd: string[];
  /** /proc/PID/stat field 22 (start time in clock ticks since boot): PID identity. */
  startTime: string | null;
  logPath?: string;
}

/** Field 22 of /proc/PID/stat; null when there is no such process. */
export function procStartTime(pid: number): string | null {
  return procStat(pid)?.start ?? null;
}

function procStat(pid: number): { state: string; start: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parentheses: the fields start after the last ')'.
    // rest[0] is field 3 (state), so field 22 (starttime) is rest[19].
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], start: rest[19] };
  } catch {
    return null;
  }
}

/** Alive, not a zombie, and (when given) still the process that started at `startTime`. */
export function isAlive(pid: number, startTime?: string | null): boolean {
  const s = procStat(pid);
  if (!s || s.state === 'Z' || s.state === 'X') return false;
  return startTime == null || s.start === startTime;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * SIGTERM, wait up to `graceMs`, SIGKILL what is left, wait up to 1 s more.
 * Only PIDs still matching their start time are signalled. Returns the PIDs still alive.
 */
export async function endProcesses(procs: Array<{ pid: number; startTime?: string | null }>, graceMs = 2000): Promise<number[]> {
  const signal = (sig: NodeJS.Signals) => {
    for (const p of procs) {
      if (!isAlive(p.pid, p.startTime)) continue;
      try {
        process.kill(p.pid, sig);
      } catch {
        /* gone meanwhile */
      }
    }
  };
  const waitAll = async (ms: number) => {
    const until = Date.now() + ms;
    while (Date.now() < until && procs.some((p) => isAlive(p.pid, p.startTime))) await sleep(20);
  };
  signal('SIGTERM');
  await waitAll(graceMs);
  signal('SIGKILL');
  await waitAll(1000);
  return procs.filter((p) => isAlive(p.pid, p.startTime)).map((p) => p.pid);
}

export interface Spawned {
  child: ChildProcess;
  record: ProcRecord;
}

export interface SpawnInNsOptions {
  label: string;
  /** stdout and stderr are appended here (default: discarded). */
  logPath?: string;
  /** Keep stdout as a pipe (e.g. to read a ready line); stderr still goes to logPath. */
  pipeStdout?: boolean;
}

/**
 * Starts `ip netns exec NS CMD...` detached (its own process group, so it
 * outlives a CLI that exits and is not hit by the terminal's Ctrl-C).
 */
export function spawnInNs(ns: string, cmd: string[], o: SpawnInNsOptions): Spawned {
  const fd = o.logPath ? openSync(o.logPath, 'a') : null;
  const out = fd ?? 'ignore';
  let child: ChildProcess;
  try {
    child = spawn('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', o.pipeStdout ? 'pipe' : out, out], detached: true });
  } finally {
    if (fd !== null) closeSync(fd);
  }
  child.on('error', () => {}); // reported through exit / the ready wait
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start ${cmd[0]} in ${ns}: spawn failed`);
  return { child, record: { pid, ns, label: o.label, cmd, startTime: procStartTime(pid), ...(o.logPath ? { logPath: o.logPath } : {}) } };
}

/** Resolves with the first stdout line, or rejects on exit or after `timeoutMs`. */
export function firstLine(child: ChildProcess, timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const done = (err: Error | null, line?: string) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(line!);
    };
    const onData = (b: Buffer) => {
      buf += b.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(null, buf.slice(0, nl));
    };
    const onExit = (code: number | null, sig: string | null) => done(new Error(`${what} exited (${code ?? sig}) before it was ready`));
    const timer = setTimeout(() => done(new Error(`${what} not ready after ${timeoutMs} ms`)), timeoutMs);
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}
