// Piranha's pulse (LVS-REFERENCE 1.3), as a state machine on a clock: no
// sockets, no timers, no child processes. The daemon feeds it what happened
// (a heartbeat datagram, the clock, a link going down) and carries out the
// actions it returns (send heartbeats, become active or inactive, re-send the
// gratuitous ARPs, run active_cmd / inactive_cmd, log), so that every rule can
// be stepped in a test. The rules, from pulse.c:
// - every `keepalive` seconds a 4-byte heartbeat goes to the partner's public and
//   (if set) private address: RUNNING when this router is active, else STOPPED;
// - a partner not heard for `deadtime` seconds is dead: an inactive router
//   activates ("partner dead: activating lvs");
// - "If both are running, backup stops and master rearps. If neither is
//   running, master starts. Otherwise keep the status quo." A heartbeat from
//   the partner saying STOPPED starts an inactive primary ("backup inactive")
//   and an inactive backup ("primary inactive"). One change from pulse: the
//   backup starts only once the primary has said STOPPED for half a keepalive
//   or more. When both start together each hears the other's STOPPED, and pulse
//   activated both until the backup heard RUNNING (both answered ARP for a
//   moment); the primary, which activates at the first STOPPED and says RUNNING
//   at once, now wins alone;
// - heartbeats from another source, of another size or with an unknown magic
//   are logged and ignored;
// - monitor_links: a link of its own down disables the router (it deactivates
//   and does not activate until the link is back), so the partner takes over.

import { formatIPv4 } from '../model/index.js';
import type { FailoverAction, FailoverMachine } from './machine.js';

/** pulse.c's magics, sent as a host-order (x86: little-endian) 32-bit integer. */
export const HEARTBEAT_RUNNING_MAGIC = 0xbdaddbda;
export const HEARTBEAT_STOPPED_MAGIC = 0xadbddabd;

export interface PulseConfig {
  /** Which router this is: its addresses matched lvs.cf's primary or backup. */
  role: 'primary' | 'backup';
  /** The partner's public address and, when set, private (int32 form, as model addresses). */
  partner: number[];
  keepalive: number;
  deadtime: number;
  /** --forceactive: become active at start, whatever the partner says. */
  forceActive: boolean;
  /**
   * tsvs's failback: a primary that hears an active backup for deadtime takes the
   * addresses back (both active, pulse's rule makes the backup stop). The wait
   * lets the backup's connections reach it by sync first. pulse: never.
   */
  failback?: boolean;
}

export type PulseAction = FailoverAction;

export class Pulse implements FailoverMachine {
  active = false;
  /** monitor_links saw a link of this router down. */
  linkFail = false;
  /** An operator asked this router to stay inactive (maintenance). */
  standby = false;
  /** When the partner was last heard (ms); when the next heartbeat goes out. */
  lastHeard: number;
  private nextSend: number;
  /** How many valid heartbeats were heard, and what the last one said. */
  private valid = 0;
  private says: string | null = null;
  /** Since when the partner says STOPPED without a break (null: it said RUNNING last, or nothing). */
  private stoppedSince: number | null = null;
  /** Since when the partner says RUNNING without a break, while this router is inactive (failback). */
  private runningSince: number | null = null;

  constructor(
    readonly cfg: PulseConfig,
    now: number,
  ) {
    this.lastHeard = now;
    this.nextSend = now;
  }

  /** Start-up: inactive (pulse runs inactive_cmd first), or active at once with --forceactive. */
  start(now: number): PulseAction[] {
    const out: PulseAction[] = [{ kind: 'log', level: 'info', msg: `pulse: starting as ${this.cfg.role}`, fields: { keepalive: this.cfg.keepalive, deadtime: this.cfg.deadtime } }];
    this.lastHeard = now;
    if (this.cfg.forceActive) out.push(...this.activate('--forceactive'));
    return [...out, ...this.tick(now)];
  }

  /** The clock moved: heartbeats due, and the partner's dead time. */
  tick(now: number): PulseAction[] {
    const out: PulseAction[] = [];
    if (now >= this.nextSend) {
      out.push(send(this.active ? HEARTBEAT_RUNNING_MAGIC : HEARTBEAT_STOPPED_MAGIC));
      this.nextSend = now + this.cfg.keepalive * 1000;
    }
    if (this.failbackDue(now)) {
      out.push({ kind: 'log', level: 'info', msg: 'failback: the backup has been active for deadtime; taking the addresses back' });
      out.push(...this.activate('failback'));
    }
    if (now - this.lastHeard >= this.cfg.deadtime * 1000 && !this.active && this.mayRun()) {
      out.push({ kind: 'log', level: 'warn', msg: 'partner dead: activating lvs', fields: { silent_s: Math.round((now - this.lastHeard) / 1000) } });
      out.push(...this.activate('partner dead'));
    }
    return out;
  }

  /** When tick() next has something to do (ms). */
  nextDeadline(): number {
    // The dead time matters only to a router that would activate on it (else: no busy wake-ups while active).
    const idle = !this.active && this.mayRun();
    const dead = idle ? this.lastHeard + this.cfg.deadtime * 1000 : Infinity;
    const back = idle && this.wantsFailback() ? this.runningSince! + this.cfg.deadtime * 1000 : Infinity;
    return Math.min(this.nextSend, dead, back);
  }

  state(): string {
    return `${this.cfg.role} ${this.active ? 'active' : 'inactive'}${this.linkFail ? ' (link failure)' : ''}${this.standby ? ' (standby)' : ''}`;
  }

  peer(): { heardAt: number | null; says: string | null; valid: number } {
    return { heardAt: this.valid ? this.lastHeard : null, says: this.says, valid: this.valid };
  }

