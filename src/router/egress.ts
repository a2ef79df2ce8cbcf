// Where each real server of a table is reached, decided from the router's routes
// (engine/routes.ts) before the data plane opens its devices: the devices the
// table needs beyond those lvs.cf names (the guide's DR figure: the VIP on eth0,
// the real servers on the private LAN behind eth1, which lvs.cf never names),
// and one line for each real server the router cannot serve as configured.
import { RouteTable, type Route } from '../engine/routes.js';
import { formatIPv4, type ServiceTable } from '../model/index.js';

export interface EgressPlan {
  /** Devices the real servers are reached through that are not among `open`, in order of first need. */
  extra: string[];
  /** One line per real server no interface reaches, or reached in a way its method cannot use. */
  problems: string[];
  /** address -> "dev" or "dev via gateway", for the start-up log. */
  reached: Map<number, string>;
}

/**
 * `open`: the devices the router opens anyway (lvs.cf's; once running, all it
 * has); `usable(dev)`: the device exists here; `canOpen`: more devices can still
 * be opened (at start), else a server reached through another device is a problem.
 */
export function planEgress(table: ServiceTable, routes: readonly Route[], open: readonly string[], usable: (dev: string) => boolean = () => true, canOpen = true): EgressPlan {
  const rt = new RouteTable(routes).withOwned(table.addresses);
  const methods = new Map<number, Set<string>>();
  for (const svc of table.services) {
    for (const rs of svc.servers) {
      const m = methods.get(rs.address) ?? new Set<string>();
      m.add(rs.forward);
      methods.set(rs.address, m);
    }
  }
  const extra: string[] = [];
  const problems: string[] = [];
  const reached = new Map<number, string>();
  for (const [addr, how] of methods) {
    const a = formatIPv4(addr);
    const e = rt.egress(addr);
    if (e === null) {
      const r = rt.match(addr);
      problems.push(`real server ${a}: no interface of this router reaches it (${r ? `a ${r.type} route` : 'no route'} to it); its frames are dropped as next hop unknown until a route does`);
      continue;
    }
    if (!canOpen && !open.includes(e.dev)) {
      problems.push(`real server ${a}: the route to it is now through device ${e.dev}, which tsvs did not open at start; restart tsvs to forward to it`);
      continue;
    }
    if (!usable(e.dev)) {
      problems.push(`real server ${a}: the route to it is through device ${e.dev}, which tsvs cannot open here`);
      continue;
    }
    if (!open.includes(e.dev) && !extra.includes(e.dev)) extra.push(e.dev);
    reached.set(addr, e.onLink ? e.dev : `${e.dev} via ${formatIPv4(e.hop)}`);
    if (!e.onLink && how.has('dr')) {
      problems.push(`real server ${a} (direct routing) is not on a directly connected network of this router (its route goes via ${formatIPv4(e.hop)} on ${e.dev}): ` +
        'LVS-DR sends the frame to the real server\'s own MAC, so it must be on a network the router is attached to; its frames are dropped');
    }
  }
  return { extra, problems, reached };
}
