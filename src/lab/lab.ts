// `tsvs lab up`: builds a NAT or DR testbed in network namespaces, writes the
// matching lvs.cf, starts the real servers' HTTP daemons, and hands back a Lab
// to run commands in it. The router namespace's kernel holds only its admin
// address: the VIP and nat_router are tsvs's to answer (DESIGN.md, data plane).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPlan, createNamespaces, disableRouterOffloads } from './apply.js';
import { labDown, type DownReport } from './down.js';
import { labLvsCf } from './lvscf.js';
import { checkLabName, DEFAULT_LAB_NAME, isLabNamespace, nsName, stateDir } from './names.js';
import { LabError, netnsList, nsRun, type RunResult } from './netns.js';
import { planLab, type LabAddrs6, type LabMode } from './plan.js';
import { endProcesses, isAlive, spawnInNs, type ProcRecord } from './procs.js';
import { findNginx, NGINX_MISSING, startServers, type HttpdKind } from './servers.js';
import { readState, writeState, type LabState } from './state.js';

export interface LabUpOptions {
  mode: LabMode;
  /** Real servers, 1-32. Default 3. */
  servers?: number;
  /** Letters and digits; namespaces are tsvs-<name>-<role>. Default "lab". */
  name?: string;
  /** false: ethtool -K ... tso gso gro tx rx off on the router's interfaces and their peers. Default true (veth defaults). */
  offloads?: boolean;
  httpd?: HttpdKind;
  /** NAT only: the router's kernel also gets 198.19.0.2/24 on eth1 (never nat_router), for the health checks. Default true for NAT. */
  routerPrivateAddr?: boolean;
  /** NAT: a backup router (namespace "backup") and an lvs.cf with backup_active = 1. */
  ha?: boolean;
  /** With ha: the lvs.cf elects by VRRP (failover = vrrp) instead of pulse's heartbeat. */
  vrrp?: boolean;
  /** DR: the guide's DR figure, the real servers on a private LAN behind the router's eth1 (lvs.cf names eth0 alone). */
  privateLan?: boolean;
  /** Dual stack: IPv6 twins of the addresses in 2001:2::/48, a v6 virtual service in lvs.cf, the httpds on [::]:80 too. */
  ipv6?: boolean;
}

export interface ExecOptions {
  timeoutMs?: number;
  input?: string;
  /** Throw a LabError when the command does not exit 0. */
  check?: boolean;
}

export interface SpawnOptions {
  /** Shown by `lab status`; default the command's name. */
  label?: string;
  /** Append stdout and stderr to this file; default <stateDir>/<label>.log. false: discard. */
  log?: string | false;
  /** Keep stdout as a pipe (read it, or it fills and blocks the process). */
  pipeStdout?: boolean;
  /** Pin to these CPUs (`taskset -c CPUS`, e.g. "0" or "0-1"), as benches pin the router apart from the rest. */
  cpus?: string;
}

export interface LabProcess {
  readonly pid: number;
  readonly ns: string;
  readonly record: ProcRecord;
  readonly child: import('node:child_process').ChildProcess;
  readonly logPath?: string;
  alive(): boolean;
  /** What the process wrote so far (its log file). */
  log(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; forgets it from the lab's state. */
  stop(graceMs?: number): Promise<void>;
}

const DEFAULT_EXEC_MS = 30_000;

export class Lab {
  constructor(private readonly state: LabState) {}

  get name(): string {
    return this.state.name;
  }
  get mode(): LabMode {
    return this.state.mode;
  }
  get namespaces(): LabState['namespaces'] {
    return this.state.namespaces;
  }
  get vip(): string {
    return this.state.vip;
  }
  get natRouter(): string | undefined {
    return this.state.natRouter;
  }
  get routerAddr(): string {
    return this.state.routerAddr;
  }
  /** --ha: the backup router's public address (null: no backup router). */
  get backupAddr(): string | null {
    return this.state.backupAddr ?? null;
  }
  get clientAddr(): string {
    return this.state.clientAddr;
  }
  get gatewayAddr(): string | undefined {
    return this.state.gatewayAddr;
  }
  get serverNames(): string[] {
    return this.state.serverNames;
  }
  get serverAddrs(): string[] {
    return this.state.serverAddrs;
  }
  get routerDevices(): string[] {
    return this.state.routerDevices;
  }
  /** --ipv6: the IPv6 addresses (v6.vip, v6.serverAddrs, ...); null: an IPv4-only lab. */
  get v6(): LabAddrs6 | null {
    return this.state.v6 ?? null;
  }
  get configPath(): string {
    return this.state.configPath;
  }
  get stateDir(): string {
    return this.state.stateDir;
  }
  get processes(): ProcRecord[] {
    return [...this.state.processes];
  }

  /** A full namespace name of this lab, or a role ("client", "router", "rs2", "gw", ...). */
  ns(nsOrRole: string): string {
    const all = this.state.namespaces.all;
    if (all.includes(nsOrRole)) return nsOrRole;
    const full = nsName(this.state.name, nsOrRole);
    if (all.includes(full)) return full;
    throw new LabError(`lab ${this.state.name} has no namespace "${nsOrRole}" (has: ${all.join(', ')})`);
  }

