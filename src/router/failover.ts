// The router's failover component: pulse's heartbeat on UDP heartbeat_port and
// what it decides. It owns the socket and the timers and feeds a FailoverMachine
// (ha/pulse.ts) with datagrams, the clock and the state of the router's links;
// it carries out what the machine returns: heartbeats to the partner's public and
// private address, and becoming active or inactive, which is an operation on the
// daemon (claim: answer ARP for every VIP and the NAT router address and announce
// them, or stop answering at once), with active_cmd / inactive_cmd run as pulse
// runs them (sh -c, not waited for by the heartbeat). With ha_key_file every
// heartbeat is sealed (ha/auth.ts) and every one received must open before the
// machine sees it: forged, replayed and plain ones are dropped and counted.
// With failover = vrrp the machine is VRRP's (ha/vrrp.ts) on a raw protocol-112
// socket (vrrp-transport.ts) instead: only the election changes, the takeover
// below is the same. VRRP's adverts are never sealed (keepalived must read them).
// A VRRP backup is silent, so beside VRRP the routers keep sending pulse's
// heartbeat as a beacon that decides nothing: it tells a master that its
// partner (re)started, so that it resends the connection table (partnerBack).
// A keepalived partner neither sends nor reads it.
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import type { FailoverSettings } from '../config/compile-failover.js';
import type { FailoverView, VrrpView } from '../control/types.js';
import { Opener, Sealer, type AuthDrop } from '../ha/auth.js';
import type { FailoverAction, FailoverMachine } from '../ha/machine.js';
import { HEARTBEAT_RUNNING_MAGIC, HEARTBEAT_STOPPED_MAGIC, heartbeatBytes, Pulse } from '../ha/pulse.js';
import { Vrrp } from '../ha/vrrp.js';
import { encodeIpPacket, VRRP_GROUP } from '../ha/vrrp-wire.js';
import { rawVrrpSocket, type VrrpSocket } from './vrrp-transport.js';
import { formatIPv4, parseIPv4 } from '../model/index.js';
import type { Timers } from '../health/monitor.js';
import type { Logger } from './log.js';

/** A datagram socket as the component uses it (tests give it a memory one). */
export interface HeartbeatSocket {
  bind(port: number): Promise<void>;
  onMessage(fn: (data: Uint8Array, from: number) => void): void;
  /** Sends; `done` gets the error of a send that failed (dgram reports them asynchronously). */
  send(data: Uint8Array, port: number, to: number, done: (err: Error | null) => void): void;
  close(): void;
}

export interface FailoverDeps {
  settings: FailoverSettings;
  /** The router's kernel addresses and their devices: the role and the monitored links come from them. */
  local: Map<number, string>;
  forceActive: boolean;
  log: Logger;
  /** Claims (true) or releases (false) the addresses: a change of the daemon, serialized with the others. */
  claim(active: boolean, reason: string): Promise<void>;
  /** Gratuitous ARPs for every claimed address again (5, 1 s apart). */
  rearp(): void;
  /**
   * The partner is heard for the first time, again after a silence, or saying
   * something new: it may have (re)started knowing no flow (the daemon resends
   * the connection table to it when this router is the active one).
   */
  partnerBack?: (why: string) => void;
  /** Runs active_cmd / inactive_cmd; default sh -c, logged with its exit status. */
  run?: (cmd: string, what: string) => void;
  /** Whether a device's link is up (monitor_links); default: its carrier in sysfs. */
  linkUp?: (dev: string) => boolean;
  socket?: () => HeartbeatSocket;
  /** failover = vrrp: the raw VRRP socket on a device (default vrrp-transport.ts). */
  vrrpSocket?: (dev: string, multicast: boolean) => VrrpSocket;
  /** Resolves a host name of lvs.cf to an IPv4 address (pulse: gethostbyname). */
  resolve?: (host: string) => Promise<number>;
  now?: () => number;
  /** setTimeout and clearTimeout (tests give a fake clock's). */
  timers?: Timers;
}

