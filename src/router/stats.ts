// A snapshot of the running table with counters, as `ipvsadm -L -n --stats`
// shows it, in JSON: written by `tsvs start --stats-file` and read by
// `tsvs demo` (and anything else that wants figures without a control API).
import { renameSync, writeFileSync } from 'node:fs';
import type { DataPlaneView, TableView, WorkerShareView } from '../control/types.js';
import type { Engine } from '../engine/engine.js';
import { formatIPv4, hostPort } from '../model/index.js';
import { formatIPv6 } from '../packet/ipv6.js';

export interface DestStats {
  name: string;
  address: string;
  weight: number;
  active: number;
  inactive: number;
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
}

export interface ServiceStats {
  service: string;
  scheduler: string;
  dests: DestStats[];
}

export interface StatsSnapshot {
  /** The engine clock (ms) when taken. */
  now: number;
  connections: number;
  counters: Record<string, number>;
  services: ServiceStats[];
  /** With several data-plane workers: each one's frames and connections (the rest is their sum). */
  workers?: WorkerShareView[];
}

export function snapshot(engine: Engine, now: number): StatsSnapshot {
  const rt = engine.services;
  const d = rt.dests;
  const services: ServiceStats[] = [];
  for (const svc of rt.services) {
    if (!svc || !svc.live) continue;
    const m = svc.model;
    const ids = [...svc.ids].sort((a, b) => rt.destAddr[a] - rt.destAddr[b] || rt.destPort[a] - rt.destPort[b]);
    services.push({
      service: m.fwmark ? `FWM ${m.fwmark}` : `${m.protocol.toUpperCase()} ${hostPort(m, m.port)}`,
      scheduler: m.scheduler,
      dests: ids.map((id) => ({
        name: rt.destNames[id] ?? '',
        address: rt.destV6[id] ? `[${formatIPv6(rt.destAddr6, 4 * id)}]:${rt.destPort[id]}` : `${formatIPv4(rt.destAddr[id])}:${rt.destPort[id]}`,
        weight: d.weight[id],
        active: d.active[id],
        inactive: d.inactive[id],
        conns: rt.destConns[id],
        inPkts: rt.destInPkts[id],
        outPkts: rt.destOutPkts[id],
        inBytes: rt.destInBytes[id],
        outBytes: rt.destOutBytes[id],
      })),
    });
  }
  return { now, connections: engine.conns.count, counters: engine.counters.snapshot(), services };
}

/** The same snapshot from the control plane's views (the router, whose engine runs in another thread). */
export function snapshotOf(t: TableView, dp: DataPlaneView, now: number): StatsSnapshot {
  const counters: Record<string, number> = { rx_frames: dp.rxFrames, tx_frames: dp.txFrames, conns_created: dp.connsCreated };
  for (const [k, v] of Object.entries(dp.drops)) if (v) counters[`drop_${k}`] = v;
  for (const [k, v] of Object.entries(dp.passes)) if (v) counters[`pass_${k}`] = v;
  for (const [k, v] of Object.entries(dp.replies ?? {})) if (v) counters[k] = v;
  for (const [k, v] of Object.entries(dp.ftp ?? {})) if (v) counters[`ftp_${k}`] = v;
  for (const [k, v] of Object.entries(dp.backend ?? {})) if (v) counters[`backend_${k}`] = v;
  if (dp.tunnel?.sent) counters.tunneled = dp.tunnel.sent;
  if (dp.tunnel?.gsoCut) counters.tunnel_gso_cut = dp.tunnel.gsoCut;
  if (dp.fragmented?.datagrams) counters.datagrams_fragmented = dp.fragmented.datagrams;
  if (dp.fragmented?.fragments) counters.fragments_sent = dp.fragmented.fragments;
  if (dp.ipv6?.frames) counters.ipv6_frames = dp.ipv6.frames;
  if (dp.ipv6?.ndpAdverts) counters.ndp_advertisements_sent = dp.ipv6.ndpAdverts;
  if (dp.ipv6?.echoReplies) counters.icmp6_echo_replies = dp.ipv6.echoReplies;
  if (dp.ipv6?.tooBig) counters.icmp6_too_big_sent = dp.ipv6.tooBig;
  for (const [k, v] of Object.entries(dp.defense ?? {})) if (v) counters[`defense_${k}`] = v;
  for (const [k, v] of Object.entries(dp.synproxy ?? {})) if (v) counters[`synproxy_${k}`] = v;
  const services = t.services.map((s) => ({
    service: s.fwmark ? `FWM ${s.fwmark}` : `${s.protocol.toUpperCase()} ${withPort(s.address, s.port)}`,
    scheduler: s.scheduler,
    dests: [...s.servers]
      .sort((a, b) => ipNum(a.address) - ipNum(b.address) || a.address.localeCompare(b.address) || a.port - b.port)
      .map((d) => ({
        name: d.name, address: withPort(d.address, d.port), weight: d.weight, active: d.activeConns, inactive: d.inactiveConns,
        conns: d.stats.conns, inPkts: d.stats.inPkts, outPkts: d.stats.outPkts, inBytes: d.stats.inBytes, outBytes: d.stats.outBytes,
      })),
  }));
  return { now, connections: dp.conns, counters, services, ...(dp.workers ? { workers: dp.workers } : {}) };
}

/** IPv4 addresses in numeric order; IPv6 ones (0 here) after them, by text. */
function ipNum(a: string): number {
  return a.includes(':') ? 2 ** 32 : a.split('.').reduce((n, x) => n * 256 + Number(x), 0);
}

/** `1.2.3.4:80`, or `[2001:db8::1]:80` as ipvsadm writes IPv6. */
function withPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Written whole and renamed into place, so a reader never sees half a file. */
export function writeSnapshot(path: string, snap: StatsSnapshot): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(snap));
  renameSync(tmp, path);
}
