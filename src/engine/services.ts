// The runtime side of the service table: services and real servers ("dests")
// get stable numeric ids that connections refer to. A change arrives as a delta
// (model/diff.ts) and touches only what it names, as an ipvsadm command touches
// one entry of the kernel's table: ids, counters and connections of everything
// else stay. A removed dest stays (unavailable, in IPVS's "trash") while
// connections use it, and comes back with its counters if re-added meanwhile.
import { Dests, DEST_F_AVAILABLE, DEST_F_OVERLOAD } from '../conn/dests.js';
import { privateAlloc, type Alloc } from '../conn/memory.js';
import { destKey, diffTables, type ServiceDelta, type TableDelta } from '../model/diff.js';
import { PROTO_TCP, PROTO_UDP, type RealServer, type ServiceTable, type VirtualService } from '../model/index.js';
import { createScheduler, type Scheduler } from '../sched/index.js';
import { ServiceIndex, ServiceIndex6 } from './service-index.js';
import { ipv6Words } from '../packet/ipv6.js';
import { IntMap } from './int-map.js';
import { DestTrash } from './trash.js';

export const FWD_NAT = 0;
export const FWD_DR = 1;
export const FWD_TUNNEL = 2;
const FWD_CODES = { nat: FWD_NAT, dr: FWD_DR, tunnel: FWD_TUNNEL } as const;
/** A tunnel dest's encapsulation (destTunType) and outer checksum mode (destTunCsum). */
export const TUN_IPIP = 0;
export const TUN_GUE = 1;
export const TUN_GRE = 2;
export const TUN_CSUM_NONE = 0;
export const TUN_CSUM = 1;
export const TUN_REMCSUM = 2;
const TUN_CODES = { ipip: TUN_IPIP, gue: TUN_GUE, gre: TUN_GRE } as const;
const TUN_CSUM_CODES = { none: TUN_CSUM_NONE, csum: TUN_CSUM, remcsum: TUN_REMCSUM } as const;

/** Stats fields, in the order of the retired-stats arrays (IPVS's ip_vs_stats). */
export const STAT_CONNS = 0;
export const STAT_INPKTS = 1;
export const STAT_OUTPKTS = 2;
export const STAT_INBYTES = 3;
export const STAT_OUTBYTES = 4;
export const STAT_FIELDS = 5;

/** Sets the AVAILABLE flag of every dest of `ids`: one tight loop, for the switch (see DestTrash.clearAvailable). */
function setAvailable(flags: Uint8Array, ids: Uint32Array): void {
  for (let k = 0; k < ids.length; k++) flags[ids[k]] |= DEST_F_AVAILABLE;
}

/** Dests walked per piece of a resumable preparation (prepareStaged). */
const PREPARE_CHUNK = 1024;

export interface ServiceEntry {
  readonly id: number;
  key: string;
  /** The service's settings; its `servers` are not kept here (the dests are). */
  model: VirtualService;
  proto: number;
  scheduler: Scheduler;
  schedSpec: string;
  /** Dest ids in IPVS list order (the newest added first). */
  ids: Uint32Array;
  /** Dests of this service in ServiceRuntime.destIds: the list's, and removed ones still in use. */
  destCount: number;
  /** Persistence timeout in ms (0 = off) and client netmask. */
  persistMs: number;
  persistMask: number;
  /** An IPv6 service: its VIP's 4 words (null for IPv4 and firewall-mark services). */
  vip6: Int32Array | null;
  live: boolean;
}

/** Servers of one service staged for a coming version (ServiceRuntime.stage). */
interface StagedService {
  /** Dests to put at the head of the list, in upsert order: new ones, and ones back from the trash. */
  added: number[];
  /**
   * Which of `added` came back from the trash (connections may still refer to
   * them, so they become available only at the switch); the others were
   * allocated by the staging, are marked available at once (nothing refers to
   * them and no list holds them yet, so the mark is only seen after the switch)
   * and are freed if the staging is dropped.
   */
  back: number[];
  /** Dests already in the list whose settings the version changes. */
  changed: Array<{ id: number; rs: RealServer }>;
  /** Dests the version takes out of the list. */
  removed: number[];
  /**
   * The list after the switch, built ahead by prepareStaged() (null: built in
   * the switch), and whether the running scheduler prepared its state for it
   * (Scheduler.prepare), or the new service's scheduler already runs on it.
   */
  list: Uint32Array | null;
  /** With `list`: the dests of `removed` that are in the running list, to retire at the switch in one loop. */
  out: Uint32Array | null;
  /** With `list`: `back`, to mark available at the switch in one loop. */
  backIds: Uint32Array | null;
  prepared: boolean;
  fresh: Scheduler | null;
}

/** Which dest ids a service lists, in order, after a change (what the control plane shows). */
export interface ServiceLayout {
  key: string;
  id: number;
  ids: Uint32Array;
}

export interface RuntimeOptions {
  destCapacity?: number;
  serviceCapacity?: number;
  alloc?: Alloc;
}

