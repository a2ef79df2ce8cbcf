// One real server's health, as a state machine driven by the results of its
// check rounds and a clock (no timers, no sockets: the monitor drives it, tests
// step it). The rules are nanny's and keepalived's:
// - a server starts up (Piranha's nanny and keepalived put it in the table at
//   once), or down with `alpha` until it passes;
// - `fall` failed rounds in a row take it down (nanny: 1);
// - it comes back after `rise` good rounds in a row, or, for nanny, after
//   `reentry` seconds of them: countThresh = reentry / interval rounds (only
//   after a failure: nanny adds a server it has not seen fail at its first pass);
// - nanny brings a server back with a slow start: weight max(1, weight >> 5),
//   doubled every max(interval, 20 s) until it reaches the configured weight;
// - a dynamic check (MISC_CHECK misc_dynamic) sets the running weight;
// - an operator can force it up or down (nanny's SIGUSR1 / SIGUSR2: "rose-colored
//   glasses" / "opaque glasses") or drain it (weight 0, connections finish),
//   while its checks keep running and its own state keeps moving underneath.
import type { Verdict } from '../control/desired.js';
import { loadWeight as loadWeightAfter } from './load.js';
import type { ServerChecks } from './types.js';

export type Force = 'up' | 'down' | 'drain' | null;

export interface RoundResult {
  ok: boolean;
  detail: string;
  /** A dynamic check's weight. */
  weight?: number;
}

export interface Change {
  /** 'up' or 'down': the checked state changed (forcing does not count). */
  to: 'up' | 'down';
  /** Why, in a log's words: "connection refused", "3 checks passed". */
  reason: string;
}

const SLOW_START_MIN_STEP_S = 20;

export class ServerHealth {
  /** The state the checks give (forcing aside). */
  state: 'up' | 'down';
  force: Force = null;
  okStreak = 0;
  failStreak = 0;
  last: { at: number; ok: boolean; detail: string } | null = null;
  lastChange: { at: number; to: 'up' | 'down'; reason: string } | null = null;
  /** Weight from a dynamic check; null: the configured one. */
  private dynamicWeight: number | null = null;
  /** Weight from nanny's load monitor; null: the configured one. */
  private loadWeight: number | null = null;
  /** While a slow start runs: its weight now and when it doubles next (ms). */
  private slow: { weight: number; next: number } | null = null;
  /** Whether it went down since it was created (nanny counts reentry only then). */
  private failed = false;

  constructor(
    public spec: ServerChecks,
    now: number,
  ) {
    this.state = spec.checks.length > 0 && spec.timing.alpha ? 'down' : 'up';
    this.lastChange = { at: now, to: this.state, reason: this.state === 'down' ? 'alpha: starts down until it passes' : 'starts up' };
  }

  /** Good rounds in a row that bring a down server back. */
  get riseNeeded(): number {
    const t = this.spec.timing;
    // nanny: countThresh = reentryTime / interval (integer division), at least one.
    if (this.spec.reentry > 0) return this.failed ? Math.max(1, Math.floor(this.spec.reentry / Math.max(1, t.interval))) : 1;
    return Math.max(1, t.rise);
  }

  /** A round's result at `now` (ms); returns the change of state it causes, if any. */
  record(r: RoundResult, now: number): Change | null {
    this.last = { at: now, ok: r.ok, detail: r.detail };
    if (r.ok) {
      this.failStreak = 0;
      this.okStreak++;
      if (r.weight !== undefined) this.dynamicWeight = r.weight;
      if (this.state === 'down' && this.okStreak >= this.riseNeeded) return this.change('up', this.riseReason(), now);
      return null;
    }
    this.okStreak = 0;
    this.failStreak++;
    if (this.state === 'up' && this.failStreak >= Math.max(1, this.spec.timing.fall)) return this.change('down', r.detail, now);
    return null;
  }

  /** Advances a slow start; returns true when the weight it gives changed. */
  tick(now: number): boolean {
    const s = this.slow;
    if (!s || now < s.next) return false;
    const full = this.spec.weight;
    s.weight = Math.min(full, s.weight * 2);
    s.next = now + this.slowStep();
    if (s.weight >= full) this.slow = null;
    return true;
  }

  /** Whether the server takes new connections, forcing included. */
  get serving(): boolean {
    if (this.force === 'down') return false;
    if (this.force === 'up') return true;
    return this.state === 'up';
  }

  /** The weight it runs with while serving. */
  get weight(): number {
    if (this.force === 'drain') return 0;
    if (this.slow) return this.slow.weight;
    return this.dynamicWeight ?? this.loadWeight ?? this.spec.weight;
  }

  /**
   * A load reading (nanny's adjustWeight): moves the weight once a slow start is
   * over; returns true when the weight changed.
   */
  applyLoad(load: number): boolean {
    if (this.slow || this.state !== 'up') return false;
    const next = loadWeightAfter(this.loadWeight ?? this.spec.weight, this.spec.weight, load);
    if (next === null) return false;
    this.loadWeight = next;
    return true;
  }

  /** What the router's desired state should hold for this server; null: run it as configured. */
  verdict(): Verdict | null {
    if (!this.serving) return { up: false, quiesce: this.spec.timing.inhibitOnFailure };
    const w = this.weight;
    return w === this.spec.weight ? null : { up: true, weight: w };
  }

  /** A reload gave the server new settings; its state stays (no flap on SIGHUP). */
  respec(spec: ServerChecks): void {
    this.spec = spec;
    if (this.slow && this.slow.weight >= spec.weight) this.slow = null;
  }

  private change(to: 'up' | 'down', reason: string, now: number): Change {
    this.state = to;
    if (to === 'down') this.failed = true;
    this.loadWeight = null;
    this.lastChange = { at: now, to, reason };
    this.slow = null;
    // Only nanny slow-starts (keepalived and IPVS put the full weight in at once).
    if (to === 'up' && this.spec.checks.some((c) => c.kind === 'nanny') && this.spec.weight > 1) {
      this.slow = { weight: Math.max(1, this.spec.weight >> 5), next: now + this.slowStep() };
    }
    return { to, reason };
  }

  private slowStep(): number {
    return 1000 * Math.max(this.spec.timing.interval, SLOW_START_MIN_STEP_S);
  }

  private riseReason(): string {
    const n = this.okStreak;
    return this.spec.reentry > 0 && this.failed ? `passed for ${this.spec.reentry} s (${n} check${n === 1 ? '' : 's'})` : `${n} check${n === 1 ? '' : 's'} passed`;
  }
}
