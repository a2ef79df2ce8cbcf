// N data-plane workers as one data plane (tsvs start --workers N). Each worker is a
// WorkerDataPlane with its own engine and its own AF_PACKET sockets, joined to one
// PACKET_FANOUT_CBPF group per device; the groups' program (fanout-bpf.ts) sends
// both directions of a connection to the same worker by hashing the client's
// address, so the workers share no connection state. The control plane sees one
// data plane: every table change goes to every worker, connection pages are the
// workers' one after the other, the counters are summed (merged-memory.ts).
import type { ConnPage } from '../control/types.js';
import type { ServiceLayout } from '../engine/services.js';
import type { TableDelta } from '../model/diff.js';
import type { DataPlaneMemory } from '../engine/published.js';
import type { Route } from '../engine/routes.js';
import { WorkerDataPlane } from './dataplane-client.js';
import type { DataPlane, DataPlaneSpec } from './dataplane.js';
import type { Logger } from './log.js';
import { MergedMemory } from './merged-memory.js';
import type { SyncSettings } from './sync-socket.js';

export const SYNC_NEEDS_ONE_WORKER =
  'connection sync (syncdaemon = 1) works with one data-plane worker only: each worker holds its own connections, and a ' +
  'backup would have to hand every synced connection to the worker its client hashes to; run with --workers 1';

/**
 * Worker k's share of a server's connection threshold (u_threshold, l_threshold):
 * each worker counts only its own connections, so the limit is split, the shares
 * summing to it (0, no limit, stays 0). A threshold below the worker count gives
 * each worker at least 1: the router then admits up to N.
 */
export function thresholdShare(t: number, k: number, n: number): number {
  if (t === 0) return 0;
  return Math.max(1, Math.floor(t / n) + (k < t % n ? 1 : 0));
}

/** The delta as worker k of n takes it: its share of every threshold. */
export function deltaForWorker(delta: TableDelta, k: number, n: number): TableDelta {
  if (!delta.services.some((s) => s.upsert.some((r) => r.upperThreshold || r.lowerThreshold))) return delta;
  return {
    ...delta,
    services: delta.services.map((s) => ({
      ...s,
      upsert: s.upsert.map((r) => (r.upperThreshold || r.lowerThreshold
        ? { ...r, upperThreshold: thresholdShare(r.upperThreshold, k, n), lowerThreshold: thresholdShare(r.lowerThreshold, k, n) }
        : r)),
    })),
  };
}

export class MultiDataPlane implements DataPlane {
  private readonly workers: WorkerDataPlane[];
  private readonly layouts: Array<Map<string, ServiceLayout>>;
  private merged: MergedMemory | null = null;
  private failed: ((why: string) => void) | null = null;

  /** `make` builds worker k's data plane from its spec (tests give their own). */
  constructor(spec: DataPlaneSpec, count: number, log: Logger, make = (s: DataPlaneSpec): WorkerDataPlane => new WorkerDataPlane(s, log)) {
    if (!Number.isInteger(count) || count < 2) throw new RangeError('MultiDataPlane takes 2 or more workers');
    // conn_capacity is the router's: each worker's table holds its share of the clients.
    const connCapacity = Math.ceil(spec.connCapacity / count);
    this.workers = Array.from({ length: count }, (_, index) => make({ ...spec, connCapacity, worker: { index, count } }));
    this.layouts = this.workers.map(() => new Map());
    this.workers[0].onArp((frame, itf) => {
      for (let k = 1; k < this.workers.length; k++) this.workers[k].hearArp(frame.slice(), itf);
    });
  }

  /** Each worker's own counters (tsvs admin --stats shows them per worker too). */
  get parts(): DataPlaneMemory[] {
    return this.workers.map((w) => w.memory);
  }

  get memory(): DataPlaneMemory {
    if (!this.merged) throw new Error('the data plane has not started');
    return this.merged.view;
  }

  /**
   * One worker after the other: a socket's place in its fanout group is the order it
   * joined, and worker k must have place k in every device's group, or a reply coming
   * in on another device than its request would reach another worker. Worker 0
   * makes the groups (the kernel picks unused ids: no other program's group is
   * joined by chance); the others join them.
   */
  async start(delta: TableDelta): Promise<ServiceLayout[]> {
    let first: ServiceLayout[] = [];
    try {
      let groups: number[] | undefined;
      for (let k = 0; k < this.workers.length; k++) {
        const layouts = await this.workers[k].start(deltaForWorker(delta, k, this.workers.length), groups);
        if (k === 0) groups = this.workers[0].fanoutGroups;
        if (!groups) throw new Error('the first data-plane worker made no fanout groups (--workers needs the native AF_PACKET backend)');
        this.note(k, delta, layouts);
        if (k === 0) first = layouts;
      }
    } catch (e) {
      await this.stop();
      throw e;
    }
    this.merged = new MergedMemory(this.parts);
    this.merged.setLayouts(this.layouts);
    return first;
  }

  /**
   * Worker 0 first (it sets the fanout program for the new addresses as it
   * switches), then the others together: none makes a connection to a new address
   * before the program hashes its replies to the same worker.
   */
  async apply(delta: TableDelta): Promise<ServiceLayout[]> {
    const n = this.workers.length;
    const first = await this.workers[0].apply(deltaForWorker(delta, 0, n));
    this.note(0, delta, first);
    const settled = await Promise.allSettled(this.workers.slice(1).map((w, i) => w.apply(deltaForWorker(delta, i + 1, n))));
    const refused = settled.findIndex((r) => r.status === 'rejected');
    if (refused >= 0) {
      // Worker 0 runs the new version and cannot be told to go back: the workers would
      // serve two tables. The same checks passed in worker 0, so this is a fault: the
      // data plane is given up as one that died (the daemon stops; a supervisor restarts it).
      const why = `worker ${refused + 1} refused table version ${delta.version} that worker 0 runs: ${((settled[refused] as PromiseRejectedResult).reason as Error).message}`;
      this.failed?.(why);
      throw new Error(why);
    }
    settled.forEach((r, i) => this.note(i + 1, delta, (r as PromiseFulfilledResult<ServiceLayout[]>).value));
    this.merged?.setLayouts(this.layouts);
    return first;
  }

  async conns(offset: number, limit: number): Promise<ConnPage> {
    const out: ConnPage = { total: 0, offset, conns: [] };
    let skip = offset;
    for (const w of this.workers) {
      const p = await w.conns(skip, limit - out.conns.length);
      out.total += p.total;
      out.conns.push(...p.conns);
      skip = Math.max(0, skip - p.total);
    }
    return out;
  }

  /** Worker 0 alone speaks ARP (fanout-bpf.ts). */
  announce(): void {
    this.workers[0].announce();
  }

  async setSync(settings: SyncSettings): Promise<void> {
    if (settings.role !== null) throw new Error(SYNC_NEEDS_ONE_WORKER);
  }

  async resync(): Promise<number | null> {
    return null;
  }

  async setRoutes(routes: Route[] | null): Promise<void> {
    await Promise.all(this.workers.map((w) => w.setRoutes(routes)));
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
  }

  onFailure(cb: (why: string) => void): void {
    this.failed = cb;
    this.workers.forEach((w, k) => w.onFailure((why) => cb(`worker ${k}: ${why}`)));
  }

  private note(k: number, delta: TableDelta, layouts: ServiceLayout[]): void {
    const m = this.layouts[k];
    for (const key of delta.removed) m.delete(key);
    for (const l of layouts) m.set(l.key, l);
  }
}
