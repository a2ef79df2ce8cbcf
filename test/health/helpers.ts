// A fake clock with timers, a scripted probe and a recording router for the
// health monitor's unit tests: every rule is stepped in virtual time.
import type { HealthUpdate, MonitorDeps } from '../../src/health/monitor.js';
import type { CheckSpec, CheckTiming, HealthConfig, ProbeResult, ProbeTarget, ServerChecks, ServiceHealth } from '../../src/health/types.js';
import type { Logger } from '../../src/router/log.js';

export class FakeClock {
  t = 0;
  private seq = 0;
  private timers: Array<{ id: number; at: number; fn: () => void }> = [];

  set = (fn: () => void, ms: number): number => {
    const id = ++this.seq;
    this.timers.push({ id, at: this.t + Math.max(0, ms), fn });
    return id;
  };

  clear = (id: unknown): void => {
    this.timers = this.timers.filter((x) => x.id !== id);
  };

  sleep = (ms: number): Promise<void> => new Promise((r) => this.set(r, ms));

  /** Runs every timer due within the next `ms`, in time order, letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
    await settle();
  }

  get pending(): number {
    return this.timers.length;
  }
}

export async function settle(): Promise<void> {
  for (let k = 0; k < 20; k++) await Promise.resolve();
}

/** Probe results by "address:port": true, false, or a ProbeResult; unknown servers pass. */
export class ScriptedProbe {
  readonly results = new Map<string, boolean | Partial<ProbeResult>>();
  calls = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** When set, probes wait for release() before answering. */
  hold = false;
  private held: Array<() => void> = [];

  probe = async (_spec: CheckSpec, t: ProbeTarget): Promise<ProbeResult> => {
    this.calls++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (this.hold) await new Promise<void>((r) => this.held.push(r));
    this.inFlight--;
    const r = this.results.get(`${t.address}:${t.port}`) ?? true;
    if (typeof r === 'boolean') return { ok: r, detail: r ? 'ok' : 'connection refused', ms: 1 };
    return { ok: true, detail: 'ok', ms: 1, ...r };
  };

  release(): void {
    for (const r of this.held.splice(0)) r();
  }
}

export function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${msg}${fields && Object.keys(fields).length ? ' ' + JSON.stringify(fields) : ''}`);
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const TCP: CheckSpec = { kind: 'tcp', port: null };
export const NANNY: CheckSpec = { kind: 'nanny', protocol: 'tcp', send: null, expect: null, useRegex: false, sendProgram: null };

export function timing(t: Partial<CheckTiming> = {}): CheckTiming {
  return {
    interval: 2, connectTimeout: 1, retry: 0, delayBeforeRetry: 1, rise: 1, fall: 1, warmup: 0, alpha: false,
    inhibitOnFailure: false, notifyUp: null, notifyDown: null, ...t,
  };
}

export const SERVICE = 'TCP 198.18.0.10:80';

export function server(i: number, o: Partial<ServerChecks> & { t?: Partial<CheckTiming> } = {}): ServerChecks {
  const { t, ...rest } = o;
  return { service: SERVICE, address: `198.19.0.${10 + i}`, port: 80, weight: 1, checks: [TCP], timing: timing(t), reentry: 0, ...rest };
}

export function config(servers: ServerChecks[], o: Partial<ServiceHealth> = {}, hardShutdown = true): HealthConfig {
  return { hardShutdown, services: [{ service: SERVICE, sorryServer: null, quorum: 1, hysteresis: 0, quorumUp: null, quorumDown: null, servers, ...o }] };
}

/** Monitor deps on a fake clock; `applied` collects what reached the router. */
export function fakeDeps(clock: FakeClock, probe: ScriptedProbe, extra: Partial<MonitorDeps> = {}) {
  const applied: HealthUpdate[] = [];
  const ran: string[] = [];
  const log = recordingLog();
  const deps: MonitorDeps = {
    probe: probe.probe,
    apply: async (u) => {
      applied.push(u);
    },
    log,
    now: () => clock.t,
    timers: { set: clock.set, clear: clock.clear },
    sleep: clock.sleep,
    random: () => 0.5,
    run: (cmd) => ran.push(cmd),
    ...extra,
  };
  return { deps, applied, ran, log };
}
