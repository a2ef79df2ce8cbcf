// MISC_CHECK: a command's exit status decides, exactly as keepalived's
// check_misc.c (misc_check_child_thread) reads it:
//   if (status == 0 || (misck_checker->dynamic && status >= 2 && status <= 255))
//     ... if (misck_checker->dynamic && status != 0) update_svr_wgt(status - 2, ...)
// so 0 passes; with misc_dynamic 2..255 pass too and set the weight to status - 2
// (0..253); every other status (1, and 2..255 without misc_dynamic) fails, and
// so does a command ended by a signal or by its timeout (misc_timeout, else the
// attempt's; shell.ts ends it the way keepalived does).
import type { ProbeResult, ProbeTarget } from '../types.js';
import { clampTimeout, since, timedOut } from './attempt.js';
import { runShell, substitute } from './shell.js';

export interface MiscSpec {
  command: string;
  /** Seconds; null: the attempt's timeout. */
  timeout: number | null;
  dynamic: boolean;
}

export async function miscProbe(spec: MiscSpec, target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  const t0 = performance.now();
  const limit = clampTimeout(spec.timeout !== null ? spec.timeout * 1000 : timeoutMs);
  const end = await runShell(substitute(spec.command, target), { timeoutMs: limit, signal });
  const result = (ok: boolean, detail: string, weight?: number): ProbeResult => ({ ok, detail, ms: since(t0), ...(weight !== undefined ? { weight } : {}) });
  switch (end.how) {
    case 'exit':
      return exitVerdict(end.code, spec.dynamic, result);
    case 'signal':
      return result(false, `killed by ${end.signal}`);
    case 'timeout':
      return result(false, timedOut(limit));
    case 'aborted':
      return result(false, 'aborted');
    case 'error':
      return result(false, end.message);
  }
}

function exitVerdict(code: number, dynamic: boolean, result: (ok: boolean, detail: string, weight?: number) => ProbeResult): ProbeResult {
  if (code === 0) return result(true, 'exit 0');
  if (dynamic && code >= 2 && code <= 255) return result(true, `exit ${code}`, code - 2);
  return result(false, `exit ${code}`);
}