  /** Runs a command in a namespace, bounded by a timeout (default 30 s). */
  async exec(nsOrRole: string, cmd: string[], o: ExecOptions = {}): Promise<RunResult> {
    const ns = this.ns(nsOrRole);
    const r = await nsRun(ns, cmd, { timeoutMs: o.timeoutMs ?? DEFAULT_EXEC_MS, ...(o.input !== undefined ? { input: o.input } : {}) });
    if (o.check && r.code !== 0) {
      const why = r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join('; ')}`;
      throw new LabError(`${cmd.join(' ')} (in ${ns}) ${why}`);
    }
    return r;
  }

  /** Starts a background process in a namespace, recorded in state.json so that `down` ends it. */
  spawn(nsOrRole: string, cmd: string[], o: SpawnOptions = {}): LabProcess {
    const ns = this.ns(nsOrRole);
    const label = o.label ?? cmd[0].split('/').pop()!;
    const logPath = o.log === false ? undefined : o.log ?? join(this.state.stateDir, `${label.replace(/[^\w.-]+/g, '_')}.log`);
    if (o.cpus !== undefined && !/^\d+([-,]\d+)*$/.test(o.cpus)) throw new LabError(`cpus "${o.cpus}": want a taskset CPU list such as 0 or 0-1`);
    const full = o.cpus !== undefined ? ['taskset', '-c', o.cpus, ...cmd] : cmd;
    const { child, record } = spawnInNs(ns, full, { label, ...(logPath ? { logPath } : {}), ...(o.pipeStdout ? { pipeStdout: true } : {}) });
    child.unref();
    this.state.processes.push(record);
    writeState(this.state);
    const forget = () => {
      this.state.processes = this.state.processes.filter((p) => p !== record);
      writeState(this.state);
    };
    return {
      pid: record.pid,
      ns,
      record,
      child,
      ...(logPath ? { logPath } : {}),
      alive: () => isAlive(record.pid, record.startTime),
      log: () => (logPath ? readOr(logPath, '') : ''),
      stop: async (graceMs = 2000) => {
        const left = await endProcesses([record], graceMs);
        if (left.length) throw new LabError(`process ${record.pid} (${label}) did not end`);
        forget();
      },
    };
  }

  /** Ends every process and deletes every namespace of the lab. */
  down(): Promise<DownReport> {
    return labDown(this.state.name);
  }
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

/** The Lab of a lab that is up (from its state.json), e.g. to run commands in it from another process. */
export function openLab(name = DEFAULT_LAB_NAME): Lab {
  checkLabName(name);
  const s = readState(stateDir(name));
  if (!s) throw new LabError(`no lab "${name}" (no ${stateDir(name)}/state.json); start one with tsvs lab up nat|dr --name ${name}`);
  return new Lab(s);
}

export async function labUp(o: LabUpOptions): Promise<Lab> {
  if (process.getuid?.() !== 0) throw new LabError('the lab needs root: it creates network namespaces, veth pairs and bridges');
  const name = checkLabName(o.name ?? DEFAULT_LAB_NAME);
  const httpd = o.httpd ?? 'builtin';
  if (httpd !== 'builtin' && httpd !== 'nginx') throw new LabError(`--httpd ${String(httpd)}: want builtin or nginx`);
  if (httpd === 'nginx' && !findNginx()) throw new LabError(NGINX_MISSING);
  if (o.routerPrivateAddr && o.mode !== 'nat') throw new LabError('routerPrivateAddr is for NAT labs (the DR router is on the server LAN already)');
  // NAT: the router's kernel gets an address on the server LAN by default, so that
  // health checks (which run in the router's own stack) reach the real servers.
  if (o.ha && o.mode !== 'nat') throw new LabError('--ha: the lab has a backup router in NAT mode only');
  if (o.vrrp && !o.ha) throw new LabError('--vrrp: VRRP elects between two routers; add --ha');
  const plan = planLab({ name, mode: o.mode, servers: o.servers ?? 3, routerPrivateAddr: o.routerPrivateAddr ?? o.mode === 'nat', ha: o.ha, privateLan: o.privateLan, ipv6: o.ipv6 });

  const dir = stateDir(name);
  const clash = (await netnsList()).filter((ns) => isLabNamespace(name, ns));
  if (clash.length || readState(dir)) {
    throw new LabError(`lab "${name}" already exists${clash.length ? ` (namespaces ${clash.join(', ')})` : ` (${dir})`}: take it down first with tsvs lab down --name ${name}`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const state: LabState = {
    version: 1,
    name,
    mode: plan.mode,
    createdAt: new Date().toISOString(),
    httpd,
    offloads: o.offloads ?? true,
    namespaces: plan.namespaces,
    vip: plan.vip,
    ...(plan.natRouter ? { natRouter: plan.natRouter } : {}),
    routerAddr: plan.routerAddr,
    ...(plan.routerPrivateAddr ? { routerPrivateAddr: plan.routerPrivateAddr } : {}),
    ...(plan.backupAddr ? { backupAddr: plan.backupAddr, backupPrivateAddr: plan.backupPrivateAddr } : {}),
    clientAddr: plan.clientAddr,
    ...(plan.gatewayAddr ? { gatewayAddr: plan.gatewayAddr } : {}),
    serverNames: plan.serverNames,
    serverAddrs: plan.serverAddrs,
    routerDevices: plan.routerDevices,
    ...(plan.v6 ? { v6: plan.v6 } : {}),
    stateDir: dir,
    configPath: join(dir, 'lvs.cf'),
    processes: [],
  };
  // Recorded before anything exists, so a crash from here on leaves what labDown needs.
  writeState(state);
  try {
    await createNamespaces(plan);
    await applyPlan(plan);
    if (!state.offloads) await disableRouterOffloads(plan);
    writeFileSync(state.configPath, labLvsCf(plan, { vrrp: o.vrrp }));
    const specs = plan.serverNames.map((n, k) => ({ ns: plan.namespaces.servers[k], name: n, addr: plan.serverAddrs[k], ipv6: plan.v6 !== undefined }));
    state.processes.push(...(await startServers(httpd, specs, dir)));
    writeState(state);
  } catch (e) {
    await labDown(name).catch(() => {});
    throw e;
  }
  return new Lab(state);
}

export { labDown };