export class ServiceRuntime {
  readonly dests: Dests;
  // Per dest id, beside the counters in Dests.
  readonly destAddr: Uint32Array;
  /**
   * IPv6 dests: their address, 4 words per dest id. Such a dest's destAddr holds
   * a number standing for its address (id6()), which keys it as IPv4 addresses
   * key theirs; it is not an IPv4 address and is never resolved by ARP.
   */
  readonly destAddr6: Int32Array;
  /** 1 for an IPv6 dest. */
  readonly destV6: Uint8Array;
  readonly destPort: Uint16Array;
  readonly destFwd: Uint8Array;
  readonly destSvc: Uint32Array;
  /** Cached neighbour entry of the dest's address (0 = not resolved yet). */
  readonly destNeigh: Uint32Array;
  /** LVS-TUN: the outer source address for the dest, found once (engine/tunnel.ts); 0 = not yet. */
  readonly destTunSrc: Uint32Array;
  /** LVS-TUN: the dest's encapsulation (TUN_*), GUE's UDP port, the checksum mode (TUN_CSUM*). */
  readonly destTunType: Uint8Array;
  readonly destTunPort: Uint16Array;
  readonly destTunCsum: Uint8Array;
  readonly destConns: Float64Array;
  readonly destInPkts: Float64Array;
  readonly destOutPkts: Float64Array;
  readonly destInBytes: Float64Array;
  readonly destOutBytes: Float64Array;
  /** Filled up front: an array that grows copies itself, in whatever step needs one more slot. */
  readonly destNames: string[];
  /**
   * Counters of dests freed since their service id was given out (STAT_FIELDS per
   * service id), and of every dest ever freed (`retiredTotal`): IPVS keeps a
   * service's and the totals' stats apart from its dests', so they outlive them.
   */
  readonly retiredSvc: Float64Array;
  readonly retiredTotal: Float64Array;
  /** [0] = the highest dest id given out so far, + 1: readers scan ids below it. */
  readonly highWater: Uint32Array;

  /**
   * Services by id. Index 0 is unused and a freed id holds undefined until it is
   * reused; the packet path only reaches ids of live services (through the index).
   */
  readonly services: ServiceEntry[] = [undefined as unknown as ServiceEntry];
  index = new ServiceIndex(0);
  index6 = new ServiceIndex6(0);
  /** Numbers standing for IPv6 dest addresses (destAddr of an IPv6 dest), and how many dests use each. */
  private readonly ids6 = new Map<string, number>();
  private readonly refs6 = new Map<number, number>();
  private nextId6 = 1;
  /** IPv6 dest addresses that gained their first dest or lost their last since takeAddressChanges6(). */
  private changed6 = false;
  readonly byMark = new Map<number, number>();
  /** IPv6 firewall-mark services (ipvsadm -f N -6): the same marks name other services than IPv4's. */
  readonly byMark6 = new Map<number, number>();
  /** Whether a persistent port-zero service exists (the kernel's nullsvc_counter). */
  private portZero = false;
  /** The table apply() was last given (the synchronous path). */
  table: ServiceTable | null = null;

  private readonly svcIds = new Map<string, number>();
  private readonly freeSvcIds: number[] = [];
  private readonly serviceCapacity: number;
  /**
   * Dests per address, over every dest id given out (in a list, or out of it
   * and still in use): the addresses the router must resolve. Addresses whose
   * count went from 0 to 1 or back since takeAddressChanges() are queued there.
   */
  private readonly addrRefs: IntMap;
  /** Dest id by destKey(address, port) and service id: every service's list, and removed dests still in use. */
  private readonly destIds: IntMap;
  private addedAddrs: number[] = [];
  private removedAddrs: number[] = [];
  /** Servers prepared ahead of a version's delta (stage()), by service key. */
  private staged: { version: number; services: Map<string, StagedService> } | null = null;
  /** Dests out of their list but still referred to: collectDests() frees them once unused. */
  private readonly retired: DestTrash;
  private readonly freeDests: number[] = [];
  private nextDest = 1;
  /**
   * Set by the data plane's host, which runs settle() in steps after each
   * switch; else applyDelta runs it itself. Dests a switch took out of service
   * and that are not in the trash yet.
   */
  settleLater = false;
  private readonly unsettled: Uint32Array[] = [];
  /** Scratch of one byte per dest id, zero between uses (nextList). */
  private readonly mark: Uint8Array;

