// The router's state in the Prometheus text format, from one snapshot of the
// control API's views. node_exporter's ipvs families keep their names (so IPVS
// dashboards work unchanged, see metrics-ipvs.ts); everything else is tsvs_*.
//
// Each render fills a Registry of its own from the snapshot and throws it
// away: the values are the snapshot's, so nothing carries over between
// scrapes (a removed server's series just stops), and two scrapes at once
// cannot see each other's half-filled families. The registry carries no
// default process metrics: the forwarding runs in worker threads, so the main
// thread's heap, event-loop lag and CPU would describe the control plane and
// be read as the data plane's; tsvs_uptime_seconds and node_exporter's own
// process collectors cover the rest.
//
// Rates are not exported: Prometheus computes them from the counters with
// rate(), which is what the kernel estimator's smoothed figures approximate.
import { Counter, Gauge, Registry } from 'prom-client';
import { histogramText } from './metrics-histogram.js';
import { addIpvsFamilies, type Families } from './metrics-ipvs.js';
import type { AuthCounts, ConfigSyncView, DataPlaneView, FailoverView, SyncView, HealthView, ServiceView, StatsView, StatusView, TableView, VrrpView } from './types.js';

export interface MetricsSnapshot {
  table: TableView;
  dataplane: DataPlaneView;
  status: StatusView;
  health?: HealthView;
}

/** The text format's content type, as prom-client names it. */
export const METRICS_CONTENT_TYPE: string = Registry.PROMETHEUS_CONTENT_TYPE;

const SERVICE_LABELS = ['service', 'protocol', 'address', 'port', 'fwmark'] as const;
const SERVER_LABELS = [...SERVICE_LABELS, 'server_address', 'server_port'] as const;

export async function renderMetrics(snap: MetricsSnapshot): Promise<string> {
  const registry = new Registry();
  const f: Families = {
    counter: (name, help, labels = []) => new Counter({ name, help, labelNames: labels, registers: [registry] }),
    gauge: (name, help, labels = []) => new Gauge({ name, help, labelNames: labels, registers: [registry] }),
  };
  addIpvsFamilies(f, snap.table);
  addTableFamilies(f, snap.table);
  addDataPlaneFamilies(f, snap.dataplane);
  addStatusFamilies(f, snap.status);
  if (snap.health) addHealthFamilies(f, snap.health);
  const { batchFrames, batchMicros, stepMicros, gcMicros } = snap.dataplane;
  const hists = [
    histogramText('tsvs_dataplane_batch_frames', 'Frames per batch the data plane processed.', batchFrames),
    histogramText('tsvs_dataplane_batch_duration_seconds', 'Time the data plane spent on one batch.', batchMicros, 1e6),
  ];
  if (stepMicros) hists.push(histogramText('tsvs_dataplane_change_step_duration_seconds', 'Each step of a table change the data plane took between two batches (forwarding waits for it).', stepMicros, 1e6));
  if (gcMicros) hists.push(histogramText('tsvs_dataplane_gc_pause_seconds', "Each garbage collection pause of the data plane's thread.", gcMicros, 1e6));
  // prom-client ends its text with a newline and parts families with a blank line; so do these.
  return `${await registry.metrics()}\n${hists.join('\n\n')}\n`;
}

const serviceLabels = (svc: ServiceView) => ({ service: svc.id, protocol: svc.protocol, address: svc.address, port: String(svc.port), fwmark: String(svc.fwmark) });

