// Compiles a parsed lvs.cf into the service table, the way lvsd and pulse read it:
// lvsd adds every active virtual server (`ipvsadm -A`) and its active real servers
// (`-a ... -m|-g|-i` from `network`), pulse brings up each distinct active VIP and,
// for NAT, the nat_router address. tsvs's extensions add the firewall-mark rules
// (fwmark_rule, fwmark_rules_from: compile-marks.ts) and the IPVS sysctls the
// engine honours (conn_reuse_mode, expire_nodest_conn, expire_quiescent_template),
// and conn_capacity, the size of the connection table of an engine started on the file.
// Beside the table, `health` holds what the health monitor needs: each service's
// checks (nanny's from send/expect/..., or the check blocks), sorry server and
// quorum (compile-health.ts); it stays out of the table, which crosses to the data
// plane. Every key neither uses is reported in notActedOn with its line; every
// error (semantic, or the model's) gets the file and line of the key or block at
// fault, and all of them are thrown together.
import { addrText, buildTable, hostPort, maskToPrefix, ModelError, serviceKey, validateService } from '../model/index.js';
import type { ForwardMethod, MarkRule, OwnedAddress, Protocol, RealServer, ServiceTable, Switches, TunnelCsum, TunnelType, VirtualService } from '../model/index.js';
import { blocks, findKey, findKeys, globalSettings, keyLines, serverSettings, virtualSettings, type Block, type Item, type LvsConfig } from './ast.js';
import type { HealthConfig, ServiceHealth } from '../health/types.js';
import { compileAuth, compileConfigSync, CONFIG_SYNC_KEYS } from './compile-auth.js';
import { compileFailover, NO_BACKUP, PULSE_KEYS, type FailoverSettings } from './compile-failover.js';
import { compileVrrp, NOT_PULSE, NOT_VRRP, PULSE_ONLY_KEYS, VRRP_KEYS } from './compile-vrrp.js';
import { compileHealth } from './compile-health.js';
import { compileSync, NO_SYNC, SYNC_KEYS, type SyncSettings } from './compile-sync.js';
import { compileMarks, unmatchedMarkWhy, unusedMarkNotes, type CompileOptions } from './compile-marks.js';
import { ConfigError, ConfigErrors, type ConfigErrorCode } from './errors.js';
import type { GlobalSettings, VirtualSettings } from './keys.js';
import type { IpDev } from './values.js';
import {
  FAILOVER_BLOCK,
  FWMARK_PORT,
  GLOBAL_NOT_ACTED_ON,
  inactiveWhy,
  NOT_NAT,
  PMASK_WITHOUT_PERSISTENCE,
  VIRTUAL_NOT_ACTED_ON,
  type NotActedOn,
} from './not-acted-on.js';

export type { NotActedOn } from './not-acted-on.js';
export type { CompileOptions } from './compile-marks.js';

export interface CompileResult {
  table: ServiceTable;
  notActedOn: NotActedOn[];
  /** conn_capacity: connection table slots for an engine started on this file (read at start only). */
  connCapacity: number;
  /** The health checks of the table's services, in table order (the data plane never sees them). */
  health: HealthConfig;
  /** pulse's settings when backup_active = 1; null: the router runs alone, always active. */
  failover: FailoverSettings | null;
  /** The IPVS sync daemon's settings when syncdaemon = 1, else null. */
  sync: SyncSettings | null;
}

/** Why a VRRP key is idle under pulse, or a pulse timing key under VRRP. */
function vrrpNote(failover: string, key: string): string | undefined {
  if (failover !== 'vrrp') return (VRRP_KEYS as readonly string[]).includes(key) ? NOT_VRRP : undefined;
  return (PULSE_ONLY_KEYS as readonly string[]).includes(key) ? NOT_PULSE : undefined;
}

/** lvs.cf `network` -> ipvsadm forwarding switch (-m / -g / -i). */
const FORWARD: Record<string, ForwardMethod> = { nat: 'nat', direct: 'dr', tunnel: 'tunnel' };

