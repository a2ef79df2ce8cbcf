// The live screen of `tsvs demo`: per-real-server figures from two router stats
// snapshots (rates are their difference over time) and the client's counts.
import { readFileSync } from 'node:fs';
import type { HealthView } from '../control/types.js';
import type { StatsSnapshot } from '../router/stats.js';

export interface ClientFigures {
  ok: number;
  errors: number;
  /** Requests per second in the last second. */
  rate: number;
}

export interface ViewMeta {
  title: string;
  secondsLeft: number;
  /** The health checks, from the control API; absent: not shown. */
  health?: HealthView | null;
  /** What the demo did so far ("12 s: stopped rs2's web server"), oldest first. */
  events?: string[];
}

const n = (v: number, w: number, digits = 0): string => v.toFixed(digits).padStart(w);
const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

export function renderDemo(prev: StatsSnapshot | null, cur: StatsSnapshot, client: ClientFigures, meta: ViewMeta): string {
  const dt = prev ? Math.max(0.001, (cur.now - prev.now) / 1000) : 0;
  const lines = [meta.title + (meta.secondsLeft > 0 ? `   ${Math.ceil(meta.secondsLeft)} s left, Ctrl-C stops` : ''), ''];
  for (const svc of cur.services) {
    lines.push(`${svc.service}  scheduler ${svc.scheduler}`);
    lines.push('  real server            weight  active  inact   conns  conn/s  in pkt/s out pkt/s  in MB  out MB');
    const before = prev?.services.find((s) => s.service === svc.service);
    for (const d of svc.dests) {
      const p = before?.dests.find((x) => x.address === d.address);
      const rate = (a: number, b: number | undefined): number => (p && dt ? (a - (b ?? 0)) / dt : 0);
      lines.push(
        `  ${`${d.address} ${d.name}`.padEnd(22)} ${n(d.weight, 6)} ${n(d.active, 7)} ${n(d.inactive, 6)} ${n(d.conns, 7)}` +
          ` ${n(rate(d.conns, p?.conns), 7)} ${n(rate(d.inPkts, p?.inPkts), 9)} ${n(rate(d.outPkts, p?.outPkts), 9)} ${mb(d.inBytes).padStart(6)} ${mb(d.outBytes).padStart(7)}`,
      );
    }
  }
  if (meta.health) lines.push('', ...healthLines(meta.health));
  if (meta.events?.length) lines.push('', ...meta.events);
  const drops = Object.entries(cur.counters).filter(([k]) => k.startsWith('drop_'));
  lines.push('', `connections in the table: ${cur.connections}   frames: ${cur.counters.rx_frames ?? 0} in, ${cur.counters.tx_frames ?? 0} out` + (drops.length ? `   drops: ${drops.map(([k, v]) => `${k.slice(5)} ${v}`).join(', ')}` : ''));
  lines.push(`client: ${client.ok} requests answered, ${client.errors} failed, ${client.rate} req/s`);
  return lines.join('\n');
}

/** A line per checked real server: what its checks say and why, as nanny logs it. */
function healthLines(h: HealthView): string[] {
  const out = ['health checks (nanny, in the router\'s own stack):'];
  for (const svc of h.services) {
    for (const r of svc.servers) {
      const state = r.serving ? 'up, serving' : `DOWN: ${r.lastChange?.reason ?? r.last?.detail ?? ''}`;
      const back = !r.serving && r.last?.ok ? ` (passing again: ${r.okStreak} of ${r.riseNeeded} checks to return)` : '';
      out.push(`  ${`${r.address}:${r.port}`.padEnd(22)} ${state}${back}`);
    }
  }
  return out;
}

/** The router's stats file (--stats-file), or null while it is not (yet) there or half written. */
export function readStats(path: string): StatsSnapshot | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StatsSnapshot;
  } catch {
    return null;
  }
}
