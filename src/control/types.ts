// The control API's JSON, version 1: what `GET /v1/...` answers and what the
// change endpoints take. `tsvs admin` (ipvsadm), `tsvs top`, the metrics
// endpoint and the web tool all read these shapes and nothing else, so they are
// plain data: addresses as text, counters as numbers.

/** IPVS's per-service, per-server and total counters (struct ip_vs_stats_user). */
export interface StatsView {
  /** Connections scheduled. */
  conns: number;
  inPkts: number;
  outPkts: number;
  inBytes: number;
  outBytes: number;
}

/** The kernel estimator's rates (ip_vs_est.c): per second, smoothed over 2 s periods. */
export interface RatesView {
  cps: number;
  inPps: number;
  outPps: number;
  /** Bytes per second, as the kernel's inbps/outbps are. */
  inBps: number;
  outBps: number;
}

export type ForwardName = 'nat' | 'dr' | 'tunnel';

export interface ServerView {
  name: string;
  /** Dotted quad, or IPv6 text (RFC 5952, no brackets). */
  address: string;
  /** 0 = the packet's own destination port (firewall-mark services). */
  port: number;
  forward: ForwardName;
  /** The weight the running table uses (after health verdicts). */
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  /** Tunnel servers: the encapsulation, GUE's port (0 otherwise) and the checksum mode. */
  tunnelType?: 'ipip' | 'gue' | 'gre';
  tunnelPort?: number;
  tunnelCsum?: 'none' | 'csum' | 'remcsum';
  activeConns: number;
  inactiveConns: number;
  /** Persistence templates bound to this server (ipvsadm --persistent-conn). */
  persistConns: number;
  stats: StatsView;
  rates: RatesView;
}

export interface ServiceView {
  /** The service's id in URLs: `tcp-198.18.0.10-80`, `tcp-2001:db8::10-80`, `udp-...`, `fwm-1`, `fwm-1-6` (IPv6 marks). */
  id: string;
  /** lvs.cf's `virtual NAME`, or the id for a service added at run time. */
  name: string;
  protocol: 'tcp' | 'udp';
  /** Dotted quad, or IPv6 text (RFC 5952, no brackets); "0.0.0.0" for a firewall-mark service ("::" for an IPv6 one). */
  address: string;
  /** Present for an IPv6 service (an IPv6 VIP, or -f MARK -6). */
  ipv6?: true;
  /** 0 for a firewall-mark service, or a persistent port-zero service. */
  port: number;
  fwmark: number;
  scheduler: string;
  /** ipvsadm -b names as given (sh-fallback, flag-1, ...). */
  schedFlags: string[];
  /** Persistence timeout in seconds; 0 = not persistent. */
  persistence: number;
  /** Persistence netmask, dotted ("255.255.255.255" when not set); for IPv6 a prefix length ("128" when not set). */
  persistMask: string;
  onePacket: boolean;
  stats: StatsView;
  rates: RatesView;
  /** IPVS list order: the most recently added server first. */
  servers: ServerView[];
}

export interface TableView {
  /** The table version running in the data plane. */
  version: number;
  /** In the order they were added (IPVS lists by hash; clients sort as ipvsadm does). */
  services: ServiceView[];
  /** Totals over every service (ip_vs_stats). */
  stats: StatsView;
  rates: RatesView;
  /** The connection hash size ipvsadm's title prints (`size=4096`). */
  connTabSize: number;
}

/** Effective connection timeouts in seconds (`ipvsadm -L --timeout`). */
export interface TimeoutsView {
  tcp: number;
  tcpfin: number;
  udp: number;
}