// Which key a model error is about, so that it can point at that key's line.
const SERVICE_ERROR_KEY: Record<string, string> = {
  BAD_FWMARK: 'fwmark', BAD_ADDRESS: 'address', BAD_PORT: 'port', BAD_PERSISTENCE: 'persistent', BAD_NETMASK: 'pmask', BAD_OPS: 'ops',
  V6_UNSUPPORTED: 'fwmark',
};
const SERVER_ERROR_KEY: Record<string, string> = {
  BAD_ADDRESS: 'address', BAD_PORT: 'port', BAD_WEIGHT: 'weight', BAD_THRESHOLD: 'lthreshold', PORT_REMAP_NEEDS_NAT: 'port',
  BAD_TUNNEL: 'tunnel_type', BAD_TUNNEL_PORT: 'tunnel_port', BAD_TUNNEL_CSUM: 'tunnel_csum',
  FAMILY_MISMATCH: 'address', V6_UNSUPPORTED: 'address',
};
const TUNNEL_KEYS = ['tunnel_type', 'tunnel_port', 'tunnel_csum'];

/** An IPv6 nat_router without /N: the usual prefix of an IPv6 LAN. An IPv6 VIP without /N is a host address, /128. */
export const NAT_ROUTER_PREFIX6 = 64;
export const VIP_PREFIX6 = 128;

/** A netmask key absent or 0.0.0.0 (Piranha's "not given") means a host address, /32. */
function prefixOf(mask: number | null): number {
  return mask ? maskToPrefix(mask) : 32;
}

/**
 * Builds the table of `service = lvs`, or throws ConfigErrors with every error of
 * the file (and of the iptables-save file fwmark_rules_from names, read through
 * opts.readFile, relative to the directory of cfg.file).
 */
export function compileLvsCf(cfg: LvsConfig, opts: CompileOptions = {}): CompileResult {
  const c = new Compiler(cfg, opts);
  return c.run();
}

class Compiler {
  readonly errors: ConfigError[] = [];
  readonly notes: NotActedOn[] = [];
  readonly addresses: OwnedAddress[] = [];
  /** By address text (every IPv6 VIP has address 0). */
  readonly vipOwners = new Map<string, Block>();
  readonly g: GlobalSettings;
  readonly forward: ForwardMethod;
  readonly marks: MarkRule[];
  /** Errors of the fwmark_rules_from file, reported after the lvs.cf's own. */
  readonly markErrors: ConfigError[];
  /** Marks some rule sets, and the marks of the active firewall-mark services. */
  readonly ruleMarks: Set<number>;
  readonly serviceMarks = new Set<number>();
  readonly health: ServiceHealth[] = [];

  constructor(
    readonly cfg: LvsConfig,
    readonly opts: CompileOptions,
  ) {
    this.g = globalSettings(cfg);
    this.forward = FORWARD[this.g.network];
    const m = compileMarks(cfg, opts);
    this.marks = m.rules;
    this.markErrors = m.errors;
    this.notes.push(...m.notes);
    this.ruleMarks = new Set(m.rules.map((r) => r.mark));
  }

  fail(line: number, code: ConfigErrorCode, message: string): void {
    this.errors.push(new ConfigError(code, this.cfg.file, line, message));
  }

  note(key: string, line: number, why: string): void {
    this.notes.push({ key, line, file: this.cfg.file, why });
  }

