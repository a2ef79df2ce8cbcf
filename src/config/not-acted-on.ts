// Why each lvs.cf key that the service table does not use is not acted on (yet).
// compileLvsCf reports every such key that is present in the file, with its line,
// so nothing in a Piranha file is silently dropped.

export interface NotActedOn {
  readonly key: string;
  readonly line: number;
  readonly file: string;
  readonly why: string;
}

const PULSE = 'heartbeat and failover (pulse) are not built yet';
const NANNY = 'health checks (nanny) are not built yet';
const FOS = 'failover services (fos) are not run; tsvs runs service = lvs';
const SYNCD = 'the connection sync daemon is not built yet';

/**
 * Global keys that the table does not use. `service`, `network`, `nat_router`,
 * `nat_nmask`, the timeouts, the switches (conn_reuse_mode, expire_nodest_conn,
 * expire_quiescent_template), the mark rules (fwmark_rule, fwmark_rules_from) and
 * conn_capacity (read when an engine starts) are used.
 */
export const GLOBAL_NOT_ACTED_ON: Readonly<Record<string, string>> = {
  serial_no: 'only a revision number for the GUI',
  primary: PULSE,
  primary_private: PULSE,
  backup_active: PULSE,
  backup: PULSE,
  backup_private: PULSE,
  heartbeat: PULSE,
  heartbeat_port: PULSE,
  keepalive: PULSE,
  deadtime: PULSE,
  monitor_links: PULSE,
  active_cmd: PULSE,
  inactive_cmd: PULSE,
  primary_shared: FOS,
  backup_shared: FOS,
  reservation_conflict_action: FOS,
  debug_level: 'unused, as in Piranha',
  rsh_command: 'file sync and the uptime load monitor are not built yet',
  sync: 'config file sync is not built yet',
  ipvsadm: 'tsvs keeps its own table; no ipvsadm binary is run',
  hard_shutdown: "lvsd's reaction to a dead nanny; health checks are not built yet",
  syncdaemon: SYNCD,
  syncd_iface: SYNCD,
  syncd_id: SYNCD,
};

/** Keys of an active virtual server that the table does not use. */
export const VIRTUAL_NOT_ACTED_ON: Readonly<Record<string, string>> = {
  send: NANNY,
  expect: NANNY,
  use_regex: NANNY,
  send_program: NANNY,
  load_monitor: NANNY,
  timeout: NANNY,
  reentry: NANNY,
  quiesce_server: NANNY,
  client_monitor: NANNY,
  sorry_server: 'the sorry server (lvsd) is not built yet',
  start_cmd: 'failover-service (fos) key; not used in a virtual server',
  stop_cmd: 'failover-service (fos) key; not used in a virtual server',
  master: 'failover-service (fos) key; not used in a virtual server',
  dirs: 'failover-service (fos) key; not used in a virtual server',
};

export const NOT_NAT = 'only used with network = nat';
export const PMASK_WITHOUT_PERSISTENCE = 'pmask only matters with persistent > 0';
export const FWMARK_PORT = 'for a firewall-mark virtual server the port is only the health-check port (nanny)';
export const FAILOVER_BLOCK = 'failover services (fos) are not run with service = lvs';

export function inactiveWhy(explicit: boolean): string {
  return explicit ? 'active = 0: left out of the table' : "no active = 1 (Piranha's default is 0): left out of the table";
}