  constructor(opts: RuntimeOptions | number = {}) {
    const o = typeof opts === 'number' ? { destCapacity: opts } : opts;
    const alloc = o.alloc ?? privateAlloc;
    const cap = o.destCapacity ?? 65536;
    this.serviceCapacity = o.serviceCapacity ?? 65536;
    this.dests = new Dests(cap, alloc);
    this.retired = new DestTrash(cap);
    this.mark = new Uint8Array(cap);
    this.destNames = new Array<string>(cap).fill('');
    this.destIds = new IntMap(cap);
    this.addrRefs = new IntMap(cap);
    this.destAddr = this.dests.addr;
    this.destAddr6 = alloc(Int32Array, 4 * cap);
    this.destV6 = alloc(Uint8Array, cap);
    this.destPort = this.dests.port;
    this.destFwd = alloc(Uint8Array, cap);
    this.destSvc = alloc(Uint32Array, cap);
    this.destNeigh = new Uint32Array(cap);
    this.destTunSrc = new Uint32Array(cap);
    this.destTunType = new Uint8Array(cap);
    this.destTunPort = new Uint16Array(cap);
    this.destTunCsum = new Uint8Array(cap);
    this.destConns = alloc(Float64Array, cap);
    this.destInPkts = alloc(Float64Array, cap);
    this.destOutPkts = alloc(Float64Array, cap);
    this.destInBytes = alloc(Float64Array, cap);
    this.destOutBytes = alloc(Float64Array, cap);
    this.retiredSvc = alloc(Float64Array, STAT_FIELDS * this.serviceCapacity);
    this.retiredTotal = alloc(Float64Array, STAT_FIELDS);
    this.highWater = alloc(Uint32Array, 1);
    this.highWater[0] = 1;
    // Least-connection schedulers index the counters; tell the dest's scheduler when they move.
    this.dests.onChange = (d: number): void => {
      const entry = this.services[this.destSvc[d]];
      if (entry !== undefined && entry.scheduler.changed !== undefined) entry.scheduler.changed(d, this.dests);
    };
  }

  /** Swaps in a whole table (the synchronous path: replay, simulate, tests). */
  apply(table: ServiceTable): ServiceLayout[] {
    const layouts = this.applyDelta(diffTables(this.table, table));
    this.table = table;
    return layouts;
  }

  /**
   * Applies a delta. Everything that can fail (an unknown scheduler, too many
   * servers, a delta that does not fit this runtime) is checked first, so a
   * delta the runtime cannot take throws before anything changes. Returns the
   * new layout of every service the delta touched.
   */
  applyDelta(delta: TableDelta): ServiceLayout[] {
    this.flushUnsettled();
    if (this.staged && this.staged.version !== delta.version) this.dropStaged();
    for (const d of delta.services) {
      if (d.staged && !this.staged?.services.has(d.key)) throw new Error(`delta ${delta.version} names staged servers of ${d.key} that were not staged`);
    }
    const schedulers = this.checkDelta(delta);
    const touched: ServiceEntry[] = [];
    for (const key of delta.removed) {
      const id = this.svcIds.get(key);
      const entry = id === undefined ? undefined : this.services[id];
      if (entry?.live) this.retireService(entry);
    }
    delta.services.forEach((d, i) => touched.push(this.applyService(d, schedulers[i])));
    if (delta.removed.length || delta.services.some((d) => d.settings)) this.rebuildIndex();
    // What this delta used is spent; what a version staged and a later part of it uses stays (Engine.checkDelta).
    if (this.staged) {
      for (const d of delta.services) this.staged.services.delete(d.key);
      if (this.staged.services.size === 0) this.staged = null;
    }
    if (this.settleLater) return touched.map((e) => ({ key: e.key, id: e.id, ids: e.ids }));
    this.flushUnsettled();
    // A few now, the rest on the data plane's tick: freeing is not part of the switch.
    this.collectDests(32);
    return touched.map((e) => ({ key: e.key, id: e.id, ids: e.ids }));
  }

  /**
   * Everything applyDelta checks before it changes anything (schedulers, staged
   * servers, capacity), for a delta applied in parts: throws as applyDelta
   * would. Returns the schedulers to create (null: keep the running one).
   */
  checkDelta(delta: TableDelta): Array<Scheduler | null> {
    const schedulers = delta.services.map((d) => this.staged?.services.get(d.key)?.fresh ?? this.check(d));
    this.checkCapacity(delta);
    return schedulers;
  }

  /**
   * Prepares servers of a coming version's delta before the delta itself, so
   * that a delta of thousands of servers reaches the data plane in slices taken
   * between batches: a new dest is allocated and written but stays unavailable
   * and out of every list until applyDelta of that version (whose service delta
   * says `staged`) puts them all in at once. A dest already in the list keeps its
   * settings, and one that leaves (`remove`, address and port pairs) stays,
   * until then. Staging for another version drops what was staged.
   */
  stage(version: number, key: string, servers: readonly RealServer[], remove: ReadonlyArray<number | string> = [], from = 0, to = servers.length): void {
    this.flushUnsettled();
    if (this.staged && this.staged.version !== version) this.dropStaged();
    const staged = (this.staged ??= { version, services: new Map() });
    let st = staged.services.get(key);
    if (!st) staged.services.set(key, (st = { added: [], back: [], changed: [], removed: [], list: null, out: null, backIds: null, prepared: false, fresh: null }));
    // Staging more after prepareStaged() (not what the data plane does) undoes it.
    if (st.list !== null) this.unprepare(key, st);
    const free = this.freeDests.length + (this.dests.capacity - this.nextDest);
    if (to - from > free) throw new Error(`too many real servers (capacity ${this.dests.capacity - 1})`);
    const entry = this.entryFor(key, null, false);
    for (let k = from; k < to; k++) {
      const rs = servers[k];
      let id = this.destOf(entry, this.keyAddr(rs), rs.port);
      if (id > 0 && (this.dests.flags[id] & DEST_F_AVAILABLE) !== 0) {
        st.changed.push({ id, rs });
        continue;
      }
      if (id < 0) {
        id = this.allocDest();
        this.bindDest(entry, this.keyAddr(rs), rs.port, id, rs.address6 !== undefined);
        this.writeDest(id, entry, rs);
        this.dests.flags[id] |= DEST_F_AVAILABLE; // done here, not in the switch: see StagedService.back
      } else {
        this.retired.restore(id); // back from the trash: not to be freed before the commit
        this.writeDest(id, entry, rs);
        st.back.push(id);
      }
      st.added.push(id);
    }
    for (let k = 0; k < remove.length; k += 2) {
      const id = this.destOf(entry, this.removedAddr(remove[k]), remove[k + 1] as number);
      if (id > 0) st.removed.push(id);
    }
  }

