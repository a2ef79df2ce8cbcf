// Running a check's command (MISC_CHECK's misc_path, nanny's send_program):
// `/bin/sh -c` with %h and %p substituted, in a process group of its own so
// that a timeout ends everything the command started, not only the shell.
//
// Ending it follows keepalived's check_misc.c (misc_check_child_thread): at the
// deadline SIGTERM to the whole group (kill(-pid)), SIGKILL 2 s later if it is
// still there, and once the shell is gone a SIGKILL to the group "to make sure
// any children it created have died too". The promise settles only when the
// child has exited, so nothing of it outlives the attempt.
import { spawn } from 'node:child_process';
import type { ProbeTarget } from '../types.js';
import { clampTimeout } from './attempt.js';

/** keepalived's grace between SIGTERM and SIGKILL (check_misc.c: `timeout = 2`). */
export const KILL_GRACE_MS = 2000;
/** After SIGKILL, how long to wait for the exit before answering anyway (a process stuck in the kernel). */
const REAP_WAIT_MS = 1000;

export type ShellEnd =
  | { how: 'exit'; code: number; stdout: Buffer }
  | { how: 'signal'; signal: string; stdout: Buffer }
  | { how: 'timeout' }
  | { how: 'aborted' }
  | { how: 'error'; message: string };

export interface ShellOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Keep at most this many bytes of standard output (the rest is read and dropped); 0: discard it. */
  stdoutCap?: number;
}

/** Piranha's send_program placeholders (lvs.cf: "%h real IP, %p port"), also applied to misc commands. */
export function substitute(command: string, target: ProbeTarget): string {
  return command.replaceAll('%h', target.address).replaceAll('%p', String(target.port));
}

export function runShell(command: string, o: ShellOptions): Promise<ShellEnd> {
  if (o.signal?.aborted) return Promise.resolve({ how: 'aborted' });
  const cap = o.stdoutCap ?? 0;
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', cap > 0 ? 'pipe' : 'ignore', 'ignore'] });
    const chunks: Buffer[] = [];
    let kept = 0;
    let stopping: 'timeout' | 'aborted' | null = null;
    const timers: NodeJS.Timeout[] = [];
    const group = (sig: NodeJS.Signals): void => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // ESRCH: the whole group is gone already.
      }
    };
    let done = false;
    const finish = (end: ShellEnd): void => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      o.signal?.removeEventListener('abort', onAbort);
      if (stopping) group('SIGKILL');
      child.stdout?.destroy();
      resolve(end);
    };
    const stop = (why: 'timeout' | 'aborted'): void => {
      if (stopping || done) return;
      stopping = why;
      group('SIGTERM');
      timers.push(setTimeout(() => group('SIGKILL'), KILL_GRACE_MS));
      timers.push(setTimeout(() => finish({ how: why }), KILL_GRACE_MS + REAP_WAIT_MS));
    };
    const onAbort = (): void => stop('aborted');

    child.stdout?.on('data', (b: Buffer) => {
      if (kept >= cap) return;
      chunks.push(b.subarray(0, cap - kept));
      kept += Math.min(b.length, cap - kept);
    });
    child.on('error', (e) => finish({ how: 'error', message: `cannot run /bin/sh: ${e.message}` }));
    // 'close': the shell has exited and its standard output is at its end (all of it read).
    child.on('close', (code, sig) => {
      if (stopping) return finish({ how: stopping });
      const stdout = Buffer.concat(chunks);
      finish(code !== null ? { how: 'exit', code, stdout } : { how: 'signal', signal: sig ?? 'unknown signal', stdout });
    });
    timers.push(setTimeout(() => stop('timeout'), clampTimeout(o.timeoutMs)));
    o.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
