// The health-check contract between lvs.cf (config/ compiles it), the probes
// (health/probes/: one attempt of one check against one server) and the
// monitor (health/monitor.ts: when to probe, rise/fall, nanny's re-entry, the
// verdicts it gives the router). Checks run in the control plane's thread, in
// the router's own network stack; never on the data plane's.

/** What one check does, as lvs.cf says it (keepalived's checker names in lower case; `nanny` is Piranha's). */
export type CheckSpec =
  | NannyCheck
  /** halfOpen: SYN out, SYN-ACK or RST back, no connection (probes/syn.ts); else a connect(). */
  | { kind: 'tcp'; port: number | null; halfOpen?: boolean }
  | HttpCheck
  | { kind: 'dns'; port: number | null; type: DnsType; name: string }
  | { kind: 'udp'; port: number | null; payload: Uint8Array; reply: ReplyPattern | null; minReply: number; maxReply: number }
  | { kind: 'icmp' }
  | { kind: 'misc'; command: string; timeout: number | null; dynamic: boolean };

/** Piranha's nanny check (LVS-REFERENCE 1.5): from the virtual's send, expect, use_regex, send_program. */
export interface NannyCheck {
  kind: 'nanny';
  /** The virtual server's protocol: UDP services get a UDP check. */
  protocol: 'tcp' | 'udp';
  /**
   * Added for firewall-mark services: their servers have port 0 in the table (the
   * packet keeps its port) and nanny checks the virtual's port (lvsd's -r). Absent:
   * the server's port.
   */
  port?: number;
  /**
   * Decoded (Piranha's escapes applied); null: send nothing. config/ already applies
   * nanny's port-80 rule (virtual port 80 and no send, expect or send_program: send
   * `GET / HTTP/1.0\r\n\r\n`, expect `HTTP`), and drops send when send_program is
   * set (nanny ignores it then), so a probe takes these fields as they are.
   */
  send: string | null;
  /** null: any answer, or none (a successful connect is enough); "*": any first byte. */
  expect: string | null;
  useRegex: boolean;
  /** `%h` and `%p` are substituted; its standard output is compared with `expect`. */
  sendProgram: string | null;
}

export interface HttpCheck {
  kind: 'http' | 'https';
  port: number | null;
  path: string;
  /** Accepted status ranges, inclusive; default [[200, 299]]. */
  status: Array<[number, number]>;
  /** MD5 of the body, lower-case hex (keepalived's genhash). */
  digest: string | null;
  /** The body must match (or, with regexNoMatch, must not). */
  regex: string | null;
  regexNoMatch: boolean;
  /** Host header; default the server's address. */
  virtualhost: string | null;
  /** TLS server name (https); null: none sent. */
  sni: string | null;
}

export type DnsType = 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA';

/** keepalived's require_reply: bytes, where a null byte is the X wildcard. */
export type ReplyPattern = Array<number | null>;

/** When and how often a server's checks run, and how their results become a state. */
export interface CheckTiming {
  /** Seconds between two rounds of checks (keepalived delay_loop; nanny: `timeout`). */
  interval: number;
  /** Seconds one attempt may take. */
  connectTimeout: number;
  /** Extra attempts after a failed one, before the round counts as failed. */
  retry: number;
  /** Seconds between those attempts. */
  delayBeforeRetry: number;
  /** Consecutive good rounds that bring a server up, bad rounds that take it down. */
  rise: number;
  fall: number;
  /** The first round starts at a random point within this many seconds (0: at once). */
  warmup: number;
  /** Start a new server as down (it must pass `rise` rounds first). */
  alpha: boolean;
  /** Down means weight 0 (kept in the table, its connections finish) instead of removal. */
  inhibitOnFailure: boolean;
  /** Commands run (not waited for) when the server goes up or down; null: none. */
  notifyUp: string | null;
  notifyDown: string | null;
}

/** Everything that checks one real server. */
export interface ServerChecks {
  /** The virtual server's model serviceKey: "TCP 198.18.0.10:80", "FWM 5". */
  service: string;
  address: string;
  port: number;
  /** The configured weight (a dynamic check or the load monitor may change the running one). */
  weight: number;
  /** All must pass. Empty: the server is not checked (always up). */
  checks: CheckSpec[];
  timing: CheckTiming;
  /** nanny: how long a server must keep passing before it comes back (s); 0: `rise` decides. */
  reentry: number;
  /** nanny's load monitor (health/load.ts): the tool, and the remote shell for `uptime`; absent: none. */
  loadMonitor?: { tool: 'uptime' | 'rup' | 'ruptime'; rsh: string };
}

/**
 * The health side of one virtual server (config/ compileLvsCf's `health`): its
 * servers' checks and what the service does as a whole. keepalived's quorum: while
 * the weight of the servers that are up is at least `quorum` the service is up; it
 * goes down below `quorum - hysteresis` and comes back at `quorum + hysteresis`.
 * Piranha's sorry server is the quorum-down case of quorum 1.
 */
export interface ServiceHealth {
  /** model serviceKey of the VirtualService, as ServerChecks.service. */
  service: string;
  /** Put in the table (weight 1) while the service is down; port: the virtual's (0 for a mark). */
  sorryServer: { address: string; port: number } | null;
  quorum: number;
  hysteresis: number;
  /** Commands run when the service comes up / goes down; null: none. */
  quorumUp: string | null;
  quorumDown: string | null;
  /** Every active real server of the service, in table order. */
  servers: ServerChecks[];
}

/** Everything the health monitor needs from an lvs.cf (compileLvsCf's `health`). */
export interface HealthConfig {
  services: ServiceHealth[];
  /**
   * Piranha's hard_shutdown (default 1): when the checking itself breaks down (in
   * Piranha a nanny process dies), true stops the router so that the backup takes
   * over; false only logs that manual action is needed.
   */
  hardShutdown: boolean;
}

/** One attempt of one check. */
export interface ProbeResult {
  ok: boolean;
  /** A dynamic MISC_CHECK's or an agent's weight; undefined: keep the configured one. */
  weight?: number;
  /** One line a log or a view shows: "connection refused", "status 500", "expect mismatch". */
  detail: string;
  /** Milliseconds the attempt took. */
  ms: number;
}

/** Where a probe goes; the router's own stack picks the source address unless bindTo says. */
export interface ProbeTarget {
  address: string;
  port: number;
  bindTo?: string;
}
