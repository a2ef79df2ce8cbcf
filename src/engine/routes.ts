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
  /**
   * An IPv6 route (routes6.ts reads it): its network in text (len 0..128) and its
   * gateway ('' or absent: on-link); dst and gateway are then 0. One list carries
   * both families from the kernel to the data plane.
   */
  dst6?: string;
  gateway6?: string;
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
  /** The IPv6 routes of the list, as given (routes6.ts's RouteTable6 decides with them). */
  readonly routes6: readonly Route[];

  constructor(routes: readonly Route[]) {
    this.routes6 = routes.filter((r) => r.dst6 !== undefined);
    this.routes = routes.filter((r) => r.dst6 === undefined).sort((a, b) => b.len - a.len || a.metric - b.metric || Number(b.owned === true) - Number(a.owned === true));
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
  withOwned(owned: ReadonlyArray<{ address: number; address6?: string; prefixLen: number; device: string }>): RouteTable {
    const extra: Route[] = owned.filter((a) => a.address6 === undefined).map((a) => ({ dst: (a.address & prefixToMask(a.prefixLen)) >>> 0, len: a.prefixLen, gateway: 0, dev: a.device, metric: 0, type: 'unicast', owned: true }));
    return new RouteTable([...this.routes.filter((r) => !r.owned), ...this.routes6, ...extra]);
  }

  /** A stable text of the routes (both families), to tell whether a re-read changed anything. */
  key(): string {
    const v4 = this.routes.filter((r) => !r.owned).map((r) => `${r.dst}/${r.len}>${r.gateway}@${r.dev}:${r.metric}:${r.type}`);
    const v6 = this.routes6.map((r) => `${r.dst6}/${r.len}>${r.gateway6 ?? ''}@${r.dev}:${r.metric}:${r.type}`).sort();
    return [...v4, ...v6].join(',');
  }
}
