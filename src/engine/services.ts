// The runtime side of the service table: services and real servers ("dests")
// get stable numeric ids that connections refer to. Applying a new snapshot
// keeps the ids, counters and connections of everything that stays, as IPVS
// does on edit; removed dests stay (unavailable) while connections use them.
import { Dests, DEST_F_AVAILABLE, DEST_F_OVERLOAD } from '../conn/dests.js';
import { serviceKey, PROTO_TCP, PROTO_UDP, type RealServer, type ServiceTable, type VirtualService } from '../model/index.js';
import { createScheduler, type Scheduler } from '../sched/index.js';
import { ServiceIndex } from './service-index.js';

export const FWD_NAT = 0;
export const FWD_DR = 1;
export const FWD_TUNNEL = 2;
const FWD_CODES = { nat: FWD_NAT, dr: FWD_DR, tunnel: FWD_TUNNEL } as const;

export interface ServiceEntry {
  readonly id: number;
  key: string;
  model: VirtualService;
  proto: number;
  scheduler: Scheduler;
  schedSpec: string;
  /** Dest ids in IPVS list order (the newest added first). */
  ids: Uint32Array;
  /** Persistence timeout in ms (0 = off) and client netmask. */
  persistMs: number;
  persistMask: number;
  live: boolean;
}

export class ServiceRuntime {
  readonly dests: Dests;
  // Per dest id, beside the counters in Dests.
  readonly destAddr: Uint32Array;
  readonly destPort: Uint16Array;
  readonly destFwd: Uint8Array;
  readonly destSvc: Uint32Array;
  /** Cached neighbour entry of the dest's address (0 = not resolved yet). */
  readonly destNeigh: Uint32Array;
  readonly destConns: Float64Array;
  readonly destInPkts: Float64Array;
  readonly destOutPkts: Float64Array;
  readonly destInBytes: Float64Array;
  readonly destOutBytes: Float64Array;
  readonly destNames: string[] = [];

  /** Services by id (index 0 unused). */
  readonly services: ServiceEntry[] = [];
  index = new ServiceIndex(0);
  readonly byMark = new Map<number, number>();
  table: ServiceTable | null = null;

  private readonly svcIds = new Map<string, number>();
  private readonly destIds = new Map<string, number>();
  private readonly freeDests: number[] = [];
  private nextDest = 1;

  constructor(destCapacity = 65536) {
    this.dests = new Dests(destCapacity);
    this.destAddr = this.dests.addr;
    this.destPort = this.dests.port;
    this.destFwd = new Uint8Array(destCapacity);
    this.destSvc = new Uint32Array(destCapacity);
    this.destNeigh = new Uint32Array(destCapacity);
    this.destConns = new Float64Array(destCapacity);
    this.destInPkts = new Float64Array(destCapacity);
    this.destOutPkts = new Float64Array(destCapacity);
    this.destInBytes = new Float64Array(destCapacity);
    this.destOutBytes = new Float64Array(destCapacity);
    this.services.push(undefined as unknown as ServiceEntry);
    // Least-connection schedulers index the counters; tell the dest's scheduler when they move.
    this.dests.onChange = (d: number): void => {
      const entry = this.services[this.destSvc[d]];
      if (entry !== undefined && entry.scheduler.changed !== undefined) entry.scheduler.changed(d, this.dests);
    };
  }

  /**
   * Swaps in a new table. Everything is prepared first (schedulers created) so a
   * table the engine cannot run throws before anything changes.
   */
  apply(table: ServiceTable): void {
    const schedulers = table.services.map((s) => this.schedulerFor(s));
    const seen = new Set<number>();
    table.services.forEach((svc, i) => seen.add(this.applyService(svc, schedulers[i])));
    for (const entry of this.services) {
      if (entry && entry.live && !seen.has(entry.id)) this.retireService(entry);
    }
    this.rebuildIndex();
    this.collectDests();
    this.table = table;
  }

  /** Service id for a packet's protocol, destination address and port; 0 if none. */
  lookup(proto: number, daddr: number, dport: number): number {
    return this.index.get(proto, daddr, dport);
  }

  private schedulerFor(svc: VirtualService): Scheduler | null {
    const key = serviceKey(svc);
    const spec = `${svc.scheduler}/${svc.schedFlags.join(',')}`;
    const id = this.svcIds.get(key);
    if (id !== undefined && this.services[id].schedSpec === spec) return null;
    return createScheduler(svc.scheduler, svc.schedFlags);
  }

