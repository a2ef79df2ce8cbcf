// The desired state: what the data plane should run, from three sources kept
// apart so that none erases another - the table lvs.cf builds, the runtime
// changes made through the control API (tsvs admin), and the health checks'
// verdicts on real servers. The running table is one validated version of
// "lvs.cf + changes, with verdicts applied". A reload replaces lvs.cf's table and
// drops the runtime changes, saying which (as lvsd's reread replaces whatever
// ipvsadm did by hand); verdicts stay, for servers that are still there.
import { assembleTable, formatIPv4, serviceKey, type OwnedAddress, type RealServer, type ServiceTable, type VirtualService } from '../model/index.js';
import { planOps, type Plan } from './ops.js';
import type { Op } from './types.js';

/** A health check's verdict on a real server (the health-check component sets them). */
export interface Verdict {
  /** false: the server failed its checks. */
  up: boolean;
  /** On failure: keep it with weight 0 (quiesce_server = 1) instead of taking it out. */
  quiesce?: boolean;
  /** A weight to run instead of the configured one (slow start, load-based weights). */
  weight?: number;
}

/** What the health checks put over a whole service (health/monitor.ts Overlay). */
export interface ServiceOverlay {
  /** Run this server (weight 1) in the service: Piranha's sorry_server. */
  sorry: { address: number; port: number } | null;
  /** Quorum lost: none of the service's real servers takes new connections. */
  suspended: boolean;
}

/** A planned change: the configured table it would make, and what it did. */
export interface Candidate {
  configured: ServiceTable;
  plan: Plan;
}

export class DesiredState {
  /** lvs.cf's table: what the last load or reload built. */
  private base: ServiceTable;
  /** lvs.cf's table plus the runtime changes since. */
  private conf: ServiceTable;
  /** The runtime changes since the last load, one line each, with who made them. */
  private readonly edits: string[] = [];
  /** Verdicts by service key, then "address:port". */
  private readonly verdicts = new Map<string, Map<string, Verdict>>();
  /** Overlays by service key. */
  private readonly overlays = new Map<string, ServiceOverlay>();
  /** Effective services by configured service object, valid while its verdict revision holds. */
  private readonly cache = new WeakMap<VirtualService, { rev: number; eff: VirtualService }>();
  private readonly revs = new Map<string, number>();
  /** Bumped by every verdict change; the last effective table, valid for its configured table and this revision. */
  private rev = 0;
  private last: { configured: ServiceTable; rev: number; table: ServiceTable } | null = null;

  constructor(base: ServiceTable, private readonly devices: readonly string[]) {
    this.base = base;
    this.conf = base;
  }

  /** lvs.cf's table plus the runtime changes. */
  get configured(): ServiceTable {
    return this.conf;
  }

  /** Runtime changes a reload would discard. */
  get runtimeChanges(): readonly string[] {
    return this.edits;
  }

  /** Plans ops on the configured table (throws OpError, changing nothing). Commit it once the data plane runs it. */
  plan(ops: readonly Op[]): Candidate {
    const plan = planOps(this.conf, ops, this.devices, this.base.addresses);
    const changed = plan.services.length !== this.conf.services.length || plan.services.some((s, i) => s !== this.conf.services[i]) ||
      plan.timeouts !== this.conf.timeouts || !sameAddresses(plan.addresses, this.conf.addresses);
    const configured = changed ? assembleTable({ ...this.conf, services: plan.services, addresses: plan.addresses, timeouts: plan.timeouts }) : this.conf;
    return { configured, plan };
  }

  /** Makes a planned change the configured state; `who` says who made it (for a later reload's report). */
  commit(c: Candidate, who: string): void {
    if (c.configured !== this.conf) for (const line of c.plan.done) this.edits.push(`${line} (${who})`);
    this.conf = c.configured;
  }

  /** A reload: lvs.cf's new table replaces the old and every runtime change. Returns the changes discarded. */
  reload(base: ServiceTable): string[] {
    const discarded = this.edits.splice(0);
    this.base = base;
    this.conf = base;
    return discarded;
  }

  /** Undoes reload() when the new table could not be run. */
  restore(base: ServiceTable, configured: ServiceTable, edits: readonly string[]): void {
    this.base = base;
    this.conf = configured;
    this.edits.splice(0, this.edits.length, ...edits);
  }

