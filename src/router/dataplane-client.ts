// The control plane's side of the data plane's worker thread: requests go out
// as messages and come back as promises; the counters are read from the shared
// memory the worker handed over at start. A worker that dies is a failure of
// the router (it can no longer forward): onFailure says so, and the daemon stops.
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { ConnPage } from '../control/types.js';
import type { ServiceLayout } from '../engine/services.js';
import { sliceDelta, type TableDelta } from '../model/diff.js';
import type { DataPlane, DataPlaneSpec } from './dataplane.js';
import type { DataPlaneMemory } from '../engine/published.js';
import type { Request, Response } from './dataplane-protocol.js';
import type { Logger } from './log.js';
import type { SyncSettings } from './sync-socket.js';
import type { Route } from '../engine/routes.js';

type Pending = { resolve: (r: Response) => void; reject: (e: Error) => void };

/** The compiled worker script; from the TypeScript sources (vitest), the built one in dist/. */
export function workerScript(): URL {
  const here = new URL('./dataplane-worker.js', import.meta.url);
  if (existsSync(here)) return here;
  return new URL('../../dist/src/router/dataplane-worker.js', import.meta.url);
}

type Body<K extends Request['kind']> = Omit<Extract<Request, { kind: K }>, 'id' | 'kind'>;

export class WorkerDataPlane implements DataPlane {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private mem: DataPlaneMemory | null = null;
  private failed: ((why: string) => void) | null = null;
  private stopping = false;
  private arpHeard: ((frame: Uint8Array, itf: number) => void) | null = null;

  constructor(spec: DataPlaneSpec, private readonly log: Logger) {
    this.worker = new Worker(workerScript(), { workerData: spec, name: spec.worker ? `tsvs data plane ${spec.worker.index}` : 'tsvs data plane' });
    this.worker.on('message', (m: Response) => this.receive(m));
    this.worker.on('error', (e) => this.fail(`the data plane's thread failed: ${e.message}`));
    this.worker.on('exit', (code) => {
      if (!this.stopping) this.fail(`the data plane's thread exited (code ${code})`);
    });
  }

  get memory(): DataPlaneMemory {
    if (!this.mem) throw new Error('the data plane has not started');
    return this.mem;
  }

  /** `fanoutGroups`: a worker of several joins these (the first worker's, after its start). */
  async start(delta: TableDelta, fanoutGroups?: number[]): Promise<ServiceLayout[]> {
    const r = await this.request('start', { delta, fanoutGroups });
    if (r.kind !== 'started') throw new Error(`unexpected answer ${r.kind}`);
    this.mem = r.memory;
    this.fanoutGroups = r.fanoutGroups;
    return r.layouts;
  }

  /** The first of several workers: the fanout groups (one per device) it made at start. */
  fanoutGroups: number[] | undefined;

  /**
   * A big delta goes in slices: each is a message of its own that the worker
   * stages between two batches, the next one sent once it is done, so neither
   * copying nor applying thousands of servers stalls the forwarding; the delta
   * itself then switches the version at once.
   */
  async apply(delta: TableDelta): Promise<ServiceLayout[]> {
    const { stages, final } = sliceDelta(delta);
    for (const s of stages) await this.request('stage', { version: delta.version, key: s.key, servers: s.servers, remove: s.remove });
    const r = await this.request('apply', { delta: final });
    return r.kind === 'applied' ? r.layouts : [];
  }

  async conns(offset: number, limit: number): Promise<ConnPage> {
    const r = await this.request('conns', { offset, limit });
    if (r.kind !== 'conns') throw new Error(`unexpected answer ${r.kind}`);
    return r.page;
  }

  announce(): void {
    void this.request('announce', {}).catch(() => {});
  }

  async setSync(settings: SyncSettings): Promise<void> {
    await this.request('sync', { settings });
  }

  async resync(): Promise<number | null> {
    const r = await this.request('resync', {});
    return r.kind === 'resynced' ? r.conns : null;
  }

  async setRoutes(routes: Route[] | null): Promise<void> {
    await this.request('routes', { routes });
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.request('stop', {}).catch(() => {});
    await this.worker.terminate();
  }

  onFailure(cb: (why: string) => void): void {
    this.failed = cb;
  }

  /** Worker 0 of several: the ARP frames it hears (dataplane-host.ts WorkerShare). */
  onArp(cb: (frame: Uint8Array, itf: number) => void): void {
    this.arpHeard = cb;
  }

  /** Another worker heard this ARP frame: this one learns from it too. */
  hearArp(frame: Uint8Array, itf: number): void {
    if (!this.stopping) void this.request('arp', { frame, itf }).catch(() => {});
  }

  private request<K extends Request['kind']>(kind: K, body: Body<K>): Promise<Response> {
    const id = this.nextId++;
    return new Promise<Response>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ kind, id, ...body } as Request);
    });
  }

  private receive(m: Response): void {
    if (m.kind === 'log') {
      this.log[m.level](m.msg, m.fields);
      return;
    }
    if (m.kind === 'arp') {
      this.arpHeard?.(m.frame, m.itf);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.kind === 'error') p.reject(new Error(m.message));
    else p.resolve(m);
  }

  private fail(why: string): void {
    for (const p of this.pending.values()) p.reject(new Error(why));
    this.pending.clear();
    if (!this.stopping) this.failed?.(why);
  }
}
