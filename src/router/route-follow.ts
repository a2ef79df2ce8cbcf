// The router's routes over its life: read at start (they decide which devices
// the data plane opens), read again when `ip monitor` says routes or addresses
// changed and on each reload, and the real servers they leave unreachable (or,
// for LVS-DR, not on-link) reported once each, one line, when that starts.
import { RouteTable, type Route } from '../engine/routes.js';
import type { ServiceTable } from '../model/index.js';
import { planEgress } from './egress.js';
import type { Logger } from './log.js';
import type { HostInfo } from './preflight.js';

export class RouteFollower {
  /** The routes the data plane has; null: the host cannot say (no `ip`), the owned networks decide. */
  routes: Route[] | null = null;
  private key = '';
  /** Problem lines logged and still true (each is logged once, when it starts being true). */
  private reported = new Set<string>();

  constructor(
    private readonly host: HostInfo,
    private readonly log: Logger,
  ) {}

  /**
   * At start: reads the routes and returns the devices the real servers need
   * beyond `open` (lvs.cf's), which the data plane opens too; logs each problem.
   */
  start(table: ServiceTable, open: readonly string[]): string[] {
    this.routes = this.host.routes?.() ?? null;
    if (this.routes === null) return [];
    this.key = new RouteTable(this.routes).key();
    const plan = planEgress(table, this.routes, open, (d) => this.host.hasDevice(d) && this.host.macOf(d) !== null, true);
    this.report(plan.problems);
    return plan.extra;
  }

  /** Reads the routes again: the new ones when they changed (for the data plane), else null. */
  reread(): Route[] | null {
    const routes = this.host.routes?.() ?? null;
    if (routes === null) return null;
    const key = new RouteTable(routes).key();
    if (key === this.key) return null;
    this.routes = routes;
    this.key = key;
    return routes;
  }

  /** Logs the real servers of `table` that the routes now leave unreachable, each when it starts; devices are fixed since start. */
  check(table: ServiceTable, open: readonly string[]): void {
    if (this.routes === null) return;
    this.report(planEgress(table, this.routes, open, (d) => open.includes(d), false).problems);
  }

  private report(problems: string[]): void {
    const now = new Set(problems);
    for (const p of problems) if (!this.reported.has(p)) this.log.warn(p);
    for (const p of this.reported) if (!now.has(p)) this.log.info('resolved', { was: p });
    this.reported = now;
  }
}
