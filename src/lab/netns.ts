// Small wrappers around `ip` and friends for the lab: every command is bounded
// by a timeout, and a failure is one clear line naming the command, what it
// said, and the usual cause. Nothing here touches the root namespace's links,
// addresses or routes: `ip -n NS ...` and `ip netns exec NS ...` only.
import { spawn } from 'node:child_process';

export class LabError extends Error {
  override name = 'LabError';
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  input?: string;
  /** Kill the command (its whole process group) after this long. Default 10 s. */
  timeoutMs?: number;
  /** Bytes of stdout/stderr kept; the rest is dropped. Default 16 MiB. */
  maxOutput?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Runs a command to completion, bounded in time; never throws for a non-zero exit. */
export function run(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const max = opts.maxOutput ?? 16 << 20;
  return new Promise((resolve) => {
    // Own process group, so that a timeout also ends what a shell started.
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.stdout.on('data', (b: Buffer) => {
      if (outLen < max) out.push(b);
      outLen += b.length;
    });
    child.stderr.on('data', (b: Buffer) => {
      if (errLen < max) err.push(b);
      errLen += b.length;
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: spawnError ? `${file}: ${spawnError.message}` : Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    };
    child.on('error', (e) => finish(127, null, e));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

function describeFailure(what: string, r: RunResult): string {
  if (r.timedOut) return `${what} timed out`;
  const said = r.stderr.trim().split('\n').slice(0, 5).join('; ') || `exit status ${r.code ?? r.signal}`;
  const hint = /Operation not permitted|Permission denied|must be root/i.test(said) || process.getuid?.() !== 0 ? ' (are you root?)' : '';
  const missing = /ENOENT/.test(said) ? ' (is it installed? see scripts/setup.sh)' : '';
  return `${what} failed: ${said}${hint}${missing}`;
}

/** Runs a command and throws a LabError naming it when it fails. */
export async function runOk(what: string, file: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(file, args, opts);
  if (r.code !== 0) throw new LabError(describeFailure(what, r));
  return r.stdout;
}

/** `ip [-n NS] ARGS`. */
export function ip(args: string[], ns?: string, opts: RunOptions = {}): Promise<string> {
  const full = ns ? ['-n', ns, ...args] : args;
  return runOk(`ip ${full.join(' ')}`, 'ip', full, opts);
}

/** Several `ip` commands in one process (`ip -n NS -batch -`); stops at the first failure. */
export function ipBatch(lines: string[], ns?: string): Promise<string> {
  if (lines.length === 0) return Promise.resolve('');
  const args = [...(ns ? ['-n', ns] : []), '-batch', '-'];
  return runOk(`ip ${ns ? `-n ${ns} ` : ''}-batch (${lines[0]}${lines.length > 1 ? `, ... ${lines.length} commands` : ''})`, 'ip', args, {
    input: lines.join('\n') + '\n',
  });
}

/** Runs a command inside a namespace: `ip netns exec NS CMD...`. */
export function nsRun(ns: string, cmd: string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('ip', ['netns', 'exec', ns, ...cmd], opts);
}

/** Every namespace name `ip netns list` shows. */
export async function netnsList(): Promise<string[]> {
  const out = await runOk('ip netns list', 'ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n.length > 0);
}

/** PIDs of the processes inside a namespace (empty when it does not exist). */
export async function netnsPids(ns: string): Promise<number[]> {
  const r = await run('ip', ['netns', 'pids', ns]);
  if (r.code !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => Number.parseInt(l.trim(), 10))
    .filter((n) => Number.isInteger(n) && n > 1);
}

/** Sets sysctls inside a namespace in one exec; `-e` tolerates keys this kernel lacks (e.g. no IPv6). */
export async function nsSysctl(ns: string, settings: Record<string, string | number>): Promise<void> {
  const kv = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
  if (kv.length === 0) return;
  const r = await nsRun(ns, ['sysctl', '-q', '-e', '-w', ...kv]);
  if (r.code !== 0) throw new LabError(describeFailure(`sysctl in ${ns}`, r));
}

/** Addresses per device in a namespace: IPv4 ones, and IPv6 ones of global scope (a --ipv6 lab's): `dev -> ["198.18.0.2/24", "2001:2:0:1::2/64"]`. */
export async function nsAddresses(ns: string): Promise<Record<string, string[]>> {
  const out = await ip(['-o', 'addr', 'show'], ns);
  const byDev: Record<string, string[]> = {};
  for (const line of out.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+(inet6?)\s+(\S+).*\bscope (\S+)/.exec(line);
    if (m && (m[2] === 'inet' || m[4] === 'global')) (byDev[m[1]] ??= []).push(m[3]);
  }
  return byDev;
}
