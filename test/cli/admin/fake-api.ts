// A ControlApi over an in-memory TableView, for the admin tests: change()
// applies Ops all-or-nothing with the errno codes the kernel gives ipvsadm
// (EEXIST, ESRCH, ENOENT), adds servers at the head of the list as IPVS
// does, and records every call.
import {
  type FailoverView, type StatusView, type SyncView,
  ApiRequestError, type ChangeResult, type ConnPage, type ConnView, type ControlApi, type HealthForce, type HealthServerView, type HealthView, type Op, type ServerView,
  type ServiceSelector, type ServiceView, type TableView, type TimeoutsView,
} from '../../../src/control/types.js';
import { IPVS_SCHEDULERS } from '../../../src/sched/names.js';

const zero = () => ({ conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 });
const zeroRates = () => ({ cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 });

export function emptyTable(): TableView {
  return { version: 1, services: [], stats: zero(), rates: zeroRates(), connTabSize: 4096 };
}

const matches = (s: ServiceView, sel: ServiceSelector): boolean =>
  'fwmark' in sel ? s.fwmark === sel.fwmark : !s.fwmark && s.protocol === sel.protocol && s.address === sel.address && s.port === sel.port;

class Refused extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

export class FakeApi implements ControlApi {
  table_: TableView;
  timeouts_: TimeoutsView = { tcp: 900, tcpfin: 120, udp: 300 };
  conns: ConnView[] = [];
  readonly changes: Op[][] = [];
  readonly pages: [number, number][] = [];
  /** Thrown by every call instead of answering (a router that cannot be reached, or refuses reads). */
  failWith: Error | null = null;

  constructor(table: TableView = emptyTable()) {
    this.table_ = table;
  }

  async table(): Promise<TableView> {
    if (this.failWith) throw this.failWith;
    return structuredClone(this.table_);
  }
  async timeouts(): Promise<TimeoutsView> {
    if (this.failWith) throw this.failWith;
    return { ...this.timeouts_ };
  }
  async connections(offset: number, limit: number): Promise<ConnPage> {
    if (this.failWith) throw this.failWith;
    this.pages.push([offset, limit]);
    return { total: this.conns.length, offset, conns: this.conns.slice(offset, offset + limit) };
  }
  async change(ops: Op[]): Promise<ChangeResult> {
    if (this.failWith) throw this.failWith;
    this.changes.push(ops);
    const next = structuredClone(this.table_);
    ops.forEach((op, index) => {
      try {
        apply(next, op, this.timeouts_);
      } catch (e) {
        if (!(e instanceof Refused)) throw e;
        throw new ApiRequestError(409, { code: e.code, message: `refused: ${e.code}`, index });
      }
    });
    next.version++;
    this.table_ = next;
    return { version: next.version, done: ops.map((o) => o.op), warnings: [] };
  }
  /** The sync daemon the status reports (tsvs admin --daemon); null: off. */
  sync_: SyncView | null = null;
  async status(): Promise<StatusView> {
    return {
      pid: 1, uptime: 0, config: 'lvs.cf', version: this.table_.version, components: {}, backend: 'memory', devices: [],
      reloads: { ok: 0, failed: 0, last: null }, failover: this.failover_, sync: this.sync_,
    };
  }
  async dataplane(): Promise<never> {
    throw new Error('not faked');
  }
  async reload(): Promise<never> {
    throw new Error('not faked');
  }
  health_: HealthView = { services: [] };
  readonly forced: string[] = [];
  async health(): Promise<HealthView> {
    if (this.failWith) throw this.failWith;
    return structuredClone(this.health_);
  }
  async forceHealth(service: ServiceSelector, server: { address: string; port: number }, force: HealthForce): Promise<HealthServerView> {
    if (this.failWith) throw this.failWith;
    const svc = this.health_.services.find((s) => s.service === ('fwmark' in service ? `FWM ${service.fwmark}` : `${service.protocol.toUpperCase()} ${service.address}:${service.port}`));
    const rs = svc?.servers.find((r) => r.address === server.address && r.port === server.port);
    if (!rs) throw new ApiRequestError(404, { code: 'ESRCH', message: `no checked real server ${server.address}:${server.port}` });
    this.forced.push(`${svc!.service} ${server.address}:${server.port} ${force}`);
    rs.force = force === 'auto' ? null : force;
    return structuredClone(rs);
  }
  /** null: the router runs without a backup (the API answers 404 ENOENT). */
  failover_: FailoverView | null = null;
  async failover(): Promise<FailoverView> {
    if (!this.failover_) throw new ApiRequestError(404, { code: 'ENOENT', message: 'this router runs without a backup router (lvs.cf backup_active = 0): no failover' });
    return structuredClone(this.failover_);
  }
  async standby(on: boolean): Promise<FailoverView> {
    const v = await this.failover();
    this.failover_ = { ...v, standby: on, active: on ? false : v.active, state: `${v.role} ${on ? 'inactive (standby)' : v.active ? 'active' : 'inactive'}` };
    return this.failover();
  }
}

