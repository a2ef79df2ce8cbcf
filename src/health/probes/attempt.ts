// One attempt of a socket-based probe: settles once, on its own verdict, its
// deadline or the caller's abort, and closes what it opened before it
// resolves. A probe's body never sees an exception escape: whatever it throws
// becomes a failed result. The shell-based kinds (shell.ts) keep their own
// deadline because they must wait for the killed child before answering.
import type { ProbeResult } from '../types.js';

export interface Attempt {
  /** The deadline of the whole attempt, in ms (already clamped). */
  readonly timeoutMs: number;
  /** Settles the attempt; the first verdict wins and later ones are ignored. */
  ok(detail: string, weight?: number): void;
  fail(detail: string): void;
  readonly settled: boolean;
  /** Runs once when the attempt settles (in the order registered): close a socket, clear a timer. */
  onEnd(cleanup: () => void): void;
  /** Replaces the default verdict at the deadline ("timed out after N ms"). */
  onTimeout(verdict: () => void): void;
}

/** setTimeout's range; a NaN or negative deadline becomes 1 ms rather than an error. */
export function clampTimeout(ms: number): number {
  if (!Number.isFinite(ms) || ms < 1) return 1;
  return Math.min(Math.round(ms), 0x7fffffff);
}

/** Milliseconds since `t0` (a performance.now() reading), to 0.1 ms. */
export function since(t0: number): number {
  return Math.round((performance.now() - t0) * 10) / 10;
}

export function timedOut(ms: number): string {
  return `timed out after ${ms} ms`;
}

export function attempt(timeoutMs: number, signal: AbortSignal | undefined, body: (a: Attempt) => void): Promise<ProbeResult> {
  const t0 = performance.now();
  const deadline = clampTimeout(timeoutMs);
  return new Promise((resolve) => {
    let settled = false;
    const cleanups: Array<() => void> = [];
    let atDeadline = (): void => a.fail(timedOut(deadline));
    const onAbort = (): void => a.fail('aborted');
    const timer = setTimeout(() => atDeadline(), deadline);

    const settle = (ok: boolean, detail: string, weight?: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      for (const c of cleanups) quietly(c);
      const r: ProbeResult = { ok, detail, ms: since(t0) };
      if (weight !== undefined) r.weight = weight;
      resolve(r);
    };
    const a: Attempt = {
      timeoutMs: deadline,
      ok: (detail, weight) => settle(true, detail, weight),
      fail: (detail) => settle(false, detail),
      get settled() {
        return settled;
      },
      onEnd: (c) => {
        if (settled) quietly(c);
        else cleanups.push(c);
      },
      onTimeout: (v) => {
        atDeadline = v;
      },
    };

    if (signal?.aborted) return a.fail('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      body(a);
    } catch (e) {
      a.fail(describeError(e));
    }
  });
}

function quietly(cleanup: () => void): void {
  try {
    cleanup();
  } catch {
    // Closing what is closed already (a dgram socket throws then): nothing is left to release.
  }
}

// errno names as a log line says them; anything else keeps Node's own message.
const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ECONNABORTED: 'connection aborted',
  EPIPE: 'connection closed by the server',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host down',
  ENETDOWN: 'network down',
  ETIMEDOUT: 'timed out',
  EADDRNOTAVAIL: 'local address not available',
  EADDRINUSE: 'local address in use',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EINVAL: 'invalid argument',
};

/** One short line for an error of a socket, a child or a parser. */
export function describeError(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown } | null;
  const code = typeof err?.code === 'string' ? err.code : '';
  if (ERRNO_TEXT[code]) return ERRNO_TEXT[code];
  const message = typeof err?.message === 'string' ? err.message : String(e);
  const line = message.split('\n')[0].trim();
  return (code && !line.includes(code) ? `${code}: ${line}` : line).slice(0, 200) || 'unknown error';
}

/** Received bytes for a detail line: at most `max` of them, quoted, with \r \n \t and \xNN for the unprintable. */
export function quoted(bytes: Uint8Array, max = 60): string {
  let out = '"';
  for (const b of bytes.subarray(0, max)) {
    if (b === 0x22 || b === 0x5c) out += '\\' + String.fromCharCode(b);
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += ESCAPES[b] ?? `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out + '"' + (bytes.length > max ? '...' : '');
}

const ESCAPES: Record<number, string> = { 0x09: '\\t', 0x0a: '\\n', 0x0d: '\\r' };