const LINK_POLL_MS = 1000;
/** A dropped heartbeat is logged the first time for its reason, then at most once a minute with the count. */
const AUTH_LOG_MS = 60_000;
const CMD_TIMEOUT_MS = 60_000;

export class Failover {
  private machine!: FailoverMachine;
  private role!: 'primary' | 'backup';
  private partner: number[] = [];
  private own: number[] = [];
  private sock: HeartbeatSocket | null = null;
  /** failover = vrrp: the machine as VRRP (for its statistics), its socket, device and source address. */
  private vrrp: { machine: Vrrp; sock: VrrpSocket; dev: string; src: number } | null = null;
  /** VRRP sends not yet done (the raw socket sends when writable): stop() waits for the priority 0 advert. */
  private vrrpPending = 0;
  /** failover = vrrp: the heartbeat beacon's timer and what it heard (presence only). */
  private beaconTimer: unknown = null;
  private readonly beacon = { sent: 0, received: 0, heardAt: null as number | null, says: null as string | null };
  private vrrpDrained: (() => void) | null = null;
  private timer: unknown = null;
  private linkTimer: unknown = null;
  private readonly timers: Timers;
  private readonly monitored: string[] = [];
  private linkState: Record<string, boolean> = {};
  private transitions = 0;
  private since = 0;
  private reason = 'starting';
  private readonly counts = { sent: 0, received: 0, ignored: 0, sendErrors: 0 };
  private lastSendError = '';
  /** ha_key_file: seals what this router sends, opens what it hears (null: pulse's plain 4 bytes). */
  private sealer: Sealer | null = null;
  private opener: Opener | null = null;
  private readonly authLogged: Partial<Record<AuthDrop, number>> = {};
  /** Claims run one after another, in the order the machine decided them. */
  private claims: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly deps: FailoverDeps) {
    this.timers = deps.timers ?? { set: (fn, ms) => setTimeout(fn, ms).unref(), clear: (h) => clearTimeout(h as NodeJS.Timeout) };
  }

  private get now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** Resolves the routers' addresses, finds this router's role, binds the heartbeat port and starts inactive (or active with --forceactive). */
  async start(): Promise<void> {
    const s = this.deps.settings;
    const resolve = this.deps.resolve ?? resolveHost;
    const [primary, primaryPrivate, backup, backupPrivate] = await Promise.all(
      [s.primary, s.primaryPrivate, s.backup, s.backupPrivate].map((h) => (h ? resolve(h) : Promise.resolve(null))),
    );
    const local = this.deps.local;
    const isPrimary = local.has(primary!);
    const isBackup = local.has(backup!);
    if (isPrimary === isBackup) {
      throw new Error(isPrimary
        ? `failover: this router has both the primary (${s.primary}) and the backup (${s.backup}) address`
        : `failover: this router has neither the primary (${s.primary}) nor the backup (${s.backup}) address; pulse decides the role by them`);
    }
    this.role = isPrimary ? 'primary' : 'backup';
    this.partner = (isPrimary ? [backup, backupPrivate] : [primary, primaryPrivate]).filter((a): a is number => a !== null);
    const own = (isPrimary ? [primary, primaryPrivate] : [backup, backupPrivate]).filter((a): a is number => a !== null);
    this.own = own;
    if (s.monitorLinks) {
      for (const a of own) {
        const dev = local.get(a);
        if (dev && !this.monitored.includes(dev)) this.monitored.push(dev);
      }
    }
    if (s.auth) {
      // Each router identifies as its public address; only the partner's is taken.
      this.sealer = new Sealer(s.auth.key, 'heartbeat', own[0]);
      this.opener = new Opener(s.auth.key, 'heartbeat', own[0], this.partner[0]);
    }
    if (s.vrrp) return this.startVrrp(own);
    const now = this.now;
    this.machine = new Pulse({ role: this.role, partner: this.partner, keepalive: s.keepalive, deadtime: s.deadtime, forceActive: this.deps.forceActive, failback: s.failback }, now);
    this.since = now;
    this.sock = (this.deps.socket ?? udpSocket)();
    this.sock.onMessage((data, from) => this.received(data, from));
    await this.sock.bind(s.port);
    // pulse runs inactive_cmd at start-up (the router may have been active before a crash).
    if (!this.deps.forceActive && s.inactiveCmd) this.runCmd(s.inactiveCmd, 'inactive_cmd');
    this.carryOut(this.machine.start(now));
    if (this.monitored.length) this.pollLinks();
  }

  /** failover = vrrp: VRRP's machine on the raw socket; this router's priority by its role. */
  private async startVrrp(own: number[]): Promise<void> {
    const s = this.deps.settings;
    const v = s.vrrp!;
    const src = v.srcIp ?? own[0];
    const dev = v.interface ?? this.deps.local.get(own[0]);
    if (!dev) throw new Error(`failover = vrrp: no device has ${formatIPv4(own[0])}; set vrrp_interface`);
    const machine = new Vrrp({
      vrid: v.vrid, priority: this.role === 'primary' ? v.priority : v.backupPriority, advertInt: v.advertInt, version: v.version,
      preempt: v.preempt, preemptDelay: v.preemptDelay, address: src, virtualAddresses: v.virtualAddresses,
      authPass: v.authPass ?? undefined, unicastPeers: v.unicastPeers,
    });
    const sock = (this.deps.vrrpSocket ?? rawVrrpSocket)(dev, v.unicastPeers.length === 0);
    sock.onPacket((data, from) => this.received(data, from));
    sock.open();
    this.machine = machine;
    this.vrrp = { machine, sock, dev, src };
    const now = this.now;
    this.since = now;
    if (this.deps.forceActive) this.deps.log.warn('failover: --forceactive is ignored with failover = vrrp (VRRP elects the master)');
    if (s.inactiveCmd) this.runCmd(s.inactiveCmd, 'inactive_cmd');
    this.carryOut(machine.start(now));
    if (this.monitored.length) this.pollLinks();
    this.sock = (this.deps.socket ?? udpSocket)();
    this.sock.onMessage((data, from) => this.beaconReceived(data, from));
    await this.sock.bind(s.port);
    this.sendBeacon();
  }

  /** failover = vrrp: a reload changed the VIPs; the next advert names them (returns false under pulse: nothing to do). */
  setVrrpAddresses(addresses: readonly number[]): boolean {
    if (!this.vrrp) return false;
    this.vrrp.machine.setVirtualAddresses(addresses);
    this.deps.log.info('VRRP: the adverts name the reloaded virtual addresses', { addresses: addresses.map(formatIPv4).join(' ') });
    return true;
  }

  /** The beacon: RUNNING while master, else STOPPED, every keepalive seconds, to the partner's addresses. */
  private sendBeacon(): void {
    this.beaconTimer = null;
    if (this.stopped) return;
    this.sendHeartbeat(heartbeatBytes(this.machine.active ? HEARTBEAT_RUNNING_MAGIC : HEARTBEAT_STOPPED_MAGIC), () => this.beacon.sent++);
    this.beaconTimer = this.timers.set(() => this.sendBeacon(), this.deps.settings.keepalive * 1000);
  }

  /** A beacon from the partner (sealed with ha_key_file): heard first, again after a silence, or saying something new is partnerBack. */
  private beaconReceived(data: Uint8Array, from: number): void {
    if (this.stopped || !this.partner.includes(from)) return;
    if (this.opener) {
      const r = this.opener.open(data);
      if (!r.ok) return this.authDropped(r.why, from, data.length);
      data = r.payload;
    }
    const magic = data.length === 4 ? new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true) : 0;
    const says = magic === HEARTBEAT_RUNNING_MAGIC ? 'RUNNING' : magic === HEARTBEAT_STOPPED_MAGIC ? 'STOPPED' : null;
    if (says === null) return;
    const b = this.beacon;
    const gap = b.heardAt === null ? Infinity : this.now - b.heardAt;
    const why = b.heardAt === null ? 'first heard' : gap > 1500 * this.deps.settings.keepalive ? `heard again after ${(gap / 1000).toFixed(1)} s` : says !== b.says ? `now says ${says}` : null;
    b.received++;
    b.heardAt = this.now;
    b.says = says;
    if (why !== null) this.deps.partnerBack?.(why);
  }

  /** Stops the heartbeat; an active router releases its addresses (pulse on SIGTERM). */
  async stop(): Promise<void> {
    if (this.stopped || !this.machine) return;
    this.carryOut(this.machine.stop(this.now));
    this.stopped = true;
    if (this.timer !== null) this.timers.clear(this.timer);
    if (this.linkTimer !== null) this.timers.clear(this.linkTimer);
    this.sock?.close();
    if (this.beaconTimer !== null) this.timers.clear(this.beaconTimer);
    if (this.vrrp) {
      await this.vrrpDrain();
      this.vrrp.sock.close();
    }
    await this.claims;
  }

  /** This router's and the partner's addresses (public first), once started: config sync talks to the same pair. */
  pair(): { own: number[]; partner: number[] } {
    return { own: [...this.own], partner: [...this.partner] };
  }

  get active(): boolean {
    return this.machine?.active ?? false;
  }

  /** The clock moved: heartbeats due, the partner's dead time. */
  private step(): void {
    this.timer = null;
    if (!this.stopped) this.carryOut(this.machine.tick(this.now));
  }

  /** The operator's maintenance switch: on, this router releases the addresses and stays inactive. */
  async setStandby(on: boolean, who: string): Promise<FailoverView> {
    this.deps.log.info(on ? 'failover: standby requested; this router stays inactive' : 'failover: standby ended', { who });
    this.carryOut(this.machine.setStandby(on, this.now));
    await this.claims;
    return this.view();
  }

  /** Resolves once every claim decided so far is done (tests). */
  settled(): Promise<void> {
    return this.claims;
  }

  view(): FailoverView {
    const s = this.deps.settings;
    const peer = this.machine.peer();
    return {
      role: this.role,
      state: this.machine.state(),
      active: this.machine.active,
      partner: this.partner.map(formatIPv4),
      port: s.port,
      keepalive: s.keepalive,
      deadtime: s.deadtime,
      lastHeard: peer.heardAt === null ? null : Math.max(0, (this.now - peer.heardAt) / 1000),
      partnerSays: peer.says,
      standby: this.machine.standby,
      links: { ...this.linkState },
      transitions: this.transitions,
      since: this.since,
      reason: this.reason,
      heartbeats: { ...this.counts },
      auth: this.opener ? { ...this.opener.stats } : null,
      vrrp: this.vrrpView(),
    };
  }

  private vrrpView(): VrrpView | null {
    const v = this.vrrp;
    if (!v) return null;
    const s = v.machine.s;
    return {
      version: s.version, vrid: s.vrid, priority: s.priority, advertInt: s.advertInt / 1000, preempt: s.preempt, preemptDelay: s.preemptDelay / 1000,
      interface: v.dev, address: formatIPv4(v.src), peers: s.unicast ? s.unicastPeers.map(formatIPv4) : [formatIPv4(VRRP_GROUP)],
      auth: s.authPass !== null, stats: { ...v.machine.stats },
      beacon: { sent: this.beacon.sent, received: this.beacon.received, lastHeard: this.beacon.heardAt === null ? null : Math.max(0, (this.now - this.beacon.heardAt) / 1000) },
    };
  }

  private received(data: Uint8Array, from: number): void {
    if (this.stopped) return;
    if (this.opener) {
      const r = this.opener.open(data);
      if (!r.ok) return this.authDropped(r.why, from, data.length);
      data = r.payload;
    }
    const { valid, heardAt, says } = this.machine.peer();
    const wasActive = this.machine.active;
    const out = this.machine.receive(from, data, this.now);
    if (this.machine.peer().valid !== valid) {
      this.counts.received++;
      if (!this.vrrp) this.noticeReturn(heardAt, says);
      // VRRP backups are silent: a master hears another router only when it claims the group too (a healed split, a stop).
      else if (wasActive && this.machine.active) this.deps.partnerBack?.(`VRRP advert from ${formatIPv4(from)} while master`);
    } else {
      this.counts.ignored++;
    }
    this.carryOut(out);
  }

  /**
   * A heartbeat after none, after more than 1.5 intervals of silence (one or more
   * lost: perhaps a restart quicker than deadtime), or with a new word from the
   * partner tells the daemon (partnerBack). A false alarm costs one table resend.
   */
  private noticeReturn(heardAt: number | null, says: string | null): void {
    const gap = heardAt === null ? Infinity : this.now - heardAt;
    const now = this.machine.peer().says;
    const why = heardAt === null ? 'first heard'
      : gap > 1500 * this.deps.settings.keepalive ? `heard again after ${(gap / 1000).toFixed(1)} s`
        : now !== says ? `now says ${now}` : null;
    if (why !== null) this.deps.partnerBack?.(why);
  }

  private authDropped(why: AuthDrop, from: number, bytes: number): void {
    const now = this.now;
    const last = this.authLogged[why];
    if (last !== undefined && now - last < AUTH_LOG_MS) return;
    this.authLogged[why] = now;
    this.deps.log.warn(`failover: ${why} heartbeat dropped`, { from: formatIPv4(from), bytes, total: this.opener!.stats[why] });
  }

  /** monitor_links: every second, as pulse checks before each select(). */
  private pollLinks(): void {
    this.linkTimer = null;
    if (this.stopped) return;
    const up = this.deps.linkUp ?? carrierUp;
    let all = true;
    for (const dev of this.monitored) {
      const ok = up(dev);
      if (this.linkState[dev] !== undefined && this.linkState[dev] !== ok) this.deps.log.warn(`failover: link of ${dev} is ${ok ? 'up' : 'down'}`);
      this.linkState[dev] = ok;
      all &&= ok;
    }
    this.carryOut(this.machine.links(all, this.now));
    this.linkTimer = this.timers.set(() => this.pollLinks(), LINK_POLL_MS);
  }

  /** Sleeps until the machine's next deadline. */
  private schedule(): void {
    if (this.stopped) return;
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = this.timers.set(() => this.step(), Math.max(0, this.machine.nextDeadline() - this.now));
  }

  private carryOut(actions: FailoverAction[]): void {
    const s = this.deps.settings;
    const log = this.deps.log;
    for (const a of actions) {
      switch (a.kind) {
        case 'send':
          this.send(a.bytes, a.to);
          break;
        case 'log':
          log[a.level](a.msg, a.fields);
          break;
        case 'activate':
          this.changed(a.reason);
          if (s.activeCmd) this.runCmd(s.activeCmd, 'active_cmd');
          this.claim(true, a.reason);
          break;
        case 'deactivate':
          this.changed(a.reason);
          if (s.inactiveCmd) this.runCmd(s.inactiveCmd, 'inactive_cmd');
          this.claim(false, a.reason);
          break;
        case 'rearp':
          if (s.activeCmd) this.runCmd(s.activeCmd, 'active_cmd');
          this.deps.rearp();
          break;
      }
    }
    // A change of state may bring the next heartbeat forward (the partner learns at once).
    this.schedule();
  }

  private changed(reason: string): void {
    this.transitions++;
    this.since = this.now;
    this.reason = reason;
  }

  private claim(active: boolean, reason: string): void {
    const log = this.deps.log;
    this.claims = this.claims.then(() => this.deps.claim(active, reason)).catch((e) => {
      log.error(`failover: could not ${active ? 'claim' : 'release'} the addresses`, { reason, problem: (e as Error).message });
    });
  }

  private send(bytes: Uint8Array, to?: number): void {
    if (this.vrrp) return this.sendVrrp(bytes, to ?? VRRP_GROUP);
    this.sendHeartbeat(bytes, () => this.counts.sent++);
  }

  /** A heartbeat (pulse's, or VRRP mode's beacon) to each of the partner's addresses; `sent` counts each copy that went. */
  private sendHeartbeat(bytes: Uint8Array, sent: () => void): void {
    const sock = this.sock;
    if (!sock) return;
    for (const to of this.partner) {
      // One seal per copy: the two copies carry different counters, so neither looks like a replay of the other.
      const data = this.sealer ? this.sealer.seal(bytes) : bytes;
      sock.send(data, this.deps.settings.port, to, (err) => {
        if (err) return this.sendFailed(to, err);
        sent();
        this.lastSendError = '';
      });
    }
  }

  /** One advert in its IPv4 packet (TTL 255, TOS 0xc0), to the group or one unicast peer. */
  private sendVrrp(bytes: Uint8Array, to: number): void {
    const v = this.vrrp!;
    this.vrrpPending++;
    v.sock.send(encodeIpPacket(v.src, to, bytes), to, (err) => {
      if (--this.vrrpPending === 0) this.vrrpDrained?.();
      if (err) return this.sendFailed(to, err);
      this.counts.sent++;
      this.lastSendError = '';
    });
  }

  /** Resolves when every VRRP send so far is done, or after 1 s (a socket that never becomes writable must not hold the stop). */
  private vrrpDrain(): Promise<void> {
    if (this.vrrpPending === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, 1000);
      this.vrrpDrained = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** A send error is logged when it changes, not once per heartbeat. */
  private sendFailed(to: number, e: Error): void {
    this.counts.sendErrors++;
    const what = `${formatIPv4(to)}: ${(e as NodeJS.ErrnoException).code ?? e.message}`;
    if (what !== this.lastSendError) this.deps.log.warn('failover: a heartbeat could not be sent', { to: formatIPv4(to), problem: e.message });
    this.lastSendError = what;
  }

  private runCmd(cmd: string, what: string): void {
    if (this.deps.run) return this.deps.run(cmd, what);
    const log = this.deps.log;
    const child = spawn('/bin/sh', ['-c', cmd], { stdio: 'ignore', timeout: CMD_TIMEOUT_MS });
    child.on('error', (e) => log.error(`failover: ${what} could not run`, { cmd, problem: e.message }));
    child.on('exit', (code, sig) => {
      if (code === 0) log.info(`failover: ${what} done`, { cmd });
      else log.warn(`failover: ${what} failed`, { cmd, ...(sig ? { signal: sig } : { status: code }) });
    });
  }
}

