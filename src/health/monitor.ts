// The health checks of every real server (Piranha's nannies and lvsd's sorry
// server, keepalived's checkers and quorum), in the control plane's thread. It
// schedules each server's rounds (warmup or a little jitter first, then every
// interval after the last round ended), runs at most `maxConcurrent` rounds at
// once, feeds each result to the server's state machine (state.ts) and the
// service's quorum (quorum.ts), and hands the router what changed: verdicts on
// servers and service overlays (sorry server, quorum lost), batched, so that a
// hundred servers failing together make one table version, not a hundred.
// Nothing here blocks: probes are sockets and child processes.
import { execFile, spawn } from 'node:child_process';
import type { Verdict } from '../control/desired.js';
import type { HealthServerView as ServerView, HealthServiceView as ServiceView } from '../control/types.js';
import { parseIPv4, parseIPv6 } from '../model/index.js';
import type { Logger } from '../router/log.js';
import { loadCommand, LOAD_MIN_PERIOD_S, parseLoad } from './load.js';
import { Quorum } from './quorum.js';
import { runRound, type Probe, type Sleep } from './round.js';
import { ServerHealth, type Change, type Force } from './state.js';

export type { ServerView, ServiceView };
import type { HealthConfig, ServerChecks, ServiceHealth } from './types.js';

/** What the router's desired state should add or take out for a service, whatever its servers' verdicts. */
export interface Overlay {
  /** The sorry server to run (weight 1) instead of the real servers; null: none. */
  sorry: { address: number; port: number } | null;
  /** Quorum lost: the real servers still up come out too (keepalived). */
  suspended: boolean;
}

export interface HealthUpdate {
  /** `address`: an IPv4 server's number, an IPv6 one's text (RFC 5952). */
  verdicts: Array<{ service: string; address: number | string; port: number; verdict: Verdict | null }>;
  overlays: Array<{ service: string; overlay: Overlay | null }>;
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface MonitorDeps {
  probe: Probe;
  /** Puts an update into the running table (Router.applyHealth); resolves once it runs. */
  apply(u: HealthUpdate): Promise<void>;
  log: Logger;
  now?: () => number;
  timers?: Timers;
  sleep?: Sleep;
  random?: () => number;
  /** Runs a notify or quorum command, not waited for. */
  run?: (cmd: string) => void;
  /** Rounds in flight at most (default 512). */
  maxConcurrent?: number;
  /** hard_shutdown: a checker died; the router should stop so that the backup takes over. */
  onDead?: (why: string) => void;
  /** Runs a load monitor's command and resolves with its output (rejects when it fails). */
  readLoad?: (cmd: string, timeoutMs: number) => Promise<string>;
}

interface Entry {
  key: string;
  svc: Svc;
  health: ServerHealth;
  /** As the verdicts carry it: the IPv4 number, or the IPv6 text. */
  address: number | string;
  timer: unknown;
  running: AbortController | null;
  /** The verdict last handed to the router (undefined: none yet). */
  given: Verdict | null | undefined;
  /** How long the last round took (ms). */
  lastMs: number;
  /** The load monitor's timer (nanny -U), when the server has one. */
  loadTimer: unknown;
  /** Whether its load tool failed last time (logged once, until it answers). */
  loadFailed: boolean;
  /** What it adds to its service's weight sum now: its weight while serving, else 0. */
  counted: number;
}

interface Svc {
  cfg: ServiceHealth;
  quorum: Quorum;
  servers: Map<string, Entry>;
  overlay: Overlay | null;
  /**
   * The serving servers' weights added up, kept as each server changes: a
   * round must not walk its service's servers, or a service of 10,000 servers
   * checked every 2 s costs 50 million steps a second.
   */
  weightSum: number;
}

/** Entry.loadTimer while a load reading runs. */
const READING = Symbol('reading');

const realTimers: Timers = { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as NodeJS.Timeout) };

function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

