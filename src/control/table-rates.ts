// The estimator's keys for a TableView's stats objects, so whoever feeds the
// estimator and whoever reads it name them alike. The kernel keeps one
// estimator per struct ip_vs_stats: the totals, each service, each real
// server of a service.
import type { Estimator } from './estimator.js';
import type { StatsView, TableView } from './types.js';

export const TOTAL_KEY = 'total';

/** A real server is known by its service and its address:port (ip_vs_lookup_dest). */
export const serverKey = (serviceId: string, address: string, port: number): string => `${serviceId} ${address}:${port}`;

/** Every stats object of the table with its key: the totals, each service, each of its servers. */
export function* statsOf(table: TableView): Generator<readonly [string, StatsView]> {
  yield [TOTAL_KEY, table.stats];
  for (const svc of table.services) {
    yield [svc.id, svc.stats];
    for (const s of svc.servers) yield [serverKey(svc.id, s.address, s.port), s.stats];
  }
}

/** The table with every `rates` field read from the estimator (the table itself is left as it is). */
export function withRates(est: Estimator, table: TableView): TableView {
  return {
    ...table,
    rates: est.read(TOTAL_KEY),
    services: table.services.map((svc) => ({
      ...svc,
      rates: est.read(svc.id),
      servers: svc.servers.map((s) => ({ ...s, rates: est.read(serverKey(svc.id, s.address, s.port)) })),
    })),
  };
}
