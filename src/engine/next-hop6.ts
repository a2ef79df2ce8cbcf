// Where each IPv6 real server is reached: its interface and the neighbour its
// frames go to, decided by the router's IPv6 routes (routes6.ts) when the data
// plane has them, else by the owned networks (Ipv6Path.interfaceOf, tests and
// replay). Decided for every IPv6 dest address when the routes, the owned
// addresses or the dest addresses change, never per packet: a dest's neighbour
// entry is found once (neighbourOf) and cached in ServiceRuntime.destNeigh.
//
// A server behind a gateway is sent through the gateway's MAC, resolved by NDP
// as a server's own would be (by address and interface: a link-local gateway,
// fe80::1, may be a different host on each link). LVS-DR cannot go through a gateway (the frame keeps
// the VIP as its destination and must reach the server's own MAC,
// IP_VS_RT_MODE_KNOWN_NH): such a dest never finds a neighbour and its frames are
// dropped as next hop unknown; the daemon says why (router/egress.ts).
import type { OwnedAddress } from '../model/index.js';
import type { Neighbours6, Wanted6 } from './neighbours6.js';
import { RouteTable6, type Egress6 } from './routes6.js';
import { FWD_DR, type ServiceRuntime } from './services.js';

export class NextHops6 {
  /** The kernel's IPv6 routes as setRoutes gave them; null: none (the owned networks decide). */
  private kernel: RouteTable6 | null = null;
  /** The same with the owned IPv6 networks added. */
  private table: RouteTable6 | null = null;
  private owned: readonly OwnedAddress[] = [];
  /** IPv6 dest address id (ServiceRuntime.destAddr) -> the gateway its route sends it through, and on which interface. */
  private readonly gateways = new Map<number, { hop: Int32Array; itf: number }>();

  /** Whether routes decide (setRoutes gave some). */
  get routed(): boolean {
    return this.table !== null;
  }

  setRoutes(routes: RouteTable6 | null): void {
    this.kernel = routes;
    this.table = routes?.withOwned(this.owned) ?? null;
  }

  setOwned(addresses: readonly OwnedAddress[]): void {
    this.owned = addresses;
    this.table = this.kernel?.withOwned(addresses) ?? null;
  }

  /**
   * The neighbours the IPv6 dests need, each on its interface: with routes, the
   * server itself on a connected network or its route's gateway (a gateway many
   * servers share is wanted once); no route: none. Without routes `fallback`
   * (today's rule) gives the interface and the server is its own next hop.
   */
  wanted(rt: ServiceRuntime, ifIndex: (dev: string) => number, fallback: (words: Int32Array, o: number, fwd: number) => number): Wanted6[] {
    const out: Wanted6[] = [];
    this.gateways.clear();
    for (const d of rt.dests6()) {
      if (this.table === null) {
        const itf = fallback(rt.destAddr6, 4 * d, rt.destFwd[d]);
        if (itf >= 0) out.push({ a: rt.destAddr6, o: 4 * d, itf });
        continue;
      }
      const e = this.table.egress(rt.destAddr6, 4 * d);
      const itf = e === null ? -1 : ifIndex(e.dev);
      if (e === null || itf < 0) continue;
      if (!e.onLink) this.gateways.set(rt.destAddr[d], { hop: e.hop, itf });
      out.push({ a: e.onLink ? rt.destAddr6 : e.hop, o: e.onLink ? 4 * d : 0, itf });
    }
    return out;
  }

  /** The route to an address (a client's): its device and next hop, or null (no route, or no routes given). */
  egress(a: Int32Array, o: number): Egress6 | null {
    return this.table === null ? null : this.table.egress(a, o);
  }

  /** The neighbour entry a dest's frames go to (0: none wanted, e.g. DR behind a gateway); made when its cache is empty. */
  neighbourOf(neigh: Neighbours6, rt: ServiceRuntime, dest: number): number {
    const gw = this.gateways.size === 0 ? undefined : this.gateways.get(rt.destAddr[dest]);
    if (gw === undefined) return neigh.find(rt.destAddr6, 4 * dest);
    return rt.destFwd[dest] === FWD_DR ? 0 : neigh.find(gw.hop, 0, gw.itf);
  }
}