/** The five counters of struct ip_vs_stats, under a prefix. */
function statsFamilies<L extends string>(f: Families, prefix: string, what: string, labels: readonly L[]) {
  const c = (name: string, help: string) => f.counter(`${prefix}_${name}`, help, labels);
  // OutPkts and OutBytes count replies the router forwards: NAT's, not DR's,
  // whose replies go straight from the real server to the client.
  const families = {
    conns: c('connections_total', `Connections scheduled to this ${what} (ipvsadm --stats Conns).`),
    inPkts: c('incoming_packets_total', `Packets from clients to this ${what} (InPkts).`),
    outPkts: c('outgoing_packets_total', `Reply packets from this ${what} through the router (OutPkts).`),
    inBytes: c('incoming_bytes_total', `Bytes from clients to this ${what} (InBytes).`),
    outBytes: c('outgoing_bytes_total', `Reply bytes from this ${what} through the router (OutBytes).`),
  };
  return (l: Record<L, string>, s: StatsView): void => {
    for (const k of Object.keys(families) as Array<keyof StatsView>) families[k].inc(l, s[k]);
  };
}

function addTableFamilies(f: Families, table: TableView): void {
  f.gauge('tsvs_table_version', 'The table version running in the data plane.').set(table.version);

  const svcStats = statsFamilies(f, 'tsvs_service', 'service', SERVICE_LABELS);
  const svcInfo = f.gauge('tsvs_service_info', 'A virtual service, its lvs.cf name and scheduler (value 1).', [...SERVICE_LABELS, 'name', 'scheduler']);
  const svcActive = f.gauge('tsvs_service_connections_active', 'Active connections of the service (its real servers\' ActiveConn summed).', SERVICE_LABELS);
  const svcInactive = f.gauge('tsvs_service_connections_inactive', 'Inactive connections of the service (its real servers\' InActConn summed).', SERVICE_LABELS);

  const rsStats = statsFamilies(f, 'tsvs_real_server', 'real server', SERVER_LABELS);
  const rsActive = f.gauge('tsvs_real_server_connections_active', 'Active connections (ipvsadm ActiveConn): TCP established.', SERVER_LABELS);
  const rsInactive = f.gauge('tsvs_real_server_connections_inactive', 'Inactive connections (ipvsadm InActConn): other TCP states and UDP.', SERVER_LABELS);
  const rsPersist = f.gauge('tsvs_real_server_persistent_connections', 'Persistence templates bound to the real server (ipvsadm --persistent-conn).', SERVER_LABELS);
  const rsWeight = f.gauge('tsvs_real_server_weight', 'The weight the running table uses, after health verdicts.', SERVER_LABELS);

  for (const svc of table.services) {
    const sl = serviceLabels(svc);
    svcStats(sl, svc.stats);
    svcInfo.set({ ...sl, name: svc.name, scheduler: svc.scheduler }, 1);
    svcActive.set(sl, svc.servers.reduce((n, rs) => n + rs.activeConns, 0));
    svcInactive.set(sl, svc.servers.reduce((n, rs) => n + rs.inactiveConns, 0));
    for (const rs of svc.servers) {
      const rl = { ...sl, server_address: rs.address, server_port: String(rs.port) };
      rsStats(rl, rs.stats);
      rsActive.set(rl, rs.activeConns);
      rsInactive.set(rl, rs.inactiveConns);
      rsPersist.set(rl, rs.persistConns);
      rsWeight.set(rl, rs.weight);
    }
  }
}

