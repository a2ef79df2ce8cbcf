// The table changes of the control API (types.ts Op), applied to a table the way
// the kernel's IPVS applies ipvsadm's commands: the same refusals with the same
// errno (EEXIST "Service already exists", ESRCH "No such service", ENOENT "No
// such destination", ...), the same defaults, a new server at the head of its
// list. Every value goes through the model's own validation, as lvs.cf does. A
// list of ops is planned whole on a working copy: one refused op refuses them
// all and the table is untouched.
import { MAX_TIMEOUT_S } from '../conn/timeouts.js';
import { onLinkInterface } from '../engine/neighbours.js';
import {
  addrText, formatIPv4, hostPort, ModelError, parseIPv4, parseIPv6, parseNetmask, prefixContains6, serviceIsV6, serviceKey, validateServer, validateService,
  type OwnedAddress, type RealServer, type ServiceTable, type Timeouts, type VirtualService,
} from '../model/index.js';
import { implementedSchedulers } from '../sched/registry.js';
import { IPVS_SCHED_FLAGS } from '../sched/names.js';
import type { Op, ServerSelector, ServerSettings, ServiceSelector, ServiceSettings } from './types.js';

/** A refused op: errno-style code (types.ts ApiError), message, and which op. */
export class OpError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly index = -1,
  ) {
    super(message);
    this.name = 'OpError';
  }
}

/** The table parts a plan produces (the desired state builds the version from them). */
export interface Plan {
  services: VirtualService[];
  addresses: OwnedAddress[];
  timeouts: Timeouts;
  /** One line per op done, for the log and the answer. */
  done: string[];
  warnings: string[];
  /** Counters to zero after the change: undefined = all, else service keys. */
  zero: Array<string | undefined>;
}

/**
 * Plans ops on `table`. `devices` are the data plane's: a VIP added at run time
 * is answered on the device whose network holds it (that of another VIP or the
 * NAT router), else on the first VIP's device.
 */
export function planOps(table: ServiceTable, ops: readonly Op[], devices: readonly string[], base: readonly OwnedAddress[]): Plan {
  const p = new Planner(table, devices, base);
  ops.forEach((op, i) => {
    try {
      p.apply(op);
    } catch (e) {
      if (e instanceof OpError) throw new OpError(e.code, e.message, i);
      if (e instanceof ModelError) throw new OpError('EINVAL', e.message, i);
      throw e;
    }
  });
  return p.result();
}

class Planner {
  private readonly services: VirtualService[];
  private readonly byKey = new Map<string, number>();
  private timeouts: Timeouts;
  private readonly done: string[] = [];
  private readonly warnings: string[] = [];
  private readonly zero: Array<string | undefined> = [];
  /** Server lists this plan changed, by service key (serversOf). */
  private readonly lists = new Map<string, ServerList>();

  constructor(
    table: ServiceTable,
    private readonly devices: readonly string[],
    private readonly base: readonly OwnedAddress[],
  ) {
    this.services = [...table.services];
    this.services.forEach((s, i) => this.byKey.set(serviceKey(s), i));
    this.timeouts = table.timeouts;
  }

  apply(op: Op): void {
    switch (op.op) {
      case 'add-service': return this.addService(op.service, op);
      case 'edit-service': return this.editService(op.service, op);
      case 'delete-service': return this.deleteService(op.service);
      case 'clear':
        this.services.length = 0;
        this.byKey.clear();
        this.lists.clear();
        this.done.push('cleared every virtual service');
        return;
      case 'add-server': return this.addServer(op.service, op.server, op);
      case 'edit-server': return this.editServer(op.service, op.server, op);
      case 'delete-server': return this.deleteServer(op.service, op.server);
      case 'zero':
        if (op.service) this.find(op.service);
        this.zero.push(op.service ? keyOf(op.service) : undefined);
        this.done.push(op.service ? `zeroed the counters of ${keyOf(op.service)}` : 'zeroed every counter');
        return;
      case 'set-timeouts': return this.setTimeouts(op.tcp, op.tcpfin, op.udp);
      default:
        throw new OpError('EINVAL', `unknown op ${JSON.stringify((op as { op?: unknown }).op)}`);
    }
  }