/** One row of the connection table, as /proc/net/ip_vs_conn gives it to `ipvsadm -L -c`. */
export interface ConnView {
  /** "TCP", "UDP", or "IP" for a firewall-mark persistence template. */
  protocol: string;
  /**
   * client, virtual and dest are text: a dotted quad, or for an IPv6 connection
   * its RFC 5952 text without brackets (what ipvsadm's inet_ntop gives); the
   * listings add the brackets (`[2001:db8::2]:80`).
   */
  client: string;
  clientPort: number;
  /** For a firewall-mark template: the mark, written as an address (mark 1 = 0.0.0.1), as the kernel prints it. */
  virtual: string;
  virtualPort: number;
  dest: string;
  destPort: number;
  /** ESTABLISHED, SYN_RECV, ..., "UDP" for UDP, "NONE" for templates. */
  state: string;
  /** Seconds until it expires (rounded down). */
  expires: number;
  template: boolean;
  forward: ForwardName;
}

export interface ConnPage {
  /** Connections and templates in the table now. */
  total: number;
  offset: number;
  conns: ConnView[];
}

/** Where the router's control API listens unless told otherwise. */
export const DEFAULT_SOCKET = '/run/tsvs/tsvs.sock';

// ---- Changes ----

/**
 * A service as ipvsadm names it: -t/-u ADDR:PORT (ADDR IPv4, or IPv6 text with
 * or without brackets), or -f MARK (`ipv6: true` for -f MARK -6).
 */
export type ServiceSelector = { protocol: 'tcp' | 'udp'; address: string; port: number } | { fwmark: number; ipv6?: boolean };

/** A real server of a service: -r ADDR[:PORT]; `address` is IPv4 or IPv6 text (brackets allowed). */
export interface ServerSelector {
  address: string;
  port: number;
}

/** Service settings. On add, absent fields take ipvsadm's defaults; on edit, absent fields are kept. */
export interface ServiceSettings {
  scheduler?: string;
  schedFlags?: string[];
  /** Seconds; 0 turns persistence off. */
  persistence?: number;
  /** Dotted netmask or prefix length. */
  persistMask?: string;
  onePacket?: boolean;
  /** ipvsadm --pe; tsvs has no persistence engines, so any name is refused as the kernel refuses an unknown one. */
  persistenceEngine?: string;
}

/** Real-server settings. On add, absent fields take ipvsadm's defaults (-g, -w 1); on edit, absent fields are kept. */
export interface ServerSettings {
  forward?: ForwardName;
  weight?: number;
  upperThreshold?: number;
  lowerThreshold?: number;
  /** --tun-type (ipip when absent on add). */
  tunnelType?: 'ipip' | 'gue' | 'gre';
  /** --tun-port: GUE's UDP destination port (required for gue, refused for the others). */
  tunnelPort?: number;
  /** --tun-nocsum / --tun-csum / --tun-remcsum (none when absent on add; remcsum is GUE only). */
  tunnelCsum?: 'none' | 'csum' | 'remcsum';
}

/** One change to the running table. A list of them is applied atomically, as one table version. */
export type Op =
  | ({ op: 'add-service'; service: ServiceSelector } & ServiceSettings)
  | ({ op: 'edit-service'; service: ServiceSelector } & ServiceSettings)
  | { op: 'delete-service'; service: ServiceSelector }
  | { op: 'clear' }
  | ({ op: 'add-server'; service: ServiceSelector; server: ServerSelector } & ServerSettings)
  | ({ op: 'edit-server'; service: ServiceSelector; server: ServerSelector } & ServerSettings)
  | { op: 'delete-server'; service: ServiceSelector; server: ServerSelector }
  /** Zeroes the counters (and rates) of one service, or of everything. */
  | { op: 'zero'; service?: ServiceSelector }
  /** ipvsadm --set: 0 keeps a value as it is. */
  | { op: 'set-timeouts'; tcp: number; tcpfin: number; udp: number };

/**
 * Why a change was refused. The codes are the errno values the kernel gives
 * ipvsadm for the same mistake, so `tsvs admin` prints ipvsadm's message
 * (libipvs ipvs_strerror): EEXIST "Service already exists", ESRCH "No such
 * service", ENOENT "No such destination" or "Scheduler or persistence engine
 * not found", EINVAL for a value the model refuses, EPERM for a client that is
 * not root, EAFNOSUPPORT for IPv6 (not built yet), ENOPROTOOPT for SCTP.
 */
