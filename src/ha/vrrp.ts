// VRRP (RFC 3768 v2, RFC 5798 v3; IPv4) as keepalived runs one vrrp_instance,
// as a FailoverMachine: no sockets, no timers. The daemon hands it the IPv4
// packets a raw IPPROTO_VRRP socket reads, the clock and link state; it returns
// the VRRP messages to send (the daemon adds the IP header, vrrp-wire.ts's
// encodeIpPacket) and the transitions. The rules (RFC 5798 6.4, and keepalived
// where it differs or adds):
//
//   state   event                                    what happens
//   INIT    start, priority 255                      advert, activate -> MASTER
//   INIT    start, otherwise                         Master_Down_Timer -> BACKUP
//   BACKUP  Master_Down_Timer fires                  advert, activate -> MASTER
//   BACKUP  advert priority 0                        Master_Down_Timer = Skew_Time
//   BACKUP  advert >= ours, or nopreempt,            follow it: Master_Down_Timer reset
//           or preempt_delay running                 (v3: take its interval)
//   BACKUP  advert < ours (preempt)                  discard: the timer runs out
//   MASTER  Adver_Timer fires                        advert
//   MASTER  advert priority 0                        advert at once
//   MASTER  advert > ours, or = ours from a higher   deactivate -> BACKUP
//           address
//   MASTER  advert < ours                            advert at once ("forcing new election")
//   any     link down / standby on                   (MASTER: advert priority 0, deactivate) -> FAULT
//   FAULT   link up and standby off                  as INIT start
//   FAULT   advert                                   ignored (keepalived does not read it)
//   any     stop                                     (MASTER: advert priority 0, deactivate) -> INIT
import { formatIPv4 } from '../model/index.js';
import type { FailoverAction, FailoverMachine } from './machine.js';
import { checkAdvert } from './vrrp-check.js';
import { masterDownMs, skewMs, type VrrpConfig, type VrrpSettings, vrrpSettings } from './vrrp-config.js';
import { type Advert, advertIntervalMs, AUTH_DATA_LEN, AUTH_NONE, AUTH_PASS, authPassBytes, decodeIpPacket, encodeAdvert, type IpPacket, type Rejected, type RejectCode, VRRP_GROUP } from './vrrp-wire.js';

export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';

/** keepalived's per-instance statistics (vrrp_stats), plus our two rejection counters (ip_hdr_err, unicast_src_err). */
export type VrrpStats = Record<RejectCode | 'advert_rcvd' | 'advert_sent' | 'become_master' | 'release_master' | 'pri_zero_rcvd' | 'pri_zero_sent', number>;

const STAT_NAMES: (keyof VrrpStats)[] = [
  'advert_rcvd', 'advert_sent', 'become_master', 'release_master', 'packet_len_err', 'advert_interval_err', 'ip_ttl_err',
  'invalid_type_rcvd', 'addr_list_err', 'invalid_authtype', 'authtype_mismatch', 'auth_failure', 'pri_zero_rcvd',
  'pri_zero_sent', 'chk_err', 'vers_err', 'vrid_err', 'ip_hdr_err', 'unicast_src_err',
];

export class Vrrp implements FailoverMachine {
  private settings: VrrpSettings;
  readonly stats = Object.fromEntries(STAT_NAMES.map((k) => [k, 0])) as VrrpStats;
  private st: VrrpState = 'INIT';
  private standbyOn = false;
  private linkDown = false;
  /** RFC 5798 6.1 Master_Adver_Interval (ms): a v3 backup takes the master's. */
  private masterAdverMs: number;
  /** Master_Down_Timer (BACKUP) and Adver_Timer (MASTER) as deadlines in ms. */
  private downAt = Infinity;
  private adverAt = Infinity;
  /** When preempt_delay lets this backup discard a lower-priority master (null: not started). */
  private preemptAt: number | null = null;
  /** The last valid advertisement: who sent it, at what priority, when. */
  private heard: { from: number; priority: number; at: number } | null = null;
  /** Valid advertisements received (the router's heartbeat counters). */
  private valid = 0;