  /**
   * The rest of a staged service's switch, ahead of it: its next list, and its
   * scheduler's state for that list (Scheduler.prepare, kept current by the
   * counters' changed() calls until the switch), so that the switch of a
   * whole-service replacement is a swap, not a rebuild over ten thousand dests.
   * `d` is the version's delta of that service (its settings may name another
   * scheduler: then nothing is prepared but the list). Resumable: each next()
   * does a bounded piece (PREPARE_CHUNK dests), so the caller takes it in steps
   * between batches; the code runs too seldom to be optimised, so no piece of
   * it may walk ten thousand dests. Does nothing for a service not staged.
   */
  *prepareStaged(d: ServiceDelta): Generator<void, void, void> {
    const st = this.staged?.services.get(d.key);
    if (!st || !d.staged || d.upsert.length || d.remove.length) return;
    const entry = this.services[this.svcIds.get(d.key)!];
    if (st.list !== null) this.unprepare(d.key, st);
    yield* this.nextList(entry.ids, st);
    const list = st.list!;
    const spec = d.settings ? `${d.settings.scheduler}/${d.settings.schedFlags.join(',')}` : entry.schedSpec;
    if (entry.live && spec === entry.schedSpec) {
      const steps = entry.scheduler.prepare?.(list, this.dests) ?? null;
      if (steps === null) return;
      st.prepared = true;
      for (let r = steps.next(); !r.done; r = steps.next()) yield;
    } else if (!entry.live && d.settings && st.back.length === 0) {
      // A new service: nothing of its list carries connections yet, so its scheduler can run on it now.
      const fresh = createScheduler(d.settings.scheduler, d.settings.schedFlags);
      const steps = fresh.prepare?.(list, this.dests) ?? null;
      if (steps === null) fresh.update(list, this.dests);
      else {
        for (let r = steps.next(); !r.done; r = steps.next()) yield;
        fresh.commit!();
      }
      st.fresh = fresh;
    }
  }

  private unprepare(key: string, st: StagedService): void {
    const entry = this.services[this.svcIds.get(key)!];
    if (st.prepared) entry.scheduler.update(entry.ids, this.dests); // drops the prepared state
    st.list = st.out = st.backIds = null;
    st.prepared = false;
    st.fresh = null;
  }

  /** relist() ahead of the switch, into st.list and st.out: the removed dests are still available, so a mark tells them apart. */
  private *nextList(old: Uint32Array, st: StagedService): Generator<void, void, void> {
    const mark = this.mark;
    const flags = this.dests.flags;
    const removedIds = st.removed;
    const out = new Uint32Array(removedIds.length);
    let removed = 0;
    for (let k = 0; k < removedIds.length; k++) {
      const id = removedIds[k];
      if ((flags[id] & DEST_F_AVAILABLE) !== 0 && mark[id] === 0) {
        mark[id] = 1;
        out[removed++] = id;
      }
      if (k % PREPARE_CHUNK === PREPARE_CHUNK - 1) yield;
    }
    const added = st.added;
    const ids = new Uint32Array(added.length + old.length - removed);
    ids.set(added);
    ids.subarray(0, added.length).reverse();
    if (removed === 0) ids.set(old, added.length);
    else {
      let n = added.length;
      for (let k = 0; k < old.length; k++) {
        if (mark[old[k]] === 0) ids[n++] = old[k];
        if (k % PREPARE_CHUNK === PREPARE_CHUNK - 1) yield;
      }
    }
    for (let k = 0; k < removed; k++) mark[out[k]] = 0;
    st.out = out.subarray(0, removed);
    st.backIds = Uint32Array.from(st.back);
    st.list = ids;
  }