function addDataPlaneFamilies(f: Families, dp: DataPlaneView): void {
  f.counter('tsvs_frames_received_total', 'Frames the data plane read from its devices.').inc(dp.rxFrames);
  f.counter('tsvs_frames_sent_total', 'Frames the data plane sent.').inc(dp.txFrames);
  const dropped = f.counter('tsvs_frames_dropped_total', 'Frames dropped, by reason (every reason listed, zeros included).', ['reason']);
  for (const [reason, n] of Object.entries(dp.drops)) dropped.inc({ reason }, n);
  const passed = f.counter('tsvs_frames_passed_total', 'Frames passed over as not the data plane\'s business, by reason.', ['reason']);
  for (const [reason, n] of Object.entries(dp.passes)) passed.inc({ reason }, n);
  f.counter('tsvs_connections_created_total', 'Connection entries the data plane created.').inc(dp.connsCreated);
  if (dp.replies) addReplyFamilies(f, dp.replies);
  if (dp.nextHop) {
    const held = f.counter('tsvs_next_hop_held_frames_total', 'Frames held while their next hop was resolved by ARP (held), and sent when it answered (sent); the rest were dropped after 3 s as next_hop_unknown.', ['result']);
    held.inc({ result: 'held' }, dp.nextHop.held);
    held.inc({ result: 'sent' }, dp.nextHop.sent);
  }
  if (dp.tunnel) {
    f.counter('tsvs_tunnel_frames_total', 'Frames sent to LVS-TUN real servers inside an outer header (IPIP, GUE or GRE).').inc(dp.tunnel.sent);
    f.counter('tsvs_tunnel_gso_cut_total', 'GSO super-frames for LVS-TUN real servers that the router cut into segments itself (a virtio-net header cannot ask the kernel to).').inc(dp.tunnel.gsoCut);
  }
  if (dp.fragmented) {
    f.counter('tsvs_datagrams_fragmented_total', 'Forwarded datagrams with DF clear over the egress MTU that the router sent in fragments (ip_fragment).').inc(dp.fragmented.datagrams);
    f.counter('tsvs_fragments_created_total', 'Fragments the router sent for the datagrams it fragmented.').inc(dp.fragmented.fragments);
  }
  if (dp.ipv6) {
    f.counter('tsvs_ipv6_frames_total', 'IPv6 frames the data plane read.').inc(dp.ipv6.frames);
    f.counter('tsvs_ndp_advertisements_total', 'Neighbor Advertisements sent answering solicitations for the router\'s IPv6 addresses.').inc(dp.ipv6.ndpAdverts);
    f.counter('tsvs_icmp6_echo_replies_total', 'ICMPv6 echo replies sent for the router\'s IPv6 addresses.').inc(dp.ipv6.echoReplies);
    f.counter('tsvs_icmp6_packet_too_big_total', 'ICMPv6 Packet Too Big sent for datagrams over the egress (or tunnel) MTU.').inc(dp.ipv6.tooBig);
  }
  if (dp.backend) addBackendFamilies(f, dp.backend);
  f.gauge('tsvs_connection_table_entries', 'Connections and persistence templates in the connection table.').set(dp.conns);
  f.gauge('tsvs_connection_table_capacity', 'Entries the connection table can hold.').set(dp.connCapacity);
  addDefenseFamilies(f, dp.defense);
  if (dp.synproxy) addSynProxyFamilies(f, dp.synproxy);
  if (dp.workers) addWorkerFamilies(f, dp.workers);
}

/** tsvs start --workers N: each worker's share (every other family is their sum). */
function addWorkerFamilies(f: Families, workers: NonNullable<DataPlaneView['workers']>): void {
  const rx = f.counter('tsvs_worker_frames_received_total', 'Frames each data-plane worker read (tsvs start --workers N).', ['worker']);
  const created = f.counter('tsvs_worker_connections_created_total', 'Connection entries each data-plane worker created.', ['worker']);
  const entries = f.gauge('tsvs_worker_connection_table_entries', 'Entries in each data-plane worker\'s connection table.', ['worker']);
  workers.forEach((w, k) => {
    const worker = String(k);
    rx.inc({ worker }, w.rxFrames);
    created.inc({ worker }, w.connsCreated);
    entries.set({ worker }, w.conns);
  });
}

/** The SYN proxy (syn_proxy): what it answered and opened, and whether it acts now. */
function addSynProxyFamilies(f: Families, s: Record<string, number>): void {
  f.counter('tsvs_synproxy_cookies_sent_total', 'SYN-ACKs with a SYN cookie the router sent in place of a real server (syn_proxy).').inc(s.cookies_sent ?? 0);
  const acks = f.counter('tsvs_synproxy_acks_total', 'ACKs to a NAT service with no connection, checked as SYN cookies: valid (a connection opened) or invalid.', ['result']);
  acks.inc({ result: 'valid' }, s.acks_valid ?? 0);
  acks.inc({ result: 'invalid' }, s.acks_invalid ?? 0);
  f.counter('tsvs_synproxy_connections_total', 'Proxied connections whose real server completed the handshake (its sequence numbers translated from then on).').inc(s.conns ?? 0);
  f.counter('tsvs_synproxy_held_total', 'Client segments held until the real server completed a proxied handshake, then sent to it.').inc(s.held ?? 0);
  f.gauge('tsvs_synproxy_active', 'Whether the SYN proxy answers SYNs now (1) or not (0).').set(s.on ?? 0);
}

