// The running table as the control API shows it: the model of the running
// version (names, settings, forwarding methods) joined with what the data plane
// publishes (list order, weights, connection counts, counters), with ipvsadm -Z
// applied as baselines and rates from the estimator. Reading allocates a view
// per request; the data plane is never stopped or asked.
import { addrText, formatIPv4, formatIPv6Words, serviceKey, type RealServer, type ServiceTable, type VirtualService } from '../model/index.js';
import { serviceId } from './service-id.js';
import { persistMaskText, viewAddress } from './view-address.js';
import { FWD_DR, FWD_NAT, STAT_FIELDS } from '../engine/services.js';
import { countersSnapshot } from '../engine/counters.js';
import { BATCH_FRAME_BOUNDS, BATCH_MICRO_BOUNDS, H_BATCHES, H_CONN_CAPACITY, H_CONNS, type DataPlaneMemory } from '../engine/published.js';
import { PORT_COUNTER_NAMES } from '../frames/port.js';
import type { DataPlaneView, ForwardName, Histogram, RatesView, ServerView, ServiceView, StatsView, TableView, WorkerShareView } from './types.js';

/** What the data plane said a service lists, in IPVS order, at the last change. */
export interface Layout {
  id: number;
  ids: Uint32Array;
}

/** Rates by stats key (see statsKey), from the estimator. */
export type RatesOf = (key: string) => RatesView;

export const ZERO_RATES: RatesView = { cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 };

/** The key of a stats object: the total, a service, or a server of a service (its address as a number, or as text: destAddress). */
export function statsKey(svc?: string, addr?: number | string, port?: number): string {
  if (svc === undefined) return 'total';
  return addr === undefined ? svc : `${svc}>${typeof addr === 'number' ? formatIPv4(addr) : addr}:${port}`;
}

export { serviceId };

/**
 * A dest's address as text. The seam for IPv6 dests: when the published memory
 * carries the service runtime's `destV6` (1 for an IPv6 dest) and `destAddr6`
 * (its 4 big-endian words per dest id), an IPv6 dest reads from those (its
 * `addr` is only a number standing for the address); else the dotted quad of `addr`.
 */
export function destAddress(m: DataPlaneMemory, d: number): string {
  if (m.destV6?.[d] === 1) return formatIPv6Words(m.destAddr6, 4 * d);
  return formatIPv4(m.addr[d]);
}

/**
 * Raw counters of every stats object the table has now (each server, each
 * service with what its freed servers left, the total), by statsKey.
 */
export function rawStats(table: ServiceTable, layouts: ReadonlyMap<string, Layout>, m: DataPlaneMemory): Map<string, StatsView> {
  const out = new Map<string, StatsView>();
  const bySvc = new Map<number, number[]>();
  const total = fromArray(m.retiredTotal, 0);
  const top = m.highWater[0];
  for (let d = 1; d < top; d++) {
    const svc = m.destSvc[d];
    if (svc === 0) continue;
    let acc = bySvc.get(svc);
    if (!acc) bySvc.set(svc, (acc = [0, 0, 0, 0, 0]));
    acc[0] += m.destConns[d];
    acc[1] += m.destInPkts[d];
    acc[2] += m.destOutPkts[d];
    acc[3] += m.destInBytes[d];
    acc[4] += m.destOutBytes[d];
  }
  for (const acc of bySvc.values()) add(total, acc);
  out.set('total', total);
  for (const s of table.services) {
    const key = serviceKey(s);
    const l = layouts.get(key);
    if (!l) continue;
    const st = fromArray(m.retiredSvc, STAT_FIELDS * l.id);
    add(st, bySvc.get(l.id) ?? [0, 0, 0, 0, 0]);
    out.set(key, st);
    for (const d of l.ids) out.set(statsKey(key, destAddress(m, d), m.port[d]), destStats(m, d));
  }
  return out;
}

/** The table view, with counters less their -Z baselines. */
export function tableView(
  table: ServiceTable, layouts: ReadonlyMap<string, Layout>, m: DataPlaneMemory, raw: Map<string, StatsView>,
  baselines: ReadonlyMap<string, StatsView>, rates: RatesOf, connTabSize: number,
): TableView {
  const since = (key: string): StatsView => minus(raw.get(key) ?? zeroStats(), baselines.get(key));
  const services: ServiceView[] = [];
  for (const s of table.services) {
    const key = serviceKey(s);
    const l = layouts.get(key);
    if (l) services.push(serviceView(s, key, l, m, since, rates));
  }
  return { version: table.version, services, stats: since('total'), rates: rates('total'), connTabSize };
}

