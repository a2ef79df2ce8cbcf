// The data plane as the control plane sees it: a component that takes table
// deltas, answers for its connections and publishes its counters in memory the
// control plane reads. Two implementations behind this one interface: the worker
// thread the router runs it in (dataplane-worker.ts, dataplane-client.ts), so
// health checks, heartbeats and HTTP never share its event loop; and inline, in
// the caller's thread, for step-function tests.
import type { ConnPage } from '../control/types.js';
import type { ServiceLayout } from '../engine/services.js';
import { sliceDelta, type TableDelta } from '../model/diff.js';
import { DataPlaneHost, observeGc, type HostOptions } from './dataplane-host.js';
import type { DataPlaneMemory } from '../engine/published.js';
import type { SyncSettings } from './sync-socket.js';
import type { Route } from '../engine/routes.js';

export interface DataPlane {
  /** Applies the first table and opens the port. Rejects when the port cannot be opened. */
  start(delta: TableDelta): Promise<ServiceLayout[]>;
  /** A new table version; rejects (changing nothing) when the engine cannot run it. */
  apply(delta: TableDelta): Promise<ServiceLayout[]>;
  conns(offset: number, limit: number): Promise<ConnPage>;
  /** Gratuitous ARP for every owned address, 5 times 1 s apart. */
  announce(): void;
  /** Starts, changes or (role null) stops connection sync; rejects on bad settings. */
  setSync(settings: SyncSettings): Promise<void>;
  /**
   * A sync master sends its whole connection table to the backup, in slices
   * (beyond the kernel: for a partner that came back knowing no flow). Resolves
   * to the conns in the table, or null when this data plane is not a sync master.
   */
  resync(): Promise<number | null>;
  /** The router's routes changed: every real server's interface and next hop are decided again (engine/routes.ts). */
  setRoutes?(routes: Route[] | null): Promise<void>;
  stop(): Promise<void>;
  /** The counters, readable at any time after start. */
  readonly memory: DataPlaneMemory;
  /** Several workers (dataplane-multi.ts): each one's own counters; `memory` is their sum. */
  readonly parts?: DataPlaneMemory[];
  /** Said when the data plane dies on its own (the router cannot forward any more). */
  onFailure(cb: (why: string) => void): void;
}

/** In the caller's thread: the host itself, ticked by the caller (tests) or by a timer. */
export class InlineDataPlane implements DataPlane {
  readonly host: DataPlaneHost;
  private timer: NodeJS.Timeout | null = null;
  private unobserveGc = (): void => {};

  constructor(
    opts: Omit<HostOptions, 'shared'>,
    private readonly ownTimer = true,
  ) {
    this.host = new DataPlaneHost({ ...opts, shared: false });
  }

  get memory(): DataPlaneMemory {
    return this.host.memory;
  }

  async start(delta: TableDelta): Promise<ServiceLayout[]> {
    const layouts = this.host.start(delta);
    if (this.ownTimer) this.timer = setInterval(() => this.host.tick(), 1000);
    // Inline, the data plane shares the process's heap: every pause of it is the data plane's.
    this.unobserveGc = observeGc(this.host);
    return layouts;
  }

  /** A big delta in slices, as the worker takes it, staged and switched in steps with the port's batches between them. */
  apply(delta: TableDelta): Promise<ServiceLayout[]> {
    const { stages, final } = sliceDelta(delta);
    if (stages.length === 0) return this.host.applyLater(final);
    return (async () => {
      for (const s of stages) await this.host.stageLater(delta.version, s.key, s.servers, s.remove);
      return this.host.applyLater(final);
    })();
  }

  async conns(offset: number, limit: number): Promise<ConnPage> {
    return this.host.conns(offset, limit);
  }

  announce(): void {
    this.host.announce();
  }

  /** Its sockets come from the host's openSync: tests connect two inline data planes in memory. */
  async setSync(settings: SyncSettings): Promise<void> {
    this.host.setSync(settings);
  }

  async resync(): Promise<number | null> {
    return this.host.resync();
  }

  async setRoutes(routes: Route[] | null): Promise<void> {
    this.host.setRoutes(routes);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unobserveGc();
    this.host.stop();
  }

  onFailure(): void {
    // Inline, a failure is an exception in the caller's own thread.
  }
}

/** What a data plane needs to start, whichever thread it runs in. */
export interface DataPlaneSpec {
  devices: string[];
  macs: Uint8Array[];
  /** Each device's own IPv4 address (the kernel's, 0 for none): LVS-TUN's outer source. */
  sources?: number[];
  /** Each device's MTU, read at start (0: unknown, no check). */
  mtus?: number[];
  /** The router's routes at start (engine/routes.ts); null or absent: the owned networks alone decide. */
  routes?: Route[] | null;
  connCapacity: number;
  /** auto | native | pcap (router/ports.ts). */
  backend: string;
  batchFrames?: number;
  maxBatchesPerWake?: number;
  /**
   * One of `count` data-plane workers (tsvs start --workers): worker 0 makes a
   * PACKET_FANOUT_CBPF group per device (ids the kernel picks), sets their program
   * and owns ARP; the others join the groups it made, in order (router/fanout-bpf.ts,
   * dataplane-host.ts, dataplane-multi.ts).
   */
  worker?: { index: number; count: number };
}