/** SYN flood defences: what they did (counters) and which act now (gauges). */
function addDefenseFamilies(f: Families, d: Record<string, number>): void {
  const events = f.counter('tsvs_syn_defense_events_total', 'SYN flood defences at work: half_open_evicted (a half-open entry freed for a new connection in a full table), drop_entry_dropped (drop_entry).', ['event']);
  for (const e of ['half_open_evicted', 'drop_entry_dropped']) events.inc({ event: e }, d[e] ?? 0);
  const on = f.gauge('tsvs_syn_defense_active', 'Whether each defence acts now (1) or not (0): drop_entry, secure_tcp.', ['strategy']);
  for (const s of ['drop_entry', 'secure_tcp']) on.set({ strategy: s }, d[`${s}_on`] ?? 0);
  f.gauge('tsvs_syn_defense_drop_rate', 'drop_packet: one new connection in this many is refused (0: none).').set(d.drop_rate ?? 0);
}

/** Resets and ICMP errors the data plane wrote in place of frames it dropped (engine/replies.ts). */
function addReplyFamilies(f: Families, r: Record<string, number>): void {
  f.counter('tsvs_tcp_resets_sent_total', 'TCP resets sent for segments of no connection to a virtual service (each also counted as dropped, reason tcp_no_connection).').inc(r.tcp_resets_sent ?? 0);
  f.counter('tsvs_icmp_frag_needed_sent_total', 'ICMP fragmentation-needed errors sent for datagrams over the egress MTU with DF set (each also counted as dropped, reason fragmentation_needed).').inc(r.icmp_frag_needed_sent ?? 0);
  const held = f.counter('tsvs_replies_rate_limited_total', 'Resets and ICMP errors not sent because of the rate limit (1000/s, burst 50, per kind).', ['kind']);
  held.inc({ kind: 'tcp_reset' }, r.tcp_resets_rate_limited ?? 0);
  held.inc({ kind: 'icmp_frag_needed' }, r.icmp_frag_needed_rate_limited ?? 0);
}

/** What the packet backend lost below the engine, over all its devices (frames/port.ts PortCounters). */
function addBackendFamilies(f: Families, b: Record<string, number>): void {
  f.counter('tsvs_backend_rx_ring_drops_total', 'Frames lost on receive because the backend\'s buffer was full (AF_PACKET ring tp_drops; libpcap ps_drop and its staging).').inc(b.ring_drops ?? 0);
  f.counter('tsvs_backend_rx_truncated_total', 'Frames received cut short (bigger than a ring slot or the snap length) and skipped.').inc(b.truncated ?? 0);
  f.counter('tsvs_backend_rx_oversize_total', 'Frames received bigger than a whole batch buffer and skipped.').inc(b.oversize ?? 0);
  f.counter('tsvs_backend_tx_unsent_total', 'Frames not sent because the socket\'s buffer or the device\'s queue stayed full after a bounded wait (2 ms per batch).').inc(b.tx_unsent ?? 0);
  f.counter('tsvs_backend_tx_errors_total', 'Frames the kernel refused to send (e.g. EMSGSIZE) or libpcap failed to inject.').inc(b.tx_errors ?? 0);
  f.counter('tsvs_backend_if_rx_dropped_total', 'Frames the router\'s devices dropped on receive before any socket saw them (rx_dropped, rx_missed_errors, rx_fifo_errors), since the backend opened.').inc(b.if_rx_dropped ?? 0);
  f.counter('tsvs_backend_if_tx_dropped_total', 'Frames the router\'s devices dropped on send (tx_dropped, tx_fifo_errors; a veth counts what its peer\'s backlog refused), since the backend opened.').inc(b.if_tx_dropped ?? 0);
  f.counter('tsvs_backend_tx_waits_total', 'Sends that found the socket\'s buffer or the device\'s queue full and waited for room instead of dropping (not a loss: an outgoing link at its limit).').inc(b.tx_waits ?? 0);
}

