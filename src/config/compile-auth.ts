// tsvs's authenticated heartbeat, sync and config sync (none in Piranha or IPVS):
// `ha_key_file = PATH` names a file holding the two routers' shared secret
// (the secret stays out of lvs.cf, which the web tool shows and config sync
// copies); with it heartbeats and sync messages carry an HMAC and a counter
// (ha/auth.ts). `config_sync = 1` makes the active router send its lvs.cf to
// the partner when serial_no grows, over TCP on `config_sync_port` (default
// heartbeat_port + 1), and needs the key: a router only takes a new lvs.cf from
// a partner that proves it holds it.
import { findKey, type LvsConfig } from './ast.js';
import { importPath, type CompileOptions } from './compile-marks.js';
import type { ConfigErrorCode } from './errors.js';
import type { GlobalSettings } from './keys.js';
import { readConfigFileStat } from './read-file.js';

export interface HaAuth {
  /** The path as resolved (relative ones against the lvs.cf's directory). */
  keyFile: string;
  key: Uint8Array;
}

export interface ConfigSyncSettings {
  /** TCP port the partner's config sync listens on (and this router's). */
  port: number;
}

/** 128 bits: the tag's own strength (ha/auth.ts); a shorter secret would be the weak part. */
export const HA_KEY_MIN_BYTES = 16;

export const CONFIG_SYNC_KEYS = ['config_sync', 'config_sync_port'] as const;
export const NO_AUTH_USE = 'neither backup_active nor syncdaemon is on: there is nothing to authenticate';
export const NO_CONFIG_SYNC = 'config_sync = 0: lvs.cf is copied to the partner by hand (README: copying lvs.cf to the backup)';

type Fail = (line: number, code: ConfigErrorCode, message: string) => void;
type Note = (key: string, line: number, why: string) => void;

const readSecret = (path: string): { bytes: Uint8Array; mode: number } => readConfigFileStat(path);

/** The key when ha_key_file is set and something uses it; errors (unreadable, world-readable, too short) go to fail(). */
export function compileAuth(cfg: LvsConfig, g: GlobalSettings, opts: CompileOptions, fail: Fail, note: Note): HaAuth | null {
  const at = findKey(cfg.items, 'ha_key_file');
  if (!at || !g.ha_key_file) return null;
  if (!g.backup_active && !g.syncdaemon) {
    note('ha_key_file', at.line, NO_AUTH_USE);
    return null;
  }
  const path = importPath(cfg.file, g.ha_key_file);
  let got;
  try {
    got = (opts.readSecret ?? readSecret)(path);
  } catch (e) {
    fail(at.line, 'READ', `ha_key_file: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    return null;
  }
  // The key is as good as its file's permissions: any user who reads it can forge heartbeats.
  if (got.mode & 0o006) {
    fail(at.line, 'INSECURE', `ha_key_file ${path} is ${got.mode & 0o004 ? 'readable' : 'writable'} by every user (mode ${(got.mode & 0o777).toString(8).padStart(4, '0')}); chmod 600 it`);
    return null;
  }
  const key = trim(got.bytes);
  if (key.length < HA_KEY_MIN_BYTES) {
    fail(at.line, 'RANGE', `ha_key_file ${path} holds ${key.length} bytes; the key needs at least ${HA_KEY_MIN_BYTES} (e.g. head -c 32 /dev/urandom | base64 > ${path})`);
    return null;
  }
  return { keyFile: path, key };
}

/** config_sync's settings with backup_active = 1 (without it, compile.ts notes the keys as pulse's). */
export function compileConfigSync(cfg: LvsConfig, g: GlobalSettings, auth: HaAuth | null, fail: Fail, note: Note): ConfigSyncSettings | null {
  if (!g.backup_active) return null;
  const on = findKey(cfg.items, 'config_sync');
  const port = findKey(cfg.items, 'config_sync_port');
  if (!g.config_sync) {
    if (port) note('config_sync_port', port.line, NO_CONFIG_SYNC);
    return null;
  }
  if (!g.ha_key_file) {
    fail(on!.line, 'MISSINGKEY', 'config_sync = 1 needs ha_key_file: a router only takes lvs.cf from a partner that proves it holds the shared key');
    return null;
  }
  const p = g.config_sync_port ?? g.heartbeat_port + 1;
  if (p < 1 || p > 65535) fail((port ?? on)!.line, 'RANGE', `config_sync_port ${p} is not a TCP port (1-65535)${port ? '' : '; heartbeat_port + 1 is the default, set config_sync_port'}`);
  return auth ? { port: p } : null;
}

/** The file's bytes without the whitespace an editor or `echo` adds around them (both routers trim alike). */
function trim(b: Uint8Array): Uint8Array {
  const ws = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
  let s = 0, e = b.length;
  while (s < e && ws(b[s])) s++;
  while (e > s && ws(b[e - 1])) e--;
  return Uint8Array.from(b.subarray(s, e));
}
