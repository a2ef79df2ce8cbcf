// The IPv4 routes of the router's namespace as `ip -j -4 route show table main`
// lists them, read into engine/routes.ts's Route. The main table is the one the
// kernel consults for forwarded traffic without policy rules (IPVS's route
// lookups use it); routes to the router's own addresses live in the local table
// and are not wanted here. A multipath route is taken by its first next hop.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Route, RouteType } from '../engine/routes.js';
import { parseIPv4 } from '../model/index.js';

interface IpRoute {
  dst?: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  type?: string;
  nexthops?: Array<{ gateway?: string; dev?: string }>;
}

const TYPES: Record<string, RouteType> = { unicast: 'unicast', blackhole: 'blackhole', unreachable: 'unreachable', prohibit: 'prohibit' };

/** Routes from `ip -j -4 route show` output; entries it cannot read (other types, bad addresses) are left out. */
export function parseIpRoutes(json: string): Route[] {
  let list: IpRoute[];
  try {
    list = JSON.parse(json) as IpRoute[];
  } catch {
    return [];
  }
  const out: Route[] = [];
  for (const r of Array.isArray(list) ? list : []) {
    const type = TYPES[r.type ?? 'unicast'];
    const m = /^([\d.]+)(?:\/(\d+))?$/.exec(r.dst === 'default' ? '0.0.0.0/0' : r.dst ?? '');
    const dst = m ? parseIPv4(m[1]) : null;
    if (!type || dst === null || !m) continue;
    const hop = r.nexthops?.[0] ?? r;
    const gateway = hop.gateway ? parseIPv4(hop.gateway) : 0;
    if (gateway === null) continue;
    out.push({ dst, len: m[2] === undefined ? 32 : Number(m[2]), gateway, dev: type === 'unicast' ? hop.dev ?? '' : '', metric: r.metric ?? 0, type });
  }
  return out;
}

/** The namespace's routes now; null when `ip` cannot be run (then the owned networks alone decide). */
export function readKernelRoutes(): Route[] | null {
  const r = spawnSync('ip', ['-j', '-4', 'route', 'show', 'table', 'main'], { encoding: 'utf8' });
  if (r.status !== 0 || r.error) return null;
  return parseIpRoutes(r.stdout);
}

/**
 * Calls `changed` (at most once per `settleMs`) after the kernel's routes or
 * addresses change, as `ip monitor route address` reports them (netlink).
 * Returns the stop function; a monitor that dies is reported once and not restarted.
 */
export function watchKernelRoutes(changed: () => void, failed: (why: string) => void, settleMs = 200): () => void {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const child: ChildProcess = spawn('ip', ['-4', 'monitor', 'route', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
  child.stdout?.on('data', () => {
    if (timer === null && !stopped) timer = setTimeout(() => {
      timer = null;
      changed();
    }, settleMs);
  });
  child.on('error', (e) => failed(e.message));
  child.on('exit', (code, signal) => {
    if (!stopped) failed(`ip monitor exited (${signal ?? code})`);
  });
  return () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    child.kill();
  };
}
