// The service table in ipvsadm's own layouts: `ipvsadm -L -n` (list_all(),
// print_title(), print_service_entry() in ipvsadm.c) and `ipvsadm -S -n` (the
// same code with FMT_RULE). Column widths and flag spellings are ipvsadm's, so
// scripts that read ipvsadm output read ours.
import { formatIPv4 } from '../model/index.js';
import type { ForwardMethod, RealServer, ServiceTable, VirtualService } from '../model/index.js';

export type ConnCounts = (svcIndex: number, serverIndex: number) => { active: number; inactive: number };

// ipvsadm prints the kernel's IPVS version and connection hash size; tsvs speaks
// the IPVS 1.2.1 interface and its table is not a fixed hash, so these are constant.
const TITLE = 'IP Virtual Server version 1.2.1 (size=4096)';
const HEADER = 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn';

const FORWARD_NAME: Record<ForwardMethod, string> = { nat: 'Masq', dr: 'Route', tunnel: 'Tunnel' };
const FORWARD_SWITCH: Record<ForwardMethod, string> = { nat: '-m', dr: '-g', tunnel: '-i' };

const PROTO_NUMBER = { tcp: 6, udp: 17 } as const;

/** `ipvsadm -L -n`. `counts` gives ActiveConn/InActConn by index into table.services and service.servers. */
export function formatList(table: ServiceTable, counts?: ConnCounts): string {
  const out = [TITLE, HEADER];
  for (const i of sortedServices(table)) {
    const svc = table.services[i];
    // svc_name[33] = '\0': the "PROT  ADDR:PORT" column is cut at 33 characters.
    let line = `${listName(svc).slice(0, 33)} ${svc.scheduler}`;
    const flags = schedFlagNames(svc);
    if (flags.length) line += ` (${flags.join(',')})`;
    if (svc.persistence) {
      line += ` persistent ${svc.persistence}`;
      if (svc.persistMask !== 0xffffffff) line += ` mask ${formatIPv4(svc.persistMask)}`;
    }
    if (svc.onePacket) line += ' ops';
    out.push(line);
    for (const j of sortedServers(svc)) {
      const rs = svc.servers[j];
      const c = counts?.(i, j) ?? { active: 0, inactive: 0 };
      // printf("  -> %-28s %-7s %-6d %-10u %-10u\n"); the address is cut at 28 characters.
      const dest = `${formatIPv4(rs.address)}:${rs.port}`.slice(0, 28);
      out.push(`  -> ${dest.padEnd(28)} ${FORWARD_NAME[rs.forward].padEnd(7)} ${String(rs.weight).padEnd(6)} ${String(c.active).padEnd(10)} ${String(c.inactive).padEnd(10)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/**
 * `ipvsadm -S -n`: one `-A` line per service, one `-a` line per real server, in
 * the listing's order. ipvsadm does not save thresholds; tsvs appends `-x`/`-y`
 * when they are set, so that a save restores the whole table (lines without
 * thresholds are exactly ipvsadm's).
 */
export function formatSave(table: ServiceTable): string {
  const out: string[] = [];
  for (const i of sortedServices(table)) {
    const svc = table.services[i];
    const sel = svc.fwmark ? `-f ${svc.fwmark}` : `-${svc.protocol === 'tcp' ? 't' : 'u'} ${formatIPv4(svc.address)}:${svc.port}`;
    let line = `-A ${sel} -s ${svc.scheduler}`;
    if (svc.persistence) {
      line += ` -p ${svc.persistence}`;
      if (svc.persistMask !== 0xffffffff) line += ` -M ${formatIPv4(svc.persistMask)}`;
    }
    if (svc.onePacket) line += ' -o';
    const flags = schedFlagNames(svc);
    if (flags.length) line += ` -b ${flags.join(',')}`;
    out.push(line);
    for (const j of sortedServers(svc)) {
      const rs = svc.servers[j];
      let d = `-a ${sel} -r ${formatIPv4(rs.address)}:${rs.port} ${FORWARD_SWITCH[rs.forward]} -w ${rs.weight}`;
      if (rs.upperThreshold) d += ` -x ${rs.upperThreshold}`;
      if (rs.lowerThreshold) d += ` -y ${rs.lowerThreshold}`;
      out.push(d);
    }
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

function listName(svc: VirtualService): string {
  return svc.fwmark ? `FWM  ${svc.fwmark}` : `${svc.protocol.toUpperCase()}  ${formatIPv4(svc.address)}:${svc.port}`;
}

/**
 * The service's scheduler-flag bits named the way ipvsadm names them for its
 * scheduler: bit 1 is sh-fallback for sh, mh-fallback for mh, flag-1 otherwise;
 * bit 2 likewise sh-port / mh-port / flag-2; bit 3 is always flag-3.
 */
export function schedFlagNames(svc: Pick<VirtualService, 'scheduler' | 'schedFlags'>): string[] {
  const bits = new Set(svc.schedFlags.map((f) => (f.endsWith('fallback') || f === 'flag-1' ? 1 : f.endsWith('port') || f === 'flag-2' ? 2 : 3)));
  const family = svc.scheduler === 'sh' || svc.scheduler === 'mh' ? svc.scheduler : null;
  const names: string[] = [];
  if (bits.has(1)) names.push(family ? `${family}-fallback` : 'flag-1');
  if (bits.has(2)) names.push(family ? `${family}-port` : 'flag-2');
  if (bits.has(3)) names.push('flag-3');
  return names;
}

/**
 * ipvs_cmp_services(): by fwmark (0, i.e. address services, first), protocol
 * number, address, port. (ipvsadm subtracts unsigned addresses into an int, which
 * misorders addresses more than 2^31 apart; tsvs compares them as numbers.)
 */
function sortedServices(table: ServiceTable): number[] {
  const s = table.services;
  return s.map((_, i) => i).sort((a, b) =>
    s[a].fwmark - s[b].fwmark ||
    PROTO_NUMBER[s[a].protocol] - PROTO_NUMBER[s[b].protocol] ||
    s[a].address - s[b].address ||
    s[a].port - s[b].port);
}

/** ipvs_cmp_dests(): by address, then port. */
function sortedServers(svc: VirtualService): number[] {
  const r: readonly RealServer[] = svc.servers;
  return r.map((_, i) => i).sort((a, b) => r[a].address - r[b].address || r[a].port - r[b].port);
}