function addStatusFamilies(f: Families, st: StatusView): void {
  f.gauge('tsvs_info', 'The running router: its I/O backend and configuration file (value 1).', ['backend', 'config']).set({ backend: st.backend, config: st.config }, 1);
  f.gauge('tsvs_uptime_seconds', 'Seconds since the router started.').set(st.uptime);
  const up = f.gauge('tsvs_component_up', 'Whether each component of the router is running (1) or not (0: stopped or failed).', ['component']);
  for (const [component, state] of Object.entries(st.components)) up.set({ component }, state === 'running' ? 1 : 0);
  const errors = f.counter('tsvs_component_errors_total', 'Errors after start-up that the router logged and went on from, by component (e.g. stats-file writes).', ['component']);
  for (const [component, n] of Object.entries(st.errors ?? {})) errors.inc({ component }, n);
  const reloads = f.counter('tsvs_reloads_total', 'Configuration reloads, by result: ok (applied) or failed (the running table kept).', ['result']);
  reloads.inc({ result: 'ok' }, st.reloads.ok);
  reloads.inc({ result: 'failed' }, st.reloads.failed);
  // Absent until the first reload, as a timestamp of 0 would read as 1970.
  const last = st.reloads.last;
  if (last) {
    f.gauge('tsvs_last_reload_timestamp_seconds', 'When the last reload was tried (Unix time).').set(last.at / 1000);
    f.gauge('tsvs_last_reload_success', 'Whether the last reload was applied (1) or refused (0).').set(last.ok ? 1 : 0);
  }
  if (st.failover) addFailoverFamilies(f, st.failover);
  if (st.sync) addSyncFamilies(f, st.sync);
  if (st.configSync) addConfigSyncFamilies(f, st.configSync);
}

/** Config sync (config_sync = 1): offers and the partner's answers, files received, the envelope's drops. */
function addConfigSyncFamilies(f: Families, v: ConfigSyncView): void {
  const sent = f.counter('tsvs_config_sync_offers_total', 'lvs.cf offers sent to the partner, by its answer: applied, current (it had this serial_no or newer), invalid, failed, unanswered.', ['result']);
  for (const r of ['applied', 'current', 'invalid', 'failed', 'unanswered'] as const) sent.inc({ result: r }, v.sent[r]);
  const got = f.counter('tsvs_config_sync_received_total', 'lvs.cf files received from the partner: applied, current (not newer), invalid (kept ours), failed; stranger: a connection from another address.', ['result']);
  for (const r of ['applied', 'current', 'invalid', 'failed', 'stranger'] as const) got.inc({ result: r }, v.received[r]);
  addAuthFamily(f, 'tsvs_config_sync_auth_dropped_total', 'Config sync requests and answers dropped by ha_key_file\'s check, by reason.', v.auth);
  if (v.partnerSerial !== null) f.gauge('tsvs_config_sync_partner_serial', 'The serial_no the partner last said its lvs.cf has.').set(v.partnerSerial);
}

