// What pulse reads from lvs.cf: the two routers' addresses, the heartbeat's port
// and timing, the commands run on a change of state and monitor_links. pulse
// sends heartbeats only when `backup_active = 1` (a backup router exists); without
// it the router runs alone and is active, as tsvs always was, and these keys are
// reported as not acted on. Host names are kept as written: the router resolves
// them when it starts (pulse called gethostbyname()).
import { findKey, type LvsConfig } from './ast.js';
import type { ConfigSyncSettings, HaAuth } from './compile-auth.js';
import type { ConfigErrorCode } from './errors.js';
import type { GlobalSettings } from './keys.js';
import type { VrrpLvsSettings } from './compile-vrrp.js';

export interface FailoverSettings {
  primary: string;
  primaryPrivate: string | null;
  backup: string;
  backupPrivate: string | null;
  /** heartbeat_port (UDP, 539). */
  port: number;
  /** Seconds between heartbeats; seconds of silence before the partner is dead. */
  keepalive: number;
  deadtime: number;
  activeCmd: string | null;
  inactiveCmd: string | null;
  monitorLinks: boolean;
  /** tsvs's `failback = 1`: a primary that hears an active backup takes over after deadtime (pulse never did). */
  failback: boolean;
  /** ha_key_file: heartbeats carry an HMAC and a counter (compile-auth.ts); null: pulse's 4 bytes. */
  auth: HaAuth | null;
  /** config_sync = 1: lvs.cf goes to the partner when serial_no grows; null: copied by hand. */
  configSync: ConfigSyncSettings | null;
  /** failover = vrrp: VRRP elects the active router (compile-vrrp.ts); null: pulse. */
  vrrp: VrrpLvsSettings | null;
}

/** The global keys that only pulse uses. */
export const PULSE_KEYS = [
  'primary', 'primary_private', 'backup_active', 'backup', 'backup_private', 'heartbeat', 'heartbeat_port',
  'keepalive', 'deadtime', 'monitor_links', 'active_cmd', 'inactive_cmd', 'failback',
] as const;

export const NO_BACKUP = 'backup_active = 0: no backup router, so no heartbeat; this router is always active (as pulse)';

type Fail = (line: number, code: ConfigErrorCode, message: string) => void;

/** The failover settings when backup_active = 1, else null; every inconsistency goes to fail() with its line. */
export function compileFailover(cfg: LvsConfig, g: GlobalSettings, fail: Fail): FailoverSettings | null {
  if (!g.backup_active) return null;
  const line = (key: string): number => findKey(cfg.items, key)?.line ?? findKey(cfg.items, 'backup_active')!.line;
  if (!g.primary) fail(line('backup_active'), 'MISSINGKEY', 'backup_active = 1 needs primary = the primary router\'s public address');
  if (!g.backup) fail(line('backup_active'), 'MISSINGKEY', 'backup_active = 1 needs backup = the backup router\'s public address');
  const all = [g.primary, g.primary_private, g.backup, g.backup_private].filter((a): a is string => !!a);
  if (new Set(all).size !== all.length) fail(line('backup'), 'CONFLICT', `the routers' addresses must differ (primary ${g.primary}, backup ${g.backup}${g.primary_private ? `, primary_private ${g.primary_private}` : ''}${g.backup_private ? `, backup_private ${g.backup_private}` : ''})`);
  if (g.keepalive < 1) fail(line('keepalive'), 'RANGE', `keepalive = ${g.keepalive}: heartbeats need at least 1 second between them`);
  if (g.deadtime <= g.keepalive) {
    fail(line('deadtime'), 'RANGE', `deadtime = ${g.deadtime} must be longer than keepalive = ${g.keepalive}, or the partner is declared dead between two heartbeats`);
  }
  if (!g.primary || !g.backup) return null;
  return {
    primary: g.primary,
    primaryPrivate: g.primary_private,
    backup: g.backup,
    backupPrivate: g.backup_private,
    port: g.heartbeat_port,
    keepalive: g.keepalive,
    deadtime: g.deadtime,
    activeCmd: g.active_cmd,
    inactiveCmd: g.inactive_cmd,
    monitorLinks: g.monitor_links,
    failback: g.failback,
    // compile.ts fills these in (compile-auth.ts reads the key file).
    auth: null,
    configSync: null,
    vrrp: null,
  };
}
