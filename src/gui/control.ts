// What the web tool reads from the router: status, the table as `ipvsadm -L -n`
// prints it (the admin command's own formatter), health per real server, and
// the samples the live charts plot. Every call says "router not running" instead
// of failing when nothing answers: the tool works without a router, as Piranha's did.
import { formatList } from '../cli/admin/format-list.js';
import { DEFAULT_FORMAT } from '../cli/admin/command.js';
import { numericNamer } from '../cli/admin/names.js';
import { ControlClient } from '../control/client.js';
import { serverRefOf } from '../control/service-id.js';
import type { HealthView, ReloadView, StatusView, TableView } from '../control/types.js';

export interface RouterView {
  status: StatusView | null;
  /** Why there is no status: "router not running: ...". */
  down: string | null;
  table: TableView | null;
  listing: string;
  health: HealthView | null;
}

export class Router {
  constructor(readonly client: ControlClient) {}

  async view(): Promise<RouterView> {
    let status: StatusView;
    try {
      status = await this.client.status();
    } catch (e) {
      return { status: null, down: `router not running: ${(e as Error).message}`, table: null, listing: '', health: null };
    }
    const [table, health] = await Promise.all([this.client.table().catch(() => null), this.client.health().catch(() => null)]);
    const listing = table ? formatList(table, { ...DEFAULT_FORMAT, numeric: true }, numericNamer) : '';
    return { status, down: null, table, listing, health };
  }

  /** Reload after a write; null when no router runs (the file is read at its next start). */
  async reload(): Promise<ReloadView | null | { error: string }> {
    try {
      await this.client.status();
    } catch {
      return null;
    }
    try {
      return await this.client.reload();
    } catch (e) {
      return { error: (e as Error).message };
    }
  }

  /** One chart sample: per virtual (and real) server, active connections and new connections per second. */
  async sample(): Promise<Sample | null> {
    const table = await this.client.table().catch(() => null);
    if (!table) return null;
    return {
      t: Date.now() / 1000,
      services: table.services.map((s) => ({
        id: s.id, name: s.name, cps: s.rates.cps, inPps: s.rates.inPps,
        active: s.servers.reduce((n, r) => n + r.activeConns, 0),
        servers: s.servers.map((r) => ({ id: serverRefOf(r.address, r.port), active: r.activeConns, cps: r.rates.cps })),
      })),
    };
  }
}

export interface Sample {
  t: number;
  services: { id: string; name: string; cps: number; inPps: number; active: number; servers: { id: string; active: number; cps: number }[] }[];
}