export interface ApiError {
  code: string;
  message: string;
  /** Which op of a list failed (0-based), when it was a list. */
  index?: number;
}

/** The answer to a change: the table version it produced. */
export interface ChangeResult {
  version: number;
  /** What was done, one line each (also logged). */
  done: string[];
  /** Accepted but worth knowing. */
  warnings: string[];
}

// ---- The daemon and its data plane ----

/** One data-plane worker's own frames and connections. */
export interface WorkerShareView {
  rxFrames: number;
  txFrames: number;
  connsCreated: number;
  conns: number;
}

/** Counters of the data plane (read from shared memory without stopping it). */
export interface DataPlaneView {
  rxFrames: number;
  txFrames: number;
  connsCreated: number;
  /** Every drop reason by name (engine/counters.ts), zeros included. */
  drops: Record<string, number>;
  /** Every pass reason by name. */
  passes: Record<string, number>;
  /** Connections and templates in the table, and its capacity. */
  conns: number;
  connCapacity: number;
  /** Batches processed, and their sizes and times as cumulative histograms (Prometheus buckets). */
  batches: number;
  batchFrames: Histogram;
  batchMicros: Histogram;
  /**
   * Each step of a table change the data plane's loop took in one go between
   * batches (forwarding waits for it), and each garbage collection pause of its
   * thread, in microseconds. Absent from a router that does not publish them.
   */
  stepMicros?: Histogram;
  gcMicros?: Histogram;
  /** SYN flood defences (engine/defense.ts): event counts and levels now, by name without `defense_`. */
  defense: Record<string, number>;
  /** The SYN proxy (engine/syn-proxy.ts): cookies_sent, acks_valid, acks_invalid, conns, held, on; by name without `synproxy_`. */
  synproxy?: Record<string, number>;
  /**
   * Answers written in place of a dropped frame (engine/replies.ts), sent and held
   * back by the rate limit: tcp_resets_sent, tcp_resets_rate_limited,
   * icmp_frag_needed_sent, icmp_frag_needed_rate_limited.
   */
  replies?: Record<string, number>;
  /** The FTP helper (engine/ftp/): replies_rewritten, data_conns, no_room, by name without `ftp_`. */
  ftp?: Record<string, number>;
  /** Frames held for a next hop being resolved (engine/unresolved.ts), and sent when it answered: held, sent. */
  nextHop?: { held: number; sent: number };
  /** LVS-TUN: frames sent into a tunnel (segments counted one by one), and GSO super-frames the router cut into them (engine/tunnel-gso.ts). */
  tunnel?: { sent: number; gsoCut: number };
  /** Datagrams with DF clear over the egress MTU that the router fragmented, and the fragments sent for them (engine/fragment-out.ts). */
  fragmented?: { datagrams: number; fragments: number };
  /** IPv6 (engine/ipv6.ts): frames seen, Neighbor Advertisements answering solicitations, echo replies, Packet Too Big sent. */
  ipv6?: { frames: number; ndpAdverts: number; echoReplies: number; tooBig: number };
  /** The packet backend's losses below the engine, by PORT_COUNTER_NAMES (ring_drops, truncated, oversize, tx_unsent, tx_errors, tx_waits, if_rx_dropped, if_tx_dropped). */
  backend?: Record<string, number>;
  /** With several data-plane workers (tsvs start --workers N): each one's share; every other figure here is their sum. */
  workers?: WorkerShareView[];
}

export interface Histogram {
  /** Upper bounds, ascending; the last bucket (+Inf) is `count`. */
  le: number[];
  /** Cumulative counts per bound. */
  counts: number[];
  count: number;
  sum: number;
}

