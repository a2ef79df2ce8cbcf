// The change from one table version to the next, as the data plane applies it.
// The control plane holds whole validated tables; the data plane gets only what
// changed, so a change to one real server among ten thousand costs the data
// plane one server's work between two batches, not a rebuild of everything (as
// an ipvsadm command changes one entry of the kernel's table, not all of them).
// A delta is plain data: it crosses to the data plane's worker by postMessage.
import { serviceKey } from './table.js';
import { DEFAULT_SWITCHES } from './table.js';
import type { MarkRule, OwnedAddress, RealServer, ServiceTable, Switches, Timeouts, VirtualService } from './types.js';

/** A service's settings without its servers (VirtualService with `servers: []`). */
export type ServiceSettings = VirtualService;

export interface ServiceDelta {
  key: string;
  /** The settings when the service is new or they changed; null when only servers changed. */
  settings: ServiceSettings | null;
  /** Servers new to the service or changed, in table order (a new one goes to the head of the list). */
  upsert: RealServer[];
  /** Servers that left, as address, port pairs (the address an IPv4 number or IPv6 text). */
  remove: Array<number | string>;
  /**
   * The upserts were handed over ahead, in slices (ServiceRuntime.stage), under
   * this delta's version; `upsert` is then empty.
   */
  staged?: boolean;
}

export interface GlobalsDelta {
  addresses: readonly OwnedAddress[];
  /** ServiceTable.released: the addresses are not claimed (an inactive router of a pair). */
  released: boolean;
  timeouts: Timeouts;
  marks: readonly MarkRule[];
  switches: Switches;
}

export interface TableDelta {
  /** The version this delta produces. */
  version: number;
  /** Keys of services that left. */
  removed: string[];
  services: ServiceDelta[];
  /** Addresses, timeouts, mark rules and switches, when any of them changed. */
  globals: GlobalsDelta | null;
}

const EMPTY: ServiceTable = {
  version: 0,
  services: [],
  addresses: [],
  timeouts: { tcp: 0, tcpfin: 0, udp: 0 },
  marks: [],
  switches: DEFAULT_SWITCHES,
};

/**
 * What turns `prev` (null: an empty data plane) into `next`. Services and
 * servers that are the same objects in both tables (tables share what a change
 * did not touch) are skipped without looking inside.
 */
export function diffTables(prev: ServiceTable | null, next: ServiceTable): TableDelta {
  const before = prev ?? EMPTY;
  const old = new Map<string, VirtualService>();
  for (const s of before.services) old.set(serviceKey(s), s);
  const services: ServiceDelta[] = [];
  for (const s of next.services) {
    const key = serviceKey(s);
    const was = old.get(key);
    old.delete(key);
    if (was === s) continue;
    const d = diffService(key, was, s);
    if (d) services.push(d);
  }
  return { version: next.version, removed: [...old.keys()], services, globals: prev && sameGlobals(before, next) ? null : globalsOf(next) };
}

/** A delta that rebuilds `table` from nothing (a data plane that starts, or lost track). */
export function fullDelta(table: ServiceTable): TableDelta {
  return diffTables(null, table);
}

function diffService(key: string, was: VirtualService | undefined, s: VirtualService): ServiceDelta | null {
  const settings = was && sameSettings(was, s) ? null : settingsOf(s);
  if (was && was.servers === s.servers) return settings ? { key, settings, upsert: [], remove: [] } : null;
  // Versions share the server objects a change did not touch, and a change adds,
  // replaces or removes a few: skip the common head and tail by identity, and
  // compare only what lies between by address and port.
  const a = was?.servers ?? [];
  const b = s.servers;
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const oldServers = new Map<string, RealServer>();
  for (let i = head; i < a.length - tail; i++) oldServers.set(serverKey(a[i]), a[i]);
  const upsert: RealServer[] = [];
  for (let i = head; i < b.length - tail; i++) {
    const r = b[i];
    const k = serverKey(r);
    const o = oldServers.get(k);
    oldServers.delete(k);
    if (o === r || (o && sameServer(o, r))) continue;
    upsert.push(r);
  }
  const remove: Array<number | string> = [];
  for (const r of oldServers.values()) remove.push(r.address6 ?? r.address, r.port);
  if (!settings && upsert.length === 0 && remove.length === 0) return null;
  return { key, settings, upsert, remove };
}

