// Start-up checks of `tsvs start`: each problem is one clear line, not a stack
// trace. What the host has is read from /sys and `ip`, injectable for tests.
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { formatIPv4, parseIPv4, parseMac, type ServiceTable } from '../model/index.js';

export interface HostInfo {
  isRoot(): boolean;
  hasDevice(name: string): boolean;
  macOf(name: string): Uint8Array | null;
  /** IPv4 addresses the kernel holds: address -> device. */
  kernelAddresses(): Map<number, string>;
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
};

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
