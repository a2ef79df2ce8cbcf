// The IPv6 twin of routes.ts: which interface, and which neighbour on it, reaches
// an IPv6 address, as the kernel's fib6 lookup (ip6_route_output) decides it for
// IPVS's __ip_vs_get_out_rt_v6, here made when the routes or the table change and
// cached per real server, never per packet. The table holds the IPv6 routes of
// the router's namespace (main table; routes.ts's Route with dst6 set) plus the
// networks of the IPv6 addresses tsvs answers for itself (VIPs, NAT router).
//
// Prefixes are 4 big-endian int32 words (packet/ipv6.ts). The longest prefix
// wins; among equal prefixes the lowest metric, and an owned network before a
// kernel route. A gateway (often link-local, fe80::1 dev eth1) is the neighbour
// to resolve; blackhole, unreachable and prohibit routes reach nothing.
import { formatIPv6, ipv6Words } from '../packet/ipv6.js';
import { samePrefix6 } from './addr6.js';
import type { Route, RouteType } from './routes.js';

export interface Route6 {
  /** The network's words and its prefix length (0..128). */
  readonly dst: Int32Array;
  readonly len: number;
  /** The next hop's words when the network is not directly connected; null: on-link. */
  readonly gateway: Int32Array | null;
  /** The device; empty for routes that reach nothing. */
  readonly dev: string;
  readonly metric: number;
  readonly type: RouteType;
  /** A network of an address tsvs owns, not one of the kernel's routes. */
  readonly owned?: boolean;
}

/** What the lookup decided for an IPv6 address. */
export interface Egress6 {
  dev: string;
  /** The neighbour frames go to: the route's gateway, else the address itself (its own words). */
  hop: Int32Array;
  /** True when the address is on a directly connected network (no gateway). */
  onLink: boolean;
}

/** The IPv6 routes of a Route list (those with dst6), read into words; unreadable ones are left out. */
export function routes6Of(routes: readonly Route[]): Route6[] {
  const out: Route6[] = [];
  for (const r of routes) {
    if (r.dst6 === undefined) continue;
    try {
      out.push({ dst: ipv6Words(r.dst6), len: r.len, gateway: r.gateway6 ? ipv6Words(r.gateway6) : null, dev: r.dev, metric: r.metric, type: r.type });
    } catch {
      // not an address: as parseIpRoutes, such an entry is not a route here
    }
  }
  return out;
}

export class RouteTable6 {
  /** Longest prefix first, then lowest metric, then owned before kernel. */
  readonly routes: readonly Route6[];

  constructor(routes: readonly Route6[]) {
    this.routes = [...routes].sort((a, b) => b.len - a.len || a.metric - b.metric || Number(b.owned === true) - Number(a.owned === true));
  }

  /** The route the kernel would take to the address at a[o..o+3], or null. */
  match(a: Int32Array, o = 0): Route6 | null {
    for (const r of this.routes) if (samePrefix6(r.dst, 0, a, o, r.len)) return r;
    return null;
  }

  /** The device and neighbour for the address; null when no route reaches it. The hop is a new array (not the caller's). */
  egress(a: Int32Array, o = 0): Egress6 | null {
    const r = this.match(a, o);
    if (r === null || r.type !== 'unicast' || r.dev === '') return null;
    if (r.gateway !== null) return { dev: r.dev, hop: r.gateway, onLink: false };
    return { dev: r.dev, hop: a.slice(o, o + 4), onLink: true };
  }

  /** A table of these routes with the owned IPv6 addresses' networks added (IPv4 ones are skipped). */
  withOwned(owned: ReadonlyArray<{ address6?: string; prefixLen: number; device: string }>): RouteTable6 {
    const extra: Route6[] = [];
    for (const x of owned) {
      if (x.address6 === undefined || x.prefixLen >= 128) continue;
      extra.push({ dst: maskWords(ipv6Words(x.address6), x.prefixLen), len: x.prefixLen, gateway: null, dev: x.device, metric: 0, type: 'unicast', owned: true });
    }
    return new RouteTable6([...this.routes.filter((r) => !r.owned), ...extra]);
  }

  /** A stable text of the kernel's routes (change detection, messages). */
  key(): string {
    return this.routes.filter((r) => !r.owned).map((r) => `${formatIPv6(r.dst)}/${r.len}>${r.gateway ? formatIPv6(r.gateway) : ''}@${r.dev}:${r.metric}:${r.type}`).join(',');
  }
}

/** The words with the bits past `len` cleared (a network from an address). */
export function maskWords(w: Int32Array, len: number): Int32Array {
  const out = new Int32Array(4);
  for (let k = 0; k < 4; k++) {
    const bits = Math.max(0, Math.min(32, len - 32 * k));
    out[k] = bits === 0 ? 0 : bits === 32 ? w[k] : w[k] & ~(-1 >>> bits);
  }
  return out;
}
