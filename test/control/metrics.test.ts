// The exposition read back with a Prometheus text-format parser: the values a
// dashboard or an alert reads must be the views' values.
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { renderMetrics, type MetricsSnapshot } from '../../src/control/metrics.js';
import { dataplane, service, server, stats, status, table } from './fixtures.js';

async function scrape(over: Partial<MetricsSnapshot> = {}): Promise<ParsedFamily[]> {
  return parsePrometheusTextFormat(await renderMetrics({ table: table(), dataplane: dataplane(), status: status(), ...over }));
}

function family(fams: ParsedFamily[], name: string): ParsedFamily {
  const f = fams.find((x) => x.name === name);
  if (!f) throw new Error(`no family ${name}`);
  return f;
}

/** Every series of a family as [labels, value]. */
const series = (fams: ParsedFamily[], name: string) => family(fams, name).metrics.map((m) => [m.labels ?? {}, Number(m.value)] as const);

const WEB = { local_address: '198.18.0.10', local_port: '80', proto: 'TCP', local_mark: '' };
const MARK = { local_address: '', local_port: '0', proto: 'FWM', local_mark: '00000001' };

describe("node_exporter's ipvs families", () => {
  it('per backend: active, inactive and weight are the table view\'s, under node_exporter\'s labels', async () => {
    const fams = await scrape();
    const backends = [
      { ...WEB, remote_address: '10.0.0.3', remote_port: '80' },
      { ...WEB, remote_address: '10.0.0.2', remote_port: '80' },
      { ...MARK, remote_address: '10.0.0.4', remote_port: '0' },
    ];
    expect(series(fams, 'node_ipvs_backend_connections_active')).toEqual([
      [backends[0], 30],
      [backends[1], 10],
      [backends[2], 4],
    ]);
    expect(series(fams, 'node_ipvs_backend_connections_inactive').map(([, v]) => v)).toEqual([10, 0, 1]);
    expect(series(fams, 'node_ipvs_backend_weight')).toEqual([
      [backends[0], 3],
      [backends[1], 1],
      [backends[2], 2],
    ]);
    expect(family(fams, 'node_ipvs_backend_weight').type).toBe('GAUGE');
  });

  it('the totals are the table\'s, as counters without labels', async () => {
    const fams = await scrape();
    const totals = ['connections', 'incoming_packets', 'outgoing_packets', 'incoming_bytes', 'outgoing_bytes'].map((n) => {
      const f = family(fams, `node_ipvs_${n}_total`);
      expect(f.type).toBe('COUNTER');
      return series(fams, f.name);
    });
    expect(totals).toEqual([[[{}, 307]], [[{}, 9070]], [[{}, 8000]], [[{}, 1_204_200]], [[{}, 9_600_000]]]);
  });

  it('a firewall-mark service is proto FWM, its mark in the 8 hex digits /proc/net/ip_vs prints, no address', async () => {
    const t = table();
    t.services = [service({ id: 'fwm-6699', fwmark: 0x1a2b, protocol: 'udp', servers: [server('10.0.0.9', 53, { weight: 7 })] })];
    const fams = await scrape({ table: t });
    expect(series(fams, 'node_ipvs_backend_weight')).toEqual([
      [{ local_address: '', local_port: '0', proto: 'FWM', local_mark: '00001A2B', remote_address: '10.0.0.9', remote_port: '53' }, 7],
    ]);
  });

  it('a UDP service is proto UDP', async () => {
    const t = table();
    t.services = [service({ id: 'udp-198.18.0.53-53', protocol: 'udp', address: '198.18.0.53', port: 53, servers: [server('10.0.0.5', 53)] })];
    const [[labels]] = series(await scrape({ table: t }), 'node_ipvs_backend_connections_active');
    expect(labels).toMatchObject({ proto: 'UDP', local_address: '198.18.0.53', local_port: '53', local_mark: '' });
  });
});