  constructor(cfg: VrrpConfig) {
    this.settings = vrrpSettings(cfg);
    this.masterAdverMs = this.settings.advertInt;
  }

  get s(): VrrpSettings {
    return this.settings;
  }

  /**
   * A reload changed the virtual addresses: adverts name the new set from the
   * next one on, and adverts received are checked against it, as keepalived's
   * reload of virtual_ipaddress does. Nothing else changes: no new election.
   */
  setVirtualAddresses(addresses: readonly number[]): void {
    this.settings = vrrpSettings({ ...this.settings, authPass: this.settings.authPass ?? undefined, virtualAddresses: [...addresses] });
  }

  get active(): boolean {
    return this.st === 'MASTER';
  }

  get standby(): boolean {
    return this.standbyOn;
  }

  state(): VrrpState {
    return this.st;
  }

  peer(): { heardAt: number | null; says: string | null; valid: number } {
    const h = this.heard;
    // Only a router in MASTER state advertises (priority 0: it is leaving it).
    return h ? { heardAt: h.at, says: `MASTER ${formatIPv4(h.from)} prio ${h.priority}`, valid: this.valid } : { heardAt: null, says: null, valid: 0 };
  }

  nextDeadline(): number {
    return this.st === 'MASTER' ? this.adverAt : this.st === 'BACKUP' ? this.downAt : Infinity;
  }

  start(now: number): FailoverAction[] {
    const s = this.s;
    const how = s.unicast ? `unicast to ${s.unicastPeers.map(formatIPv4).join(', ')}` : `multicast to ${formatIPv4(VRRP_GROUP)}`;
    const out: FailoverAction[] = [{ kind: 'log', level: 'info', msg: `VRRPv${s.version} instance VRID ${s.vrid}: starting, priority ${s.priority}, advert every ${s.advertInt} ms, ${how}` }];
    if (!this.mayRun()) {
      this.setState('FAULT');
      return [...out, info('Entering FAULT STATE (init)')];
    }
    return [...out, ...this.startUp(now, ' (init)')];
  }

  tick(now: number): FailoverAction[] {
    if (this.st === 'MASTER' && now >= this.adverAt) {
      this.adverAt = now + this.s.advertInt;
      return this.advert(this.s.priority);
    }
    // RFC 5798 6.4.2: "If the Master_Down_Timer fires ... Transition to the {Master} state".
    if (this.st === 'BACKUP' && now >= this.downAt) return this.toMaster(now);
    return [];
  }

  /** An IPv4 packet from the raw socket; the header's source is the sender (`from` is the same address). */
  receive(_from: number, data: Uint8Array, now: number): FailoverAction[] {
    if (this.st === 'FAULT' || this.st === 'INIT') return [];
    const ip = decodeIpPacket(data);
    return ip.ok ? this.receiveAdvert(ip, now) : this.rejected(ip);
  }

  /** A VRRP message with what its IP header said (for daemons that read the header apart). */
  receiveAdvert(pkt: IpPacket, now: number): FailoverAction[] {
    // keepalived: "We just ignore a message received when we are in fault state or not yet fully initialised".
    if (this.st === 'FAULT' || this.st === 'INIT') return [];
    const c = checkAdvert(this.s, pkt);
    if (!c.ok) return this.rejected(c);
    this.stats.advert_rcvd++;
    if (c.advert.priority === 0) this.stats.pri_zero_rcvd++;
    this.heard = { from: pkt.src, priority: c.advert.priority, at: now };
    this.valid++;
    const out: FailoverAction[] = [];
    if (c.warning) {
      this.stats.addr_list_err++;
      out.push({ kind: 'log', level: 'warn', msg: c.warning });
    }
    const rx = this.st === 'MASTER' ? this.masterRx(c.advert, pkt.src, now) : this.backupRx(c.advert, pkt.src, now);
    return [...out, ...rx];
  }

  links(up: boolean, now: number): FailoverAction[] {
    if (up === !this.linkDown) return [];
    this.linkDown = !up;
    if (!up) return this.st === 'INIT' || this.st === 'FAULT' ? [] : [warn('a monitored link is down'), ...this.toFault()];
    return this.st === 'FAULT' && this.mayRun() ? [info('monitored links are up again'), ...this.startUp(now)] : [];
  }