  result(): Plan {
    this.services.forEach((svc, i) => {
      const list = this.lists.get(serviceKey(svc));
      if (list) this.services[i] = { ...svc, servers: list.servers };
    });
    return { services: this.services, addresses: this.addresses(), timeouts: this.timeouts, done: this.done, warnings: this.warnings, zero: this.zero };
  }

  private addService(sel: ServiceSelector, set: ServiceSettings): void {
    const key = keyOf(sel);
    if (this.byKey.has(key)) throw new OpError('EEXIST', `service ${key} already exists`);
    const s = selectorFields(sel);
    // IPVS's default persistence netmask: all ones for IPv4, /128 for IPv6 (a prefix length there).
    const svc = settings({
      name: key, ...s, scheduler: 'wlc', schedFlags: [], persistence: 0, persistMask: serviceIsV6(s) ? 128 : 0xffffffff, onePacket: false, servers: [],
    }, set);
    validateService(svc);
    this.byKey.set(key, this.services.length);
    this.services.push(svc);
    this.done.push(`added service ${key} (${describe(svc)})`);
  }

  private editService(sel: ServiceSelector, set: ServiceSettings): void {
    const [i, old] = this.find(sel);
    const svc = settings({ ...old }, set);
    validateService({ ...svc, servers: [] });
    this.services[i] = svc;
    this.done.push(`edited service ${serviceKey(old)} (${describe(svc)})`);
  }

  private deleteService(sel: ServiceSelector): void {
    const [i, old] = this.find(sel);
    const key = serviceKey(old);
    this.services.splice(i, 1);
    this.lists.delete(key);
    this.byKey.clear();
    this.services.forEach((s, k) => this.byKey.set(serviceKey(s), k));
    this.done.push(`deleted service ${key}`);
  }

  private addServer(sel: ServiceSelector, at: ServerSelector, set: ServerSettings): void {
    const [i, svc] = this.find(sel);
    const [addr, port] = serverAddr(svc, at);
    const list = this.serversOf(i);
    if (list.find(addr, port) !== undefined) {
      throw new OpError('EEXIST', `real server ${hostPort(addr, port)} is already in ${serviceKey(svc)}`);
    }
    const rs = server({ name: addrText(addr), ...addr, port, weight: 1, forward: 'dr', upperThreshold: 0, lowerThreshold: 0 }, set, svc);
    validateServer(svc, rs);
    list.push(rs);
    this.done.push(`added real server ${hostPort(addr, port)} to ${serviceKey(svc)} (${describeServer(rs)})`);
  }

  private editServer(sel: ServiceSelector, at: ServerSelector, set: ServerSettings): void {
    const [i, svc] = this.find(sel);
    const [addr, port] = serverAddr(svc, at);
    const list = this.serversOf(i);
    const k = list.find(addr, port);
    if (k === undefined) throw new OpError('ENOENT', `${serviceKey(svc)} has no real server ${hostPort(addr, port)}`);
    const rs = server({ ...list.servers[k] }, set, svc);
    validateServer(svc, rs);
    list.servers[k] = rs;
    this.done.push(`edited real server ${hostPort(addr, port)} of ${serviceKey(svc)} (${describeServer(rs)})`);
  }

  private deleteServer(sel: ServiceSelector, at: ServerSelector): void {
    const [i, svc] = this.find(sel);
    const [addr, port] = serverAddr(svc, at);
    const list = this.serversOf(i);
    const k = list.find(addr, port);
    if (k === undefined) throw new OpError('ENOENT', `${serviceKey(svc)} has no real server ${hostPort(addr, port)}`);
    list.remove(k);
    this.done.push(`deleted real server ${hostPort(addr, port)} from ${serviceKey(svc)}`);
  }