describe('tsvs families', () => {
  it('per service and per real server: counters, connections and weight under the service\'s labels', async () => {
    const fams = await scrape();
    const web = { service: 'tcp-198.18.0.10-80', protocol: 'tcp', address: '198.18.0.10', port: '80', fwmark: '0' };
    const mark = { service: 'fwm-1', protocol: 'tcp', address: '0.0.0.0', port: '0', fwmark: '1' };
    expect(series(fams, 'tsvs_service_connections_total')).toEqual([
      [web, 300],
      [mark, 7],
    ]);
    expect(series(fams, 'tsvs_service_outgoing_bytes_total').map(([, v]) => v)).toEqual([9_600_000, 0]);
    expect(series(fams, 'tsvs_service_connections_active').map(([, v]) => v)).toEqual([40, 4]);
    expect(series(fams, 'tsvs_service_connections_inactive').map(([, v]) => v)).toEqual([10, 1]);
    expect(series(fams, 'tsvs_service_info')[0]).toEqual([{ ...web, name: 'web', scheduler: 'wlc' }, 1]);
    expect(series(fams, 'tsvs_real_server_incoming_packets_total')).toEqual([
      [{ ...web, server_address: '10.0.0.3', server_port: '80' }, 6000],
      [{ ...web, server_address: '10.0.0.2', server_port: '80' }, 3000],
      [{ ...mark, server_address: '10.0.0.4', server_port: '0' }, 70],
    ]);
    expect(series(fams, 'tsvs_real_server_weight').map(([, v]) => v)).toEqual([3, 1, 2]);
    expect(series(fams, 'tsvs_real_server_persistent_connections').map(([, v]) => v)).toEqual([0, 0, 3]);
    expect(family(fams, 'tsvs_real_server_connections_total').type).toBe('COUNTER');
  });

  it('every drop and pass reason, zeros included, and the frame counters', async () => {
    const fams = await scrape();
    expect(Object.fromEntries(series(fams, 'tsvs_frames_dropped_total').map(([l, v]) => [l.reason, v]))).toEqual(dataplane().drops);
    expect(Object.fromEntries(series(fams, 'tsvs_frames_passed_total').map(([l, v]) => [l.reason, v]))).toEqual(dataplane().passes);
    expect(series(fams, 'tsvs_frames_received_total')).toEqual([[{}, 17070]]);
    expect(series(fams, 'tsvs_frames_sent_total')).toEqual([[{}, 17000]]);
    expect(series(fams, 'tsvs_connections_created_total')).toEqual([[{}, 307]]);
    expect(series(fams, 'tsvs_connection_table_entries')).toEqual([[{}, 45]]);
    expect(series(fams, 'tsvs_connection_table_capacity')).toEqual([[{}, 65536]]);
    expect(series(fams, 'tsvs_table_version')).toEqual([[{}, 12]]);
  });

  it('frames held for a next hop being resolved: held and sent, only when the data plane reports them', async () => {
    const fams = await scrape({ dataplane: dataplane({ nextHop: { held: 9, sent: 7 } }) });
    expect(series(fams, 'tsvs_next_hop_held_frames_total')).toEqual([[{ result: 'held' }, 9], [{ result: 'sent' }, 7]]);
    expect((await scrape()).map((f) => f.name)).not.toContain('tsvs_next_hop_held_frames_total');
  });

  it('LVS-TUN: frames sent into tunnels and GSO super-frames cut, only when the data plane reports them', async () => {
    const fams = await scrape({ dataplane: dataplane({ tunnel: { sent: 4600, gsoCut: 100 } }) });
    expect(series(fams, 'tsvs_tunnel_frames_total')).toEqual([[{}, 4600]]);
    expect(series(fams, 'tsvs_tunnel_gso_cut_total')).toEqual([[{}, 100]]);
    expect((await scrape()).map((f) => f.name)).not.toContain('tsvs_tunnel_gso_cut_total');
  });

  it('datagrams fragmented and the fragments sent, only when the data plane reports them', async () => {
    const fams = await scrape({ dataplane: dataplane({ fragmented: { datagrams: 5, fragments: 12 } }) });
    expect(series(fams, 'tsvs_datagrams_fragmented_total')).toEqual([[{}, 5]]);
    expect(series(fams, 'tsvs_fragments_created_total')).toEqual([[{}, 12]]);
    expect((await scrape()).map((f) => f.name)).not.toContain('tsvs_fragments_created_total');
  });

  it('IPv6: frames, neighbour advertisements, echo replies and Packet Too Big, only when the data plane reports them', async () => {
    const fams = await scrape({ dataplane: dataplane({ ipv6: { frames: 900, ndpAdverts: 3, echoReplies: 2, tooBig: 1 } }) });
    expect(series(fams, 'tsvs_ipv6_frames_total')).toEqual([[{}, 900]]);
    expect(series(fams, 'tsvs_ndp_advertisements_total')).toEqual([[{}, 3]]);
    expect(series(fams, 'tsvs_icmp6_echo_replies_total')).toEqual([[{}, 2]]);
    expect(series(fams, 'tsvs_icmp6_packet_too_big_total')).toEqual([[{}, 1]]);
    expect((await scrape()).map((f) => f.name)).not.toContain('tsvs_ipv6_frames_total');
  });

  it('the SYN proxy: cookies, checked ACKs, proxied connections as counters; whether it acts as a gauge', async () => {
    const fams = await scrape();
    expect(series(fams, 'tsvs_synproxy_cookies_sent_total')).toEqual([[{}, 900]]);
    expect(Object.fromEntries(series(fams, 'tsvs_synproxy_acks_total').map(([l, v]) => [l.result, v]))).toEqual({ valid: 12, invalid: 3 });
    expect(series(fams, 'tsvs_synproxy_connections_total')).toEqual([[{}, 11]]);
    expect(series(fams, 'tsvs_synproxy_held_total')).toEqual([[{}, 10]]);
    expect(series(fams, 'tsvs_synproxy_active')).toEqual([[{}, 1]]);
  });

  it('the SYN flood defences: events as counters, which act now and the drop rate as gauges', async () => {
    const fams = await scrape();
    expect(Object.fromEntries(series(fams, 'tsvs_syn_defense_events_total').map(([l, v]) => [l.event, v]))).toEqual({
      half_open_evicted: 4, drop_entry_dropped: 0,
    });
    expect(Object.fromEntries(series(fams, 'tsvs_syn_defense_active').map(([l, v]) => [l.strategy, v]))).toEqual({ drop_entry: 0, secure_tcp: 1 });
    expect(series(fams, 'tsvs_syn_defense_drop_rate')).toEqual([[{}, 0]]);
  });

  it('batch sizes and times are histograms: cumulative buckets, +Inf = count, time in seconds', async () => {
    const fams = await scrape();
    const frames = family(fams, 'tsvs_dataplane_batch_frames');
    expect(frames.type).toBe('HISTOGRAM');
    expect(frames.metrics[0]).toEqual({ buckets: { '1': '2', '8': '5', '64': '9', '256': '10', '+Inf': '10' }, count: '10', sum: '300' });
    const time = family(fams, 'tsvs_dataplane_batch_duration_seconds').metrics[0];
    expect(time).toEqual({ buckets: { '0.00001': '1', '0.0001': '6', '0.001': '9', '+Inf': '10' }, count: '10', sum: '0.0025' });
    const counts = Object.values(time.buckets!).map(Number);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
  });

  it("a change's steps and the data plane thread's GC pauses are histograms in seconds: what forwarding waited for", async () => {
    const fams = await scrape();
    const steps = family(fams, 'tsvs_dataplane_change_step_duration_seconds');
    expect(steps.type).toBe('HISTOGRAM');
    expect(steps.metrics[0]).toEqual({ buckets: { '0.00025': '30', '0.0005': '41', '0.001': '41', '+Inf': '42' }, count: '42', sum: '0.0108' });
    expect(family(fams, 'tsvs_dataplane_gc_pause_seconds').metrics[0]).toEqual({
      buckets: { '0.00025': '7', '0.0005': '8', '0.001': '8', '0.0025': '9', '+Inf': '9' }, count: '9', sum: '0.0031',
    });
    const none = await scrape({ dataplane: dataplane({ stepMicros: undefined, gcMicros: undefined }) });
    expect(none.some((f) => f.name === 'tsvs_dataplane_gc_pause_seconds')).toBe(false);
  });

  it('a histogram whose bounds already end in +Inf gets one +Inf bucket, from count', async () => {
    const dp = dataplane({ batchFrames: { le: [4, Infinity], counts: [3, 5], count: 5, sum: 12 } });
    const text = await renderMetrics({ table: table(), dataplane: dp, status: status() });
    expect(text.match(/tsvs_dataplane_batch_frames_bucket\{le="\+Inf"\} 5/g)).toHaveLength(1);
  });

  it('several data-plane workers: each one\'s frames, connections created and table entries, labelled by worker; none with one', async () => {
    const workers = [{ rxFrames: 10, txFrames: 9, connsCreated: 3, conns: 2 }, { rxFrames: 20, txFrames: 19, connsCreated: 5, conns: 4 }];
    const fams = await scrape({ dataplane: dataplane({ workers }) });
    expect(series(fams, 'tsvs_worker_frames_received_total')).toEqual([[{ worker: '0' }, 10], [{ worker: '1' }, 20]]);
    expect(series(fams, 'tsvs_worker_connections_created_total')).toEqual([[{ worker: '0' }, 3], [{ worker: '1' }, 5]]);
    expect(series(fams, 'tsvs_worker_connection_table_entries')).toEqual([[{ worker: '0' }, 2], [{ worker: '1' }, 4]]);
    expect((await scrape()).map((f) => f.name)).not.toContain('tsvs_worker_frames_received_total');
  });

  it('reloads by result, and when the last one happened and whether it was applied', async () => {
    const fams = await scrape();
    expect(series(fams, 'tsvs_reloads_total')).toEqual([
      [{ result: 'ok' }, 3],
      [{ result: 'failed' }, 1],
    ]);
    expect(series(fams, 'tsvs_last_reload_timestamp_seconds')).toEqual([[{}, 1_700_000_000.5]]);
    expect(series(fams, 'tsvs_last_reload_success')).toEqual([[{}, 0]]);
    const none = await scrape({ status: status({ reloads: { ok: 0, failed: 0, last: null } }) });
    expect(none.map((f) => f.name)).not.toContain('tsvs_last_reload_timestamp_seconds');
    expect(none.map((f) => f.name)).not.toContain('tsvs_last_reload_success');
  });

  it('components, uptime and the router\'s backend and config (label values escaped and read back)', async () => {
    const fams = await scrape({ status: status({ config: '/etc/ha/"odd"\\lvs.cf' }) });
    expect(series(fams, 'tsvs_component_up')).toEqual([
      [{ component: 'dataplane' }, 1],
      [{ component: 'control' }, 1],
      [{ component: 'health' }, 0],
    ]);
    expect(series(fams, 'tsvs_uptime_seconds')).toEqual([[{}, 3600]]);
    expect(series(fams, 'tsvs_info')).toEqual([[{ backend: 'native', config: '/etc/ha/"odd"\\lvs.cf' }, 1]]);
  });

  it('failover: active by role, standby, transitions, heartbeats by result, the partner last heard, monitored links; none without a backup', async () => {
    const failover = {
      role: 'backup' as const, state: 'backup active', active: true, partner: ['198.18.0.2'], port: 539, keepalive: 2, deadtime: 5, lastHeard: 0.5,
      partnerSays: 'STOPPED', standby: false, links: { eth0: true, eth1: false }, transitions: 3, since: 0, reason: 'partner dead',
      heartbeats: { sent: 100, received: 90, ignored: 4, sendErrors: 1 }, auth: null,
    };
    const fams = await scrape({ status: status({ failover }) });
    expect(series(fams, 'tsvs_failover_active')).toEqual([[{ role: 'backup' }, 1]]);
    expect(series(fams, 'tsvs_failover_standby')).toEqual([[{}, 0]]);
    expect(series(fams, 'tsvs_failover_transitions_total')).toEqual([[{}, 3]]);
    expect(series(fams, 'tsvs_failover_heartbeats_total')).toEqual([
      [{ result: 'sent' }, 100], [{ result: 'received' }, 90], [{ result: 'ignored' }, 4], [{ result: 'send_error' }, 1],
    ]);
    expect(series(fams, 'tsvs_failover_partner_last_heard_seconds')).toEqual([[{}, 0.5]]);
    expect(series(fams, 'tsvs_failover_link_up')).toEqual([[{ device: 'eth0' }, 1], [{ device: 'eth1' }, 0]]);
    expect(fams.map((f) => f.name)).not.toContain('tsvs_failover_auth_dropped_total');
    expect((await scrape()).map((f) => f.name).filter((n) => n.startsWith('tsvs_failover'))).toEqual([]);
    // With ha_key_file: what the check dropped, by reason.
    const keyed = await scrape({ status: status({ failover: { ...failover, auth: { ok: 80, unauthenticated: 2, forged: 5, replayed: 1 } } }) });
    expect(series(keyed, 'tsvs_failover_auth_dropped_total')).toEqual([[{ reason: 'unauthenticated' }, 2], [{ reason: 'forged' }, 5], [{ reason: 'replayed' }, 1]]);
  });

  it('failover = vrrp: the state, the priority, adverts by direction, masterships and keepalived\'s error counters by reason', async () => {
    const vrrp = { version: 2 as const, vrid: 51, priority: 150, advertInt: 1, preempt: true, preemptDelay: 0, interface: 'eth0', address: '198.18.0.2', peers: ['224.0.0.18'], auth: false, beacon: { sent: 0, received: 0, lastHeard: null },
      stats: { advert_rcvd: 12, advert_sent: 3, become_master: 1, release_master: 0, pri_zero_rcvd: 1, pri_zero_sent: 0, packet_len_err: 0, advert_interval_err: 0, ip_ttl_err: 2, invalid_type_rcvd: 0, addr_list_err: 0, invalid_authtype: 0, authtype_mismatch: 0, auth_failure: 1, chk_err: 0, vers_err: 0, vrid_err: 0, ip_hdr_err: 0, unicast_src_err: 0 } };
    const failover = {
      role: 'primary' as const, state: 'MASTER', active: true, partner: ['198.18.0.3'], port: 539, keepalive: 2, deadtime: 5, lastHeard: 0.5,
      partnerSays: 'MASTER 198.18.0.3 prio 100', standby: false, links: {}, transitions: 1, since: 0, reason: 'Entering MASTER STATE',
      heartbeats: { sent: 3, received: 12, ignored: 3, sendErrors: 0 }, auth: null, vrrp,
    };
    const fams = await scrape({ status: status({ failover }) });
    expect(series(fams, 'tsvs_vrrp_state')).toEqual([
      [{ vrid: '51', state: 'INIT' }, 0], [{ vrid: '51', state: 'BACKUP' }, 0], [{ vrid: '51', state: 'MASTER' }, 1], [{ vrid: '51', state: 'FAULT' }, 0],
    ]);
    expect(series(fams, 'tsvs_vrrp_priority')).toEqual([[{ vrid: '51' }, 150]]);
    expect(series(fams, 'tsvs_vrrp_adverts_total')).toEqual([[{ vrid: '51', direction: 'sent' }, 3], [{ vrid: '51', direction: 'received' }, 12]]);
    expect(series(fams, 'tsvs_vrrp_become_master_total')).toEqual([[{ vrid: '51' }, 1]]);
    const errs = series(fams, 'tsvs_vrrp_errors_total').filter(([, n]) => n > 0);
    expect(errs).toEqual([[{ vrid: '51', reason: 'ip_ttl_err' }, 2], [{ vrid: '51', reason: 'auth_failure' }, 1]]);
  });

  it('sync daemon: its role, messages by direction, connections by result, bad messages; none when it is off', async () => {
    const sync = { role: 'backup' as const, iface: 'eth1', syncid: 7, version: 1 as const, sent: { conns: 0, messages: 0, queueDrops: 0, resyncs: 2 }, received: { messages: 40, conns: 900, skipped: 3, waiting: 5, bad: 2 }, auth: null };
    const fams = await scrape({ status: status({ sync }) });
    expect(series(fams, 'tsvs_sync_daemon_info')).toEqual([[{ role: 'backup', interface: 'eth1', syncid: '7' }, 1]]);
    expect(series(fams, 'tsvs_sync_messages_total')).toEqual([[{ direction: 'sent' }, 0], [{ direction: 'received' }, 40]]);
    expect(series(fams, 'tsvs_sync_conns_total')).toEqual([[{ result: 'sent' }, 0], [{ result: 'applied' }, 900], [{ result: 'skipped' }, 3], [{ result: 'queue_full' }, 0]]);
    expect(series(fams, 'tsvs_sync_conns_waiting')).toEqual([[{}, 5]]);
    expect(series(fams, 'tsvs_sync_bad_messages_total')).toEqual([[{}, 2]]);
    expect(series(fams, 'tsvs_sync_resyncs_total')).toEqual([[{}, 2]]);
    expect((await scrape()).map((f) => f.name).filter((n) => n.startsWith('tsvs_sync'))).toEqual([]);
    expect(fams.map((f) => f.name)).not.toContain('tsvs_sync_auth_dropped_total');
    const keyed = await scrape({ status: status({ sync: { ...sync, auth: { ok: 40, unauthenticated: 7, forged: 1, replayed: 0 } } }) });
    expect(series(keyed, 'tsvs_sync_auth_dropped_total')).toEqual([[{ reason: 'unauthenticated' }, 7], [{ reason: 'forged' }, 1], [{ reason: 'replayed' }, 0]]);
  });

  it('config sync: offers by answer, files received by result, the envelope\'s drops, the partner\'s serial_no; none when off', async () => {
    const configSync = {
      port: 540, partnerSerial: 12, pending: false,
      sent: { offers: 5, applied: 2, current: 1, invalid: 1, failed: 0, unanswered: 1 },
      received: { applied: 3, current: 0, invalid: 1, failed: 0, stranger: 2 },
      auth: { ok: 9, unauthenticated: 0, forged: 4, replayed: 1 },
    };
    const fams = await scrape({ status: status({ configSync }) });
    expect(series(fams, 'tsvs_config_sync_offers_total')).toEqual([
      [{ result: 'applied' }, 2], [{ result: 'current' }, 1], [{ result: 'invalid' }, 1], [{ result: 'failed' }, 0], [{ result: 'unanswered' }, 1],
    ]);
    expect(series(fams, 'tsvs_config_sync_received_total')).toEqual([
      [{ result: 'applied' }, 3], [{ result: 'current' }, 0], [{ result: 'invalid' }, 1], [{ result: 'failed' }, 0], [{ result: 'stranger' }, 2],
    ]);
    expect(series(fams, 'tsvs_config_sync_auth_dropped_total')).toEqual([[{ reason: 'unauthenticated' }, 0], [{ reason: 'forged' }, 4], [{ reason: 'replayed' }, 1]]);
    expect(series(fams, 'tsvs_config_sync_partner_serial')).toEqual([[{}, 12]]);
    expect((await scrape()).map((f) => f.name).filter((n) => n.startsWith('tsvs_config_sync'))).toEqual([]);
  });

  it('an empty table has the totals and no backend series', async () => {
    const fams = await scrape({ table: { version: 1, services: [], stats: stats(0), rates: table().rates, connTabSize: 4096 } });
    expect(series(fams, 'node_ipvs_connections_total')).toEqual([[{}, 0]]);
    expect(fams.find((f) => f.name === 'node_ipvs_backend_weight')?.metrics ?? []).toEqual([]);
  });
});

