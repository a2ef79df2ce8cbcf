// The router process (`tsvs start`): a host of components (the nftables fence,
// the data plane in its worker thread, the rate estimator, the control API, the
// stats file) around one desired state (control/desired.ts). Every change of the
// running table - a reload, an API change, a health verdict - takes the same
// path, one at a time: plan and validate, fence the new addresses (one nft
// transaction), hand the data plane the delta, then commit; a failure anywhere
// leaves the running table and the fence as they were. Inputs are injected (data
// plane, host, nft, clock), so tests drive the daemon as a step function.
import { countersSnapshot } from '../engine/counters.js';
import {
  H_SYNC_AUTH_FORGED, H_SYNC_AUTH_OK, H_SYNC_AUTH_REPLAYED, H_SYNC_AUTH_UNAUTHENTICATED, H_SYNC_CONNS, H_SYNC_MESSAGES, H_SYNC_RESYNCS, H_SYNC_RING_DROPS,
  H_SYNC_RX_BAD, H_SYNC_RX_CONNS, H_SYNC_RX_MESSAGES, H_SYNC_RX_SKIPPED, H_SYNC_RX_WAITING, type DataPlaneMemory,
} from '../engine/published.js';
import type { ServiceLayout } from '../engine/services.js';
import { diffTables, fullDelta } from '../model/diff.js';
import { formatIPv4, formatMac, serviceKey, type ServiceTable } from '../model/index.js';
import { DesiredState, type Verdict } from '../control/desired.js';
import { HealthMonitor, type HealthUpdate } from '../health/monitor.js';
import type { Probe } from '../health/round.js';
import { keyOf, OpError } from '../control/ops.js';
import { MetricsServer } from '../control/metrics-server.js';
import { ControlServer, type ControlBackend, type Peer } from '../control/server.js';
import type {
  ChangeResult, ConnPage, DataPlaneView, FailoverView, HealthForce, SyncView, HealthServerView, HealthView, Op, ServiceSelector, RatesView, ReloadView, StatsView, StatusView, TableView, TimeoutsView,
} from '../control/types.js';
import { SYNC_NEEDS_ONE_WORKER } from './dataplane-multi.js';
import { dataPlaneView, destAddress, rawStats, workerShares, statsKey, tableView, ZERO_RATES, type Layout } from '../control/views.js';
import { TCP_TIMEOUTS_S, TCP_S_ESTABLISHED, TCP_S_FIN_WAIT, UDP_TIMEOUT_S } from '../conn/tcp-states.js';
import { Components, every, signals } from './components.js';
import { Failover, type FailoverDeps } from './failover.js';
import { applyReceivedConfig } from './config-apply.js';
import { ConfigSync, type ConfigSyncDeps } from './config-sync.js';
import type { SyncRole, SyncSettings as SyncSocketSettings } from './sync-socket.js';
import type { SyncSettings } from '../config/compile-sync.js';
import type { DataPlane, DataPlaneSpec } from './dataplane.js';
import { Fence, type FenceMirror, type NftRunner } from './fence.js';
import { FenceElements } from './fence-elements.js';
import { loadConfig, type LoadedConfig } from './load.js';
import type { Logger } from './log.js';
import { preflight, unreachableChecks, type HostInfo } from './preflight.js';
import { tableDevices } from './setup.js';
import { RouteFollower } from './route-follow.js';
import { snapshotOf, writeSnapshot } from './stats.js';
import { statsFileProblem } from './stats-file.js';
import { EXIT_FATAL, fatalHandlers, oneLine, type FatalKind } from './fatal.js';

/** Rates as the kernel estimates them (control/estimator.ts): fed every 2 s. */
export interface RateSource {
  sample(key: string, stats: StatsView): void;
  /** Keys not sampled since the last call are forgotten. */
  endPeriod(): void;
  read(key: string): RatesView;
  zero(key: string, stats: StatsView): void;
}