  /** The servers of service i as this plan changes them: copied once, on the first server op of the plan. */
  private serversOf(i: number): ServerList {
    const key = serviceKey(this.services[i]);
    let list = this.lists.get(key);
    if (!list) {
      list = new ServerList([...this.services[i].servers]);
      this.lists.set(key, list);
    }
    return list;
  }

  private setTimeouts(tcp: number, tcpfin: number, udp: number): void {
    for (const [name, v] of [['tcp', tcp], ['tcpfin', tcpfin], ['udp', udp]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > MAX_TIMEOUT_S) throw new OpError('EINVAL', `timeout ${name} must be 0..${MAX_TIMEOUT_S} seconds, got ${v}`);
    }
    // ipvsadm --set: "0 means no change".
    const t = this.timeouts;
    this.timeouts = { tcp: tcp || t.tcp, tcpfin: tcpfin || t.tcpfin, udp: udp || t.udp };
    this.done.push(`set timeouts (tcp tcpfin udp) to ${[tcp, tcpfin, udp].join(' ')}`);
  }

  private find(sel: ServiceSelector): [number, VirtualService] {
    const key = keyOf(sel);
    const i = this.byKey.get(key);
    if (i === undefined) throw new OpError('ESRCH', `no service ${key}`);
    return [i, this.services[i]];
  }

  /**
   * The owned addresses: lvs.cf's (base) always, and the VIP of every service
   * added at run time that lvs.cf does not bring up, on the device that reaches it.
   */
  private addresses(): OwnedAddress[] {
    const out = [...this.base];
    const have = new Set(out.map((a) => addrText(a)));
    const vipDevice = this.base.find((a) => a.role === 'vip')?.device ?? this.devices[0];
    for (const s of this.services) {
      if (s.fwmark || have.has(addrText(s))) continue;
      have.add(addrText(s));
      if (s.address6 !== undefined) {
        // The device of an IPv6 address of lvs.cf whose prefix holds it, else the first VIP's.
        const near = this.base.find((a) => a.address6 !== undefined && prefixContains6(a.address6, a.prefixLen, s.address6!));
        out.push({ address: 0, address6: s.address6, prefixLen: 128, device: near?.device ?? vipDevice, role: 'vip' });
        continue;
      }
      const on = onLinkInterface(this.base, this.devices, s.address);
      out.push({ address: s.address, prefixLen: 32, device: on >= 0 ? this.devices[on] : vipDevice, role: 'vip' });
    }
    return out;
  }
}

type Addr = { address: number; address6?: string };

/** A server within its service: address and port; IPv6 ones by their text (they all have address 0). */
function destId(a: Addr, port: number): number | string {
  return a.address6 === undefined ? a.address * 65536 + port : `${a.address6}|${port}`;
}

/** The service key of a selector, checking what tsvs can run. */
export function keyOf(sel: ServiceSelector): string {
  return serviceKey(selectorFields(sel));
}

type SelectorFields = Pick<VirtualService, 'protocol' | 'address' | 'port' | 'fwmark' | 'address6' | 'family6'>;

function selectorFields(sel: ServiceSelector): SelectorFields {
  if ('fwmark' in sel) {
    if (!Number.isInteger(sel.fwmark) || sel.fwmark < 1 || sel.fwmark > 0xffffffff) throw new OpError('EINVAL', `firewall mark must be 1..4294967295, got ${sel.fwmark}`);
    return { protocol: 'tcp', address: 0, port: 0, fwmark: sel.fwmark, ...(sel.ipv6 === true ? { family6: true as const } : {}) };
  }
  if (sel.protocol !== 'tcp' && sel.protocol !== 'udp') throw new OpError('ENOPROTOOPT', `protocol ${String(sel.protocol)} is not available (tsvs serves tcp and udp)`);
  const addr = ipAddr(sel.address);
  if (!Number.isInteger(sel.port) || sel.port < 0 || sel.port > 65535) throw new OpError('EINVAL', `port must be 0..65535, got ${sel.port}`);
  return { protocol: sel.protocol, ...addr, port: sel.port, fwmark: 0 };
}

