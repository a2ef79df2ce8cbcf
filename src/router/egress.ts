// Where each real server of a table is reached, decided from the router's routes
// (engine/routes.ts) before the data plane opens its devices: the devices the
// table needs beyond those lvs.cf names (the guide's DR figure: the VIP on eth0,
// the real servers on the private LAN behind eth1, which lvs.cf never names),
// and one line for each real server the router cannot serve as configured.
import { RouteTable, type Route } from '../engine/routes.js';
import { RouteTable6, routes6Of } from '../engine/routes6.js';
import { formatIPv4, type ServiceTable } from '../model/index.js';
import { formatIPv6, ipv6Words } from '../packet/ipv6.js';

export interface EgressPlan {
  /** Devices the real servers are reached through that are not among `open`, in order of first need. */
  extra: string[];
  /** One line per real server no interface reaches, or reached in a way its method cannot use. */
  problems: string[];
  /** address -> "dev" or "dev via gateway", for the start-up log (IPv6 servers by their text). */
  reached: Map<number | string, string>;
}

/**
 * `open`: the devices the router opens anyway (lvs.cf's; once running, all it
 * has); `usable(dev)`: the device exists here; `canOpen`: more devices can still
 * be opened (at start), else a server reached through another device is a problem.
 */
export function planEgress(table: ServiceTable, routes: readonly Route[], open: readonly string[], usable: (dev: string) => boolean = () => true, canOpen = true): EgressPlan {
  const rt = new RouteTable(routes).withOwned(table.addresses);
  const rt6 = new RouteTable6(routes6Of(routes)).withOwned(table.addresses);
  // IPv4 servers by address, IPv6 ones by their canonical text.
  const methods = new Map<number | string, Set<string>>();
  for (const svc of table.services) {
    for (const rs of svc.servers) {
      const key = rs.address6 ?? rs.address;
      const m = methods.get(key) ?? new Set<string>();
      m.add(rs.forward);
      methods.set(key, m);
    }
  }
  const extra: string[] = [];
  const problems: string[] = [];
  const reached = new Map<number | string, string>();
  for (const [addr, how] of methods) {
    let a: string;
    let e: { dev: string; hop: string; onLink: boolean } | null;
    let r: { type: string } | null;
    if (typeof addr === 'string') {
      const w = ipv6Words(addr);
      a = addr;
      const x = rt6.egress(w);
      e = x && { dev: x.dev, hop: formatIPv6(x.hop), onLink: x.onLink };
      r = e === null ? rt6.match(w) : null;
    } else {
      a = formatIPv4(addr);
      const x = rt.egress(addr);
      e = x && { dev: x.dev, hop: formatIPv4(x.hop), onLink: x.onLink };
      r = e === null ? rt.match(addr) : null;
    }
    if (e === null) {
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
    reached.set(addr, e.onLink ? e.dev : `${e.dev} via ${e.hop}`);
    if (!e.onLink && how.has('dr')) {
      problems.push(`real server ${a} (direct routing) is not on a directly connected network of this router (its route goes via ${e.hop} on ${e.dev}): ` +
        'LVS-DR sends the frame to the real server\'s own MAC, so it must be on a network the router is attached to; its frames are dropped');
    }
  }
  return { extra, problems, reached };
}