export interface RouterDeps {
  configPath: string;
  log: Logger;
  host: HostInfo;
  /** Makes the data plane: the worker thread (tsvs start) or inline (tests). */
  dataPlane(spec: DataPlaneSpec): DataPlane;
  backend?: string;
  /** Kept equal to the nftables fence's sets (the AF_XDP backend's steering maps). */
  fenceMirror?: FenceMirror;
  nft?: NftRunner;
  /** Wall clock in ms (status, reload times). */
  now?: () => number;
  /** Connection table slots; overrides lvs.cf conn_capacity (tsvs start --conn-capacity). */
  connCapacity?: number;
  /** The control API's socket; null runs without one. */
  controlSocket?: string | null;
  peerOf?: (fd: number) => Peer | null;
  statsFile?: string;
  /** Where /metrics listens (host:port, or a port on 127.0.0.1); none: no metrics endpoint. */
  metrics?: string;
  rates?: RateSource;
  /** Timers the daemon runs (rates every 2 s, the stats file every 1 s); false in step-function tests. */
  timers?: boolean;
  /**
   * Process signals: SIGHUP reloads, SIGTERM and SIGINT stop (done resolves 0). Off unless asked.
   * The same process gets the last-resort handlers: an uncaught exception or unhandled
   * rejection removes the fence, logs one line and exits (proc.exit) with status 1.
   */
  signals?: NodeJS.Process;
  /** Runs one attempt of a health check (health/probes); none: real servers are not checked. */
  probe?: Probe;
  /** The health monitor's clock and timers (tests step them). */
  healthDeps?: Partial<ConstructorParameters<typeof HealthMonitor>[0]>;
  /** Data-plane workers (tsvs start --workers); connection sync needs 1. Default 1. */
  workers?: number;
  /** tsvs start --forceactive: active at once, whatever the partner says (pulse --forceactive). */
  forceActive?: boolean;
  /** The failover component's socket, clock, timers and commands (tests give memory ones). */
  failoverDeps?: Partial<FailoverDeps>;
  /** Config sync's transport and timers (tests give memory ones). */
  configSyncDeps?: Partial<ConfigSyncDeps>;
}

export class StartError extends Error {}

const RATE_PERIOD_MS = 2000;

export class Router implements ControlBackend {
  private desired!: DesiredState;
  private running!: ServiceTable;
  private devices: string[] = [];
  /** The router's routes: which devices reach the real servers, followed while running. */
  private routes!: RouteFollower;
  private dp!: DataPlane;
  private readonly layouts = new Map<string, Layout>();
  private readonly fence: Fence;
  /** What the fence's sets hold for the running table, kept as it changes. */
  private fenced!: FenceElements;
  private readonly components = new Components();
  private readonly baselines = new Map<string, StatsView>();
  private timeoutsNow: TimeoutsView = { tcp: TCP_TIMEOUTS_S[TCP_S_ESTABLISHED], tcpfin: TCP_TIMEOUTS_S[TCP_S_FIN_WAIT], udp: UDP_TIMEOUT_S };
  private queue: Promise<unknown> = Promise.resolve();
  private readonly reloads = { ok: 0, failed: 0, last: null as ReloadView | null };
  private startedAt = 0;
  private local: number[] = [];
  private local6: string[] = [];
  private connCapacity = 0;
  private server: ControlServer | null = null;
  /** The health checks (health/monitor.ts); null when they do not run. */
  private monitor: HealthMonitor | null = null;
  /** pulse's heartbeat (lvs.cf backup_active = 1); null: no backup router, always active. */
  private ha: Failover | null = null;
  /** Whether this router answers for the table's addresses (VIPs, NAT router): false while failover holds it inactive. */
  private claimed = true;
  /** The inactive form of each table handed to the data plane (the same, its addresses released). */
  private readonly released = new WeakMap<ServiceTable, ServiceTable>();
  /** lvs.cf's failover and sync settings at start, to tell a reload that changes them (they need a restart). */
  private haSettings = 'null';
  /** failover = vrrp: the VIPs the adverts name (they follow reloads), comma-joined. */
  private vrrpVips = '';
  /** The sync daemon (syncdaemon = 1) and this router's address on syncd_iface; null: off. */
  private sync: { settings: SyncSettings; address: number } | null = null;
  /** The sync daemon's role now: master while this router is active, backup while not (as pulse switched it). */
  private syncRole: SyncRole | null = null;
  /** config_sync = 1: lvs.cf to and from the partner; null: off. */
  private configSync: ConfigSync | null = null;
  /** The lvs.cf text last loaded and its serial_no (what config sync sends). */
  private config = { text: '', serial: 0 };
  /** Resolves with the exit status when the router stops on its own: 0 on SIGTERM/SIGINT, 1 when its data plane died. */
  readonly done: Promise<number>;
  private finish!: (code: number) => void;
  /** Errors after start-up that the router logged once and went on from, by component (status `errors`). */
  private readonly errors = new Map<string, { count: number; failing: boolean }>();