  /** On: keepalived's fault (as a failing tracker with weight 0): deactivate and stay in FAULT. */
  setStandby(on: boolean, now: number): FailoverAction[] {
    if (on === this.standbyOn) return [];
    this.standbyOn = on;
    if (on) {
      const out = [info('standby (operator): staying in FAULT until it is lifted')];
      return this.st === 'INIT' || this.st === 'FAULT' ? out : [...out, ...this.toFault()];
    }
    const out = [info('standby off')];
    return this.st === 'FAULT' && this.mayRun() ? [...out, ...this.startUp(now)] : out;
  }

  /** RFC 5798 6.4.3: "If a Shutdown event is received, then: ... Send an ADVERTISEMENT with Priority = 0". */
  stop(_now?: number): FailoverAction[] {
    const wasMaster = this.st === 'MASTER';
    this.setState('INIT');
    if (!wasMaster) return [];
    this.stats.release_master++;
    return [...this.advert(0), info('sent 0 priority'), { kind: 'deactivate', reason: 'Stopping' }];
  }

  /** RFC 5798 6.4.1 Startup (and keepalived leaving FAULT): the owner is master at once, others wait as backup. */
  private startUp(now: number, note = ''): FailoverAction[] {
    this.masterAdverMs = this.s.advertInt;
    if (this.s.priority === 255) return this.toMaster(now);
    this.toBackup(now);
    return [info(`Entering BACKUP STATE${note}`)];
  }

  /** RFC 5798 6.4.2, the ADVERTISEMENT rules of a backup. */
  private backupRx(a: Advert, from: number, now: number): FailoverAction[] {
    if (a.priority === 0) {
      this.downAt = now + skewMs(this.s.version, this.s.priority, this.masterAdverMs);
      return [info('Backup received priority 0 advertisement')];
    }
    if (!this.s.preempt || a.priority >= this.s.priority || this.preemptDelayRunning(now)) return this.follow(a, now);
    // "Else ... Discard the ADVERTISEMENT": the Master_Down_Timer keeps running.
    return [info(`received lower priority (${a.priority}) advert from ${formatIPv4(from)} - discarding`)];
  }

  /** A master this backup accepts: its interval (v3) and a fresh Master_Down_Timer; keepalived's preempt_delay. */
  private follow(a: Advert, now: number): FailoverAction[] {
    const out = this.s.version === 3 ? this.takeInterval(a) : [];
    this.downAt = now + this.downInterval();
    if (this.s.preemptDelay === 0 || !this.s.preempt) return out;
    if (a.priority >= this.s.priority && this.preemptAt !== null) {
      this.preemptAt = null;
      out.push(info('stop preempt delay'));
    } else if (a.priority < this.s.priority && this.preemptAt === null) {
      this.preemptAt = now + this.s.preemptDelay;
      out.push(info(`start preempt delay (${this.s.preemptDelay / 1000} s)`));
    }
    return out;
  }

  /** RFC 5798 6.4.3, the ADVERTISEMENT rules of a master. */
  private masterRx(a: Advert, from: number, now: number): FailoverAction[] {
    const ours = this.s.priority;
    if (a.priority === 0) {
      // "Send an ADVERTISEMENT; Reset the Adver_Timer to Advertisement_Interval".
      this.adverAt = now + this.s.advertInt;
      return [info('Master received priority 0 message'), ...this.advert(ours)];
    }
    if (a.priority === ours && from === this.s.address) return [warn('WARNING - equal priority advert received from remote host with our IP address.')];
    const owners = a.priority === 255 && ours === 255 ? [warn(`CONFIGURATION ERROR: local instance and ${formatIPv4(from)} are both configured as address owner, please resolve`)] : [];
    // "greater than the local Priority or ... equal ... and the primary IPvX Address of the sender is greater".
    if (a.priority < ours || (a.priority === ours && from < this.s.address)) {
      // keepalived answers (unless lower_prio_no_advert) so that a lower master that took over in a split hears us at once.
      return [...owners, info(`Received advert from ${formatIPv4(from)} with lower priority ${a.priority}, ours ${ours}, forcing new election`), ...this.advert(ours)];
    }
    const why = a.priority > ours ? `with higher priority ${a.priority}, ours ${ours}` : `with same priority ${a.priority} but higher IP address than ours`;
    const out = [...owners, info(`Master received advert from ${formatIPv4(from)} ${why}`)];
    if (this.s.version === 3) out.push(...this.takeInterval(a));
    this.stats.release_master++;
    this.toBackup(now);
    return [...out, { kind: 'deactivate', reason: 'Entering BACKUP STATE' }];
  }

