// Reads and compiles an lvs.cf for the commands that run the engine on it.
import { readConfigText, readWhy } from '../config/read-file.js';
import { compileLvsCf } from '../config/compile.js';
import { parseLvsCf } from '../config/lvscf-parse.js';
import { globalSettings } from '../config/ast.js';
import type { FailoverSettings } from '../config/compile-failover.js';
import type { SyncSettings } from '../config/compile-sync.js';
import type { HealthConfig } from '../health/types.js';
import type { ServiceTable } from '../model/index.js';

export interface LoadedConfig {
  table: ServiceTable;
  notes: string[];
  /** lvs.cf conn_capacity (default 1048576). */
  connCapacity: number;
  /** The health checks lvs.cf asks for. */
  health: HealthConfig;
  /** pulse's settings (backup_active = 1), or null: no backup router. */
  failover: FailoverSettings | null;
  /** The sync daemon's settings (syncdaemon = 1), or null. */
  sync: SyncSettings | null;
  /** The file as read, and its serial_no (config sync sends it to the partner). */
  text: string;
  serial: number;
}

/** Throws an Error whose message lists every problem as file:line: CODE: message. */
export function loadConfig(path: string): LoadedConfig {
  let text: string;
  try {
    text = readConfigText(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${readWhy(e)}`);
  }
  const cfg = parseLvsCf(text, path);
  const { table, notActedOn, connCapacity, health, failover, sync } = compileLvsCf(cfg);
  return { table, connCapacity, health, failover, sync, text, serial: globalSettings(cfg).serial_no, notes: notActedOn.map((n) => `${n.file}:${n.line}: ${n.key}: ${n.why}`) };
}
