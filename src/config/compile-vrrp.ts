// `failover = vrrp`: VRRP (v2 RFC 3768, v3 RFC 5798) as keepalived speaks it
// elects the active router instead of pulse's heartbeat, so that a tsvs router
// can pair with a keepalived one. The pair is still named by primary and backup
// (this router's role, and so its priority, comes from which of the two
// addresses it has); the takeover (VIPs, NAT router address, gratuitous ARPs,
// active_cmd / inactive_cmd, sync master/backup) is pulse's. Keys, as
// keepalived's vrrp_instance names them:
//
// | key                  | type / default          | keepalived                                 |
// |----------------------|-------------------------|--------------------------------------------|
// | vrrp_id              | 1-255, required         | virtual_router_id                          |
// | vrrp_priority        | 1-255, 150              | priority (the primary's; 255: the owner,   |
// |                      |                         | master at once)                            |
// | vrrp_backup_priority | 1-255, 100              | priority (the backup's)                    |
// | vrrp_advert_int      | seconds, 1              | advert_int (v3: to 0.01 s)                 |
// | vrrp_version         | 2 or 3, 2               | vrrp_version (keepalived's default is 2)   |
// | vrrp_preempt         | 0/1, 1                  | 0 is nopreempt                             |
// | vrrp_preempt_delay   | 0-1000 s, 0             | preempt_delay                              |
// | vrrp_interface       | device, the public one  | interface                                  |
// | vrrp_src_ip          | address, the public one | unicast_src_ip / mcast_src_ip              |
// | vrrp_unicast_peer    | address, repeatable     | unicast_peer { } (none: 224.0.0.18)        |
// | vrrp_auth_pass       | 1-8 chars, v2 only      | authentication { auth_type PASS auth_pass }|
//
// The adverts carry every VIP and the NAT router address (keepalived's
// virtual_ipaddress); keepalived only logs a list that differs from its own.
// heartbeat_port and keepalive still time pulse's heartbeat, kept as a beacon
// that decides nothing; deadtime and failback are VRRP's business.
import { findKey, type LvsConfig } from './ast.js';
import type { ConfigErrorCode } from './errors.js';
import type { GlobalSettings } from './keys.js';

export interface VrrpLvsSettings {
  /** The device VRRP runs on (multicast join, bind); null: the device of this router's public address. */
  interface: string | null;
  vrid: number;
  /** The primary's priority and the backup's. */
  priority: number;
  backupPriority: number;
  /** advert_int in ms. */
  advertInt: number;
  version: 2 | 3;
  preempt: boolean;
  /** preempt_delay in ms. */
  preemptDelay: number;
  unicastPeers: number[];
  /** The adverts' source; null: this router's public address (primary or backup). */
  srcIp: number | null;
  authPass: string | null;
  /** The addresses the adverts list: the VIPs and the NAT router address. */
  virtualAddresses: number[];
}

export const VRRP_KEYS = [
  'vrrp_interface', 'vrrp_id', 'vrrp_priority', 'vrrp_backup_priority', 'vrrp_advert_int', 'vrrp_version',
  'vrrp_preempt', 'vrrp_preempt_delay', 'vrrp_unicast_peer', 'vrrp_src_ip', 'vrrp_auth_pass',
] as const;
/**
 * pulse's keys that VRRP replaces. monitor_links, active_cmd and inactive_cmd still
 * apply, and heartbeat_port and keepalive time the heartbeat kept beside VRRP as a
 * presence beacon (router/failover.ts: it tells a master its partner came back).
 */
export const PULSE_ONLY_KEYS = ['deadtime', 'failback'] as const;
export const NOT_VRRP = 'failover = pulse: the VRRP keys apply with failover = vrrp only';
export const NOT_PULSE = 'failover = vrrp: VRRP\'s advert_int and master-down timer elect the active router (pulse\'s heartbeat is only a presence beacon)';

type Fail = (line: number, code: ConfigErrorCode, message: string) => void;

/** The VRRP settings when failover = vrrp, else null; every problem goes to fail() with its line. */
export function compileVrrp(cfg: LvsConfig, g: GlobalSettings, vips: number[], fail: Fail): VrrpLvsSettings | null {
  if (g.failover !== 'vrrp') return null;
  const line = (key: string): number => findKey(cfg.items, key)?.line ?? findKey(cfg.items, 'failover')!.line;
  if (!g.backup_active) fail(line('failover'), 'MISSINGKEY', 'failover = vrrp needs backup_active = 1 with primary and backup (the pair VRRP elects from)');
  if (g.vrrp_id === null) fail(line('failover'), 'MISSINGKEY', 'failover = vrrp needs vrrp_id = the virtual router id (1-255) shared with the partner');
  const version = g.vrrp_version as 2 | 3;
  const advertInt = advertMs(g.vrrp_advert_int, version);
  if (typeof advertInt === 'string') fail(line('vrrp_advert_int'), 'RANGE', `vrrp_advert_int = ${g.vrrp_advert_int}: ${advertInt}`);
  if (g.vrrp_auth_pass !== null && version !== 2) fail(line('vrrp_auth_pass'), 'CONFLICT', 'vrrp_auth_pass: VRRPv3 has no authentication (RFC 5798); set vrrp_version = 2 or remove it');
  if (g.vrrp_auth_pass === '') fail(line('vrrp_auth_pass'), 'RANGE', 'vrrp_auth_pass: 1-8 characters');
  if (vips.length > 255) fail(line('failover'), 'RANGE', `an advert lists at most 255 addresses; this file has ${vips.length} VIPs and NAT router addresses`);
  if (g.vrrp_id === null || typeof advertInt === 'string') return null;
  return {
    interface: g.vrrp_interface,
    vrid: g.vrrp_id,
    priority: g.vrrp_priority,
    backupPriority: g.vrrp_backup_priority,
    advertInt,
    version,
    preempt: g.vrrp_preempt,
    preemptDelay: g.vrrp_preempt_delay * 1000,
    unicastPeers: [...g.vrrp_unicast_peer],
    srcIp: g.vrrp_src_ip,
    authPass: g.vrrp_auth_pass,
    virtualAddresses: [...new Set(vips)],
  };
}

/** advert_int in ms, or why not: v2 carries whole seconds (1-255), v3 centiseconds (0.01-40.95 s). */
function advertMs(text: string, version: 2 | 3): number | string {
  if (!/^\d+(\.\d+)?$/.test(text)) return 'seconds expected (e.g. 1 or 0.5)';
  const ms = Math.round(Number(text) * 1000);
  if (version === 2) return ms % 1000 === 0 && ms >= 1000 && ms <= 255_000 ? ms : 'VRRPv2 needs whole seconds, 1-255';
  return ms % 10 === 0 && ms >= 10 && ms <= 40_950 ? ms : 'VRRPv3 needs 0.01-40.95 seconds in steps of 0.01';
}