  /**
   * What a switch left for after it (settleLater): the dests it took out of
   * service go to the trash, in pieces of PREPARE_CHUNK, then a few unused
   * ones are freed. Run to its end before the next change.
   */
  *settle(): Generator<void, void, void> {
    while (this.unsettled.length > 0) {
      const ids = this.unsettled[0];
      for (let k = 0; k < ids.length; k += PREPARE_CHUNK) {
        this.retired.addAll(ids, k, Math.min(ids.length, k + PREPARE_CHUNK));
        yield;
      }
      this.unsettled.shift();
    }
    // A few freed now, the rest on the data plane's tick; four at a time, each freed dest being cold code's work.
    for (let k = 0; k < 8 && this.settleLater && this.collectDests(4) > 0; k++) yield;
  }

  /** settle()'s trash, all at once: before anything else reads or changes the trash. */
  private flushUnsettled(): void {
    for (const ids of this.unsettled) this.retired.addAll(ids, 0, ids.length);
    this.unsettled.length = 0;
  }

  /** Undoes stage(): fresh dests are freed, dests back from the trash go back to it. */
  private dropStaged(): void {
    for (const [key, st] of this.staged?.services ?? []) {
      if (st.list !== null) this.unprepare(key, st);
      const entry = this.services[this.svcIds.get(key)!];
      const back = new Set(st.back);
      for (const id of st.added) {
        if (back.has(id)) {
          this.retired.add(id);
          continue;
        }
        this.unbindDest(entry, id);
        this.resetDest(id);
        this.freeDests.push(id);
      }
      if (!entry.live && entry.destCount === 0) this.freeService(entry);
    }
    this.staged = null;
  }

  /**
   * Service id for a packet's protocol, destination address and port; 0 if none.
   * ip_vs_service_find: "Check if the catch-all port (port zero) exists" when no
   * service has the packet's port.
   */
  lookup(proto: number, daddr: number, dport: number): number {
    const id = this.index.get(proto, daddr, dport);
    if (id !== 0 || !this.portZero) return id;
    return this.index.get(proto, daddr, 0);
  }

  /** lookup() for IPv6: the VIP at a[o..o+3]. */
  lookup6(proto: number, a: Int32Array, o: number, dport: number): number {
    const id = this.index6.get(proto, a, o, dport);
    if (id !== 0 || !this.portZero) return id;
    return this.index6.get(proto, a, o, 0);
  }

  /** The live service of a key, or undefined. */
  entryOf(key: string): ServiceEntry | undefined {
    const id = this.svcIds.get(key);
    const e = id === undefined ? undefined : this.services[id];
    return e?.live ? e : undefined;
  }

  /** The scheduler a service delta needs created (null: keep the running one). Throws on a bad delta. */
  private check(d: ServiceDelta): Scheduler | null {
    const entry = this.entryOf(d.key);
    if (!d.settings) {
      if (!entry) throw new Error(`delta changes servers of service ${d.key}, which is not running`);
      return null;
    }
    const spec = `${d.settings.scheduler}/${d.settings.schedFlags.join(',')}`;
    if (entry && entry.schedSpec === spec) return null;
    return createScheduler(d.settings.scheduler, d.settings.schedFlags);
  }

  private checkCapacity(delta: TableDelta): void {
    // One pass, touching only what has servers or settings: in a switch of a thousand staged services, neither.
    let needed = 0;
    let newServices = 0;
    for (const d of delta.services) {
      if (d.upsert.length === 0 && !d.settings) continue;
      const id = this.svcIds.get(d.key);
      if (id === undefined) newServices++;
      const entry = id === undefined ? undefined : this.services[id];
      for (const rs of d.upsert) if (!entry || this.destOf(entry, this.keyAddr(rs), rs.port) < 0) needed++;
    }
    const free = this.freeDests.length + (this.dests.capacity - this.nextDest);
    if (needed > free) throw new Error(`too many real servers (capacity ${this.dests.capacity - 1})`);
    if (newServices > this.freeSvcIds.length + (this.serviceCapacity - this.services.length)) {
      throw new Error(`too many virtual services (capacity ${this.serviceCapacity - 1})`);
    }
  }

  private applyService(d: ServiceDelta, fresh: Scheduler | null): ServiceEntry {
    let entry = this.entryFor(d.key, fresh);
    if (d.settings) {
      const svc = d.settings;
      if (fresh) entry.scheduler = fresh;
      entry.model = svc;
      entry.live = true;
      entry.proto = svc.protocol === 'udp' ? PROTO_UDP : PROTO_TCP;
      entry.schedSpec = `${svc.scheduler}/${svc.schedFlags.join(',')}`;
      entry.persistMs = svc.persistence * 1000;
      entry.persistMask = svc.persistMask;
      entry.vip6 = svc.address6 === undefined ? null : ipv6Words(svc.address6, new Int32Array(4));
    }
    const st = d.staged ? this.staged!.services.get(d.key)! : null;
    entry = this.applyDests(entry, d);
    // Prepared ahead (prepareStaged): the list and the scheduler's state are swapped in, not rebuilt.
    if (st?.prepared) {
      entry.scheduler.commit!();
      // Settings the switch wrote (weights, thresholds) reach the prepared state as a counter change would.
      const sched = entry.scheduler;
      if (sched.changed !== undefined) for (const c of st.changed) sched.changed(c.id, this.dests);
    }
    else if (!st || st.fresh === null || st.fresh !== fresh) entry.scheduler.update(entry.ids, this.dests);
    return entry;
  }

