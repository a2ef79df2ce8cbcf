// The IPv4 routes of the router's namespace as `ip -j -4 route show table main`
// lists them, read into engine/routes.ts's Route. The main table is the one the
// kernel consults for forwarded traffic without policy rules (IPVS's route
// lookups use it); routes to the router's own addresses live in the local table
// and are not wanted here. A multipath route is taken by its first next hop.
// The IPv6 routes (`ip -j -6 route show table main`) come in the same list with
// dst6/gateway6 set (engine/routes6.ts decides with them).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Route, RouteType } from '../engine/routes.js';
import { parseIPv4 } from '../model/index.js';
import { formatIPv6, ipv6Words } from '../packet/ipv6.js';

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

/** IPv6 routes from `ip -j -6 route show` output, as Routes with dst6 (canonical text) set; unreadable entries are left out. */
export function parseIpRoutes6(json: string): Route[] {
  let list: IpRoute[];
  try {
    list = JSON.parse(json) as IpRoute[];
  } catch {
    return [];
  }
  const canon = (a: string): string | null => {
    try {
      return formatIPv6(ipv6Words(a));
    } catch {
      return null;
    }
  };
  const out: Route[] = [];
  for (const r of Array.isArray(list) ? list : []) {
    const type = TYPES[r.type ?? 'unicast'];
    const m = /^([0-9a-fA-F:.]+)(?:\/(\d+))?$/.exec(r.dst === 'default' ? '::/0' : r.dst ?? '');
    const dst = m ? canon(m[1]) : null;
    const len = m?.[2] === undefined ? 128 : Number(m[2]);
    if (!type || dst === null || len > 128) continue;
    const hop = r.nexthops?.[0] ?? r;
    const gateway = hop.gateway ? canon(hop.gateway) : '';
    if (gateway === null) continue;
    out.push({ dst: 0, len, gateway: 0, dst6: dst, gateway6: gateway, dev: type === 'unicast' ? hop.dev ?? '' : '', metric: r.metric ?? 0, type });
  }
  return out;
}

/**
 * The namespace's routes now, IPv4 and IPv6; null when `ip` cannot be run (then
 * the owned networks alone decide). A host without IPv6 gives its IPv4 routes.
 */
export function readKernelRoutes(): Route[] | null {
  const r = spawnSync('ip', ['-j', '-4', 'route', 'show', 'table', 'main'], { encoding: 'utf8' });
  if (r.status !== 0 || r.error) return null;
  const r6 = spawnSync('ip', ['-j', '-6', 'route', 'show', 'table', 'main'], { encoding: 'utf8' });
  return [...parseIpRoutes(r.stdout), ...(r6.status === 0 && !r6.error ? parseIpRoutes6(r6.stdout) : [])];
}

/**
 * Calls `changed` (at most once per `settleMs`) after the kernel's routes or
 * addresses change (both families), as `ip monitor route address` reports them (netlink).
 * Returns the stop function; a monitor that dies is reported once and not restarted.
 */
export function watchKernelRoutes(changed: () => void, failed: (why: string) => void, settleMs = 200): () => void {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const child: ChildProcess = spawn('ip', ['monitor', 'route', 'address'], { stdio: ['ignore', 'pipe', 'ignore'] });
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