  constructor(private readonly deps: RouterDeps) {
    this.fence = new Fence(deps.nft, deps.fenceMirror);
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  private get now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** Checks, fences, starts the data plane and the control plane. Throws StartError with one line per problem. */
  async start(): Promise<void> {
    const log = this.deps.log;
    let loaded;
    try {
      loaded = loadConfig(this.deps.configPath);
    } catch (e) {
      throw new StartError((e as Error).message);
    }
    for (const n of loaded.notes) log.info('lvs.cf key not acted on yet', { where: n });
    this.devices = tableDevices(loaded.table);
    const problems = preflight(loaded.table, this.devices, this.deps.host);
    // The routes decide where the real servers are: their devices are opened too.
    this.routes = new RouteFollower(this.deps.host, log);
    if (!problems.length) this.devices.push(...this.routes.start(loaded.table, this.devices));
    const statsProblem = this.deps.statsFile ? statsFileProblem(this.deps.statsFile) : null;
    if (statsProblem) problems.push(statsProblem);
    if (problems.length) throw new StartError(problems.join('\n'));
    this.local = [...this.deps.host.kernelAddresses().keys()];
    this.local6 = [...new Set(this.deps.host.kernelAddresses6?.() ?? [])];
    this.connCapacity = this.deps.connCapacity ?? loaded.connCapacity;
    this.desired = new DesiredState(loaded.table, this.devices);
    this.monitor = this.deps.probe ? this.makeMonitor(this.deps.probe) : null;
    if (this.monitor) {
      this.putHealth(this.monitor.configure(loaded.health));
      const lost = unreachableChecks(loaded.health, this.deps.host.kernelRoutes?.() ?? [[0, 0]]);
      if (lost) log.warn(lost);
    }
    this.running = this.desired.effective();
    this.noteTimeouts(this.running);
    this.haSettings = haSettingsOf(loaded);
    this.vrrpVips = loaded.failover?.vrrp?.virtualAddresses.join() ?? '';
    if (loaded.sync && (this.deps.workers ?? 1) > 1) throw new StartError(SYNC_NEEDS_ONE_WORKER);
    if (loaded.sync) this.sync = { settings: loaded.sync, address: this.syncAddress(loaded.sync.iface) };
    if (loaded.failover) {
      // A router with a partner starts inactive; pulse's rules (or --forceactive) claim the addresses.
      this.claimed = false;
      this.ha = this.makeFailover(loaded.failover);
      const cs = loaded.failover.configSync, auth = loaded.failover.auth;
      if (cs && auth) this.configSync = this.makeConfigSync(cs.port, auth.key);
    }
    this.config = { text: loaded.text, serial: loaded.serial };
    this.startedAt = this.now;
    this.addComponents();
    try {
      await this.components.start();
    } catch (e) {
      throw new StartError((e as Error).message);
    }
    this.reloads.last = { at: this.startedAt, ok: true, version: this.running.version, trigger: 'start', errors: [], notes: loaded.notes, discarded: [] };
    log.info('router started', {
      devices: this.devices.map((d) => `${d}=${formatMac(this.deps.host.macOf(d)!)}${this.mtuNote(d)}`).join(','),
      addresses: this.running.addresses.map((a) => `${a.address6 ?? formatIPv4(a.address)}@${a.device}`).join(','),
      ...(this.ha ? { claimed: this.claimed } : {}),
      services: this.running.services.length,
      version: this.running.version,
      ...(this.server ? { control: this.server.path } : {}),
    });
  }

  async stop(): Promise<void> {
    await this.components.stop();
    this.deps.log.info('router stopped', { version: this.running?.version ?? 0 });
  }

  /** " mtu N" for the start-up line, when the host says: the size forwarded datagrams are held to. */
  private mtuNote(device: string): string {
    const mtu = this.deps.host.mtuOf?.(device);
    return mtu ? ` mtu ${mtu}` : '';
  }

  private addComponents(): void {
    const deps = this.deps;
    // First in, last out: from the fence's installation to the end, a crash takes the fence with it.
    const proc = deps.signals;
    if (proc) this.components.add(fatalHandlers(proc, (kind, e) => this.fatal(proc, kind, e)));
    this.components.add({
      name: 'fence',
      start: () => {
        this.fenced = new FenceElements(this.local, this.local6);
        this.fenced.plan(this.running).commit();
        for (const line of this.fence.install(this.devices, this.fenced.current())) deps.log.info(line);
      },
      stop: () => {
        deps.log.info('nftables fence removed', { fence_removed: this.fence.remove() });
      },
    });
    this.components.add({
      name: 'dataplane',
      start: async () => {
        const macs = this.devices.map((d) => deps.host.macOf(d)!);
        const sources = ownAddresses(this.devices, deps.host.kernelAddresses());
        const mtus = this.devices.map((d) => deps.host.mtuOf?.(d) ?? 0);
        this.dp = deps.dataPlane({ devices: this.devices, macs, sources, mtus, routes: this.routes.routes, connCapacity: this.connCapacity, backend: deps.backend ?? 'auto' });
        this.dp.onFailure((why) => this.died(why));
        this.noteLayouts(await this.dp.start(fullDelta(this.served(this.running))), []);
        await this.followSync();
      },
      stop: async () => {
        const c = countersSnapshot(this.dp.memory.drops, this.dp.memory.passes, this.dp.memory.totals, false);
        await this.dp.stop();
        deps.log.info('data plane stopped', c);
      },
    });
    const watch = deps.host.watchRoutes;
    if (watch && this.routes.routes !== null) {
      let unwatch = (): void => {};
      this.components.add({
        name: 'routes',
        start: () => {
          unwatch = watch(() => void this.followRoutes('route change'), (why) => deps.log.warn('route changes are no longer followed (a reload still reads them)', { problem: why }));
        },
        stop: () => unwatch(),
      });
    }
    if (deps.timers !== false) this.components.add(every('rates', RATE_PERIOD_MS, () => this.guard('rates', () => this.sampleRates())));
    const monitor = this.monitor;
    if (monitor) this.components.add({ name: 'health', start: () => monitor.start(), stop: () => monitor.stop() });
    const ha = this.ha;
    if (ha) this.components.add({ name: 'failover', start: () => ha.start(), stop: () => ha.stop() });
    const cs = this.configSync;
    if (ha && cs) this.components.add({ name: 'config-sync', start: () => cs.start(ha.pair()), stop: () => cs.stop() });
    if (deps.controlSocket !== null) {
      this.server = new ControlServer(this, { path: deps.controlSocket, peerOf: deps.peerOf, log: deps.log });
      const server = this.server;
      this.components.add({ name: 'control-api', start: () => server.start(), stop: () => server.stop() });
    }
    if (deps.metrics) {
      const m = new MetricsServer({
        listen: deps.metrics,
        snapshot: async () => ({ table: this.table(), dataplane: this.dataplane(), status: this.status(), health: this.health() }),
        onError: (e) => deps.log.warn('a metrics scrape failed', { problem: (e as Error).message ?? String(e) }),
      });
      this.components.add({
        name: 'metrics',
        start: async () => {
          await m.start();
          const a = m.address();
          deps.log.info('metrics endpoint', { url: `http://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}/metrics` });
        },
        stop: () => m.stop(),
      });
    }
    if (deps.signals) {
      this.components.add(signals(deps.signals, {
        SIGHUP: () => {
          deps.log.info('SIGHUP: reloading lvs.cf', { config: deps.configPath });
          void this.reload('SIGHUP');
        },
        stop: (sig) => {
          deps.log.info('signal received, stopping', { signal: sig });
          void this.stop().then(() => this.finish(0));
        },
      }));
    }
    const file = deps.statsFile;
    if (file) {
      const write = (): void => this.writeStats();
      this.components.add({ name: 'stats-file', start: write, stop: () => {} });
      if (deps.timers !== false) this.components.add(every('stats-file-timer', 1000, write));
    }
  }

  // ---- Changes: one at a time, each a table version ----

  /** The routes or addresses changed: the data plane decides every real server's next hop again, no table version needed. */
  followRoutes(trigger: string): Promise<void> {
    return this.serial(() => this.rereadRoutes(trigger));
  }

  private async rereadRoutes(trigger: string): Promise<void> {
    const routes = this.routes.reread();
    if (routes !== null) {
      try {
        await this.dp.setRoutes?.(routes);
        this.deps.log.info('routes changed; the real servers\' interfaces and next hops follow them', { trigger, routes: routes.length });
      } catch (e) {
        this.deps.log.warn('routes changed but the data plane could not take them', { trigger, problem: (e as Error).message });
      }
    }
    this.routes.check(this.running, this.devices);
  }

  /** Runs fn after every change already queued (concurrent clients are serialized). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }

  /** Applies ops from the API as one version. Throws OpError (nothing changed). */
  change(ops: Op[], who: string): Promise<ChangeResult> {
    return this.serial(async () => {
      const log = this.deps.log;
      let c;
      try {
        c = this.desired.plan(ops);
      } catch (e) {
        if (e instanceof OpError) log.warn('change refused', { who, code: e.code, problem: e.message, ...(e.index >= 0 ? { op: e.index } : {}) });
        throw e;
      }
      const next = this.desired.effective(c.configured);
      if (next !== this.running) {
        try {
          await this.switchTo(next);
        } catch (e) {
          log.warn('change refused', { who, problem: (e as Error).message });
          throw new OpError('EINVAL', (e as Error).message);
        }
      }
      this.desired.commit(c, who);
      this.desired.prune();
      for (const svc of c.plan.zero) this.zero(svc);
      for (const line of c.plan.done) log.info('change', { who, what: line, version: this.running.version });
      for (const w of c.plan.warnings) log.warn('change accepted with a warning', { who, warning: w });
      // A server added at run time may be one the routes do not reach (said once).
      if (c.plan.done.length) this.routes.check(this.running, this.devices);
      return { version: this.running.version, done: c.plan.done, warnings: c.plan.warnings };
    });
  }

  /** SIGHUP or the API: re-reads lvs.cf; a bad file is reported and the running table stays. */
  reload(trigger: string): Promise<ReloadView> {
    return this.serial(async () => {
      const view = await this.reloadNow(trigger);
      this.reloads.last = view;
      if (view.ok) this.reloads.ok++;
      else this.reloads.failed++;
      return view;
    });
  }

  private async reloadNow(trigger: string): Promise<ReloadView> {
    const log = this.deps.log;
    const failed = (errors: string[]): ReloadView => {
      for (const line of errors) log.error('reload failed; the running table stays', { problem: line, trigger });
      return { at: this.now, ok: false, version: this.running.version, trigger, errors, notes: [], discarded: [] };
    };
    let loaded;
    try {
      loaded = loadConfig(this.deps.configPath);
      const missing = tableDevices(loaded.table).filter((d) => !this.devices.includes(d));
      if (missing.length) throw new Error(`lvs.cf now names device(s) ${missing.join(', ')}; adding devices needs a restart`);
    } catch (e) {
      return failed((e as Error).message.split('\n'));
    }
    const before = this.desired.snapshot();
    const discarded = this.desired.reload(loaded.table);
    // Servers that stay keep their health; new ones start as their checks say (alpha: down).
    if (this.monitor) this.putHealth(this.monitor.configure(loaded.health));
    try {
      await this.switchTo(this.desired.effective());
    } catch (e) {
      this.desired.restore(before.base, before.configured, before.edits);
      return failed([(e as Error).message]);
    }
    this.desired.prune();
    // The table's arrays are sized once; a new size waits for a restart, and says so.
    if (this.deps.connCapacity === undefined && loaded.connCapacity !== this.connCapacity) {
      log.warn('conn_capacity changed; it takes effect at the next start', { running: this.connCapacity, configured: loaded.connCapacity });
    }
    this.reloadHaSettings(loaded);
    await this.rereadRoutes(trigger);
    const grew = loaded.serial > this.config.serial;
    this.config = { text: loaded.text, serial: loaded.serial };
    if (grew) this.configSync?.offer(`reload raised serial_no to ${loaded.serial}`);
    log.info('reloaded lvs.cf', { trigger, services: this.running.services.length, version: this.running.version, discarded: discarded.length });
    for (const d of discarded) log.info('reload discarded a runtime change', { change: d });
    return { at: this.now, ok: true, version: this.running.version, trigger, errors: [], notes: loaded.notes, discarded };
  }

  /**
   * Failover and sync settings take effect at the next start, but for one: under
   * VRRP the virtual addresses follow the table (a VIP added or removed by the
   * reload), so the adverts name them at once, as keepalived's reload does.
   */
  private reloadHaSettings(loaded: LoadedConfig): void {
    if (haSettingsOf(loaded) !== this.haSettings) {
      this.deps.log.warn('the heartbeat or sync daemon settings (primary, backup, backup_active, keepalive, deadtime, syncdaemon, ...) changed; they take effect at the next start');
      return;
    }
    const vips = loaded.failover?.vrrp?.virtualAddresses;
    if (vips && vips.join() !== this.vrrpVips && this.ha?.setVrrpAddresses(vips)) this.vrrpVips = vips.join();
  }

  /** A health check's verdict on a real server. */
  setVerdict(service: string, address: number | string, port: number, v: Verdict | null): Promise<void> {
    return this.applyHealth({ verdicts: [{ service, address, port, verdict: v }], overlays: [] });
  }

  /** Verdicts and service overlays from the health checks, as one table version. */
  applyHealth(u: HealthUpdate): Promise<void> {
    return this.serial(async () => {
      this.putHealth(u);
      const next = this.desired.effective();
      if (next !== this.running) await this.switchTo(next);
    });
  }

  /** Health of every checked server (GET /v1/health). */
  health(): HealthView {
    const m = this.monitor;
    return m ? { services: m.view(), totals: m.counts() } : { services: [] };
  }

  /** Forces a server up or down, drains it, or (auto) gives it back to its checks. */
  async forceHealth(service: ServiceSelector, server: { address: string; port: number }, force: HealthForce, who: string): Promise<HealthServerView> {
    if (!this.monitor) throw new OpError('ENOENT', 'health checks are not running (tsvs start runs them unless --no-health-checks)');
    const key = keyOf(service);
    try {
      return await this.monitor.force(key, server.address, server.port, force === 'auto' ? null : force, who);
    } catch (e) {
      throw new OpError('ESRCH', (e as Error).message);
    }
  }

  private putHealth(u: HealthUpdate): void {
    for (const v of u.verdicts) this.desired.setVerdict(v.service, v.address, v.port, v.verdict);
    for (const o of u.overlays) this.desired.setOverlay(o.service, o.overlay);
  }

  private makeMonitor(probe: Probe): HealthMonitor {
    return new HealthMonitor({
      probe,
      apply: (u) => this.applyHealth(u),
      log: this.deps.log,
      onDead: (why) => this.shutdownForChecks(why),
      ...this.deps.healthDeps,
    });
  }

  /**
   * Moves the data plane to `next`: the new table's fence elements are added
   * first (so nothing tsvs is about to serve reaches the kernel), then the delta,
   * then the old table's extra elements go. A refused delta puts the old fence
   * back and throws. Each fence step is one nft transaction.
   */
  private async switchTo(next: ServiceTable): Promise<void> {
    const fence = this.fenced.plan(next);
    this.fence.add(fence.add);
    let layouts: ServiceLayout[];
    try {
      layouts = await this.dp.apply(diffTables(this.served(this.running), this.served(next)));
    } catch (e) {
      this.fence.delete(fence.add);
      throw e;
    }
    fence.commit();
    const keep = new Set(next.services.map(serviceKey));
    const removed = this.running.services.map(serviceKey).filter((k) => !keep.has(k));
    this.running = next;
    this.noteLayouts(layouts, removed);
    this.noteTimeouts(next);
    try {
      this.fence.delete(fence.del);
    } catch (e) {
      // The new table runs; the fence only still holds what the old one had too.
      this.deps.log.warn('the nftables fence still fences addresses of the previous table', { problem: (e as Error).message });
    }
  }

  /**
   * The table as the data plane gets it: as it is while this router is active;
   * while inactive marked released, so that it answers no ARP for a VIP or the
   * NAT router address and announces none (pulse's backup has them down), yet
   * still knows which interface reaches each real server. The fence always holds
   * the whole table: the kernel never serves a VIP.
   */
  private served(t: ServiceTable): ServiceTable {
    if (this.claimed) return t;
    let r = this.released.get(t);
    if (!r) {
      r = { ...t, released: true };
      this.released.set(t, r);
    }
    return r;
  }

  /** Becoming active (claim the addresses: the data plane announces them, 5 GARPs 1 s apart) or inactive (stop answering at once). */
  private claim(active: boolean, reason: string): Promise<void> {
    return this.serial(async () => {
      if (this.claimed === active) return;
      const before = this.served(this.running);
      this.claimed = active;
      try {
        await this.dp.apply(diffTables(before, this.served(this.running)));
      } catch (e) {
        this.claimed = !active;
        throw e;
      }
      this.deps.log.info(active ? 'failover: active, the addresses are claimed' : 'failover: inactive, the addresses are released', {
        reason, addresses: this.running.addresses.map((a) => `${a.address6 ?? formatIPv4(a.address)}@${a.device}`).join(','),
      });
      await this.followSync();
      if (active) this.configSync?.offer('became active');
    });
  }

  /**
   * The sync daemon follows the router's state, as pulse ran ipvsadm --start-daemon:
   * master while active (it multicasts its connections), backup while inactive (it
   * learns the partner's), so after a takeover or a failback the new active router
   * already knows the flows. A router without a partner is master.
   */
  private async followSync(): Promise<void> {
    const sync = this.sync;
    if (!sync) return;
    const role: SyncRole = this.claimed ? 'master' : 'backup';
    if (role === this.syncRole) return;
    const auth = sync.settings.auth ? { key: sync.settings.auth.key } : undefined;
    const s: SyncSocketSettings = { role, address: sync.address, syncid: sync.settings.syncid, version: sync.settings.version, auth };
    await this.dp.setSync(s);
    this.syncRole = role;
    this.deps.log.info(`sync daemon: ${role}`, { mcast_interface: sync.settings.iface, address: formatIPv4(sync.address), syncid: sync.settings.syncid, version: sync.settings.version });
  }

  /**
   * The partner came back (failover.ts partnerBack): while active, send it the
   * whole connection table, as the kernel never does (it syncs a conn only as its
   * packets pass, so a flow stalled or idle at the partner's return would be lost
   * at the next takeover or failback).
   */
  private async resyncPartner(why: string): Promise<void> {
    if (!this.claimed || this.syncRole !== 'master') return;
    try {
      const conns = await this.dp.resync();
      if (conns !== null) this.deps.log.info('sync daemon: sending the whole connection table to the partner', { why, conns });
    } catch (e) {
      this.deps.log.warn('sync daemon: the connection table could not be resent', { why, problem: (e as Error).message });
    }
  }

  /** The router's IPv4 address on syncd_iface (the sync daemon's --mcast-interface); a StartError when it has none. */
  private syncAddress(iface: string): number {
    for (const [addr, dev] of this.deps.host.kernelAddresses()) if (dev === iface) return addr;
    throw new StartError(`syncdaemon = 1: syncd_iface ${iface} has no IPv4 address (the sync daemon multicasts from it)`);
  }

  /** The sync daemon for the status (tsvs admin --daemon, metrics): its role, interface and counters, or null. */
  private syncView(): SyncView | null {
    const sync = this.sync;
    if (!sync || !this.syncRole) return null;
    const h = this.mem.host;
    return {
      role: this.syncRole, iface: sync.settings.iface, syncid: sync.settings.syncid, version: sync.settings.version,
      sent: { conns: h[H_SYNC_CONNS], messages: h[H_SYNC_MESSAGES], queueDrops: h[H_SYNC_RING_DROPS], resyncs: h[H_SYNC_RESYNCS] },
      received: { messages: h[H_SYNC_RX_MESSAGES], conns: h[H_SYNC_RX_CONNS], skipped: h[H_SYNC_RX_SKIPPED], waiting: h[H_SYNC_RX_WAITING], bad: h[H_SYNC_RX_BAD] },
      auth: sync.settings.auth
        ? { ok: h[H_SYNC_AUTH_OK], unauthenticated: h[H_SYNC_AUTH_UNAUTHENTICATED], forged: h[H_SYNC_AUTH_FORGED], replayed: h[H_SYNC_AUTH_REPLAYED] }
        : null,
    };
  }

  private makeFailover(settings: NonNullable<ReturnType<typeof loadConfig>['failover']>): Failover {
    return new Failover({
      settings,
      local: this.deps.host.kernelAddresses(),
      forceActive: this.deps.forceActive ?? false,
      log: this.deps.log,
      claim: (active, reason) => this.claim(active, reason),
      rearp: () => this.dp.announce(),
      partnerBack: (why) => {
        void this.resyncPartner(why);
        // A partner that (re)started may run an older lvs.cf: offered while active (answered "current" if not).
        this.configSync?.offer(`partner ${why}`);
      },
      ...this.deps.failoverDeps,
    });
  }

  private makeConfigSync(port: number, key: Uint8Array): ConfigSync {
    return new ConfigSync({
      port,
      key,
      log: this.deps.log,
      current: () => this.config,
      active: () => this.claimed,
      apply: (text, from) => applyReceivedConfig(text, from, { configPath: this.deps.configPath, reload: (trigger) => this.reload(trigger) }),
      ...this.deps.configSyncDeps,
    });
  }

  private noteLayouts(layouts: ServiceLayout[], removed: string[]): void {
    for (const k of removed) this.layouts.delete(k);
    for (const l of layouts) {
      const before = this.layouts.get(l.key);
      this.layouts.set(l.key, { id: l.id, ids: l.ids });
      // A server new to its list starts its -Z baseline afresh (a Set: lists run to
      // thousands, and includes() per id made each change quadratic in their length).
      if (before && this.baselines.size) {
        const had = new Set(before.ids);
        for (const d of l.ids) if (!had.has(d)) this.baselines.delete(statsKey(l.key, destAddress(this.mem, d), this.mem.port[d]));
      }
    }
  }

  /** ipvsadm --set semantics: 0 keeps the value in force. */
  private noteTimeouts(t: ServiceTable): void {
    const cur = this.timeoutsNow;
    this.timeoutsNow = { tcp: t.timeouts.tcp || cur.tcp, tcpfin: t.timeouts.tcpfin || cur.tcpfin, udp: t.timeouts.udp || cur.udp };
  }

  /** hard_shutdown = 1 (lvsd): a checker that breaks stops the router, so that the backup router takes over. */
  private shutdownForChecks(why: string): void {
    this.deps.log.error('hard_shutdown: the health checks broke; stopping the router', { why });
    this.components.failed('health', why);
    void this.components.stop().then(() => this.finish(1));
  }

  /** Writes the stats file (every second, and at start); a failure is counted and logged once, never thrown. */
  writeStats(): void {
    const file = this.deps.statsFile;
    if (file) this.guard('stats-file', () => writeSnapshot(file, snapshotOf(this.table(), this.dataplane(), this.now)));
  }

  /**
   * Runs fn; an error is counted for `component`, logged once (until fn works
   * again, which is logged too) and goes no further: after start-up, nothing but
   * the data plane's own end may stop forwarding.
   */
  private guard(component: string, fn: () => void): void {
    const e0 = this.errors.get(component);
    try {
      fn();
    } catch (e) {
      const st = e0 ?? { count: 0, failing: false };
      st.count++;
      if (!st.failing) this.deps.log.error(`${component} failed; forwarding goes on (logged once until it works again)`, { component, problem: oneLine(e), errors: st.count });
      st.failing = true;
      this.errors.set(component, st);
      return;
    }
    if (e0?.failing) {
      e0.failing = false;
      this.deps.log.info(`${component} works again`, { component, errors: e0.count });
    }
  }

  /** An error nothing handled: remove the fence (so the kernel serves the addresses again, or no one does), one line, exit. */
  private fatal(proc: NodeJS.Process, kind: FatalKind, e: unknown): void {
    let removed = false;
    try {
      removed = this.fence.remove();
    } finally {
      try {
        this.deps.log.error('fatal error: the router exits', { kind, problem: oneLine(e), fence_removed: removed });
      } finally {
        proc.exit(EXIT_FATAL);
      }
    }
  }

  private died(why: string): void {
    this.deps.log.error('the data plane stopped; the router cannot forward and exits', { why });
    this.components.failed('dataplane', why);
    void this.components.stop().then(() => this.finish(1));
  }

  // ---- Counters ----

  private get mem(): DataPlaneMemory {
    return this.dp.memory;
  }

  /** ipvsadm -Z: counters of one service (and its servers) or of everything start again from here. */
  private zero(service: string | undefined): void {
    const raw = rawStats(this.running, this.layouts, this.mem);
    for (const [key, st] of raw) {
      if (service !== undefined && key !== service && !key.startsWith(`${service}>`)) continue;
      this.baselines.set(key, st);
      this.deps.rates?.zero(key, st);
    }
  }

  private sampleRates(): void {
    const r = this.deps.rates;
    if (!r) return;
    for (const [key, st] of rawStats(this.running, this.layouts, this.mem)) r.sample(key, st);
    r.endPeriod();
  }

  // ---- Reads (ControlBackend) ----

  table(): TableView {
    const rates = this.deps.rates;
    const raw = rawStats(this.running, this.layouts, this.mem);
    return tableView(this.running, this.layouts, this.mem, raw, this.baselines, rates ? (k) => rates.read(k) : () => ZERO_RATES, 4096);
  }

  timeouts(): TimeoutsView {
    return { ...this.timeoutsNow };
  }

  connections(offset: number, limit: number): Promise<ConnPage> {
    return this.dp.conns(offset, limit);
  }

  dataplane(): DataPlaneView {
    const v = dataPlaneView(this.mem);
    if (this.dp.parts) v.workers = workerShares(this.dp.parts);
    return v;
  }

  status(): StatusView {
    return {
      pid: process.pid,
      uptime: Math.floor((this.now - this.startedAt) / 1000),
      config: this.deps.configPath,
      version: this.running.version,
      components: this.components.states(),
      backend: this.deps.backend ?? 'auto',
      devices: this.devices,
      reloads: { ...this.reloads },
      failover: this.ha?.view() ?? null,
      sync: this.syncView(),
      configSync: this.configSync?.view() ?? null,
      errors: Object.fromEntries([...this.errors].map(([k, v]) => [k, v.count])),
    };
  }

  failover(): FailoverView {
    return this.needHa().view();
  }

  /** Maintenance: standby on releases the addresses (the partner takes over) and stays inactive until off. */
  standby(on: boolean, who: string): Promise<FailoverView> {
    return this.needHa().setStandby(on, who);
  }

  private needHa(): Failover {
    if (!this.ha) throw new OpError('ENOENT', 'this router runs without a backup router (lvs.cf backup_active = 0): no failover');
    return this.ha;
  }
}

/** Per device, the first IPv4 address the kernel holds on it (0: none): the source LVS-TUN's outer header takes, as the kernel's route would. */
export function ownAddresses(devices: readonly string[], kernel: ReadonlyMap<number, string>): number[] {
  return devices.map((d) => [...kernel].find(([, dev]) => dev === d)?.[0] ?? 0);
}

/** lvs.cf's failover and sync settings as one string, to tell a reload that changes them; VRRP's VIPs left out (they follow the table). */
function haSettingsOf(loaded: LoadedConfig): string {
  const f = loaded.failover;
  const failover = f?.vrrp ? { ...f, vrrp: { ...f.vrrp, virtualAddresses: [] } } : f;
  return JSON.stringify({ failover, sync: loaded.sync });
}
