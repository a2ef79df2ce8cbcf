// The data plane's loop: the engine, the live packet port, the neighbours'
// ARP and the gratuitous ARP, driven by the port's readable events and a
// one-second tick. It runs in the data plane's worker thread (dataplane-worker.ts)
// or, for tests and the inline mode, in the caller's thread; either way it only
// takes table deltas and answers questions between batches, so the engine stays
// pure and synchronous and swaps versions with no frame half-processed.
import { sharedAlloc, privateAlloc } from '../conn/memory.js';
import { TCP_STATE_NAMES, TEMPLATE_STATE_NAMES, UDP_STATE_NAMES } from '../conn/tcp-states.js';
import { A6, CONN_F_TEMPLATE } from '../conn/table.js';
import type { ConnPage, ConnView } from '../control/types.js';
import { forwardName } from '../control/views.js';
import { Engine } from '../engine/engine.js';
import type { ArpOut, NeighEvent } from '../engine/neighbours.js';
import type { ServiceLayout } from '../engine/services.js';
import { RouteTable, type Route } from '../engine/routes.js';
import { Batch, VERDICT_TX } from '../frames/batch.js';
import type { LivePort } from '../frames/port.js';
import type { TableDelta } from '../model/diff.js';
import { formatIPv4, PROTO_TCP, PROTO_UDP, type RealServer } from '../model/index.js';
import { formatIPv6 } from '../packet/ipv6.js';
import {
  BATCH_FRAME_BOUNDS, BATCH_MICRO_BOUNDS, H_BATCHES, H_CONN_CAPACITY, H_CONNS, H_VERSION, loopMemory, memoryOf, observe, type DataPlaneMemory,
} from '../engine/published.js';
import { Opener, Sealer } from '../ha/auth.js';
import { ConnSync, type ConnSyncStats, type SyncAuth } from './conn-sync.js';
import { Announcer } from './garp.js';
import type { Logger } from './log.js';
import { udpSyncTransport, type SyncSettings, type SyncTransport, type SyncTransportFactory } from './sync-socket.js';

/**
 * A whole-table sync send (resync) goes out in slices: this many table slots
 * every few ms, so the loop keeps forwarding between slices (a slice of live
 * conns encodes in well under a millisecond) and the backup's socket buffer is
 * not flooded: about 256 k conns a second, a million-conn table in 4 s.
 */
const SWEEP_SLOTS = 1024;
const SWEEP_EVERY_MS = 4;

export interface HostOptions {
  devices: string[];
  /** Each device's MAC, in order. */
  macs: Uint8Array[];
  /** Each device's own IPv4 address (0: none), in order: LVS-TUN's outer source. */
  sources?: number[];
  /** Each device's MTU, in order (absent or 0: unknown): forwarded datagrams are checked against it. */
  mtus?: number[];
  /** The router's routes (engine/routes.ts); absent or null: the owned networks alone decide where a real server is. */
  routes?: Route[] | null;
  connCapacity: number;
  openPort(devices: string[]): LivePort;
  log: Logger;
  /** Counters in shared memory (the worker) or not (inline). */
  shared: boolean;
  clock?: () => number;
  /** Frames per batch and batches per wake-up: the cap keeps the event loop breathing. */
  batchFrames?: number;
  maxBatchesPerWake?: number;
  /** Connection sync's sockets; default UDP multicast (sync-socket.ts). */
  openSync?: SyncTransportFactory;
  /** One of several workers (tsvs start --workers N): see WorkerShare. Absent: the only one. */
  share?: WorkerShare;
}

/**
 * What a worker of several does beside its own flows. The fanout program sends
 * every frame that is not IPv4 (ARP) to worker 0 (router/fanout-bpf.ts): it alone
 * answers ARP and announces the addresses, and hands the ARP it hears to `relay`
 * (the control plane passes them on to the others' hearArp), so every worker
 * learns the neighbours. The others keep quiet about neighbour events: worker 0 logs them.
 */
export interface WorkerShare {
  first: boolean;
  relay?(frame: Uint8Array, itf: number): void;
}

/** ARP frames relayed per second at most: an ARP flood must not become a message flood between threads. */
const ARP_RELAY_PER_S = 512;