  /** The entry of a key: the live one, a retired one coming back, or a new id. */
  private entryFor(key: string, fresh: Scheduler | null, live = true): ServiceEntry {
    const known = this.svcIds.get(key);
    if (known !== undefined) return this.services[known]!;
    const id = this.freeSvcIds.pop() ?? this.services.length;
    this.retiredSvc.fill(0, STAT_FIELDS * id, STAT_FIELDS * id + STAT_FIELDS);
    const entry: ServiceEntry = {
      id, key, model: undefined as unknown as VirtualService, proto: 0, scheduler: fresh!, schedSpec: '',
      ids: new Uint32Array(0), destCount: 0, persistMs: 0, persistMask: 0, vip6: null, live,
    };
    this.services[id] = entry;
    this.svcIds.set(key, id);
    return entry;
  }

  /** Keeps the IPVS list order: dests that stay keep their places, new ones go to the head. */
  private applyDests(entry: ServiceEntry, d: ServiceDelta): ServiceEntry {
    const st = d.staged ? this.staged!.services.get(d.key)! : null;
    if (d.remove.length === 0 && d.upsert.length === 0 && !st) return entry;
    let removed = 0;
    if (st?.out) {
      // Out of service now; into the trash after the switch (settle()).
      DestTrash.clearAvailable(this.dests.flags, st.out);
      this.unsettled.push(st.out);
      removed = st.out.length;
    } else if (st) removed = this.retire(st.removed);
    for (let k = 0; k < d.remove.length; k += 2) {
      const id = this.destOf(entry, this.removedAddr(d.remove[k]), d.remove[k + 1] as number);
      if (id > 0) removed += this.retire([id]);
    }
    const added: number[] = st ? st.added : [];
    if (st) {
      if (st.backIds) setAvailable(this.dests.flags, st.backIds);
      else for (const id of st.back) this.dests.flags[id] |= DEST_F_AVAILABLE;
      for (const { id, rs } of st.changed) this.updateDest(id, entry, rs);
    }
    for (const rs of d.upsert) {
      const addr = this.keyAddr(rs);
      let id = this.destOf(entry, addr, rs.port);
      if (id < 0) {
        id = this.allocDest();
        this.bindDest(entry, addr, rs.port, id, rs.address6 !== undefined);
      }
      if ((this.dests.flags[id] & DEST_F_AVAILABLE) === 0) {
        this.retired.restore(id);
        added.push(id);
      }
      this.updateDest(id, entry, rs);
    }
    entry.ids = st?.list && d.upsert.length === 0 && d.remove.length === 0 ? st.list : this.relist(entry.ids, added, removed);
    return entry;
  }

  /**
   * The new list: `added` at the head, then the old list without what left
   * (which is unavailable now), in place. This runs in the step that switches
   * a version, for up to every server of a service, and runs cold (the
   * interpreter, not optimised code): native copies where the shape allows.
   */
  private relist(old: Uint32Array, added: readonly number[], removed: number): Uint32Array {
    // Every listed dest was available, and `removed` of them are not any more.
    const ids = new Uint32Array(added.length + old.length - removed);
    ids.set(added);
    // Each new dest goes to the head in turn (list_add_rcu), so the last added is first.
    ids.subarray(0, added.length).reverse();
    if (removed === 0) {
      ids.set(old, added.length);
    } else if (removed < old.length) {
      const flags = this.dests.flags;
      let n = added.length;
      for (let k = 0; k < old.length; k++) if ((flags[old[k]] & DEST_F_AVAILABLE) !== 0) ids[n++] = old[k];
    }
    return ids;
  }

  /** Takes these dests out of service (to the trash, freed once unused); returns how many were in it. */
  private retire(ids: readonly number[]): number {
    const flags = this.dests.flags;
    let n = 0;
    for (const id of ids) {
      if ((flags[id] & DEST_F_AVAILABLE) === 0) continue;
      flags[id] &= ~DEST_F_AVAILABLE;
      this.retired.add(id);
      n++;
    }
    return n;
  }

  private updateDest(d: number, entry: ServiceEntry, rs: RealServer): void {
    this.writeDest(d, entry, rs);
    this.dests.flags[d] |= DEST_F_AVAILABLE;
  }