export interface ReloadView {
  /** When (ms since the epoch), whether it was applied, and the version it produced. */
  at: number;
  ok: boolean;
  version: number;
  /** SIGHUP, the API (with the client's uid), or start. */
  trigger: string;
  /** On failure, every problem as file:line: CODE: message. */
  errors: string[];
  /** lvs.cf keys present but not acted on yet. */
  notes: string[];
  /** Runtime changes (tsvs admin, the API) that the re-read lvs.cf replaced. */
  discarded: string[];
}

export interface StatusView {
  pid: number;
  /** Seconds since the router started. */
  uptime: number;
  config: string;
  version: number;
  /** Component name -> running | stopped | failed (with why). */
  components: Record<string, string>;
  backend: string;
  devices: string[];
  reloads: { ok: number; failed: number; last: ReloadView | null };
  /** pulse's heartbeat and this router's part (lvs.cf backup_active = 1); null: no backup router, always active. */
  failover: FailoverView | null;
  /** The IPVS sync daemon (lvs.cf syncdaemon = 1); null: off. */
  sync: SyncView | null;
  /** Config sync (lvs.cf config_sync = 1); null: off. */
  configSync?: ConfigSyncView | null;
  /** Errors after start-up that the router counted, logged once and went on from, by component (e.g. stats-file). */
  errors?: Record<string, number>;
}

/** The sync daemon: its role now (master while active, backup while not), where, and its counters. */
export interface SyncView {
  role: 'master' | 'backup' | 'both';
  iface: string;
  syncid: number;
  version: 0 | 1;
  /** Master: connections and messages sent, connections lost to a full queue, and whole-table sends to a partner that came back. */
  sent: { conns: number; messages: number; queueDrops: number; resyncs: number };
  /**
   * Backup: messages taken, connections created or updated, skipped (unknown
   * service, an old message, given up waiting), waiting now for a real server the
   * table lacks (one the checks have not admitted yet), and bad messages.
   */
  received: { messages: number; conns: number; skipped: number; waiting: number; bad: number };
  /** ha_key_file: messages that opened and those dropped, by reason; null: plain IPVS messages. */
  auth: AuthCounts | null;
}

/** The failover component (GET /v1/failover): pulse's role, state and heartbeat. */
export interface FailoverView {
  role: 'primary' | 'backup';
  /** "primary active", "backup inactive (link failure)", ... */
  state: string;
  /** Whether this router answers for the VIPs and the NAT router address. */
  active: boolean;
  /** The partner's addresses the heartbeat goes to (public, then private). */
  partner: string[];
  port: number;
  keepalive: number;
  deadtime: number;
  /** Seconds since the partner was last heard; null: never heard. */
  lastHeard: number | null;
  /** What the partner said last: RUNNING (it is active) or STOPPED. */
  partnerSays: string | null;
  /** The operator's maintenance switch (POST /v1/failover {"standby": true}). */
  standby: boolean;
  /** monitor_links: each monitored device and whether its link is up. */
  links: Record<string, boolean>;
  /** Changes of state since start; when the last one was (ms since the epoch) and why. */
  transitions: number;
  since: number;
  reason: string;
  heartbeats: { sent: number; received: number; ignored: number; sendErrors: number };
  /**
   * ha_key_file: heartbeats that opened (ok) and those dropped: without the envelope
   * (unauthenticated), with a bad tag or sender (forged), or a counter already seen (replayed). null: no key.
   */
  auth: AuthCounts | null;
  /** failover = vrrp: the instance and keepalived's statistics; absent or null under pulse. */
  vrrp?: VrrpView | null;
}

/** A VRRP instance as the status shows it (state, partnerSays: the master heard, in FailoverView). */
export interface VrrpView {
  version: 2 | 3;
  vrid: number;
  /** This router's priority (vrrp_priority or vrrp_backup_priority by its role). */
  priority: number;
  /** Seconds. */
  advertInt: number;
  preempt: boolean;
  preemptDelay: number;
  interface: string;
  /** The adverts' source address. */
  address: string;
  /** Where adverts go: 224.0.0.18, or the unicast peers. */
  peers: string[];
  /** v2 auth_type PASS. */
  auth: boolean;
  /** keepalived's vrrp_stats names: advert_rcvd, advert_sent, become_master, ... and each drop reason. */
  stats: Record<string, number>;
  /** pulse's heartbeat as a presence beacon between two tsvs routers (it decides nothing): sent, received, seconds since heard (null: never). */
  beacon: { sent: number; received: number; lastHeard: number | null };
}