  /** RFC 5798 6.4.2: "Set Master_Adver_Interval to Adver Interval contained in the ADVERTISEMENT". */
  private takeInterval(a: Advert): FailoverAction[] {
    const ms = advertIntervalMs(a);
    // An interval of 0 would put the master down at once: keep ours.
    if (ms === this.masterAdverMs || ms === 0) return [];
    const was = this.masterAdverMs;
    this.masterAdverMs = ms;
    return [info(`advertisement interval updated from ${was}ms to ${ms}ms by master`)];
  }

  private toMaster(now: number): FailoverAction[] {
    this.setState('MASTER');
    this.masterAdverMs = this.s.advertInt;
    this.adverAt = now + this.s.advertInt;
    this.stats.become_master++;
    // keepalived sends the advert first: the old master must drop the addresses before our gratuitous ARPs.
    return [...this.advert(this.s.priority), { kind: 'activate', reason: 'Entering MASTER STATE' }];
  }

  private toBackup(now: number): void {
    this.setState('BACKUP');
    this.downAt = now + this.downInterval();
  }

  /** keepalived's leave_master to FAULT: a master says priority 0 on its way out. */
  private toFault(): FailoverAction[] {
    const wasMaster = this.st === 'MASTER';
    this.setState('FAULT');
    if (!wasMaster) return [info('Entering FAULT STATE')];
    this.stats.release_master++;
    return [...this.advert(0), { kind: 'deactivate', reason: 'Entering FAULT STATE' }];
  }

  private setState(st: VrrpState): void {
    this.st = st;
    this.downAt = Infinity;
    this.adverAt = Infinity;
    this.preemptAt = null;
  }

  private downInterval(): number {
    return masterDownMs(this.s.version, this.s.priority, this.masterAdverMs);
  }

  private preemptDelayRunning(now: number): boolean {
    return this.s.preemptDelay > 0 && (this.preemptAt === null || this.preemptAt > now);
  }

  private mayRun(): boolean {
    return !this.linkDown && !this.standbyOn;
  }

  /** One advertisement: to the group, or one copy per unicast peer (the v3 checksum covers the destination). */
  private advert(priority: number): FailoverAction[] {
    this.stats.advert_sent++;
    if (priority === 0) this.stats.pri_zero_sent++;
    const a = this.advertFields(priority);
    const what = `ADVERT prio ${priority}`;
    if (!this.s.unicast) return [{ kind: 'send', bytes: encodeAdvert(a, this.s.address, VRRP_GROUP), what }];
    return this.s.unicastPeers.map((to) => ({ kind: 'send', bytes: encodeAdvert(a, this.s.address, to), what, to }));
  }

  private advertFields(priority: number): Advert {
    const { version, vrid, advertInt, virtualAddresses, authPass } = this.s;
    return {
      version, vrid, priority,
      interval: version === 2 ? advertInt / 1000 : advertInt / 10,
      addresses: virtualAddresses,
      authType: version === 2 && authPass !== null ? AUTH_PASS : AUTH_NONE,
      authData: authPass !== null ? authPassBytes(authPass) : new Uint8Array(AUTH_DATA_LEN),
    };
  }

  private rejected(r: Rejected): FailoverAction[] {
    this.stats[r.code]++;
    return [{ kind: 'log', level: 'warn', msg: r.reason, fields: { code: r.code } }];
  }
}

function info(msg: string): FailoverAction {
  return { kind: 'log', level: 'info', msg };
}

function warn(msg: string): FailoverAction {
  return { kind: 'log', level: 'warn', msg };
}
