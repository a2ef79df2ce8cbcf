// A TableView (the control API's JSON) built from a model ServiceTable, with
// every counter at zero: what `tsvs check` prints before anything has run.
//
// List order is IPVS's: lvsd adds a service's real servers in file order and
// IPVS puts each new server at the head of the service's list
// (list_add_rcu in ip_vs_ctl.c's __ip_vs_update_dest path), so the servers
// are listed in reverse file order (ipvsadm --nosort shows it).
import { addrText } from '../model/index.js';
import { serviceId } from './service-id.js';
import { persistMaskText, viewAddress } from './view-address.js';
import type { RealServer, ServiceTable, VirtualService } from '../model/index.js';
import type { RatesView, ServerView, ServiceView, StatsView, TableView } from './types.js';

/** The size ipvsadm prints in its title; tsvs's table is not a fixed hash, so this is IPVS's default (2^12). */
export const CONN_TAB_SIZE = 4096;

const zeroStats = (): StatsView => ({ conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 });
const zeroRates = (): RatesView => ({ cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 });

export { serviceId };

function serverView(rs: RealServer): ServerView {
  return {
    name: rs.name, address: addrText(rs), port: rs.port, forward: rs.forward, weight: rs.weight,
    upperThreshold: rs.upperThreshold, lowerThreshold: rs.lowerThreshold,
    ...(rs.forward === 'tunnel' ? { tunnelType: rs.tunnelType ?? 'ipip', tunnelPort: rs.tunnelPort ?? 0, tunnelCsum: rs.tunnelCsum ?? 'none' } : {}),
    activeConns: 0, inactiveConns: 0, persistConns: 0, stats: zeroStats(), rates: zeroRates(),
  };
}

function serviceView(svc: VirtualService): ServiceView {
  return {
    id: serviceId(svc), name: svc.name, protocol: svc.protocol,
    ...viewAddress(svc), port: svc.port, fwmark: svc.fwmark,
    scheduler: svc.scheduler, schedFlags: [...svc.schedFlags],
    persistence: svc.persistence, persistMask: persistMaskText(svc), onePacket: svc.onePacket,
    stats: zeroStats(), rates: zeroRates(),
    servers: svc.servers.map(serverView).reverse(),
  };
}

export function tableViewFromModel(table: ServiceTable): TableView {
  return {
    version: table.version, services: table.services.map(serviceView),
    stats: zeroStats(), rates: zeroRates(), connTabSize: CONN_TAB_SIZE,
  };
}