  /** A datagram on heartbeat_port from `from`. */
  receive(from: number, data: Uint8Array, now: number): PulseAction[] {
    return this.heartbeat(from, data, now);
  }

  /** pulse sends nothing more when it stops (SIGTERM deactivates; the partner's dead time takes over). */
  stop(): PulseAction[] {
    return this.active ? this.deactivate('stopping') : [];
  }

  /** A datagram on heartbeat_port from `from`. */
  heartbeat(from: number, data: Uint8Array, now: number): PulseAction[] {
    if (!this.cfg.partner.includes(from)) return [{ kind: 'log', level: 'warn', msg: 'heartbeat from an unexpected source ignored', fields: { from: formatIPv4(from) } }];
    if (data.length !== 4) return [{ kind: 'log', level: 'warn', msg: 'bad heartbeat packet', fields: { from: formatIPv4(from), bytes: data.length } }];
    const magic = readMagic(data);
    if (magic !== HEARTBEAT_RUNNING_MAGIC && magic !== HEARTBEAT_STOPPED_MAGIC) {
      return [{ kind: 'log', level: 'warn', msg: 'Incompatible heartbeat received', fields: { from: formatIPv4(from), magic: `0x${magic.toString(16)}` } }];
    }
    this.lastHeard = now;
    this.valid++;
    this.says = magic === HEARTBEAT_RUNNING_MAGIC ? 'RUNNING' : 'STOPPED';
    if (magic === HEARTBEAT_RUNNING_MAGIC) {
      this.stoppedSince = null;
      this.runningSince ??= now;
      return this.partnerRunning();
    }
    this.runningSince = null;
    this.stoppedSince ??= now;
    return this.partnerStopped(now);
  }

  /** monitor_links: whether every link of this router is up. */
  links(up: boolean): PulseAction[] {
    if (!up && !this.linkFail) {
      this.linkFail = true;
      const out: PulseAction[] = [{ kind: 'log', level: 'warn', msg: 'Local NIC link failure: Pulse disabled' }];
      return this.active ? [...out, ...this.deactivate('link failure')] : out;
    }
    if (up && this.linkFail) {
      this.linkFail = false;
      this.runningSince = null;
      return [{ kind: 'log', level: 'info', msg: 'Local NIC link(s) restored' }];
    }
    return [];
  }

  /** An operator's maintenance switch: on, the router becomes (and stays) inactive. */
  setStandby(on: boolean): PulseAction[] {
    this.standby = on;
    // Failback counts its wait from the end of the maintenance, not from before it.
    this.runningSince = null;
    if (on && this.active) return this.deactivate('standby (operator)');
    return [{ kind: 'log', level: 'info', msg: on ? 'standby: staying inactive' : 'standby off: pulse rules again' }];
  }

  /** Both running: the backup stops, the primary claims its addresses again. */
  private partnerRunning(): PulseAction[] {
    if (!this.active) return [];
    if (this.cfg.role === 'backup') {
      // pulse sends one last heartbeat before it shuts its services down.
      return [...this.deactivate('partner active'), send(HEARTBEAT_STOPPED_MAGIC)];
    }
    return [{ kind: 'log', level: 'info', msg: 'partner active: resending arps' }, { kind: 'rearp', reason: 'partner active' }];
  }

  /** The partner says it is inactive: an inactive router starts (pulse.c, both roles). */
  private partnerStopped(now: number): PulseAction[] {
    if (this.active || !this.mayRun()) return [];
    if (this.cfg.role === 'backup' && now - this.stoppedSince! < (this.cfg.keepalive * 1000) / 2) return [];
    return this.activate(this.cfg.role === 'primary' ? 'backup inactive' : 'primary inactive');
  }

  private wantsFailback(): boolean {
    return !!this.cfg.failback && this.cfg.role === 'primary' && this.runningSince !== null;
  }

  /** An inactive primary with failback, hearing the backup run (and nothing else) for deadtime. */
  private failbackDue(now: number): boolean {
    return !this.active && this.mayRun() && this.wantsFailback() && now - this.runningSince! >= this.cfg.deadtime * 1000 && now - this.lastHeard < this.cfg.deadtime * 1000;
  }

  private mayRun(): boolean {
    return !this.linkFail && !this.standby;
  }

  private activate(reason: string): PulseAction[] {
    this.active = true;
    this.runningSince = null;
    // The partner learns at once: the next heartbeat is due now.
    this.nextSend = -Infinity;
    return [{ kind: 'activate', reason }];
  }

  private deactivate(reason: string): PulseAction[] {
    this.active = false;
    this.runningSince = null;
    this.nextSend = -Infinity;
    return [{ kind: 'deactivate', reason }];
  }
}

function send(magic: number): PulseAction {
  return { kind: 'send', bytes: heartbeatBytes(magic), what: magic === HEARTBEAT_RUNNING_MAGIC ? 'RUNNING' : 'STOPPED' };
}

/** The 4 bytes a heartbeat carries: the magic in x86 (little-endian) host order, as pulse writes it. */
export function heartbeatBytes(magic: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, magic >>> 0, true);
  return b;
}

/** Reads a heartbeat's magic; a big-endian pulse's bytes are accepted too (its magic reversed). */
function readMagic(data: Uint8Array): number {
  const v = new DataView(data.buffer, data.byteOffset, 4);
  const le = v.getUint32(0, true);
  if (le === HEARTBEAT_RUNNING_MAGIC || le === HEARTBEAT_STOPPED_MAGIC) return le;
  const be = v.getUint32(0, false);
  return be === HEARTBEAT_RUNNING_MAGIC || be === HEARTBEAT_STOPPED_MAGIC ? be : le;
}
