// The router process (`tsvs start`): wires lvs.cf, the engine, a live packet
// port, the ARP agent and the nftables fence. Every input is injected (port,
// clock, host, nft), so the daemon runs as a step function in tests: frames
// in, frames and log lines out, no sleeps.
import { Batch, VERDICT_TX } from '../frames/batch.js';
import { Engine } from '../engine/engine.js';
import type { LivePort } from '../frames/port.js';
import { formatIPv4, formatMac, type ServiceTable } from '../model/index.js';
import { ArpAgent, type OutFrame } from './arp.js';
import { Fence, fenceSpec, type NftRunner } from './fence.js';
import { loadConfig } from './load.js';
import type { Logger } from './log.js';
import { preflight, type HostInfo } from './preflight.js';
import { snapshot, writeSnapshot, type StatsSnapshot } from './stats.js';
import { tableDevices, type RouterInterface } from './setup.js';

export interface RouterDeps {
  configPath: string;
  log: Logger;
  host: HostInfo;
  openPort(devices: string[]): LivePort;
  nft?: NftRunner;
  clock?: () => number;
  /** Connection table slots; overrides lvs.cf conn_capacity (tsvs start --conn-capacity). */
  connCapacity?: number;
  /** Frames per batch and batches per wake-up: the cap keeps the event loop breathing. */
  batchFrames?: number;
  maxBatchesPerWake?: number;
}

export class StartError extends Error {}

const REFRESH_MS = 30_000;

export class Router {
  engine!: Engine;
  private table!: ServiceTable;
  private port: LivePort | null = null;
  private arp!: ArpAgent;
  private readonly fence: Fence;
  private readonly batch: Batch;
  private readonly out: Batch;
  private readonly clock: () => number;
  private nextRefresh = 0;
  running = false;

  constructor(private readonly deps: RouterDeps) {
    this.fence = new Fence(deps.nft);
    this.clock = deps.clock ?? (() => performance.now());
    const frames = deps.batchFrames ?? 256;
    // GSO super-frames reach 64 KiB: room for a few of them or a full batch of small ones.
    this.batch = new Batch(frames, 8 << 20);
    this.out = new Batch(64, 64 * 2048);
  }

  /** Checks, fences, opens the port, announces the addresses. Throws StartError with one line per problem. */
  start(): void {
    const log = this.deps.log;
    let loaded;
    try {
      loaded = loadConfig(this.deps.configPath);
    } catch (e) {
      throw new StartError((e as Error).message);
    }
    this.table = loaded.table;
    for (const n of loaded.notes) log.info('lvs.cf key not acted on yet', { where: n });
    const devices = tableDevices(this.table);
    const problems = preflight(this.table, devices, this.deps.host);
    if (problems.length) throw new StartError(problems.join('\n'));
    const interfaces: RouterInterface[] = devices.map((name) => ({ name, mac: this.deps.host.macOf(name)!, defaulted: false }));
    this.engine = new Engine({ interfaces, table: this.table, connCapacity: this.deps.connCapacity ?? loaded.connCapacity });
    this.arp = new ArpAgent(this.engine, this.table);
    const local = [...this.deps.host.kernelAddresses().keys()];
    for (const line of this.fence.install(fenceSpec(this.table, devices, local))) log.info(line);
    try {
      this.port = this.deps.openPort(devices);
    } catch (e) {
      this.fence.remove();
      throw new StartError((e as Error).message);
    }
    this.port.onReadable(() => this.drain());
    this.running = true;
    const now = this.clock();
    this.arp.announce(now);
    this.nextRefresh = now + REFRESH_MS;
    log.info('router started', {
      devices: interfaces.map((i) => `${i.name}=${formatMac(i.mac)}`).join(','),
      addresses: this.table.addresses.map((a) => `${formatIPv4(a.address)}@${a.device}`).join(','),
      services: this.table.services.length,
    });
    this.tick();
  }

  /** Reads, processes and sends batches until the port is empty or the per-wake cap is hit. */
  drain(): number {
    if (!this.port || !this.running) return 0;
    const b = this.batch;
    const max = this.deps.maxBatchesPerWake ?? 16;
    let frames = 0;
    for (let k = 0; k < max; k++) {
      b.reset();
      const n = this.port.rx(b, b.capacity);
      if (n === 0) break;
      frames += n;
      this.engine.process(b, this.clock());
      this.port.tx(b);
    }
    if (this.engine.l2.missing.size > 0) this.sendArp(false);
    return frames;
  }

  /** Periodic work (call about once a second): expiry while idle, gratuitous and refresh ARP. */
  tick(): void {
    if (!this.running) return;
    const now = this.clock();
    this.engine.conns.expire(now);
    const refresh = now >= this.nextRefresh;
    if (refresh) this.nextRefresh = now + REFRESH_MS;
    this.sendArp(refresh);
  }

  stats(): StatsSnapshot {
    return snapshot(this.engine, this.clock());
  }

  writeStats(path: string): void {
    writeSnapshot(path, this.stats());
  }

  /** SIGHUP: re-read lvs.cf; a bad file is reported and the running table stays. Connections survive. */
  reload(): boolean {
    const log = this.deps.log;
    try {
      const { table, connCapacity } = loadConfig(this.deps.configPath);
      const devices = tableDevices(table);
      const missing = devices.filter((d) => this.engine.l2.ifIndex(d) < 0);
      if (missing.length) throw new Error(`lvs.cf now names device(s) ${missing.join(', ')}; adding devices needs a restart`);
      this.engine.apply(table);
      this.table = table;
      this.arp.setTable(table);
      const local = [...this.deps.host.kernelAddresses().keys()];
      this.fence.install(fenceSpec(table, devices, local));
      log.info('reloaded lvs.cf', { services: table.services.length, version: table.version, connections: this.engine.conns.count });
      // The table's arrays are sized once; a new size waits for a restart, and says so.
      const running = this.engine.conns.capacity;
      if (this.deps.connCapacity === undefined && connCapacity !== running) {
        log.warn('conn_capacity changed; it takes effect at the next start', { running, configured: connCapacity });
      }
      this.arp.announce(this.clock());
      this.sendArp(false);
      return true;
    } catch (e) {
      for (const line of (e as Error).message.split('\n')) log.error('reload failed; the running table stays', { problem: line });
      return false;
    }
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.port?.close();
    this.port = null;
    const removed = this.fence.remove();
    this.deps.log.info('router stopped', { fence_removed: removed, ...this.engine.counters.snapshot() });
  }

  private sendArp(refresh: boolean): void {
    const frames = this.arp.due(this.clock(), refresh);
    if (frames.length) this.send(frames);
  }

  private send(frames: OutFrame[]): void {
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
}
