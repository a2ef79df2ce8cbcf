// Which interface, and which neighbour on it, reaches an address: the kernel's
// route lookup (fib_lookup) as IPVS's __ip_vs_get_out_rt makes it for every
// forwarded packet, here made once per address and cached. The table holds the
// kernel's routes of the router's namespace (its main table) plus the networks
// of the addresses tsvs answers for itself (VIPs, NAT router), which the kernel
// would list as connected routes had it held them.
//
// The longest prefix wins; among routes of equal prefix the lowest metric, and a
// network tsvs owns before a kernel route (it is on that link). A route with a
// gateway sends through the gateway: the neighbour to resolve is the gateway, not
// the address. Blackhole, unreachable and prohibit routes match and reach nothing,
// as the kernel's do.
import { prefixToMask } from '../model/index.js';

export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';

export interface Route {
  /** The network (uint32) and its prefix length. */
  dst: number;
  len: number;
  /** The next hop when the network is not directly connected; 0: on-link. */
  gateway: number;
  /** The device; empty for routes that reach nothing. */
  dev: string;
  metric: number;
  type: RouteType;
  /** A network of an address tsvs owns (VIP, NAT router), not one of the kernel's routes. */
  owned?: boolean;
}

/** What the lookup decided for an address. */
export interface Egress {
  dev: string;
  /** The neighbour frames go to: the gateway of the route, else the address itself. */
  hop: number;
  /** True when the address is on a directly connected network (no gateway). */
  onLink: boolean;
}

export class RouteTable {
  /** Longest prefix first, then lowest metric, then owned before kernel. */
  readonly routes: readonly Route[];

  constructor(routes: readonly Route[]) {
    this.routes = [...routes].sort((a, b) => b.len - a.len || a.metric - b.metric || Number(b.owned === true) - Number(a.owned === true));
  }

  /** The route the kernel would take to addr, or null when none matches (no default route). */
  match(addr: number): Route | null {
    for (const r of this.routes) {
      const mask = prefixToMask(r.len);
      if (((addr & mask) >>> 0) === ((r.dst & mask) >>> 0)) return r;
    }
    return null;
  }

  /** The device and neighbour for addr; null when no route reaches it (none, or a blackhole/unreachable one). */
  egress(addr: number): Egress | null {
    const r = this.match(addr);
    if (r === null || r.type !== 'unicast' || r.dev === '') return null;
    return r.gateway !== 0 ? { dev: r.dev, hop: r.gateway >>> 0, onLink: false } : { dev: r.dev, hop: addr >>> 0, onLink: true };
  }

  /** A table of these routes with the owned addresses' networks added (the engine's addresses change with each table version). */
  withOwned(owned: ReadonlyArray<{ address: number; prefixLen: number; device: string }>): RouteTable {
    const extra: Route[] = owned.map((a) => ({ dst: (a.address & prefixToMask(a.prefixLen)) >>> 0, len: a.prefixLen, gateway: 0, dev: a.device, metric: 0, type: 'unicast', owned: true }));
    return new RouteTable([...this.routes.filter((r) => !r.owned), ...extra]);
  }

  /** A stable text of the routes, to tell whether a re-read changed anything. */
  key(): string {
    return this.routes.filter((r) => !r.owned).map((r) => `${r.dst}/${r.len}>${r.gateway}@${r.dev}:${r.metric}:${r.type}`).join(',');
  }
}