function serviceView(s: VirtualService, key: string, l: Layout, m: DataPlaneMemory, since: (k: string) => StatsView, rates: RatesOf): ServiceView {
  // By address text and port: every IPv6 server has address 0.
  const model = new Map<string, RealServer>();
  for (const r of s.servers) model.set(`${addrText(r)}|${r.port}`, r);
  const servers: ServerView[] = [];
  for (const d of l.ids) {
    const address = destAddress(m, d);
    const r = model.get(`${address}|${m.port[d]}`);
    const k = statsKey(key, address, m.port[d]);
    servers.push({
      name: r?.name ?? address,
      address,
      port: m.port[d],
      forward: forwardName(m.destFwd[d]),
      weight: m.weight[d],
      upperThreshold: m.upper[d],
      lowerThreshold: m.lower[d],
      ...(r && r.forward === 'tunnel' ? { tunnelType: r.tunnelType ?? 'ipip', tunnelPort: r.tunnelPort ?? 0, tunnelCsum: r.tunnelCsum ?? 'none' } : {}),
      activeConns: m.active[d],
      inactiveConns: m.inactive[d],
      persistConns: m.persist[d],
      stats: since(k),
      rates: rates(k),
    });
  }
  return {
    id: serviceId(s), name: s.name, protocol: s.protocol, ...viewAddress(s), port: s.port, fwmark: s.fwmark,
    scheduler: s.scheduler, schedFlags: [...s.schedFlags], persistence: s.persistence, persistMask: persistMaskText(s),
    onePacket: s.onePacket, stats: since(key), rates: rates(key), servers,
  };
}

export function forwardName(code: number): ForwardName {
  return code === FWD_NAT ? 'nat' : code === FWD_DR ? 'dr' : 'tunnel';
}

function destStats(m: DataPlaneMemory, d: number): StatsView {
  return { conns: m.destConns[d], inPkts: m.destInPkts[d], outPkts: m.destOutPkts[d], inBytes: m.destInBytes[d], outBytes: m.destOutBytes[d] };
}

function fromArray(a: Float64Array, at: number): StatsView {
  return { conns: a[at], inPkts: a[at + 1], outPkts: a[at + 2], inBytes: a[at + 3], outBytes: a[at + 4] };
}

function add(s: StatsView, acc: number[]): void {
  s.conns += acc[0];
  s.inPkts += acc[1];
  s.outPkts += acc[2];
  s.inBytes += acc[3];
  s.outBytes += acc[4];
}

export function zeroStats(): StatsView {
  return { conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 };
}

function minus(a: StatsView, b: StatsView | undefined): StatsView {
  if (!b) return a;
  return { conns: a.conns - b.conns, inPkts: a.inPkts - b.inPkts, outPkts: a.outPkts - b.outPkts, inBytes: a.inBytes - b.inBytes, outBytes: a.outBytes - b.outBytes };
}

const REPLY_COUNTERS = ['tcp_resets_sent', 'tcp_resets_rate_limited', 'icmp_frag_needed_sent', 'icmp_frag_needed_rate_limited'];

/** The data plane's counters and loop figures, from the memory it publishes. */
export function dataPlaneView(m: DataPlaneMemory): DataPlaneView {
  const all = countersSnapshot(m.drops, m.passes, m.totals, true);
  const pick = (prefix: string): Record<string, number> =>
    Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
  return {
    rxFrames: all.rx_frames, txFrames: all.tx_frames, connsCreated: all.conns_created,
    drops: pick('drop_'), passes: pick('pass_'),
    conns: m.host[H_CONNS], connCapacity: m.host[H_CONN_CAPACITY], batches: m.host[H_BATCHES],
    batchFrames: histogram(m.batchFrames, BATCH_FRAME_BOUNDS), batchMicros: histogram(m.batchMicros, BATCH_MICRO_BOUNDS),
    stepMicros: histogram(m.stepMicros, BATCH_MICRO_BOUNDS), gcMicros: histogram(m.gcMicros, BATCH_MICRO_BOUNDS),
    defense: pick('defense_'),
    synproxy: pick('synproxy_'),
    replies: Object.fromEntries(REPLY_COUNTERS.map((k) => [k, all[k] ?? 0])),
    ftp: pick('ftp_'),
    nextHop: { held: all.next_hop_frames_held ?? 0, sent: all.next_hop_held_sent ?? 0 },
    tunnel: { sent: all.tunneled ?? 0, gsoCut: all.tunnel_gso_cut ?? 0 },
    fragmented: { datagrams: all.datagrams_fragmented ?? 0, fragments: all.fragments_sent ?? 0 },
    ipv6: { frames: all.ipv6_frames ?? 0, ndpAdverts: all.ndp_advertisements_sent ?? 0, echoReplies: all.icmp6_echo_replies ?? 0, tooBig: all.icmp6_too_big_sent ?? 0 },
    backend: Object.fromEntries(PORT_COUNTER_NAMES.map((k, i) => [k, m.backend?.[i] ?? 0])),
  };
}

/** Each worker's share (tsvs start --workers N), from its own memory. */
export function workerShares(parts: readonly DataPlaneMemory[]): WorkerShareView[] {
  return parts.map((m) => {
    const c = countersSnapshot(m.drops, m.passes, m.totals, false);
    return { rxFrames: c.rx_frames, txFrames: c.tx_frames, connsCreated: c.conns_created, conns: m.host[H_CONNS] };
  });
}

/** A histogram laid out per bucket (published.ts) as Prometheus's cumulative one. */
function histogram(h: Float64Array, bounds: readonly number[]): Histogram {
  const counts: number[] = [];
  let acc = 0;
  for (let b = 0; b < bounds.length; b++) counts.push((acc += h[b]));
  return { le: [...bounds], counts, count: h[bounds.length + 1], sum: h[bounds.length + 2] };
}