/** The IPVS sync daemon: its role, and what it sent and received (absent when syncdaemon = 0). */
function addSyncFamilies(f: Families, v: SyncView): void {
  f.gauge('tsvs_sync_daemon_info', 'The sync daemon\'s role now (master while the router is active, backup while not), interface and syncid (value 1).', ['role', 'interface', 'syncid'])
    .set({ role: v.role, interface: v.iface, syncid: String(v.syncid) }, 1);
  const msgs = f.counter('tsvs_sync_messages_total', 'Sync messages sent (master) and received whole (backup).', ['direction']);
  msgs.inc({ direction: 'sent' }, v.sent.messages);
  msgs.inc({ direction: 'received' }, v.received.messages);
  const conns = f.counter('tsvs_sync_conns_total', 'Connections synced: sent; received and created or updated; received and skipped (unknown service, an old message, given up waiting for its real server); lost to a full send queue.', ['result']);
  conns.inc({ result: 'sent' }, v.sent.conns);
  conns.inc({ result: 'applied' }, v.received.conns);
  conns.inc({ result: 'skipped' }, v.received.skipped);
  conns.inc({ result: 'queue_full' }, v.sent.queueDrops);
  f.gauge('tsvs_sync_conns_waiting', 'Synced connections to a real server this router\'s table lacks yet (its checks have not admitted it), kept and tried again as the table changes.').set({}, v.received.waiting);
  f.counter('tsvs_sync_resyncs_total', 'Whole connection tables sent to a partner that came back (beyond the kernel: it syncs only as packets pass).').inc({}, v.sent.resyncs);
  f.counter('tsvs_sync_bad_messages_total', 'Sync messages received that were malformed or truncated (counted and dropped).').inc({}, v.received.bad);
  if (v.auth) addAuthFamily(f, 'tsvs_sync_auth_dropped_total', 'Sync messages dropped by ha_key_file\'s check: no envelope (unauthenticated), a bad tag (forged), a counter already seen or our own (replayed).', v.auth);
}

/** What an authenticated channel dropped, by reason (present only with ha_key_file). */
function addAuthFamily(f: Families, name: string, help: string, a: AuthCounts): void {
  const c = f.counter(name, help, ['reason']);
  c.inc({ reason: 'unauthenticated' }, a.unauthenticated);
  c.inc({ reason: 'forged' }, a.forged);
  c.inc({ reason: 'replayed' }, a.replayed);
}

/** pulse: whether this router is the active one of its pair, its changes and the heartbeat (absent without a backup). */
function addFailoverFamilies(f: Families, v: FailoverView): void {
  f.gauge('tsvs_failover_active', 'Whether this router answers for the VIPs and the NAT router address (1) or its partner does (0).', ['role']).set({ role: v.role }, v.active ? 1 : 0);
  f.gauge('tsvs_failover_standby', 'Whether an operator holds this router inactive (tsvs failover standby).').set(v.standby ? 1 : 0);
  f.counter('tsvs_failover_transitions_total', 'Changes between active and inactive since the router started.').inc({}, v.transitions);
  const hb = f.counter('tsvs_failover_heartbeats_total', 'Heartbeats sent, received (valid, from the partner), ignored (a stranger, a bad size or magic) and not sent (errors).', ['result']);
  hb.inc({ result: 'sent' }, v.heartbeats.sent);
  hb.inc({ result: 'received' }, v.heartbeats.received);
  hb.inc({ result: 'ignored' }, v.heartbeats.ignored);
  hb.inc({ result: 'send_error' }, v.heartbeats.sendErrors);
  if (v.auth) addAuthFamily(f, 'tsvs_failover_auth_dropped_total', 'Heartbeats dropped by ha_key_file\'s check: no envelope (unauthenticated), a bad tag or sender (forged), a counter already seen (replayed).', v.auth);
  if (v.lastHeard !== null) f.gauge('tsvs_failover_partner_last_heard_seconds', 'Seconds since the partner\'s last valid heartbeat.').set(v.lastHeard);
  if (v.vrrp) addVrrpFamilies(f, v.vrrp, v.state);
  const link = f.gauge('tsvs_failover_link_up', 'monitor_links: whether each monitored device\'s link is up.', ['device']);
  for (const [device, up] of Object.entries(v.links)) link.set({ device }, up ? 1 : 0);
}