/** Places of every batch left for released fragments (a datagram's held ones go out with its first). */
const FRAG_ROOM = 8;

/**
 * A table change's work runs in steps of about this long, each between two
 * batches (stageLater, applyLater): a step stops once it has run this long, so
 * how many servers fit in one depends on the machine and on whether the code
 * is optimised yet, never the other way round.
 */
export const STEP_MS = 0.25;
/**
 * Services one step switches: a delta naming more goes in parts (switchInParts),
 * the first this many, the next as many as the last part's pace fits in STEP_MS.
 */
const SWITCH_PART = 128;
/** A change to a service of this many servers or more is staged and prepared ahead, whatever its size (applyLater). */
const PREPARE_FROM = 1024;
/** Servers staged, and remove pairs, between two looks at the clock. */
const STAGE_CHUNK = 32;
const REMOVE_CHUNK = 128;

/** The next turn of the event loop: the port's readable events (batches) run before it. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class DataPlaneHost {
  readonly engine: Engine;
  readonly memory: DataPlaneMemory;
  private port: LivePort | null = null;
  private readonly batch: Batch;
  private readonly out: Batch;
  private readonly clock: () => number;
  private readonly garp: Announcer;
  private readonly host: Float64Array;
  private sync: ConnSync | null = null;
  private syncTransport: SyncTransport | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  /** ha_key_file's seal and open for sync, kept while the key and address stay (a new one would restart the windows). */
  private syncAuth: { key: string; auth: SyncAuth } | null = null;
  running = false;
  /** Worker 0 of several: ARP frames relayed in the current second, and when it began. */
  private relayed = 0;
  private relayWindow = 0;
  /** The table changes queued (stageLater, applyLater): each starts once the one before is done. */
  private changes: Promise<unknown> = Promise.resolve();
  private queued = 0;
  /** Told of each step of a table change the loop takes in one go, and its ms (benchmarks). */
  onStep: ((what: 'stage' | 'prepare' | 'switch' | 'settle', ms: number) => void) | null = null;

  constructor(private readonly opts: HostOptions) {
    this.clock = opts.clock ?? (() => performance.now());
    const alloc = opts.shared ? sharedAlloc : privateAlloc;
    const interfaces = opts.devices.map((name, i) => ({ name, mac: opts.macs[i], source: opts.sources?.[i], mtu: opts.mtus?.[i] }));
    this.engine = new Engine({ interfaces, connCapacity: opts.connCapacity, alloc });
    if (opts.routes) this.engine.setRoutes(new RouteTable(opts.routes), 0);
    // Switches leave the trash to steps after them (applyLater).
    this.engine.services.settleLater = true;
    // GSO super-frames reach 64 KiB: 6 MiB receives a few dozen of them or a full batch of
    // small ones. The 10 MiB and 4,608 places past them are for frames the engine writes:
    // frames that grow (LVS-TUN, ICMP errors), and the segments of super-frames cut for a
    // tunnel, up to all the bytes received (engine/tunnel-gso.ts).
    this.batch = new Batch(opts.batchFrames ?? 256, 16 << 20, 10 << 20, 4608);
    this.out = new Batch(64, 64 * 2048);
    this.garp = new Announcer(opts.devices, this.engine.l2.ifMac);
    const loop = loopMemory(alloc);
    this.host = loop.host;
    this.host[H_CONN_CAPACITY] = this.engine.conns.capacity;
    this.memory = memoryOf(this.engine, loop);
  }

  /** A step of a table change the loop took in one go (ms): published (stepMicros), and told to onStep. */
  private stepDone(what: 'stage' | 'prepare' | 'switch' | 'settle', ms: number): void {
    observe(this.memory.stepMicros, BATCH_MICRO_BOUNDS, ms * 1000);
    this.onStep?.(what, ms);
  }

  /** A garbage collection pause of this thread, ms (observeGc). */
  gcPause(ms: number): void {
    observe(this.memory.gcMicros, BATCH_MICRO_BOUNDS, ms * 1000);
  }

  /** Applies the first table, opens the port, announces the addresses. Throws when the port cannot be opened. */
  start(delta: TableDelta): ServiceLayout[] {
    const layouts = this.apply(delta);
    this.port = this.opts.openPort(this.opts.devices);
    this.takeMtus(this.port);
    this.port.onReadable(() => this.drain());
    this.running = true;
    this.announce();
    this.tick();
    return layouts;
  }

  /** The devices' MTUs where the backend knows them (AF_PACKET does), for LVS-TUN's size check; else 1500. */
  private takeMtus(port: object): void {
    const info = (port as { info?: Array<{ mtu?: number }> }).info;
    info?.forEach((d, itf) => {
      if (d.mtu !== undefined) this.engine.l2.setMtu(itf, d.mtu);
    });
  }

  /** A new table version, between two batches; throws (changing nothing) when the engine cannot run it. */
  apply(delta: TableDelta): ServiceLayout[] {
    const layouts = this.engine.applyDelta(delta);
    this.applied(delta);
    return layouts;
  }

  /** After a version is in: its number published, parked synced conns tried again, neighbours logged, addresses announced. */
  private applied(delta: TableDelta): void {
    this.host[H_VERSION] = delta.version;
    // A server the checks admitted may be what synced conns were waiting for.
    if (this.sync !== null) this.sync.sweepParked(this.clock(), true);
    this.logNeighbours(this.engine.neighEvents.splice(0));
    if (delta.globals && this.running) this.announce();
  }

  /**
   * The switch of a version, in parts of services each taking about STEP_MS,
   * between batches, when it names more services than one step switches (a
   * reload touching a thousand services): then a version is whole per service
   * while its parts go in, over a few milliseconds, as `ipvsadm -R` and a
   * keepalived reload change IPVS service by service. The delta is checked
   * whole first (Engine.checkDelta), so one that cannot run is refused before
   * any part; the globals and the services it removes go with the first part;
   * its number is published after the last.
   */
  private async switchInParts(delta: TableDelta): Promise<ServiceLayout[]> {
    const all = delta.services;
    if (all.length <= SWITCH_PART) return this.apply(delta);
    this.engine.checkDelta(delta);
    const layouts: ServiceLayout[] = [];
    let n = SWITCH_PART / 2; // the first part small: the code runs cold (unoptimised) at a switch
    for (let k = 0; k < all.length; ) {
      const t0 = this.clock();
      const first = k === 0;
      const part = { ...delta, services: all.slice(k, k + n), removed: first ? delta.removed : [], globals: first ? delta.globals : null };
      for (const l of this.engine.applyDelta(part)) layouts.push(l);
      k += part.services.length;
      const took = this.clock() - t0;
      this.stepDone('switch', took);
      // As many services next time as fit the step at this one's pace.
      n = Math.max(16, Math.min(4096, Math.floor((n * STEP_MS) / Math.max(took, 0.01))));
      if (k < all.length) await nextTurn();
    }
    this.applied(delta);
    return layouts;
  }

  /** The router's routes changed: between two batches, every real server's next hop is decided again and asked for. */
  setRoutes(routes: Route[] | null): void {
    this.logNeighbours(this.engine.setRoutes(routes ? new RouteTable(routes) : null, this.clock()));
    if (this.running) this.sendArp(false);
  }

  /** Servers of a coming version, ahead of its delta (Engine.stage); throws when they do not fit. */
  stage(version: number, key: string, servers: readonly RealServer[], remove: ReadonlyArray<number | string> = []): void {
    this.engine.stage(version, key, servers, remove);
    this.logNeighbours(this.engine.neighEvents.splice(0));
  }

  /**
   * stage(), in steps of about STEP_MS with the loop's batches between them,
   * after the changes queued before; resolves once all is staged. Throws
   * (rejects) as stage() does.
   */
  stageLater(version: number, key: string, servers: readonly RealServer[], remove: ReadonlyArray<number | string> = []): Promise<void> {
    return this.enqueue(() => this.stageSteps(version, key, servers, remove));
  }

  private async stageSteps(version: number, key: string, servers: readonly RealServer[], remove: ReadonlyArray<number | string>): Promise<void> {
    {
      let k = 0;
      let r = 0;
      while (k < servers.length || r < remove.length) {
        const t0 = this.clock();
        do {
          if (k < servers.length) {
            const to = Math.min(k + STAGE_CHUNK, servers.length);
            this.engine.stage(version, key, servers, [], k, to);
            k = to;
          } else {
            const to = Math.min(r + REMOVE_CHUNK, remove.length);
            this.engine.stage(version, key, [], remove.slice(r, to));
            r = to;
          }
        } while ((k < servers.length || r < remove.length) && this.clock() - t0 < STEP_MS);
        this.logNeighbours(this.engine.neighEvents.splice(0));
        this.stepDone('stage', this.clock() - t0);
        if (k < servers.length || r < remove.length) await nextTurn();
      }
    }
  }

  /**
   * apply(), after the changes queued before (the version's stages): first, in
   * steps of about STEP_MS, each staged service's next list and scheduler state
   * (ServiceRuntime.prepareStaged), then the switch in one step, which only
   * swaps them in.
   */
  applyLater(delta: TableDelta): Promise<ServiceLayout[]> {
    // Nothing queued and nothing to prepare: at once, as apply() (callers stepping a fake clock count on no extra turn).
    if (this.queued === 0 && delta.services.length <= SWITCH_PART && !delta.services.some((d) => d.staged || this.isLong(d))) {
      try {
        return Promise.resolve(this.switchNow(delta));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return this.enqueue(async () => {
      // A change to a long list is staged here too, however few servers it names:
      // then the switch swaps in a list and scheduler state prepared ahead
      // instead of rebuilding them over every server of the service.
      const services = [];
      for (const d of delta.services) {
        if (!this.isLong(d)) {
          services.push(d);
          continue;
        }
        await this.stageSteps(delta.version, d.key, d.upsert, d.remove);
        services.push({ ...d, upsert: [], remove: [], staged: true });
      }
      if (services.some((d, i) => d !== delta.services[i])) delta = { ...delta, services };
      if (!services.some((d) => d.staged)) return this.switchNowInParts(delta);
      let t0 = this.clock();
      const due = async (): Promise<void> => {
        if (this.clock() - t0 < STEP_MS) return;
        this.stepDone('prepare', this.clock() - t0);
        await nextTurn();
        t0 = this.clock();
      };
      for (const d of delta.services) {
        if (!d.staged) continue;
        const steps = this.engine.services.prepareStaged(d);
        while (steps.next().done !== true) await due();
        await due();
      }
      if (this.clock() - t0 > 0.02) {
        this.stepDone('prepare', this.clock() - t0);
        await nextTurn();
        t0 = this.clock();
      }
      let layouts: ServiceLayout[];
      if (delta.services.length <= SWITCH_PART) {
        layouts = this.apply(delta);
        this.stepDone('switch', this.clock() - t0);
      } else layouts = await this.switchInParts(delta);
      // What the switch left for after it (ServiceRuntime.settle), in steps too.
      const settle = this.engine.services.settle();
      for (let done = false; !done; ) {
        await nextTurn();
        t0 = this.clock();
        do done = settle.next().done === true;
        while (!done && this.clock() - t0 < STEP_MS);
        this.stepDone('settle', this.clock() - t0);
      }
      return layouts;
    });
  }

  /** A service delta to a long list, which applyLater stages and prepares ahead. */
  private isLong(d: TableDelta['services'][number]): boolean {
    return !d.staged && (d.upsert.length > 0 || d.remove.length > 0) && (this.engine.services.entryOf(d.key)?.ids.length ?? 0) >= PREPARE_FROM;
  }

  /** switchNow for a delta of more services than one step switches: in parts, then what it leaves. */
  private async switchNowInParts(delta: TableDelta): Promise<ServiceLayout[]> {
    if (delta.services.length <= SWITCH_PART) return this.switchNow(delta);
    const layouts = await this.switchInParts(delta);
    const settle = this.engine.services.settle();
    while (settle.next().done !== true);
    return layouts;
  }

  /** A switch with nothing prepared, and what it leaves, in one step. */
  private switchNow(delta: TableDelta): ServiceLayout[] {
    const t = this.clock();
    const layouts = this.apply(delta);
    const settle = this.engine.services.settle();
    while (settle.next().done !== true);
    this.stepDone('switch', this.clock() - t);
    return layouts;
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    this.queued++;
    const run = this.changes.then(job).finally(() => this.queued--);
    this.changes = run.catch(() => {});
    return run;
  }

  /** Gratuitous ARP for every owned address, now and 4 more times 1 s apart; none while they are released. */
  announce(): void {
    if (this.opts.share && !this.opts.share.first) return;
    const e = this.engine;
    this.garp.start(e.released ? [] : e.addresses, this.clock(), e.released ? [] : e.v6.announcements());
  }

  /** Reads, processes and sends batches until the port is empty or the per-wake cap is hit. */
  drain(): number {
    const port = this.port;
    if (!port || !this.running) return 0;
    const b = this.batch;
    const max = this.opts.maxBatchesPerWake ?? 16;
    const m = this.memory;
    let frames = 0;
    for (let k = 0; k < max; k++) {
      b.reset();
      // The last few places stay free for fragments held before their first one,
      // which the engine appends when it comes (engine/frags.ts).
      const n = port.rx(b, b.capacity > 2 * FRAG_ROOM ? b.capacity - FRAG_ROOM : b.capacity);
      if (n === 0) break;
      frames += n;
      if (this.opts.share?.relay) this.relayArp(b);
      const t0 = this.clock();
      this.engine.process(b, t0);
      port.tx(b);
      // Each batch queues at most two slots a frame: the ring never fills between drains.
      if (this.sync !== null) this.sync.flush(false);
      observe(m.batchFrames, BATCH_FRAME_BOUNDS, n);
      observe(m.batchMicros, BATCH_MICRO_BOUNDS, (this.clock() - t0) * 1000);
      this.host[H_BATCHES]++;
    }
    this.host[H_CONNS] = this.engine.conns.count;
    const now = this.clock();
    const v6 = this.engine.v6;
    const asks6 = !(this.opts.share && !this.opts.share.first);
    if (this.engine.neigh.pending(now) || (asks6 && (v6.neigh.pending(now) || v6.clients.pending(now)))) this.sendArp(false);
    return frames;
  }

  /** Periodic work (about once a second): expiry while idle, freeing unused dests, ARP. */
  tick(): void {
    if (!this.running) return;
    const e = this.engine;
    e.conns.expire(this.clock());
    // Frames waiting for a next hop are given up after 3 s even when no frame comes to run the engine.
    if (e.held.count !== 0 && this.port) {
      const b = this.batch;
      b.reset();
      e.process(b, this.clock());
      this.port.tx(b);
    }
    if (e.services.collectDests() > 0) this.logNeighbours(e.syncNeighbours(this.clock()));
    this.host[H_CONNS] = e.conns.count;
    this.publishPortCounters();
    this.sendArp(true);
    // The part-filled message goes out too, as the kernel's master flushes its buffer.
    if (this.sync !== null) {
      this.sync.flush(true);
      this.sync.sweepParked(this.clock(), false);
    }
  }

  /**
   * Starts, changes or (role null) stops connection sync: ipvsadm --start-daemon
   * and --stop-daemon. Throws on bad settings (syncid, maxlen), keeping the old ones.
   */
  setSync(settings: SyncSettings): void {
    const next = settings.role === null ? null : new ConnSync(this.engine, settings, (b) => this.syncTransport?.send(b), this.host, this.authFor(settings));
    this.closeSync();
    if (next === null) return;
    this.sync = next;
    this.engine.sync = next.queue;
    const open = this.opts.openSync ?? udpSyncTransport;
    this.syncTransport = open(settings, (bytes, from) => this.receiveSync(bytes, from), this.opts.log);
  }

  /**
   * Sends the whole connection table to the backup (conn-sync.ts resync), a slice
   * every few ms; a send already under way starts again from the top. Returns the
   * conns the table holds, or null when this router is not a sync master.
   */
  resync(): number | null {
    if (this.sync === null || !this.running || !this.sync.resync()) return null;
    if (this.sweepTimer === null) this.sweepStep();
    return this.engine.conns.count;
  }

  private readonly sweepStep = (): void => {
    this.sweepTimer = null;
    if (this.sync === null || !this.running || !this.sync.sweep(SWEEP_SLOTS)) return;
    this.sweepTimer = setTimeout(this.sweepStep, SWEEP_EVERY_MS);
    this.sweepTimer.unref();
  };

  private authFor(s: SyncSettings): SyncAuth | null {
    if (!s.auth) return null;
    const id = `${s.address}:${Buffer.from(s.auth.key).toString('base64')}`;
    if (this.syncAuth?.key !== id) {
      this.syncAuth = { key: id, auth: { sealer: new Sealer(s.auth.key, 'sync', s.address), opener: new Opener(s.auth.key, 'sync', s.address) } };
    }
    return this.syncAuth.auth;
  }

  /** A sync message from another router (from: its address, uint32). Bad input is counted, never thrown. */
  receiveSync(bytes: Uint8Array, from = 0): void {
    if (this.sync !== null && this.running) this.sync.receive(bytes, from, this.clock());
  }

  /** What connection sync counted; null while it is off. */
  syncStats(): ConnSyncStats | null {
    return this.sync?.stats ?? null;
  }

  private closeSync(): void {
    if (this.sweepTimer !== null) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    this.syncTransport?.close();
    this.syncTransport = null;
    this.sync?.close();
    this.sync = null;
  }

  /** Connections and templates, `limit` from the `offset`-th live one, as /proc/net/ip_vs_conn lists them. */
  conns(offset: number, limit: number): ConnPage {
    const c = this.engine.conns;
    const now = this.clock();
    const out: ConnView[] = [];
    let seen = 0;
    c.forEach((s) => {
      if (seen++ < offset || out.length >= limit) return;
      out.push(connView(this.engine, s, now));
    });
    return { total: c.count, offset, conns: out };
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.closeSync();
    this.port?.close();
    this.port = null;
  }

  /** The backend's losses below the engine (ring overflows, tx errors), for the control plane to show. */
  private publishPortCounters(): void {
    const c = this.port?.counters?.();
    if (!c) return;
    const p = this.memory.backend;
    p[0] = c.ringDrops;
    p[1] = c.truncated;
    p[2] = c.oversize;
    p[3] = c.txUnsent;
    p[4] = c.txErrors;
    p[5] = c.txWaits ?? 0;
    p[6] = c.ifRxDropped ?? 0;
    p[7] = c.ifTxDropped ?? 0;
  }

  private sendArp(periodic: boolean): void {
    const events: NeighEvent[] = [];
    const now = this.clock();
    // IPv6 frames all reach worker 0 (fanout-bpf.ts hashes IPv4 only): the other workers' solicitations would never hear their answers.
    const v6 = this.opts.share && !this.opts.share.first ? [] : [...this.engine.v6.neigh.due(now, events), ...this.engine.v6.clients.due(now)];
    const frames = [...(periodic ? this.garp.due(now) : []), ...this.engine.neigh.due(now, events), ...v6];
    this.logNeighbours(events);
    if (frames.length) this.send(frames);
  }

  private send(frames: ArpOut[]): void {
    if (!this.port) return;
    const o = this.out;
    for (let k = 0; k < frames.length; k += o.capacity) {
      o.reset();
      for (const f of frames.slice(k, k + o.capacity)) {
        o.push(f.frame, f.itf);
        o.ifOut[o.count - 1] = f.itf;
        o.verdict[o.count - 1] = VERDICT_TX;
      }
      this.port.tx(o);
    }
  }

  /** Worker 0: copies out the ARP frames of a batch (ethertype at 12, or at 16 behind an 802.1Q tag) for the other workers. */
  private relayArp(b: Batch): void {
    const buf = b.buf;
    for (let i = 0; i < b.count; i++) {
      const o = b.off[i];
      const tagged = buf[o + 12] === 0x81 && buf[o + 13] === 0x00;
      const t = tagged ? o + 16 : o + 12;
      if (buf[t] !== 0x08 || buf[t + 1] !== 0x06 || b.len[i] < t - o + 30) continue;
      // Only senders the table wants (every worker wants the same ones): a flood of others must not use up the relay's budget.
      const a = t + 2 + 14;
      if (this.engine.neigh.resolve(((buf[a] << 24) | (buf[a + 1] << 16) | (buf[a + 2] << 8) | buf[a + 3]) >>> 0) === 0) continue;
      const now = this.clock();
      if (now - this.relayWindow >= 1000) {
        this.relayWindow = now;
        this.relayed = 0;
      }
      if (this.relayed++ >= ARP_RELAY_PER_S) return;
      this.opts.share!.relay!(buf.slice(o, o + b.len[i]), b.ifIn[i]);
    }
  }

  /**
   * Another worker heard this ARP frame (WorkerShare): learn the sender as the
   * engine's ARP handling does (engine/arp.ts) and send what waited for it. Not
   * counted as a frame of this worker: worker 0 counted it.
   */
  hearArp(frame: Uint8Array, itf: number): void {
    if (!this.running || frame.length < 42) return;
    const arp = frame[12] === 0x81 && frame[13] === 0x00 ? 18 : 14;
    if (frame.length < arp + 28) return;
    const spa = ((frame[arp + 14] << 24) | (frame[arp + 15] << 16) | (frame[arp + 16] << 8) | frame[arp + 17]) >>> 0;
    const now = this.clock();
    if (spa !== 0) this.engine.neigh.heard(spa, frame, arp + 8, itf, now);
    const e = this.engine;
    if (e.held.count !== 0 && this.port) {
      const b = this.batch;
      b.reset();
      e.process(b, now);
      this.port.tx(b);
    }
  }

  private logNeighbours(events: NeighEvent[]): void {
    if (this.opts.share && !this.opts.share.first) return;
    const log = this.opts.log;
    for (const ev of events) {
      const fields = { address: ev.address, device: ev.device };
      // A next hop is a real server, or the gateway the routes name for some.
      if (ev.what === 'resolved') log.info('next hop answers ARP again', fields);
      else if (ev.what === 'not answering') log.warn('next hop (a real server or its gateway) does not answer ARP; frames to it are dropped until it does', fields);
      else if (ev.what === 'failed') log.warn('next hop (a real server or its gateway) stopped answering ARP (90 s); frames to it are dropped until it answers', fields);
      else log.error('neighbour table full; this next hop cannot be resolved', fields);
    }
  }
}

/** One entry as ipvsadm -L -c shows it. */
function connView(engine: Engine, s: number, now: number): ConnView {
  const c = engine.conns;
  const proto = c.protoOf(s);
  const template = (c.flagsOf(s) & CONN_F_TEMPLATE) !== 0;
  const state = template ? TEMPLATE_STATE_NAMES[0] : proto === PROTO_UDP ? UDP_STATE_NAMES[0] : TCP_STATE_NAMES[c.stateOf(s)] ?? 'ERR!';
  // An IPv6 entry's row holds folds; its addresses are in addr6 (conn/table.ts).
  const v6 = c.isV6(s);
  const addr = (word: number, at: number): string => (v6 ? formatIPv6(c.addr6, s * A6 + at) : formatIPv4(word >>> 0));
  return {
    protocol: proto === PROTO_TCP ? 'TCP' : proto === PROTO_UDP ? 'UDP' : 'IP',
    client: addr(c.caddrOf(s), 0),
    clientPort: c.cportOf(s),
    virtual: addr(c.vaddrOf(s), 4),
    virtualPort: c.vportOf(s),
    dest: addr(c.daddrOf(s), 8),
    destPort: c.dportOf(s),
    state,
    expires: Math.max(0, Math.floor(c.remaining(s, now) / 1000)),
    template,
    forward: forwardName(engine.services.destFwd[c.destOf(s)]),
  };
}

/**
 * Publishes every garbage collection pause of this thread (each isolate has its
 * own heap: in a worker, the data plane's alone) in the host's gcMicros, where a
 * pause over a millisecond shows as forwarding that stood still. Returns the undo.
 */
export function observeGc(host: DataPlaneHost): () => void {
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) host.gcPause(e.duration);
  });
  obs.observe({ entryTypes: ['gc'] });
  return () => obs.disconnect();
}