/** An IPv4 or IPv6 address as the API gives it (text, IPv6 with or without brackets). */
function ipAddr(text: string): Addr {
  const t = typeof text === 'string' ? text.replace(/^\[(.*)\]$/, '$1') : '';
  const v4 = parseIPv4(t);
  if (v4 !== null && v4 !== 0) return { address: v4 };
  const v6 = t.includes(':') ? parseIPv6(t) : null;
  if (v6 !== null && v6 !== '::') return { address: 0, address6: v6 };
  throw new OpError('EINVAL', `${String(text)} is not an IPv4 or IPv6 address`);
}

/** A server's address and port: port 0 (not given) means the service's port, as ipvsadm sends it. */
function serverAddr(svc: VirtualService, at: ServerSelector): [Addr, number] {
  const addr = ipAddr(at.address);
  // ipvsadm: "Different address family is allowed only for tunneling servers"; tsvs tunnels IPv4 only.
  if (serviceIsV6(svc) !== (addr.address6 !== undefined)) {
    throw new OpError('EAFNOSUPPORT', `real server ${at.address} is ${addr.address6 !== undefined ? 'IPv6' : 'IPv4'}, service ${serviceKey(svc)} is not`);
  }
  const port = at.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new OpError('EINVAL', `port must be 0..65535, got ${port}`);
  return [addr, port === 0 && !svc.fwmark ? svc.port : port];
}

function settings(svc: VirtualService, set: ServiceSettings): VirtualService {
  const out: { -readonly [K in keyof VirtualService]: VirtualService[K] } = { ...svc };
  if (set.persistenceEngine !== undefined && set.persistenceEngine !== '') {
    throw new OpError('ENOENT', `persistence engine ${set.persistenceEngine} not found (tsvs has none)`);
  }
  if (set.scheduler !== undefined) {
    if (!implementedSchedulers().includes(set.scheduler)) throw new OpError('ENOENT', `scheduler ${set.scheduler} not found`);
    out.scheduler = set.scheduler;
  }
  if (set.schedFlags !== undefined) {
    const bad = set.schedFlags.find((f) => !(IPVS_SCHED_FLAGS as readonly string[]).includes(f));
    if (bad !== undefined) throw new OpError('EINVAL', `unknown scheduler flag ${bad}`);
    out.schedFlags = [...set.schedFlags];
  }
  if (set.persistence !== undefined) out.persistence = set.persistence;
  if (set.persistMask !== undefined) {
    if (serviceIsV6(svc)) {
      // ipvsadm -M of an IPv6 service: a prefix length 1..128 ("illegal ipv6 netmask specified").
      const m = /^\/?(\d{1,3})$/.exec(String(set.persistMask));
      if (!m || Number(m[1]) < 1 || Number(m[1]) > 128) throw new OpError('EINVAL', `persistence netmask ${set.persistMask} of an IPv6 service is not a prefix length 1..128`);
      out.persistMask = Number(m[1]);
    } else {
      const m = parseNetmask(String(set.persistMask));
      if (m === null) throw new OpError('EINVAL', `persistence netmask ${set.persistMask} is not a netmask`);
      out.persistMask = m;
    }
  }
  if (set.onePacket !== undefined) out.onePacket = set.onePacket;
  return out;
}