/** failover = vrrp: the state, the priority, and keepalived's vrrp_stats as counters. */
function addVrrpFamilies(f: Families, v: VrrpView, state: string): void {
  const st = f.gauge('tsvs_vrrp_state', 'The VRRP instance\'s state: 1 for the current one of INIT, BACKUP, MASTER, FAULT.', ['vrid', 'state']);
  for (const s of ['INIT', 'BACKUP', 'MASTER', 'FAULT']) st.set({ vrid: String(v.vrid), state: s }, s === state ? 1 : 0);
  f.gauge('tsvs_vrrp_priority', 'This router\'s VRRP priority.', ['vrid']).set({ vrid: String(v.vrid) }, v.priority);
  const s = v.stats;
  const adv = f.counter('tsvs_vrrp_adverts_total', 'VRRP advertisements sent and received (valid); priority 0 ones are counted here too.', ['vrid', 'direction']);
  adv.inc({ vrid: String(v.vrid), direction: 'sent' }, s.advert_sent);
  adv.inc({ vrid: String(v.vrid), direction: 'received' }, s.advert_rcvd);
  f.counter('tsvs_vrrp_become_master_total', 'Times this router became VRRP master.', ['vrid']).inc({ vrid: String(v.vrid) }, s.become_master);
  const errs = f.counter('tsvs_vrrp_errors_total', 'VRRP advertisements with an error, by keepalived\'s statistics name (all dropped but addr_list_err, which is only logged).', ['vrid', 'reason']);
  for (const [k, n] of Object.entries(s)) if (!VRRP_COUNTS.has(k)) errs.inc({ vrid: String(v.vrid), reason: k }, n);
}

const VRRP_COUNTS = new Set(['advert_rcvd', 'advert_sent', 'become_master', 'release_master', 'pri_zero_rcvd', 'pri_zero_sent']);

/** Health checks: per real server its checked state, whether it serves, its last round; per service its quorum; totals. */
function addHealthFamilies(f: Families, h: HealthView): void {
  const labels = ['service', 'server_address', 'server_port'] as const;
  const up = f.gauge('tsvs_real_server_check_up', 'What the real server\'s health checks say: up (1) or down (0).', labels);
  const serving = f.gauge('tsvs_real_server_serving', 'Whether the real server takes new connections (1): its checks, forcing by an operator and its service\'s quorum.', labels);
  const forced = f.gauge('tsvs_real_server_forced', 'Whether an operator forced the real server up, down or drain (1) instead of its checks.', labels);
  const last = f.gauge('tsvs_real_server_check_duration_seconds', 'How long the real server\'s last round of checks took.', labels);
  const quorum = f.gauge('tsvs_service_quorum_up', 'Whether the virtual service has its quorum (1); 0: its sorry server, if any, serves.', ['service']);
  for (const svc of h.services) {
    quorum.set({ service: svc.service }, svc.quorumUp ? 1 : 0);
    for (const r of svc.servers) {
      const l = { service: svc.service, server_address: r.address, server_port: String(r.port) };
      up.set(l, r.state === 'up' ? 1 : 0);
      serving.set(l, r.serving ? 1 : 0);
      forced.set(l, r.force ? 1 : 0);
      if (r.last?.ms !== undefined) last.set(l, r.last.ms / 1000);
    }
  }
  const t = h.totals;
  if (!t) return;
  const rounds = f.counter('tsvs_health_check_rounds_total', 'Rounds of health checks, by result.', ['result']);
  rounds.inc({ result: 'ok' }, t.roundsOk);
  rounds.inc({ result: 'failed' }, t.roundsFailed);
  const changes = f.counter('tsvs_health_state_changes_total', 'Real servers that went up or down by their checks.', ['to']);
  changes.inc({ to: 'up' }, t.wentUp);
  changes.inc({ to: 'down' }, t.wentDown);
  f.gauge('tsvs_health_checks_in_flight', 'Rounds of health checks running now.').set(t.inFlight);
  f.gauge('tsvs_health_checks_waiting', 'Rounds of health checks due but waiting for a slot (the concurrency bound).').set(t.waiting);
}