async function resolveHost(host: string): Promise<number> {
  const direct = parseIPv4(host);
  if (direct !== null) return direct;
  const r = await lookup(host, { family: 4 }).catch(() => null);
  const a = r ? parseIPv4(r.address) : null;
  if (a === null) throw new Error(`failover: cannot resolve ${host} to an IPv4 address`);
  return a;
}

/** A device's carrier, as the kernel shows it in sysfs (the router's namespace mounts its own /sys). */
function carrierUp(dev: string): boolean {
  try {
    return readFileSync(`/sys/class/net/${dev}/carrier`, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

function udpSocket(): HeartbeatSocket {
  const s: Socket = createSocket({ type: 'udp4', reuseAddr: false });
  let onMsg: (data: Uint8Array, from: number) => void = () => {};
  s.on('message', (msg, rinfo) => {
    const from = parseIPv4(rinfo.address);
    if (from !== null) onMsg(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), from);
  });
  return {
    bind: (port) => new Promise((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, () => {
        s.off('error', reject);
        s.on('error', () => {});
        resolve();
      });
    }),
    onMessage: (fn) => (onMsg = fn),
    send: (data, port, to, done) => {
      try {
        s.send(data, port, formatIPv4(to), (err) => done(err ?? null));
      } catch (e) {
        done(e as Error);
      }
    },
    close: () => s.close(),
  };
}
