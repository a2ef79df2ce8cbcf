// One round of a server's checks: every check at once (all must pass), each
// tried 1 + `retry` times with `delay_before_retry` between attempts, as
// keepalived's checkers retry before they call a server down.
import type { RoundResult } from './state.js';
import type { CheckSpec, ProbeResult, ProbeTarget, ServerChecks } from './types.js';

export type Probe = (spec: CheckSpec, target: ProbeTarget, timeoutMs: number, signal?: AbortSignal) => Promise<ProbeResult>;
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export async function runRound(s: ServerChecks, probe: Probe, sleep: Sleep, signal?: AbortSignal): Promise<RoundResult & { ms: number }> {
  const target: ProbeTarget = { address: s.address, port: s.port };
  const results = await Promise.all(s.checks.map((c) => attempt(c, s, target, probe, sleep, signal)));
  const failed = results.findIndex((r) => !r.ok);
  const ms = Math.max(0, ...results.map((r) => r.ms));
  if (failed >= 0) return { ok: false, detail: label(s.checks[failed], results[failed].detail, s.checks.length), ms };
  const weights = results.map((r) => r.weight).filter((w): w is number => w !== undefined);
  const detail = results.length === 1 ? results[0].detail : `${results.length} checks passed`;
  return weights.length ? { ok: true, detail, ms, weight: Math.min(...weights) } : { ok: true, detail, ms };
}

async function attempt(c: CheckSpec, s: ServerChecks, target: ProbeTarget, probe: Probe, sleep: Sleep, signal?: AbortSignal): Promise<ProbeResult> {
  const t = s.timing;
  let r = await probe(c, target, t.connectTimeout * 1000, signal);
  for (let k = 0; k < t.retry && !r.ok && !signal?.aborted; k++) {
    await sleep(t.delayBeforeRetry * 1000, signal);
    if (signal?.aborted) break;
    r = await probe(c, target, t.connectTimeout * 1000, signal);
  }
  return r;
}

/** "http: status 500" when a server has several checks, so the log says which failed. */
function label(c: CheckSpec, detail: string, checks: number): string {
  return checks > 1 ? `${c.kind}: ${detail}` : detail;
}