  /** The state to restore after a failed reload. */
  snapshot(): { base: ServiceTable; configured: ServiceTable; edits: string[] } {
    return { base: this.base, configured: this.conf, edits: [...this.edits] };
  }

  /** Sets (or with null clears) the verdict on a real server. */
  /** `address`: an IPv4 number, or IPv6 text (health/monitor.ts verdicts). */
  setVerdict(service: string, address: number | string, port: number, v: Verdict | null): void {
    let m = this.verdicts.get(service);
    if (!m) this.verdicts.set(service, (m = new Map()));
    const k = verdictKey(address, port);
    if (v) m.set(k, v);
    else m.delete(k);
    this.revs.set(service, (this.revs.get(service) ?? 0) + 1);
    this.rev++;
  }

  /** Sets (or with null clears) a service's overlay. */
  setOverlay(service: string, o: ServiceOverlay | null): void {
    if (o) this.overlays.set(service, o);
    else if (!this.overlays.delete(service)) return;
    this.revs.set(service, (this.revs.get(service) ?? 0) + 1);
    this.rev++;
  }

  verdictOf(service: string, address: number | string, port: number): Verdict | undefined {
    return this.verdicts.get(service)?.get(verdictKey(address, port));
  }

  /**
   * The table to run for `configured`: a failed server is taken out, or kept
   * with weight 0 when its verdict says quiesce; a weight in a verdict replaces
   * the configured one. Services without verdicts are the configured objects.
   */
  effective(configured: ServiceTable = this.conf): ServiceTable {
    const last = this.last;
    if (last && last.configured === configured && last.rev === this.rev) return last.table;
    let changed = false;
    const services = configured.services.map((s) => {
      const eff = this.effectiveService(s);
      if (eff !== s) changed = true;
      return eff;
    });
    const table = changed ? assembleTable({ ...configured, services }) : configured;
    this.last = { configured, rev: this.rev, table };
    return table;
  }

  /** Forgets verdicts of servers no longer in the configured table (after a reload or a delete). */
  prune(): void {
    // Nothing to forget: skip building the set of every server (each change calls this).
    if (this.verdicts.size === 0) return;
    const present = new Map<string, Set<string>>();
    for (const s of this.conf.services) present.set(serviceKey(s), new Set(s.servers.map((r) => verdictKey(r.address6 ?? r.address, r.port))));
    for (const [svc, m] of this.verdicts) {
      const keep = present.get(svc);
      for (const k of m.keys()) if (!keep?.has(k)) m.delete(k);
      if (m.size === 0) this.verdicts.delete(svc);
    }
  }

  private effectiveService(s: VirtualService): VirtualService {
    const key = serviceKey(s);
    const m = this.verdicts.get(key);
    const o = this.overlays.get(key);
    if ((!m || m.size === 0) && !o) return s;
    const rev = this.revs.get(key) ?? 0;
    const hit = this.cache.get(s);
    if (hit && hit.rev === rev) return hit.eff;
    const servers: RealServer[] = [];
    for (const r of o?.suspended ? [] : s.servers) {
      const v = m?.get(verdictKey(r.address6 ?? r.address, r.port));
      if (!v) servers.push(r);
      else if (!v.up) {
        if (v.quiesce) servers.push({ ...r, weight: 0 });
      } else servers.push(v.weight === undefined ? r : { ...r, weight: v.weight });
    }
    if (o?.sorry && !servers.some((r) => r.address === o.sorry!.address && r.port === o.sorry!.port)) {
      // lvsd adds the sorry server with weight 1 and the service's forwarding method.
      servers.unshift({ name: 'sorry_server', address: o.sorry.address, port: o.sorry.port, weight: 1, forward: s.servers[0]?.forward ?? 'nat', upperThreshold: 0, lowerThreshold: 0 });
    }
    const eff = { ...s, servers };
    this.cache.set(s, { rev, eff });
    return eff;
  }
}

/** A server by address text and port (two IPv6 servers both have address 0). */
function verdictKey(address: number | string, port: number): string {
  return `${typeof address === 'number' ? formatIPv4(address) : address}:${port}`;
}

function sameAddresses(a: readonly OwnedAddress[], b: readonly OwnedAddress[]): boolean {
  return a.length === b.length && a.every((x, i) => x.address === b[i].address && x.address6 === b[i].address6 && x.device === b[i].device && x.prefixLen === b[i].prefixLen && x.role === b[i].role);
}