  private applyService(svc: VirtualService, fresh: Scheduler | null): number {
    const key = serviceKey(svc);
    let id = this.svcIds.get(key);
    let entry: ServiceEntry;
    if (id === undefined) {
      id = this.services.length;
      this.svcIds.set(key, id);
      entry = { id, key, model: svc, proto: 0, scheduler: fresh!, schedSpec: '', ids: new Uint32Array(0), persistMs: 0, persistMask: 0, live: true };
      this.services.push(entry);
    } else {
      entry = this.services[id];
      if (fresh) entry.scheduler = fresh;
    }
    entry.model = svc;
    entry.live = true;
    entry.proto = svc.protocol === 'udp' ? PROTO_UDP : PROTO_TCP;
    entry.schedSpec = `${svc.scheduler}/${svc.schedFlags.join(',')}`;
    entry.persistMs = svc.persistence * 1000;
    entry.persistMask = svc.persistMask;
    entry.ids = this.applyDests(entry, svc.servers);
    entry.scheduler.update(entry.ids, this.dests);
    return id;
  }

  /** Keeps the IPVS list order: dests that stay keep their places, new ones go to the head. */
  private applyDests(entry: ServiceEntry, servers: readonly RealServer[]): Uint32Array {
    const wanted = new Set<number>();
    const added: number[] = [];
    for (const rs of servers) {
      const dkey = `${entry.key}>${rs.address}:${rs.port}`;
      let d = this.destIds.get(dkey);
      const isNew = d === undefined || !entry.ids.includes(d);
      if (d === undefined) {
        d = this.allocDest();
        this.destIds.set(dkey, d);
      }
      this.updateDest(d, entry, rs);
      wanted.add(d);
      if (isNew) added.push(d);
    }
    for (const d of entry.ids) if (!wanted.has(d)) this.dests.flags[d] &= ~DEST_F_AVAILABLE;
    const kept = [...entry.ids].filter((d) => wanted.has(d));
    for (const d of added) kept.unshift(d);
    return Uint32Array.from(kept);
  }

  private updateDest(d: number, entry: ServiceEntry, rs: RealServer): void {
    const dests = this.dests;
    // __ip_vs_update_dest: a new or raised upper threshold clears the overload flag.
    if (rs.upperThreshold === 0 || rs.upperThreshold > dests.upper[d]) dests.flags[d] &= ~DEST_F_OVERLOAD;
    dests.flags[d] |= DEST_F_AVAILABLE;
    dests.weight[d] = rs.weight;
    dests.upper[d] = rs.upperThreshold;
    dests.lower[d] = rs.lowerThreshold;
    if (this.destAddr[d] !== rs.address) this.destNeigh[d] = 0;
    this.destAddr[d] = rs.address;
    this.destPort[d] = rs.port;
    this.destFwd[d] = FWD_CODES[rs.forward];
    this.destSvc[d] = entry.id;
    this.destNames[d] = rs.name;
  }

  private retireService(entry: ServiceEntry): void {
    entry.live = false;
    for (const d of entry.ids) this.dests.flags[d] &= ~DEST_F_AVAILABLE;
    entry.ids = new Uint32Array(0);
  }

  private rebuildIndex(): void {
    const live = this.services.filter((e) => e && e.live);
    const index = new ServiceIndex(live.length);
    this.byMark.clear();
    for (const e of live) {
      if (e.model.fwmark) this.byMark.set(e.model.fwmark, e.id);
      else index.set(e.proto, e.model.address, e.model.port, e.id);
    }
    this.index = index;
  }

  /** Frees ids of removed dests that no connection or template refers to any more. */
  collectDests(): void {
    const dests = this.dests;
    for (const [key, d] of this.destIds) {
      if (dests.flags[d] & DEST_F_AVAILABLE) continue;
      if (dests.active[d] + dests.inactive[d] + dests.persist[d] > 0) continue;
      this.destIds.delete(key);
      this.services[this.destSvc[d]]?.scheduler.forget?.(d);
      this.resetDest(d);
      this.freeDests.push(d);
    }
  }

  private resetDest(d: number): void {
    const dests = this.dests;
    dests.weight[d] = 0;
    dests.flags[d] = 0;
    dests.upper[d] = dests.lower[d] = 0;
    this.destNeigh[d] = this.destAddr[d] = this.destPort[d] = this.destSvc[d] = 0;
    this.destConns[d] = this.destInPkts[d] = this.destOutPkts[d] = this.destInBytes[d] = this.destOutBytes[d] = 0;
  }

  private allocDest(): number {
    const d = this.freeDests.pop() ?? this.nextDest++;
    if (d >= this.dests.capacity) throw new Error(`too many real servers (capacity ${this.dests.capacity - 1})`);
    return d;
  }
}
