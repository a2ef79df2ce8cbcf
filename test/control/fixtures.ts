// Small control-API views for the metrics and top tests: a NAT service with
// two real servers, a firewall-mark service with one, and a data plane with
// a few drops.
import type { DataPlaneView, RatesView, ServerView, ServiceView, StatsView, StatusView, TableView } from '../../src/control/types.js';

export const stats = (conns: number, inPkts = 0, outPkts = 0, inBytes = 0, outBytes = 0): StatsView => ({ conns, inPkts, outPkts, inBytes, outBytes });
export const rates = (cps = 0, inPps = 0, outPps = 0, inBps = 0, outBps = 0): RatesView => ({ cps, inPps, outPps, inBps, outBps });

export function server(address: string, port: number, over: Partial<ServerView> = {}): ServerView {
  return {
    name: address,
    address,
    port,
    forward: 'nat',
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
    activeConns: 0,
    inactiveConns: 0,
    persistConns: 0,
    stats: stats(0),
    rates: rates(),
    ...over,
  };
}

export function service(over: Partial<ServiceView> & Pick<ServiceView, 'id'>): ServiceView {
  return {
    name: over.id,
    protocol: 'tcp',
    address: '0.0.0.0',
    port: 0,
    fwmark: 0,
    scheduler: 'wlc',
    schedFlags: [],
    persistence: 0,
    persistMask: '255.255.255.255',
    onePacket: false,
    stats: stats(0),
    rates: rates(),
    servers: [],
    ...over,
  };
}

export function table(): TableView {
  const web = service({
    id: 'tcp-198.18.0.10-80',
    name: 'web',
    address: '198.18.0.10',
    port: 80,
    scheduler: 'wlc',
    stats: stats(300, 9000, 8000, 1_200_000, 9_600_000),
    rates: rates(50, 1200, 1100, 150_000, 1_400_000),
    // IPVS list order: the most recently added first.
    servers: [
      server('10.0.0.3', 80, { name: 'rs3', weight: 3, activeConns: 30, inactiveConns: 10, stats: stats(200, 6000, 5000, 800_000, 6_400_000), rates: rates(37, 900, 800, 110_000, 1_000_000) }),
      server('10.0.0.2', 80, { name: 'rs2', weight: 1, activeConns: 10, inactiveConns: 0, stats: stats(100, 3000, 3000, 400_000, 3_200_000), rates: rates(13, 300, 300, 40_000, 400_000) }),
    ],
  });
  const mark = service({
    id: 'fwm-1',
    name: 'marked',
    protocol: 'tcp',
    fwmark: 1,
    scheduler: 'rr',
    persistence: 300,
    stats: stats(7, 70, 0, 4200, 0),
    servers: [server('10.0.0.4', 0, { name: 'rs4', forward: 'dr', weight: 2, activeConns: 4, inactiveConns: 1, persistConns: 3, stats: stats(7, 70, 0, 4200, 0) })],
  });
  return {
    version: 12,
    services: [web, mark],
    stats: stats(307, 9070, 8000, 1_204_200, 9_600_000),
    rates: rates(50, 1200, 1100, 150_000, 1_400_000),
    connTabSize: 4096,
  };
}

export function dataplane(over: Partial<DataPlaneView> = {}): DataPlaneView {
  return {
    rxFrames: 17070,
    txFrames: 17000,
    connsCreated: 307,
    drops: { fragment: 0, tcp_no_connection: 12, no_real_server: 0, conn_table_full: 0, malformed_bad_ip_checksum: 3 },
    passes: { not_ipv4_or_arp: 40, not_a_virtual_service: 0, arp_not_for_us: 5, icmp_not_for_us: 0 },
    conns: 45,
    connCapacity: 65536,
    batches: 10,
    batchFrames: { le: [1, 8, 64, 256], counts: [2, 5, 9, 10], count: 10, sum: 300 },
    batchMicros: { le: [10, 100, 1000], counts: [1, 6, 9], count: 10, sum: 2500 },
    stepMicros: { le: [250, 500, 1000], counts: [30, 41, 41], count: 42, sum: 10_800 },
    gcMicros: { le: [250, 500, 1000, 2500], counts: [7, 8, 8, 9], count: 9, sum: 3100 },
    defense: {
      half_open_evicted: 4, drop_entry_dropped: 0, drop_entry_on: 0, drop_rate: 0, secure_tcp_on: 1,
    },
    synproxy: { cookies_sent: 900, acks_valid: 12, acks_invalid: 3, conns: 11, held: 10, on: 1 },
    ...over,
  };
}

export function status(over: Partial<StatusView> = {}): StatusView {
  return {
    pid: 4242,
    uptime: 3600,
    config: '/etc/sysconfig/ha/lvs.cf',
    version: 12,
    components: { dataplane: 'running', control: 'running', health: 'failed: no such script' },
    backend: 'native',
    devices: ['eth0', 'eth1'],
    reloads: {
      ok: 3,
      failed: 1,
      last: { at: 1_700_000_000_500, ok: false, version: 11, trigger: 'SIGHUP', errors: ['lvs.cf:3: E_SYNTAX: bad'], notes: [], discarded: [] },
    },
    failover: null,
    sync: null,
    ...over,
  };
}