function apply(t: TableView, op: Op, timeouts: TimeoutsView): void {
  const find = (sel: ServiceSelector): ServiceView => {
    const s = t.services.find((x) => matches(x, sel));
    if (!s) throw new Refused('ESRCH');
    return s;
  };
  const checkSched = (name: string | undefined, pe: string | undefined) => {
    if ((name && !(IPVS_SCHEDULERS as readonly string[]).includes(name)) || pe) throw new Refused('ENOENT');
  };
  switch (op.op) {
    case 'add-service': {
      if (t.services.some((x) => matches(x, op.service))) throw new Refused('EEXIST');
      checkSched(op.scheduler, op.persistenceEngine);
      const sel = op.service;
      const addr = 'fwmark' in sel ? { protocol: 'tcp' as const, address: '0.0.0.0', port: 0, fwmark: sel.fwmark } : { ...sel, fwmark: 0 };
      const id = 'fwmark' in sel ? `fwm-${sel.fwmark}` : `${sel.protocol}-${sel.address}-${sel.port}`;
      t.services.push({
        id, name: id, ...addr, scheduler: op.scheduler ?? 'wlc', schedFlags: op.schedFlags ?? [], persistence: op.persistence ?? 0,
        persistMask: op.persistMask ?? '255.255.255.255', onePacket: op.onePacket ?? false, stats: zero(), rates: zeroRates(), servers: [],
      });
      return;
    }
    case 'edit-service': {
      const s = find(op.service);
      checkSched(op.scheduler, op.persistenceEngine);
      if (op.scheduler !== undefined) s.scheduler = op.scheduler;
      if (op.schedFlags !== undefined) s.schedFlags = op.schedFlags;
      if (op.persistence !== undefined) s.persistence = op.persistence;
      if (op.persistMask !== undefined) s.persistMask = op.persistMask;
      if (op.onePacket !== undefined) s.onePacket = op.onePacket;
      return;
    }
    case 'delete-service':
      t.services.splice(t.services.indexOf(find(op.service)), 1);
      return;
    case 'clear':
      t.services = [];
      return;
    case 'zero':
      for (const s of op.service ? [find(op.service)] : t.services) {
        s.stats = zero();
        for (const d of s.servers) d.stats = zero();
      }
      return;
    case 'set-timeouts':
      if (op.tcp) timeouts.tcp = op.tcp;
      if (op.tcpfin) timeouts.tcpfin = op.tcpfin;
      if (op.udp) timeouts.udp = op.udp;
      return;
    default: {
      const s = find(op.service);
      const i = s.servers.findIndex((d) => d.address === op.server.address && d.port === op.server.port);
      if (op.op === 'add-server') {
        if (i >= 0) throw new Refused('EEXIST');
        const d: ServerView = {
          name: op.server.address, ...op.server, forward: op.forward ?? 'dr', weight: op.weight ?? 1,
          upperThreshold: op.upperThreshold ?? 0, lowerThreshold: op.lowerThreshold ?? 0,
          activeConns: 0, inactiveConns: 0, persistConns: 0, stats: zero(), rates: zeroRates(),
        };
        s.servers.unshift(d);
        return;
      }
      if (i < 0) throw new Refused('ENOENT');
      if (op.op === 'delete-server') {
        s.servers.splice(i, 1);
        return;
      }
      Object.assign(s.servers[i], Object.fromEntries(Object.entries({
        forward: op.forward, weight: op.weight, upperThreshold: op.upperThreshold, lowerThreshold: op.lowerThreshold,
      }).filter(([, v]) => v !== undefined)));
    }
  }
}