  /** A dest's settings, all but its availability. */
  private writeDest(d: number, entry: ServiceEntry, rs: RealServer): void {
    const dests = this.dests;
    // __ip_vs_update_dest: a new or raised upper threshold clears the overload flag.
    if (rs.upperThreshold === 0 || rs.upperThreshold > dests.upper[d]) dests.flags[d] &= ~DEST_F_OVERLOAD;
    dests.weight[d] = rs.weight;
    dests.upper[d] = rs.upperThreshold;
    dests.lower[d] = rs.lowerThreshold;
    const addr = this.keyAddr(rs);
    if (this.destAddr[d] !== addr) this.destNeigh[d] = this.destTunSrc[d] = 0;
    this.destAddr[d] = addr;
    this.destV6[d] = rs.address6 === undefined ? 0 : 1;
    if (rs.address6 !== undefined) ipv6Words(rs.address6, this.destAddr6, 4 * d);
    this.destPort[d] = rs.port;
    this.destFwd[d] = FWD_CODES[rs.forward];
    this.destTunType[d] = TUN_CODES[rs.tunnelType ?? 'ipip'];
    this.destTunPort[d] = rs.tunnelPort ?? 0;
    this.destTunCsum[d] = TUN_CSUM_CODES[rs.tunnelCsum ?? 'none'];
    this.destSvc[d] = entry.id;
    this.destNames[d] = rs.name;
  }

  private retireService(entry: ServiceEntry): void {
    entry.live = false;
    for (const d of entry.ids) {
      this.dests.flags[d] &= ~DEST_F_AVAILABLE;
      this.retired.add(d);
    }
    entry.ids = new Uint32Array(0);
  }

  private rebuildIndex(): void {
    const live = this.services.filter((e): e is ServiceEntry => e !== undefined && e.live);
    const index = new ServiceIndex(live.length);
    const index6 = new ServiceIndex6(live.filter((e) => e.vip6 !== null).length);
    this.byMark.clear();
    this.byMark6.clear();
    this.portZero = live.some((e) => !e.model.fwmark && e.model.port === 0);
    for (const e of live) {
      if (e.model.fwmark) (e.model.family6 ? this.byMark6 : this.byMark).set(e.model.fwmark, e.id);
      else if (e.vip6 !== null) index6.set(e.proto, e.vip6, 0, e.model.port, e.id);
      else index.set(e.proto, e.model.address, e.model.port, e.id);
    }
    this.index = index;
    this.index6 = index6;
  }

  /**
   * Frees ids of removed dests that no connection or template refers to any more,
   * keeping their counters in their service's and the total's retired stats; a
   * removed service whose dests are all freed gives up its id.
   */
  collectDests(max = 256): number {
    this.flushUnsettled();
    const dests = this.dests;
    // A bounded slice per call: freeing ten thousand dests at once would stall the data plane.
    return this.retired.walk(4 * max, max, (d) => {
      if (dests.active[d] + dests.inactive[d] + dests.persist[d] > 0) return false;
      const entry = this.services[this.destSvc[d]];
      this.unbindDest(entry, d);
      entry.scheduler.forget?.(d);
      this.keepStats(d, entry.id);
      this.resetDest(d);
      this.freeDests.push(d);
      if (!entry.live && entry.destCount === 0) this.freeService(entry);
      return true;
    });
  }

  /** Addresses that gained their first dest, and lost their last, since the last call. */
  takeAddressChanges(): { added: number[]; removed: number[] } {
    const out = { added: this.addedAddrs, removed: this.removedAddrs };
    this.addedAddrs = [];
    this.removedAddrs = [];
    return out;
  }

  /** Every address some dest has (for a full resync of the neighbours). */
  addresses(): number[] {
    return this.addrRefs.keyList();
  }

  /**
   * ip_vs_find_dest for a synced conn: the dest of service svcId at address:port
   * that is in the service's list, or 0. A firewall-mark service's server of port
   * 0 (the packet's port is kept) is found by its address alone, as the kernel
   * retries with "port ^ dport".
   */
  findDest(svcId: number, address: number, port: number): number {
    const entry = this.services[svcId];
    if (entry === undefined || !entry.live) return 0;
    let d = this.destOf(entry, address >>> 0, port);
    if (d <= 0 && port !== 0) d = this.destOf(entry, address >>> 0, 0);
    return d > 0 && (this.dests.flags[d] & DEST_F_AVAILABLE) !== 0 ? d : 0;
  }

  /**
   * findDest for an IPv6 synced conn: the dest of service svcId (of a VIP or a
   * firewall mark) at the address a[o..o+3] and port that is in the service's
   * list and available, or 0; a server of port 0 is found by its address alone,
   * as findDest does. A walk of the list: once per synced conn, not per packet.
   */
  findDest6(svcId: number, a: Int32Array, o: number, port: number): number {
    const entry = this.services[svcId];
    if (entry === undefined || !entry.live) return 0;
    const x = this.destAddr6;
    let anyPort = 0;
    for (const d of entry.ids) {
      const w = 4 * d;
      if (this.destV6[d] === 0 || x[w] !== a[o] || x[w + 1] !== a[o + 1] || x[w + 2] !== a[o + 2] || x[w + 3] !== a[o + 3]) continue;
      if ((this.dests.flags[d] & DEST_F_AVAILABLE) === 0) continue;
      if (this.destPort[d] === port) return d;
      if (this.destPort[d] === 0) anyPort = d;
    }
    return anyPort;
  }