function readCommand(cmd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', cmd], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

function runDetached(cmd: string): void {
  const child = spawn('/bin/sh', ['-c', cmd], { stdio: 'ignore', detached: true });
  child.on('error', () => {});
  child.unref();
}

export class HealthMonitor {
  private services = new Map<string, Svc>();
  private hardShutdown = false;
  private running = 0;
  private readonly waiting: Entry[] = [];
  private started = false;
  private pending: HealthUpdate = { verdicts: [], overlays: [] };
  private flushing: Promise<void> | null = null;
  private flushTimer: unknown = null;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly run: (cmd: string) => void;
  private readonly max: number;
  private readonly readLoad: (cmd: string, timeoutMs: number) => Promise<string>;
  private readonly totals = { roundsOk: 0, roundsFailed: 0, wentUp: 0, wentDown: 0 };

  constructor(private readonly deps: MonitorDeps) {
    this.now = deps.now ?? Date.now;
    this.timers = deps.timers ?? realTimers;
    this.sleep = deps.sleep ?? realSleep;
    this.random = deps.random ?? Math.random;
    this.run = deps.run ?? runDetached;
    this.max = deps.maxConcurrent ?? 512;
    this.readLoad = deps.readLoad ?? readCommand;
  }

  /**
   * Takes a (re)loaded configuration. Servers that stay keep their state (a
   * reload does not flap them); new ones start up, or down with alpha; gone
   * ones stop being checked. Returns the verdicts and overlays the new table
   * must be built with, for the caller to put in before it switches.
   */
  configure(cfg: HealthConfig): HealthUpdate {
    this.hardShutdown = cfg.hardShutdown;
    const now = this.now();
    const next = new Map<string, Svc>();
    const out: HealthUpdate = { verdicts: [], overlays: [] };
    for (const sc of cfg.services) {
      const old = this.services.get(sc.service);
      const servers = new Map<string, Entry>();
      const svc: Svc = old ?? { cfg: sc, quorum: new Quorum(sc.quorum, sc.hysteresis, 0), servers, overlay: null, weightSum: 0 };
      svc.cfg = sc;
      for (const s of sc.servers) {
        const key = `${s.address}:${s.port}`;
        const had = old?.servers.get(key);
        if (had) {
          had.health.respec(s);
          servers.set(key, had);
          old!.servers.delete(key);
        } else {
          servers.set(key, this.entry(svc, key, s, now));
        }
      }
      for (const gone of old?.servers.values() ?? []) this.retire(gone);
      svc.servers = servers;
      svc.quorum.quorum = sc.quorum;
      svc.quorum.hysteresis = sc.hysteresis;
      recount(svc);
      if (!old) svc.quorum.up = svc.weightSum >= sc.quorum;
      next.set(sc.service, svc);
      for (const e of servers.values()) {
        e.given = e.health.verdict();
        out.verdicts.push({ service: sc.service, address: e.address, port: e.health.spec.port, verdict: e.given });
      }
      svc.overlay = this.overlayOf(svc);
      out.overlays.push({ service: sc.service, overlay: svc.overlay });
      if (this.started) for (const e of servers.values()) if (e.timer === null && !e.running) this.schedule(e, this.firstDelay(e));
    }
    for (const [key, svc] of this.services) {
      if (next.has(key)) continue;
      for (const e of svc.servers.values()) this.retire(e);
      out.overlays.push({ service: key, overlay: null });
    }
    this.services = next;
    return out;
  }

  /** Starts checking: each server's first round after its warmup (or a little jitter). */
  start(): void {
    this.started = true;
    for (const svc of this.services.values()) for (const e of svc.servers.values()) this.schedule(e, this.firstDelay(e));
  }

  /** Stops every timer and aborts the rounds in flight. */
  async stop(): Promise<void> {
    this.started = false;
    for (const svc of this.services.values()) for (const e of svc.servers.values()) this.retire(e);
    this.waiting.length = 0;
    if (this.flushTimer !== null) this.timers.clear(this.flushTimer);
    this.flushTimer = null;
    await this.flushing;
  }

  /**
   * Forces a server up or down, drains it (weight 0), or gives it back to its
   * checks (null) - nanny's SIGUSR1/SIGUSR2 over the API. Throws when the server
   * is not checked. Resolves once the table runs it.
   */
  async force(service: string, address: string, port: number, force: Force, who = 'operator'): Promise<ServerView> {
    // Servers are keyed by the text lvs.cf compiled to: an IPv6 address in its canonical form.
    address = address.includes(':') ? parseIPv6(address.replace(/^\[(.*)\]$/, '$1')) ?? address : address;
    const e = this.services.get(service)?.servers.get(`${address}:${port}`);
    if (!e) throw new Error(`no checked real server ${address}:${port} in service ${service}`);
    e.health.force = force;
    this.deps.log.warn(force ? `forcing ${address}:${port} ${force}` : `${address}:${port} back to its checks`, { service, who });
    this.afterChange(e);
    await this.flush();
    return this.serverView(e);
  }

  /** Rounds by result and changes of state since the start; rounds in flight and waiting. */
  counts(): { roundsOk: number; roundsFailed: number; wentUp: number; wentDown: number; inFlight: number; waiting: number } {
    return { ...this.totals, inFlight: this.running, waiting: this.waiting.length };
  }

  view(): ServiceView[] {
    return [...this.services.values()].map((svc) => ({
      service: svc.cfg.service,
      quorum: svc.cfg.quorum,
      hysteresis: svc.cfg.hysteresis,
      quorumUp: svc.quorum.up,
      sorryServer: svc.cfg.sorryServer ? `${svc.cfg.sorryServer.address}:${svc.cfg.sorryServer.port}` : null,
      sorryActive: svc.overlay?.sorry != null,
      servers: [...svc.servers.values()].map((e) => this.serverView(e)),
    }));
  }

  /** Resolves once every change so far is in the running table. */
  async flush(): Promise<void> {
    if (this.flushTimer !== null) {
      this.timers.clear(this.flushTimer);
      this.flushTimer = null;
    }
    while (this.flushing || this.pending.verdicts.length || this.pending.overlays.length) {
      if (this.flushing) {
        await this.flushing;
        continue;
      }
      const u = this.pending;
      this.pending = { verdicts: [], overlays: [] };
      this.flushing = this.deps.apply(u).catch((err: Error) => this.deps.log.error('a health change could not be applied', { problem: err.message })).finally(() => (this.flushing = null));
    }
  }

  private entry(svc: Svc, key: string, s: ServerChecks, now: number): Entry {
    return { key, svc, health: new ServerHealth(s, now), address: parseIPv4(s.address) ?? s.address, timer: null, running: null, given: undefined, lastMs: 0, loadTimer: null, loadFailed: false, counted: 0 };
  }

  private retire(e: Entry): void {
    if (e.timer !== null) this.timers.clear(e.timer);
    e.timer = null;
    if (e.loadTimer !== null && e.loadTimer !== READING) this.timers.clear(e.loadTimer);
    e.loadTimer = null;
    e.running?.abort();
    e.running = null;
    const i = this.waiting.indexOf(e);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  private firstDelay(e: Entry): number {
    const t = e.health.spec.timing;
    // warmup spreads the first checks of many servers (keepalived); without it a
    // little jitter keeps thousands of servers from firing in the same millisecond.
    const spread = t.warmup > 0 ? t.warmup : Math.min(1, t.interval);
    return Math.floor(this.random() * spread * 1000);
  }

  private schedule(e: Entry, ms: number): void {
    if (e.loadTimer === null && e.health.spec.loadMonitor) this.scheduleLoad(e);
    if (e.health.spec.checks.length === 0) return;
    e.timer = this.timers.set(() => {
      e.timer = null;
      this.due(e);
    }, ms);
  }

  private due(e: Entry): void {
    if (this.running >= this.max) {
      this.waiting.push(e);
      return;
    }
    this.running++;
    const ac = new AbortController();
    e.running = ac;
    runRound(e.health.spec, this.deps.probe, this.sleep, ac.signal)
      .then((r) => {
        if (ac.signal.aborted) return;
        const change = e.health.record(r, this.now());
        e.lastMs = r.ms;
        if (r.ok) this.totals.roundsOk++;
        else this.totals.roundsFailed++;
        if (change) this.changed(e, change);
        e.health.tick(this.now());
        this.afterChange(e);
      })
      .catch((err: Error) => this.died(e, err))
      .finally(() => {
        this.running--;
        if (e.running === ac) e.running = null;
        if (!ac.signal.aborted && this.started) this.schedule(e, e.health.spec.timing.interval * 1000);
        const next = this.waiting.shift();
        if (next) this.due(next);
      });
  }

  /** nanny's load monitor: every max(interval, 20 s), the server's load moves its weight. */
  private scheduleLoad(e: Entry): void {
    const period = 1000 * Math.max(e.health.spec.timing.interval, LOAD_MIN_PERIOD_S);
    e.loadTimer = this.timers.set(() => {
      e.loadTimer = READING; // not null: a round ending meanwhile must not start a second timer
      void this.readServerLoad(e).finally(() => {
        if (e.loadTimer !== READING) return; // retired meanwhile
        e.loadTimer = null;
        if (this.started) this.scheduleLoad(e);
      });
    }, period);
  }

  private async readServerLoad(e: Entry): Promise<void> {
    const s = e.health.spec;
    const lm = s.loadMonitor;
    if (!lm || !e.health.serving) return;
    const cmd = loadCommand(lm.tool, s.address, lm.rsh);
    let load: number | null = null;
    try {
      load = parseLoad(await this.readLoad(cmd, 1000 * Math.max(1, s.timing.connectTimeout)));
    } catch {
      load = null;
    }
    if (load === null) {
      if (!e.loadFailed) this.deps.log.warn(`load monitor: no load from ${s.address}:${s.port}; its weight stays`, { service: s.service, command: cmd });
      e.loadFailed = true;
      return;
    }
    e.loadFailed = false;
    if (e.health.applyLoad(load)) {
      this.deps.log.info(`load of ${s.address}:${s.port} is ${load}: weight ${e.health.weight}`, { service: s.service });
      this.afterChange(e);
    }
  }

  /** A checked state changed: log it as nanny does and run its notify command. */
  private changed(e: Entry, c: Change): void {
    const s = e.health.spec;
    const t = s.timing;
    if (c.to === 'down') this.totals.wentDown++;
    else this.totals.wentUp++;
    if (c.to === 'down') {
      this.deps.log.warn(`shutting down ${s.address}:${s.port} due to connection failure`, { service: s.service, reason: c.reason, quiesce: t.inhibitOnFailure });
      if (t.notifyDown) this.run(substitute(t.notifyDown, s));
    } else {
      this.deps.log.info(`making ${s.address}:${s.port} available`, { service: s.service, reason: c.reason });
      if (t.notifyUp) this.run(substitute(t.notifyUp, s));
    }
  }

  /** Recomputes the server's verdict and its service's quorum; queues what changed for the router. */
  private afterChange(e: Entry): void {
    const v = e.health.verdict();
    if (!sameVerdict(v, e.given)) {
      e.given = v;
      this.pending.verdicts.push({ service: e.svc.cfg.service, address: e.address, port: e.health.spec.port, verdict: v });
    }
    const svc = e.svc;
    const counted = e.health.serving ? e.health.weight : 0;
    svc.weightSum += counted - e.counted;
    e.counted = counted;
    const q = svc.quorum.update(svc.weightSum);
    if (q) this.quorumChanged(svc, q);
    const overlay = this.overlayOf(svc);
    if (!sameOverlay(overlay, svc.overlay)) {
      svc.overlay = overlay;
      this.pending.overlays.push({ service: svc.cfg.service, overlay });
    }
    if (this.pending.verdicts.length || this.pending.overlays.length) this.soon();
  }

  private quorumChanged(svc: Svc, q: 'lost' | 'gained'): void {
    const c = svc.cfg;
    const sum = svc.weightSum;
    if (q === 'lost') {
      this.deps.log.warn(c.sorryServer ? 'no real servers up; activating the sorry server' : 'lost quorum', { service: c.service, weight: sum, quorum: c.quorum, hysteresis: c.hysteresis });
      if (c.quorumDown) this.run(c.quorumDown);
    } else {
      this.deps.log.info(c.sorryServer ? 'real servers up again; removing the sorry server' : 'gained quorum', { service: c.service, weight: sum, quorum: c.quorum, hysteresis: c.hysteresis });
      if (c.quorumUp) this.run(c.quorumUp);
    }
  }

  private overlayOf(svc: Svc): Overlay | null {
    if (svc.quorum.up) return null;
    const s = svc.cfg.sorryServer;
    return { sorry: s ? { address: parseIPv4(s.address) ?? 0, port: s.port } : null, suspended: true };
  }

  /** Changes go to the router together: a batch per turn of the event loop. */
  private soon(): void {
    if (this.flushTimer !== null) return;
    this.flushTimer = this.timers.set(() => {
      this.flushTimer = null;
      void this.flush();
    }, 0);
  }

  private died(e: Entry, err: Error): void {
    const why = `the health checker of ${e.key} (${e.svc.cfg.service}) failed: ${err.message}`;
    if (this.hardShutdown && this.deps.onDead) {
      this.deps.log.error(why + '; hard_shutdown = 1: stopping the router', {});
      this.deps.onDead(why);
    } else {
      this.deps.log.error(why + '; checks go on (hard_shutdown = 0)', {});
    }
  }

  private serverView(e: Entry): ServerView {
    const h = e.health;
    const s = h.spec;
    return {
      service: s.service, address: s.address, port: s.port, state: h.state, serving: h.serving && e.svc.quorum.up, force: h.force,
      weight: h.weight, configuredWeight: s.weight, okStreak: h.okStreak, failStreak: h.failStreak, riseNeeded: h.riseNeeded,
      fall: s.timing.fall, checks: s.checks.map(describeCheck), last: h.last && { ...h.last, ms: e.lastMs }, lastChange: h.lastChange,
    };
  }
}

/** Adds up a service's serving weights afresh (a reload: servers came, went or changed weight). */
function recount(svc: Svc): void {
  svc.weightSum = 0;
  for (const e of svc.servers.values()) {
    e.counted = e.health.serving ? e.health.weight : 0;
    svc.weightSum += e.counted;
  }
}

/** %h and %p as nanny's send_program has them: a check block of a virtual serves many servers. */
function substitute(cmd: string, s: ServerChecks): string {
  return cmd.replace(/%h/g, s.address).replace(/%p/g, String(s.port));
}

function sameVerdict(a: Verdict | null, b: Verdict | null | undefined): boolean {
  if (b === undefined) return false;
  if (a === null || b === null) return a === b;
  return a.up === b.up && !!a.quiesce === !!b.quiesce && a.weight === b.weight;
}

function sameOverlay(a: Overlay | null, b: Overlay | null): boolean {
  if (a === null || b === null) return a === b;
  return a.suspended === b.suspended && a.sorry?.address === b.sorry?.address && a.sorry?.port === b.sorry?.port;
}

/** One line per check for the views: "http GET /healthz 200-299", "nanny tcp". */
export function describeCheck(c: ServerChecks['checks'][number]): string {
  switch (c.kind) {
    case 'nanny':
      return c.sendProgram ? `nanny program ${c.sendProgram}` : `nanny ${c.protocol}${c.send ? ' send' : ''}${c.expect ? ' expect' : ''}`;
    case 'http':
    case 'https':
      return `${c.kind} GET ${c.path} ${c.status.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',')}`;
    case 'dns':
      return `dns ${c.type} ${c.name}`;
    case 'misc':
      return `misc ${c.command}${c.dynamic ? ' (dynamic)' : ''}`;
    default:
      return c.kind;
  }
}