/** A number naming a server within its service: address and port. */
export function destKey(address: number, port: number): number {
  return address * 65536 + port;
}

function serverKey(r: RealServer): string {
  return `${r.address6 ?? r.address}:${r.port}`;
}

export function settingsOf(s: VirtualService): ServiceSettings {
  return s.servers.length === 0 ? s : { ...s, servers: [] };
}

function sameSettings(a: VirtualService, b: VirtualService): boolean {
  return a.name === b.name && a.protocol === b.protocol && a.address === b.address && a.address6 === b.address6 && a.port === b.port && a.fwmark === b.fwmark &&
    a.family6 === b.family6 &&
    a.scheduler === b.scheduler && a.schedFlags.join(',') === b.schedFlags.join(',') && a.persistence === b.persistence &&
    a.persistMask === b.persistMask && a.onePacket === b.onePacket;
}

function sameServer(a: RealServer, b: RealServer): boolean {
  return a.name === b.name && a.weight === b.weight && a.forward === b.forward &&
    a.upperThreshold === b.upperThreshold && a.lowerThreshold === b.lowerThreshold &&
    (a.tunnelType ?? 'ipip') === (b.tunnelType ?? 'ipip') && (a.tunnelPort ?? 0) === (b.tunnelPort ?? 0) &&
    (a.tunnelCsum ?? 'none') === (b.tunnelCsum ?? 'none');
}

function globalsOf(t: ServiceTable): GlobalsDelta {
  return { addresses: t.addresses, released: t.released ?? false, timeouts: t.timeouts, marks: t.marks, switches: t.switches };
}

function sameGlobals(a: ServiceTable, b: ServiceTable): boolean {
  if ((a.released ?? false) !== (b.released ?? false)) return false;
  if (a.addresses === b.addresses && a.timeouts === b.timeouts && a.marks === b.marks && a.switches === b.switches) return true;
  return JSON.stringify(globalsOf(a)) === JSON.stringify(globalsOf(b));
}

/** Servers handed to the data plane per slice of a big delta (a slice costs it a fraction of a millisecond). */
export const STAGE_SLICE = 512;

/**
 * A delta in slices: the upserts and removes of every service with more than
 * `slice` of them (of every service that has any, when the delta has more than
 * `slice` in all), `slice` at a time, to stage ahead; then the delta itself,
 * those services marked `staged` with no servers left in it. A small delta is
 * one final.
 */
export function sliceDelta(delta: TableDelta, slice = STAGE_SLICE): { stages: Array<{ key: string; servers: RealServer[]; remove: Array<number | string> }>; final: TableDelta } {
  const stages: Array<{ key: string; servers: RealServer[]; remove: Array<number | string> }> = [];
  // Many small services add up too (a reload of a thousand services): then every one is staged.
  const total = delta.services.reduce((n, d) => n + d.upsert.length + d.remove.length / 2, 0);
  const services = delta.services.map((d) => {
    if (d.upsert.length + d.remove.length / 2 <= (total > slice ? 0 : slice)) return d;
    for (let k = 0; k < d.upsert.length; k += slice) stages.push({ key: d.key, servers: d.upsert.slice(k, k + slice), remove: [] });
    for (let k = 0; k < d.remove.length; k += 2 * slice) stages.push({ key: d.key, servers: [], remove: d.remove.slice(k, k + 2 * slice) });
    return { ...d, upsert: [], remove: [], staged: true };
  });
  return { stages, final: stages.length ? { ...delta, services } : delta };
}
