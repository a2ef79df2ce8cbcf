// Issue 15 item 7: the packet backend's own losses (AF_PACKET ring drops, cut-short
// frames, refused sends) and the answers the engine writes in place of dropped
// frames reach what operators read: the data plane view, the stats file and
// /metrics (read back with a Prometheus text-format parser, as a scraper would).
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { renderMetrics } from '../../src/control/metrics.js';
import { dataPlaneView } from '../../src/control/views.js';
import type { LivePort, PortCounters } from '../../src/frames/port.js';
import { MemoryPort } from '../../src/io/memory.js';
import { diffTables } from '../../src/model/diff.js';
import { buildTcp } from '../../src/packet/build.js';
import { DataPlaneHost } from '../../src/router/dataplane-host.js';
import { createLogger } from '../../src/router/log.js';
import { snapshotOf } from '../../src/router/stats.js';
import { dataplane, status, table as tableView } from '../control/fixtures.js';
import { addNeighbours, CLIENT, CLIENT_MAC, ETH0_MAC, ETH1_MAC, service, table, VIP } from '../engine/helpers.js';

/** A live port whose backend counters are whatever the test says, like AfPacketPort.counters() summing its sockets. */
class CountingPort extends MemoryPort implements LivePort {
  lost: PortCounters = { ringDrops: 0, truncated: 0, oversize: 0, txUnsent: 0, txErrors: 0 };
  onReadable(): void {}
  counters(): PortCounters {
    return this.lost;
  }
}

function started(): { host: DataPlaneHost; port: CountingPort } {
  const port = new CountingPort();
  const t = table([service([{ addr: '198.19.0.11' }])]);
  const host = new DataPlaneHost({
    devices: ['eth0', 'eth1'], macs: [ETH0_MAC, ETH1_MAC], connCapacity: 64, openPort: () => port,
    log: createLogger({ write: () => {} }), shared: false, clock: () => 1000,
  });
  host.start(diffTables(null, t));
  addNeighbours(host.engine, t);
  return { host, port };
}

const value = (fams: ParsedFamily[], name: string, labels: Record<string, string> = {}): number => {
  const f = fams.find((x) => x.name === name);
  if (!f) throw new Error(`no family ${name}`);
  const m = f.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  return Number(m?.value);
};

describe('backend counters and answers in the stats and metrics', () => {
  it('publishes the port\'s counters at each tick, and /metrics shows them under tsvs_backend_*', async () => {
    const { host, port } = started();
    port.lost = { ringDrops: 1234, truncated: 5, oversize: 2, txUnsent: 7, txErrors: 3, txWaits: 11, ifRxDropped: 13, ifTxDropped: 17 };
    host.tick();
    const dp = dataPlaneView(host.memory);
    expect(dp.backend).toEqual({ ring_drops: 1234, truncated: 5, oversize: 2, tx_unsent: 7, tx_errors: 3, tx_waits: 11, if_rx_dropped: 13, if_tx_dropped: 17 });
    const fams = parsePrometheusTextFormat(await renderMetrics({ table: tableView(), dataplane: dp, status: status() }));
    expect(value(fams, 'tsvs_backend_rx_ring_drops_total')).toBe(1234);
    expect(value(fams, 'tsvs_backend_rx_truncated_total')).toBe(5);
    expect(value(fams, 'tsvs_backend_rx_oversize_total')).toBe(2);
    expect(value(fams, 'tsvs_backend_tx_unsent_total')).toBe(7);
    expect(value(fams, 'tsvs_backend_tx_errors_total')).toBe(3);
    expect(value(fams, 'tsvs_backend_tx_waits_total')).toBe(11);
    expect(value(fams, 'tsvs_backend_if_rx_dropped_total')).toBe(13);
    expect(value(fams, 'tsvs_backend_if_tx_dropped_total')).toBe(17);
    expect(snapshotOf(tableView(), dp, 0).counters).toMatchObject({ backend_ring_drops: 1234, backend_tx_errors: 3 });
    host.stop();
  });

  it('counts the resets it sent for segments of no connection, and the drop they answer', async () => {
    const { host, port } = started();
    port.inject(0, buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 40000, dport: 80, flags: 0x10, seq: 1, ack: 2 }));
    host.drain();
    const dp = dataPlaneView(host.memory);
    expect(dp.replies).toEqual({ tcp_resets_sent: 1, tcp_resets_rate_limited: 0, icmp_frag_needed_sent: 0, icmp_frag_needed_rate_limited: 0 });
    const fams = parsePrometheusTextFormat(await renderMetrics({ table: tableView(), dataplane: dp, status: status() }));
    expect(value(fams, 'tsvs_tcp_resets_sent_total')).toBe(1);
    expect(value(fams, 'tsvs_frames_dropped_total', { reason: 'tcp_no_connection' })).toBe(1);
    expect(value(fams, 'tsvs_replies_rate_limited_total', { kind: 'tcp_reset' })).toBe(0);
    expect(snapshotOf(tableView(), dp, 0).counters).toMatchObject({ tcp_resets_sent: 1, drop_tcp_no_connection: 1 });
    host.stop();
  });

  it('lists every drop reason of this issue in /metrics, zeros included', async () => {
    const { host } = started();
    const fams = parsePrometheusTextFormat(await renderMetrics({ table: tableView(), dataplane: dataPlaneView(host.memory), status: status() }));
    for (const reason of ['vlan_tagged', 'fragmentation_needed', 'too_big_not_fragmented']) {
      expect(value(fams, 'tsvs_frames_dropped_total', { reason })).toBe(0);
    }
    host.stop();
  });

  it('a view without the new fields (an older data plane) renders without them', async () => {
    const fams = parsePrometheusTextFormat(await renderMetrics({ table: tableView(), dataplane: dataplane(), status: status() }));
    expect(fams.some((f) => f.name.startsWith('tsvs_backend_'))).toBe(false);
  });
});
