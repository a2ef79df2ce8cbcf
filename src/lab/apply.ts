// Builds a LabPlan with `ip`: namespaces, sysctls, veth pairs made directly
// inside the namespaces (`ip -n A link add ... peer ... netns B`, so no end ever
// exists in the root namespace), bridges, addresses, routes, offloads.
import type { LabPlan } from './plan.js';
import { ipBatch, LabError, nsRun, nsSysctl } from './netns.js';

const OFFLOADS_OFF = ['tso', 'off', 'gso', 'off', 'gro', 'off', 'tx', 'off', 'rx', 'off'];

/** Creates the namespaces; the caller deletes them (labDown) if anything later fails. */
export async function createNamespaces(plan: LabPlan): Promise<void> {
  await ipBatch(plan.namespaces.all.map((ns) => `netns add ${ns}`));
}

export async function applyPlan(plan: LabPlan): Promise<void> {
  // sysctls first: devices made afterwards inherit conf.default.
  await Promise.all(plan.hosts.map((h) => nsSysctl(h.ns, h.sysctls)));

  // Switches: a bridge each, up before ports join (STP off: ports forward at once).
  await Promise.all(plan.bridges.map((b) => ipBatch([`link add ${b.dev} type bridge stp_state 0 mcast_snooping 0`, `link set ${b.dev} up`], b.ns)));

  // veth pairs, grouped by the namespace that makes them.
  const byNs = new Map<string, string[]>();
  for (const l of plan.links) {
    const peerMac = l.peerMac ? ` address ${l.peerMac}` : '';
    const line = `link add ${l.dev} address ${l.mac} type veth peer name ${l.peerDev}${peerMac} netns ${l.peerNs}`;
    byNs.set(l.ns, [...(byNs.get(l.ns) ?? []), line]);
  }
  await Promise.all([...byNs].map(([ns, lines]) => ipBatch(lines, ns)));

  // Per namespace: ports into bridges, links up, addresses, then routes.
  const cmds = new Map<string, string[]>(plan.namespaces.all.map((ns) => [ns, ['link set lo up']]));
  const add = (ns: string, line: string) => cmds.get(ns)!.push(line);
  for (const l of plan.links) {
    if (l.bridge) add(l.peerNs, `link set ${l.peerDev} master ${l.bridge}`);
    add(l.peerNs, `link set ${l.peerDev} up`);
    add(l.ns, `link set ${l.dev} up`);
  }
  // IPv6 (--ipv6): nodad, so that no address is tentative (unusable) for its first second.
  for (const a of plan.addrs) add(a.ns, `addr add ${a.cidr} dev ${a.dev}${a.cidr.includes(':') ? ' nodad' : ''}`);
  for (const r of plan.routes) add(r.ns, `route add ${r.dst} via ${r.via}`);
  await Promise.all([...cmds].map(([ns, lines]) => ipBatch(lines, ns)));

  await Promise.all(plan.hosts.map((h) => nsSysctl(h.ns, h.deviceSysctls)));
}

/** The router's (and the backup router's) interfaces and their switch-side peers: `ethtool -K DEV tso off gso off gro off tx off rx off`. */
export async function disableRouterOffloads(plan: LabPlan): Promise<void> {
  const targets = plan.links
    .filter((l) => l.ns === plan.namespaces.router || l.ns === plan.namespaces.backup)
    .flatMap((l) => [
      { ns: l.ns, dev: l.dev },
      { ns: l.peerNs, dev: l.peerDev },
    ]);
  await Promise.all(
    targets.map(async (t) => {
      const r = await nsRun(t.ns, ['ethtool', '-K', t.dev, ...OFFLOADS_OFF]);
      if (r.code !== 0) throw new LabError(`ethtool -K ${t.dev} (in ${t.ns}) failed: ${r.stderr.trim() || `exit ${r.code}`} (is ethtool installed?)`);
    }),
  );
}