function server(rs: RealServer, set: ServerSettings, svc: VirtualService): RealServer {
  const out: { -readonly [K in keyof RealServer]: RealServer[K] } = { ...rs };
  if (set.forward !== undefined) {
    if (!['nat', 'dr', 'tunnel'].includes(set.forward)) throw new OpError('EINVAL', `forwarding method ${set.forward} is not one of nat, dr, tunnel`);
    out.forward = set.forward;
  }
  // ipvsadm sends the tunnel fields with every -a/-e; a server that stops tunnelling loses them.
  if (set.tunnelType !== undefined) out.tunnelType = set.tunnelType;
  if (set.tunnelPort !== undefined) out.tunnelPort = set.tunnelPort;
  if (set.tunnelCsum !== undefined) out.tunnelCsum = set.tunnelCsum;
  if (out.forward !== 'tunnel') {
    delete out.tunnelType;
    delete out.tunnelPort;
    delete out.tunnelCsum;
  } else if (set.tunnelType !== undefined && set.tunnelType !== 'gue' && set.tunnelPort === undefined) delete out.tunnelPort;
  if (out.tunnelType === 'ipip') delete out.tunnelType;
  if (out.tunnelCsum === 'none') delete out.tunnelCsum;
  if (set.weight !== undefined) out.weight = set.weight;
  if (set.upperThreshold !== undefined) out.upperThreshold = set.upperThreshold;
  if (set.lowerThreshold !== undefined) out.lowerThreshold = set.lowerThreshold;
  // ipvsadm: for -g and -i "the port must be equal to the service port".
  if (out.forward !== 'nat' && !svc.fwmark && svc.port !== 0) out.port = svc.port;
  return out;
}

function describe(s: VirtualService): string {
  const parts = [s.scheduler];
  if (s.schedFlags.length) parts.push(`flags ${s.schedFlags.join(',')}`);
  const mask = serviceIsV6(s) ? (s.persistMask !== 128 ? ` mask /${s.persistMask}` : '') : s.persistMask !== 0xffffffff ? ` mask ${formatIPv4(s.persistMask)}` : '';
  if (s.persistence) parts.push(`persistent ${s.persistence}${mask}`);
  if (s.onePacket) parts.push('ops');
  return parts.join(', ');
}

function describeServer(r: RealServer): string {
  const parts = [r.forward, `weight ${r.weight}`];
  if (r.upperThreshold) parts.push(`upper ${r.upperThreshold}`);
  if (r.lowerThreshold) parts.push(`lower ${r.lowerThreshold}`);
  if (r.tunnelType && r.tunnelType !== 'ipip') parts.push(`${r.tunnelType}${r.tunnelPort ? ` port ${r.tunnelPort}` : ''}`);
  if (r.tunnelCsum && r.tunnelCsum !== 'none') parts.push(r.tunnelCsum);
  return parts.join(', ');
}

/** Lookups a ServerList answers by walking its list before it builds an index. */
const SCANS_BEFORE_INDEX = 8;

/**
 * A service's servers during a plan. The one or few ops of a plan from
 * ipvsadm or a script find their server by walking the list (a compare per
 * server, no allocation); a plan with many ops on one list (POST /v1/ops of ten
 * thousand adds) gets an index by address and port after a few lookups, so it
 * costs ten thousand small steps, not a walk each.
 */
class ServerList {
  private index: Map<number | string, number> | null = null;
  private scans = 0;

  constructor(readonly servers: RealServer[]) {}

  find(a: Addr, port: number): number | undefined {
    if (this.index) return this.index.get(destId(a, port));
    if (++this.scans > SCANS_BEFORE_INDEX) {
      this.index = new Map(this.servers.map((r, j) => [destId(r, r.port), j]));
      return this.index.get(destId(a, port));
    }
    const k = this.servers.findIndex((r) => r.address === a.address && r.address6 === a.address6 && r.port === port);
    return k < 0 ? undefined : k;
  }

  push(rs: RealServer): void {
    this.index?.set(destId(rs, rs.port), this.servers.length);
    this.servers.push(rs);
  }

  remove(k: number): void {
    this.servers.splice(k, 1);
    // Later places moved: the index is built again when a lookup needs it.
    this.index = null;
    this.scans = SCANS_BEFORE_INDEX;
  }
}