/** Config sync (lvs.cf config_sync = 1): what this router sent its partner and what it received. */
export interface ConfigSyncView {
  port: number;
  /** The serial_no the partner last said its file has; null: no answer yet. */
  partnerSerial: number | null;
  /** An offer waiting for the partner (tried again every 10 s while active). */
  pending: boolean;
  /** Offers sent and the partner's answers: installed, already current, refused as invalid, failed to install; or none. */
  sent: { offers: number; applied: number; current: number; invalid: number; failed: number; unanswered: number };
  /** Files received: installed, not newer, invalid (kept ours), failed to install; connections from a stranger. */
  received: { applied: number; current: number; invalid: number; failed: number; stranger: number };
  /** The envelope's check of requests and answers. */
  auth: AuthCounts;
}

/** What an authenticated channel (ha/auth.ts) took and dropped. */
export interface AuthCounts {
  ok: number;
  unauthenticated: number;
  forged: number;
  replayed: number;
}

/** What every client of the control API (admin, top, the web tool) calls. */
export interface ControlApi {
  status(): Promise<StatusView>;
  table(): Promise<TableView>;
  timeouts(): Promise<TimeoutsView>;
  connections(offset: number, limit: number): Promise<ConnPage>;
  dataplane(): Promise<DataPlaneView>;
  /** Applies the ops atomically as one table version; rejects with an ApiRequestError. */
  change(ops: Op[]): Promise<ChangeResult>;
  reload(): Promise<ReloadView>;
  health(): Promise<HealthView>;
  forceHealth(service: ServiceSelector, server: { address: string; port: number }, force: HealthForce): Promise<HealthServerView>;
  /** The failover component's view; rejects (ENOENT) when the router runs without a backup. */
  failover(): Promise<FailoverView>;
  /** Standby on: this router releases the addresses and stays inactive; off: pulse's rules again. */
  standby(on: boolean): Promise<FailoverView>;
}

/** A refused request, as the client sees it: the HTTP status and the API's error. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly error: ApiError,
  ) {
    super(error.message);
    this.name = 'ApiRequestError';
  }
}

/** One checked real server (GET /v1/health). */
export interface HealthServerView {
  service: string;
  address: string;
  port: number;
  /** What the checks say. */
  state: 'up' | 'down';
  /** Whether it takes new connections now: its state, forcing, and its service's quorum. */
  serving: boolean;
  /** Forced by an operator: up, down, drain (weight 0); null: its checks decide. */
  force: 'up' | 'down' | 'drain' | null;
  weight: number;
  configuredWeight: number;
  okStreak: number;
  failStreak: number;
  riseNeeded: number;
  fall: number;
  checks: string[];
  /** The last round: when, its result, what it said, how long it took (ms). */
  last: { at: number; ok: boolean; detail: string; ms?: number } | null;
  lastChange: { at: number; to: 'up' | 'down'; reason: string } | null;
}

/** A virtual server's checks, quorum and sorry server. */
export interface HealthServiceView {
  service: string;
  quorum: number;
  hysteresis: number;
  quorumUp: boolean;
  sorryServer: string | null;
  sorryActive: boolean;
  servers: HealthServerView[];
}

/** GET /v1/health. */
export interface HealthView {
  services: HealthServiceView[];
  /** Since the router started: rounds of checks by result, changes of state, rounds in flight and waiting for a slot. */
  totals?: { roundsOk: number; roundsFailed: number; wentUp: number; wentDown: number; inFlight: number; waiting: number };
}

/** POST /v1/health/:service/:server: force a server, drain it, or (auto) give it back to its checks. */
export type HealthForce = 'up' | 'down' | 'drain' | 'auto';
