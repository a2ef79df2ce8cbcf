// Start-up checks of `tsvs start`: each problem is one clear line, not a stack
// trace. What the host has is read from /sys and `ip`, injectable for tests.
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { HealthConfig } from '../health/types.js';
import type { Route } from '../engine/routes.js';
import { readKernelRoutes, watchKernelRoutes } from './kernel-routes.js';
import { formatIPv4, parseIPv4, parseMac, type ServiceTable } from '../model/index.js';

export interface HostInfo {
  isRoot(): boolean;
  hasDevice(name: string): boolean;
  macOf(name: string): Uint8Array | null;
  /** The device's MTU, which the data plane checks forwarded datagrams against; null: unknown (no check). */
  mtuOf?(name: string): number | null;
  /** IPv4 addresses the kernel holds: address -> device. */
  kernelAddresses(): Map<number, string>;
  /** IPv6 addresses the kernel holds (link-local ones too), as `ip` writes them; absent: none. */
  kernelAddresses6?(): string[];
  /** The kernel's IPv4 routes, as [network, prefix length] (default: [0, 0]). */
  kernelRoutes?(): Array<[number, number]>;
  /** The namespace's IPv4 and IPv6 routes (main table; IPv6 ones with dst6 set), which decide where each real server is reached; null: cannot say. */
  routes?(): Route[] | null;
  /** Calls `changed` when routes or addresses change; returns the function that stops watching. */
  watchRoutes?(changed: () => void, failed: (why: string) => void): () => void;
}

export const linuxHost: HostInfo = {
  isRoot: () => process.getuid?.() === 0,
  hasDevice: (name) => /^[\w.:-]{1,15}$/.test(name) && existsSync(`/sys/class/net/${name}`),
  macOf: (name) => {
    try {
      return parseMac(readFileSync(`/sys/class/net/${name}/address`, 'utf8').trim());
    } catch {
      return null;
    }
  },
  mtuOf: (name) => {
    try {
      const mtu = Number(readFileSync(`/sys/class/net/${name}/mtu`, 'utf8').trim());
      return Number.isInteger(mtu) && mtu >= 68 ? mtu : null;
    } catch {
      return null;
    }
  },
  kernelAddresses: () => {
    const out = new Map<number, string>();
    const r = spawnSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' });
    for (const line of (r.stdout ?? '').split('\n')) {
      const m = /^\d+:\s+(\S+)\s+inet\s+([\d.]+)\//.exec(line);
      const a = m ? parseIPv4(m[2]) : null;
      if (m && a !== null) out.set(a, m[1]);
    }
    return out;
  },
  kernelAddresses6: () => {
    const r = spawnSync('ip', ['-6', '-o', 'addr', 'show'], { encoding: 'utf8' });
    return (r.stdout ?? '').split('\n').flatMap((line) => {
      const m = /^\d+:\s+\S+\s+inet6\s+([0-9a-f:]+)\//.exec(line);
      return m ? [m[1]] : [];
    });
  },
  kernelRoutes: () => {
    const out: Array<[number, number]> = [];
    const r = spawnSync('ip', ['-4', '-o', 'route', 'show'], { encoding: 'utf8' });
    for (const line of (r.stdout ?? '').split('\n')) {
      const dest = line.split(' ')[0];
      if (dest === 'default') out.push([0, 0]);
      const m = /^([\d.]+)(?:\/(\d+))?$/.exec(dest);
      const a = m ? parseIPv4(m[1]) : null;
      if (m && a !== null) out.push([a, m[2] === undefined ? 32 : Number(m[2])]);
    }
    return out;
  },
  routes: readKernelRoutes,
  watchRoutes: watchKernelRoutes,
};

/**
 * Checked real servers the router's own stack has no route to: their checks
 * would fail and take them out. tsvs answers for the NAT router address itself,
 * so the kernel needs an address of its own on the real servers' network.
 */
export function unreachableChecks(health: HealthConfig, routes: Array<[number, number]>): string | null {
  const lost: string[] = [];
  for (const svc of health.services) {
    for (const s of svc.servers) {
      const a = parseIPv4(s.address);
      if (s.checks.length === 0 || a === null) continue;
      if (!routes.some(([net, len]) => len === 0 || ((a ^ net) >>> (32 - len)) === 0)) lost.push(s.address);
    }
  }
  if (!lost.length) return null;
  const names = [...new Set(lost)];
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');
  return `health checks cannot reach ${shown}: the router's own network stack has no route to them, so their checks fail and take them out. ` +
    'Give the kernel an address on their network (ip addr add ADDR/PREFIX dev DEV; not the nat_router address, which tsvs answers for), or set checks = none';
}

/** Every start-up problem, one line each; empty when the router can start. */
export function preflight(table: ServiceTable, devices: string[], host: HostInfo): string[] {
  const problems: string[] = [];
  if (!host.isRoot()) problems.push('tsvs start needs root (CAP_NET_RAW for AF_PACKET sockets, CAP_NET_ADMIN for the nftables fence)');
  for (const d of devices) {
    if (!host.hasDevice(d)) problems.push(`lvs.cf puts addresses on device ${d}, which this host does not have (see: ip link)`);
  }
  const kernel = host.kernelAddresses();
  for (const a of table.addresses) {
    const dev = kernel.get(a.address);
    if (dev !== undefined) {
      problems.push(`${formatIPv4(a.address)} (${a.role === 'vip' ? 'a VIP' : 'the NAT router address'}) is configured on ${dev} by the kernel; tsvs answers for it itself: remove it first (ip addr del ${formatIPv4(a.address)}/${a.prefixLen} dev ${dev})`);
    }
  }
  return problems;
}
