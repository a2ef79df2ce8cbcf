// Why each lvs.cf key that neither the service table nor the health checks use is not acted on (yet).
// compileLvsCf reports every such key that is present in the file, with its line,
// so nothing in a Piranha file is silently dropped.

export interface NotActedOn {
  readonly key: string;
  readonly line: number;
  readonly file: string;
  readonly why: string;
}

const FOS = 'failover services (fos) are not run; tsvs runs service = lvs';

/**
 * Global keys that the table does not use. `service`, `network`, `nat_router`,
 * `nat_nmask`, the timeouts, the switches (conn_reuse_mode, expire_nodest_conn,
 * expire_quiescent_template, sloppy_tcp), the mark rules (fwmark_rule, fwmark_rules_from),
 * conn_capacity (read when an engine starts) and hard_shutdown (health) are used;
 * pulse's keys (compile-failover.ts) are used when backup_active = 1, the sync
 * daemon's (compile-sync.ts) when syncdaemon = 1, ha_key_file, config_sync and
 * config_sync_port (compile-auth.ts) when something uses them.
 */
export const GLOBAL_NOT_ACTED_ON: Readonly<Record<string, string>> = {
  serial_no: 'only a revision number for the GUI',
  primary_shared: FOS,
  backup_shared: FOS,
  reservation_conflict_action: FOS,
  debug_level: 'unused, as in Piranha',
  rsh_command: 'Piranha\'s rsh file sync is not run (config_sync = 1 sends lvs.cf itself); the uptime load monitor uses it',
  sync: 'Piranha\'s rsh file sync is not run; tsvs\'s config_sync = 1 (with ha_key_file) sends lvs.cf to the partner',
  ipvsadm: 'tsvs keeps its own table; no ipvsadm binary is run',
};

/**
 * Keys of an active virtual server that neither the table nor its health checks
 * use. send, expect, use_regex, send_program, timeout, reentry, quiesce_server,
 * sorry_server and the check keys go to compileLvsCf's `health` (compile-health.ts
 * notes those that a file makes useless, such as send beside send_program).
 */
export const VIRTUAL_NOT_ACTED_ON: Readonly<Record<string, string>> = {
  client_monitor: 'tsvs checks the servers itself; no nanny program is started',
  start_cmd: 'failover-service (fos) key; not used in a virtual server',
  stop_cmd: 'failover-service (fos) key; not used in a virtual server',
  master: 'failover-service (fos) key; not used in a virtual server',
  dirs: 'failover-service (fos) key; not used in a virtual server',
};

export const NOT_NAT = 'only used with network = nat';
export const PMASK_WITHOUT_PERSISTENCE = 'pmask only matters with persistent > 0';
export const FWMARK_PORT = "for a firewall-mark virtual server the port is only the health checks' port; packets match by mark";
export const FAILOVER_BLOCK = 'failover services (fos) are not run with service = lvs';

export function inactiveWhy(explicit: boolean): string {
  return explicit ? 'active = 0: left out of the table' : "no active = 1 (Piranha's default is 0): left out of the table";
}