  /** The id of a service's dest, in its list or still in use after leaving it; -1 if none. */
  private destOf(entry: ServiceEntry, address: number, port: number): number {
    return this.destIds.get(destKey(address, port), entry.id);
  }

  /** `v6`: an IPv6 server (decided by the server: a staged new service has no settings yet). */
  private bindDest(entry: ServiceEntry, address: number, port: number, id: number, v6: boolean): void {
    this.destIds.set(destKey(address, port), entry.id, id);
    entry.destCount++;
    // destV6 is written with the rest of the dest's settings, after this.
    this.destV6[id] = v6 ? 1 : 0;
    if (v6) this.refAddress6(address, 1);
    else this.refAddress(address, 1);
  }

  private unbindDest(entry: ServiceEntry, id: number): void {
    this.destIds.delete(destKey(this.destAddr[id], this.destPort[id]), entry.id);
    entry.destCount--;
    if (this.destV6[id] !== 0) this.refAddress6(this.destAddr[id], -1);
    else this.refAddress(this.destAddr[id], -1);
  }

  /** The number a real server is keyed by: its IPv4 address, or the number standing for its IPv6 one. */
  private keyAddr(rs: RealServer): number {
    return rs.address6 === undefined ? rs.address : this.id6(rs.address6);
  }

  /** A delta's removed address: IPv4 as a number, IPv6 as its text (model/diff.ts). */
  private removedAddr(a: number | string): number {
    return typeof a === 'string' ? this.id6(a) : a;
  }

  /**
   * The number standing for an IPv6 dest address, kept while a dest uses it (an
   * unused one is given again to the same text: ids are never reused for
   * another address, so they only grow with the addresses ever configured).
   */
  private id6(text: string): number {
    let id = this.ids6.get(text);
    if (id === undefined) this.ids6.set(text, (id = this.nextId6++));
    return id;
  }

  private refAddress6(id: number, by: 1 | -1): void {
    const n = (this.refs6.get(id) ?? 0) + by;
    if (n > 0) this.refs6.set(id, n);
    else this.refs6.delete(id);
    if ((by === 1 && n === 1) || (by === -1 && n === 0)) this.changed6 = true;
  }

  /** Whether IPv6 dest addresses came or went since the last call (the neighbours to resolve change). */
  takeAddressChanges6(): boolean {
    const c = this.changed6;
    this.changed6 = false;
    return c;
  }

  /** Forgets the IPv6 dests' cached neighbour entries (the neighbour table was rebuilt). */
  destNeigh6Reset(): void {
    for (let d = 1; d < this.highWater[0]; d++) if (this.destV6[d] !== 0) this.destNeigh[d] = 0;
  }

  /** One dest id per IPv6 dest address in use: whose destAddr6 words the neighbours resolve. */
  dests6(): number[] {
    const out: number[] = [];
    const seen = new Set<number>();
    for (let d = 1; d < this.highWater[0]; d++) {
      if (this.destV6[d] === 0 || this.destSvc[d] === 0 || seen.has(this.destAddr[d])) continue;
      if (!this.refs6.has(this.destAddr[d])) continue;
      seen.add(this.destAddr[d]);
      out.push(d);
    }
    return out;
  }

  private refAddress(addr: number, by: 1 | -1): void {
    const n = Math.max(this.addrRefs.get(addr), 0) + by;
    if (n > 0) this.addrRefs.set(addr, 0, n);
    else this.addrRefs.delete(addr);
    if (by === 1 && n === 1) this.addedAddrs.push(addr);
    if (by === -1 && n === 0) this.removedAddrs.push(addr);
  }

  private keepStats(d: number, svc: number): void {
    const add = (field: number, v: number): void => {
      this.retiredSvc[STAT_FIELDS * svc + field] += v;
      this.retiredTotal[field] += v;
    };
    add(STAT_CONNS, this.destConns[d]);
    add(STAT_INPKTS, this.destInPkts[d]);
    add(STAT_OUTPKTS, this.destOutPkts[d]);
    add(STAT_INBYTES, this.destInBytes[d]);
    add(STAT_OUTBYTES, this.destOutBytes[d]);
  }

  private freeService(entry: ServiceEntry): void {
    this.svcIds.delete(entry.key);
    this.services[entry.id] = undefined as unknown as ServiceEntry;
    this.freeSvcIds.push(entry.id);
  }

  private resetDest(d: number): void {
    const dests = this.dests;
    dests.clear(d);
    this.destNeigh[d] = this.destAddr[d] = this.destPort[d] = this.destSvc[d] = this.destV6[d] = 0;
    this.destConns[d] = this.destInPkts[d] = this.destOutPkts[d] = this.destInBytes[d] = this.destOutBytes[d] = 0;
  }

  private allocDest(): number {
    const d = this.freeDests.pop() ?? this.nextDest++;
    if (d >= this.dests.capacity) throw new Error(`too many real servers (capacity ${this.dests.capacity - 1})`);
    if (d >= this.highWater[0]) this.highWater[0] = d + 1;
    return d;
  }
}
