// The families node_exporter's ipvs collector exports, with its names, label
// names and label values, so the IPVS dashboards and alerts people already
// have read tsvs as they read a kernel director.
//
// Source: node_exporter's collector/ipvs_linux.go and the /proc/net/ip_vs
// parser it calls (prometheus/procfs ipvs.go), read for this file, and the
// kernel's ip_vs_info_seq_show (ip_vs_ctl.c) that writes /proc/net/ip_vs:
// - the totals come from /proc/net/ip_vs_stats: node_ipvs_connections_total,
//   node_ipvs_{incoming,outgoing}_{packets,bytes}_total, no labels;
// - per backend: node_ipvs_backend_connections_active, ..._inactive and
//   node_ipvs_backend_weight, labelled local_address, local_port,
//   remote_address, remote_port, proto, local_mark (its default
//   --collector.ipvs.backend-labels); ports are decimal;
// - a TCP or UDP service: proto "TCP"/"UDP", local_mark "";
// - a firewall-mark service, which /proc prints as `FWM  %08X sched`:
//   proto "FWM", local_mark the mark as those 8 upper-case hex digits,
//   local_address "" (procfs leaves it nil) and local_port "0".
// node_exporter sums backends whose label values coincide (possible only
// when labels are dropped by that flag); with the full set they never do.
import type { Counter, Gauge } from 'prom-client';
import type { ServiceView, TableView } from './types.js';

export const IPVS_BACKEND_LABELS = ['local_address', 'local_port', 'remote_address', 'remote_port', 'proto', 'local_mark'] as const;
type BackendLabel = (typeof IPVS_BACKEND_LABELS)[number];

/** Makes metric families in the registry being rendered. */
export interface Families {
  counter<L extends string = never>(name: string, help: string, labels?: readonly L[]): Counter<L>;
  gauge<L extends string = never>(name: string, help: string, labels?: readonly L[]): Gauge<L>;
}

/** The labels node_exporter gives a service's side of a backend. */
export function ipvsServiceLabels(svc: ServiceView): Pick<Record<BackendLabel, string>, 'local_address' | 'local_port' | 'proto' | 'local_mark'> {
  if (svc.fwmark) {
    return { local_address: '', local_port: '0', proto: 'FWM', local_mark: svc.fwmark.toString(16).toUpperCase().padStart(8, '0') };
  }
  return { local_address: svc.address, local_port: String(svc.port), proto: svc.protocol.toUpperCase(), local_mark: '' };
}

export function addIpvsFamilies(f: Families, table: TableView): void {
  const totals: Array<[string, string, number]> = [
    ['node_ipvs_connections_total', 'The total number of connections made.', table.stats.conns],
    ['node_ipvs_incoming_packets_total', 'The total number of incoming packets.', table.stats.inPkts],
    ['node_ipvs_outgoing_packets_total', 'The total number of outgoing packets.', table.stats.outPkts],
    ['node_ipvs_incoming_bytes_total', 'The total amount of incoming data.', table.stats.inBytes],
    ['node_ipvs_outgoing_bytes_total', 'The total amount of outgoing data.', table.stats.outBytes],
  ];
  for (const [name, help, value] of totals) f.counter(name, help).inc(value);

  const active = f.gauge('node_ipvs_backend_connections_active', 'The current active connections by local and remote address.', IPVS_BACKEND_LABELS);
  const inactive = f.gauge('node_ipvs_backend_connections_inactive', 'The current inactive connections by local and remote address.', IPVS_BACKEND_LABELS);
  const weight = f.gauge('node_ipvs_backend_weight', 'The current backend weight by local and remote address.', IPVS_BACKEND_LABELS);
  for (const svc of table.services) {
    const local = ipvsServiceLabels(svc);
    for (const rs of svc.servers) {
      const labels = { ...local, remote_address: rs.address, remote_port: String(rs.port) };
      active.set(labels, rs.activeConns);
      inactive.set(labels, rs.inactiveConns);
      weight.set(labels, rs.weight);
    }
  }
}