  run(): CompileResult {
    const { g, cfg } = this;
    if (g.service === 'fos') {
      this.fail(findKey(cfg.items, 'service')!.line, 'ONLYONESERVICE', 'service = fos (failover services) is not supported; tsvs runs service = lvs');
    }
    for (const k of keyLines(cfg.items)) {
      const natOnly = (k.key === 'nat_router' || k.key === 'nat_nmask') && g.network !== 'nat';
      const pulseOff = !g.backup_active && ([...PULSE_KEYS, ...CONFIG_SYNC_KEYS] as readonly string[]).includes(k.key);
      const syncOff = !g.syncdaemon && (SYNC_KEYS as readonly string[]).includes(k.key);
      const why = GLOBAL_NOT_ACTED_ON[k.key] ?? (natOnly ? NOT_NAT : pulseOff ? NO_BACKUP : syncOff ? NO_SYNC : vrrpNote(g.failover, k.key));
      if (why) this.note(k.key, k.line, why);
    }
    // One nat_router line per family (the parser refuses a second of one family); nat_nmask is the IPv4 one's.
    const natLines = findKeys(cfg.items, 'nat_router');
    for (const [i, k] of natLines.entries()) {
      // The parser refuses this in a file; an edited tree (the web tool) is checked here.
      const twin = natLines.slice(0, i).find((o) => ((o.value as IpDev).address6 === undefined) === ((k.value as IpDev).address6 === undefined));
      if (twin) this.fail(k.line, 'DUPLICATE', `nat_router is already set at line ${twin.line} (one nat_router per address family)`);
    }
    if (g.network === 'nat') {
      for (const k of natLines) {
        const r = k.value as IpDev;
        if (r.address6 === undefined) this.addresses.push({ address: r.address, prefixLen: prefixOf(g.nat_nmask), device: r.device, role: 'nat_router' });
        else this.addresses.push({ address: 0, address6: r.address6, prefixLen: r.prefixLen6 ?? NAT_ROUTER_PREFIX6, device: r.device, role: 'nat_router' });
      }
    }
    const services: VirtualService[] = [];
    const byKey = new Map<string, Block>();
    for (const b of blocks(cfg.items, 'virtual')) {
      const svc = this.virtual(b);
      if (!svc) continue;
      const key = serviceKey(svc);
      const twin = byKey.get(key);
      if (twin) this.fail(b.line, 'DUPLICATE', `service ${key} is already defined by virtual ${twin.name} (line ${twin.line})`);
      byKey.set(key, b);
      services.push(svc);
    }
    const fail = (line: number, code: ConfigErrorCode, msg: string) => this.fail(line, code, msg);
    const note = (key: string, line: number, why: string) => this.note(key, line, why);
    const auth = compileAuth(cfg, g, this.opts, fail, note);
    const pulse = compileFailover(cfg, g, fail);
    // A VRRPv2 advert lists IPv4 addresses only (RFC 3768); IPv6 ones are taken over with them, unlisted.
    const vrrp = compileVrrp(cfg, g, this.addresses.filter((a) => a.address6 === undefined).map((a) => a.address), fail);
    const failover = pulse && { ...pulse, auth, configSync: compileConfigSync(cfg, g, auth, fail, note), vrrp };
    for (const b of blocks(cfg.items, 'failover')) this.note(`failover ${b.name}`, b.line, FAILOVER_BLOCK);
    this.notes.push(...unusedMarkNotes(this.marks, this.serviceMarks, cfg.file));
    this.errors.push(...this.markErrors);
    if (this.errors.length) throw new ConfigErrors(this.errors);
    const timeouts = { tcp: g.tcp_timeout, tcpfin: g.tcpfin_timeout, udp: g.udp_timeout };
    const switches: Switches = {
      connReuseMode: g.conn_reuse_mode, expireNodestConn: g.expire_nodest_conn, expireQuiescentTemplate: g.expire_quiescent_template,
      dropEntry: g.drop_entry, dropPacket: g.drop_packet, secureTcp: g.secure_tcp, synProxy: g.syn_proxy, amemthresh: g.amemthresh, amDroprate: g.am_droprate,
      ...(g.sloppy_tcp ? { sloppyTcp: true } : {}),
      // Absent means ip_vs_ftp's default, 21 (model/types.ts).
      ...(g.ftp_ports.length === 1 && g.ftp_ports[0] === 21 ? {} : { ftpPorts: g.ftp_ports }),
    };
    let table: ServiceTable;
    try {
      table = buildTable({ services, addresses: this.addresses, timeouts, marks: this.marks, switches });
    } catch (e) {
      // Every rule was checked per service above; reaching this is a bug, still reported with the file.
      if (e instanceof ModelError) throw new ConfigErrors([new ConfigError(e.code, cfg.file, 0, e.message)]);
      throw e;
    }
    // By line, the lvs.cf first, then the imported file.
    const files = [cfg.file, ...new Set(this.notes.map((n) => n.file))];
    const notActedOn = this.notes.sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line);
    return { table, notActedOn, connCapacity: g.conn_capacity, health: { services: this.health, hardShutdown: g.hard_shutdown }, failover, sync: compileSync(g, auth) };
  }

  virtual(b: Block): VirtualService | null {
    const vs = virtualSettings(b);
    if (!vs.active) {
      this.note(`virtual ${b.name}`, b.line, inactiveWhy(findKey(b.items, 'active') !== undefined));
      return null;
    }
    for (const k of keyLines(b.items)) {
      const why = VIRTUAL_NOT_ACTED_ON[k.key] ?? (k.key === 'pmask' && !vs.persistent ? PMASK_WITHOUT_PERSISTENCE : k.key === 'port' && vs.fwmark ? FWMARK_PORT : undefined);
      if (why) this.note(k.key, k.line, why);
    }
    if (vs.fwmark) {
      this.serviceMarks.add(vs.fwmark);
      if (!this.ruleMarks.has(vs.fwmark)) this.note('fwmark', findKey(b.items, 'fwmark')!.line, unmatchedMarkWhy(vs.fwmark));
    }
    // A firewall-mark service is keyed by the mark alone; its address only names the VIP to bring up.
    if (!vs.fwmark && !vs.address) this.fail(b.line, 'MISSINGKEY', `virtual ${b.name} has no address (address = VIP DEVICE), and no fwmark`);
    this.schedFlags(b, vs);
    if (vs.address) this.vip(b, vs);
    const servers = this.servers(b, vs);
    if (!vs.fwmark && !vs.address) return null;
    const v6 = vs.address?.address6;
    if (v6 !== undefined) this.v6Keys(b);
    const svc: VirtualService = {
      name: b.name,
      protocol: vs.protocol as Protocol,
      address: vs.fwmark ? 0 : vs.address!.address,
      ...(v6 === undefined ? {} : vs.fwmark ? { family6: true as const } : { address6: v6 }),
      port: vs.fwmark ? 0 : vs.port,
      fwmark: vs.fwmark,
      scheduler: vs.scheduler,
      schedFlags: vs.scheduler_flags,
      persistence: vs.persistent,
      // IPVS's netmask of an IPv6 service is a prefix length; lvs.cf's pmask is an IPv4 mask (refused for IPv6 in v6Keys).
      persistMask: v6 === undefined ? vs.pmask : 128,
      onePacket: vs.ops,
      servers: servers.map((s) => s.rs),
    };
    // Validate through the model one piece at a time, so each error names its own line.
    if (this.validate({ ...svc, servers: [] }, b, b.items, SERVICE_ERROR_KEY)) {
      for (const s of servers) this.validate({ ...svc, servers: [s.rs] }, s.block, s.block.items, SERVER_ERROR_KEY);
    }
    this.health.push(compileHealth(b, vs, svc, servers, this, this.g.rsh_command));
    return svc;
  }

  validate(svc: VirtualService, at: Block, items: Item[], keyOf: Record<string, string>): boolean {
    try {
      validateService(svc);
      return true;
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
      const key = keyOf[e.code] ?? '';
      const line = (e.code === 'BAD_THRESHOLD' ? findKey(items, 'lthreshold') ?? findKey(items, 'uthreshold')
        : e.code.startsWith('BAD_TUNNEL') ? [key, ...TUNNEL_KEYS].map((k) => findKey(items, k)).find((x) => x)
        : findKey(items, key))?.line ?? at.line;
      this.fail(line, e.code, e.message);
      return false;
    }
  }

  /** Keys that hold IPv4 netmasks have no meaning for an IPv6 VIP: say how to write it instead. */
  v6Keys(b: Block): void {
    const nmask = findKey(b.items, 'vip_nmask');
    if (nmask) this.fail(nmask.line, 'BADNETMASK', `vip_nmask is an IPv4 netmask; give an IPv6 VIP's prefix length after it (address = 2001:db8::10/64 eth0), or none for /128`);
    const pmask = findKey(b.items, 'pmask');
    if (pmask) this.fail(pmask.line, 'BADNETMASK', 'pmask is an IPv4 netmask; persistence of an IPv6 service groups clients by whole address (/128) in lvs.cf');
  }

  schedFlags(b: Block, vs: VirtualSettings): void {
    // ipvsadm: sh-* flags only go with the sh scheduler, mh-* with mh ("incompatible scheduler flag").
    for (const f of vs.scheduler_flags) {
      const family = /^(sh|mh)-/.exec(f)?.[1];
      if (family && family !== vs.scheduler) {
        this.fail(findKey(b.items, 'scheduler_flags')!.line, 'BADARGUMENT', `scheduler flag ${f} applies to the ${family} scheduler only (scheduler is ${vs.scheduler})`);
      }
    }
  }

  vip(b: Block, vs: VirtualSettings): void {
    const ipdev = vs.address!;
    const { address, device } = ipdev;
    const prefixLen = ipdev.address6 === undefined ? prefixOf(vs.vip_nmask) : ipdev.prefixLen6 ?? VIP_PREFIX6;
    const text = addrText(ipdev);
    const owner = this.vipOwners.get(text);
    if (!owner) {
      this.vipOwners.set(text, b);
      this.addresses.push({ address, ...(ipdev.address6 === undefined ? {} : { address6: ipdev.address6 }), prefixLen, device, role: 'vip' });
      return;
    }
    // pulse brings up each distinct VIP once, with the first virtual server's device and mask.
    const first = this.addresses.find((a) => a.role === 'vip' && addrText(a) === text)!;
    if (first.device !== device || first.prefixLen !== prefixLen) {
      const line = findKey(b.items, 'address')!.line;
      this.note('address', line, `VIP ${text} is already brought up on ${first.device}/${first.prefixLen} by virtual ${owner.name} (line ${owner.line}); this device and netmask are ignored`);
    }
  }

  servers(b: Block, vs: VirtualSettings): Array<{ rs: RealServer; block: Block }> {
    const out: Array<{ rs: RealServer; block: Block }> = [];
    const dests = new Map<string, Block>();
    for (const sb of blocks(b.items, 'server')) {
      const ss = serverSettings(sb, vs);
      if (!ss.active) {
        this.note(`server ${sb.name}`, sb.line, inactiveWhy(findKey(sb.items, 'active') !== undefined));
        continue;
      }
      if (ss.address === null) {
        this.fail(sb.line, 'MISSINGKEY', `server ${sb.name} of virtual ${b.name} has no address`);
        continue;
      }
      const addr = typeof ss.address === 'string' ? { address: 0, address6: ss.address } : { address: ss.address };
      const dk = hostPort(addr, ss.port);
      const twin = dests.get(dk);
      if (twin) {
        this.fail(sb.line, 'DUPLICATE', `real server ${dk} is already in virtual ${b.name} as server ${twin.name} (line ${twin.line})`);
        continue;
      }
      dests.set(dk, sb);
      const rs: RealServer = {
        name: sb.name,
        ...addr,
        port: ss.port,
        weight: ss.weight,
        forward: this.forward,
        upperThreshold: ss.uthreshold,
        lowerThreshold: ss.lthreshold,
        ...(ss.tunnel_type !== null ? { tunnelType: ss.tunnel_type as TunnelType } : {}),
        ...(ss.tunnel_port !== null ? { tunnelPort: ss.tunnel_port } : {}),
        ...(ss.tunnel_csum !== null ? { tunnelCsum: ss.tunnel_csum as TunnelCsum } : {}),
      };
      out.push({ rs, block: sb });
    }
    return out;
  }
}