describe('health-check families', () => {
  it('per real server: what its checks say, whether it serves, whether it is forced, its last round; per service the quorum; totals', async () => {
    const rs = (address: string, o: object) => ({
      service: 'TCP 198.18.0.10:80', address, port: 80, state: 'up' as const, serving: true, force: null, weight: 1, configuredWeight: 1,
      okStreak: 1, failStreak: 0, riseNeeded: 1, fall: 1, checks: ['tcp'], last: { at: 0, ok: true, detail: 'ok', ms: 12 }, lastChange: null, ...o,
    });
    const fams = await scrape({
      health: {
        services: [{
          service: 'TCP 198.18.0.10:80', quorum: 1, hysteresis: 0, quorumUp: true, sorryServer: null, sorryActive: false,
          servers: [rs('10.0.0.2', {}), rs('10.0.0.3', { state: 'down', serving: true, force: 'up', last: { at: 0, ok: false, detail: 'refused', ms: 3 } })],
        }],
        totals: { roundsOk: 40, roundsFailed: 2, wentUp: 1, wentDown: 2, inFlight: 3, waiting: 0 },
      },
    });
    const l = (a: string) => ({ service: 'TCP 198.18.0.10:80', server_address: a, server_port: '80' });
    expect(series(fams, 'tsvs_real_server_check_up')).toEqual([[l('10.0.0.2'), 1], [l('10.0.0.3'), 0]]);
    expect(series(fams, 'tsvs_real_server_serving')).toEqual([[l('10.0.0.2'), 1], [l('10.0.0.3'), 1]]);
    expect(series(fams, 'tsvs_real_server_forced')).toEqual([[l('10.0.0.2'), 0], [l('10.0.0.3'), 1]]);
    expect(series(fams, 'tsvs_real_server_check_duration_seconds')).toEqual([[l('10.0.0.2'), 0.012], [l('10.0.0.3'), 0.003]]);
    expect(series(fams, 'tsvs_service_quorum_up')).toEqual([[{ service: 'TCP 198.18.0.10:80' }, 1]]);
    expect(series(fams, 'tsvs_health_check_rounds_total')).toEqual([[{ result: 'ok' }, 40], [{ result: 'failed' }, 2]]);
    expect(series(fams, 'tsvs_health_state_changes_total')).toEqual([[{ to: 'up' }, 1], [{ to: 'down' }, 2]]);
    expect(series(fams, 'tsvs_health_checks_in_flight')).toEqual([[{}, 3]]);
  });
});
