// `ipvsadm -L` in every layout, byte for byte from ipvsadm.c: list_all(),
// list_service(), print_title() and print_service_entry() (all formats but
// FMT_RULE, which is format-save.ts).
import type { ServerView, ServiceView, TableView } from '../../control/types.js';
import { schedFlagBits, SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3 } from '../../sched/names.js';
import type { ListFormat } from './command.js';
import { largeNum, plain8 } from './format-num.js';
import type { Namer } from './names.js';
import { cmpDests, cmpServices, qsort } from './sort.js';

/** tsvs speaks the IPVS 1.2.1 interface; this is the version ipvsadm reads from the kernel. */
export const IPVS_VERSION = '1.2.1';

/** list_all(): the version line, the column titles, then every service (sorted unless --nosort). */
export function formatList(view: TableView, format: ListFormat, namer: Namer): string {
  const services = format.noSort ? view.services : qsort(view.services, cmpServices);
  return `IP Virtual Server version ${IPVS_VERSION} (size=${view.connTabSize})\n${title(format)}${services.map((s) => serviceEntry(s, format, namer)).join('')}`;
}

/** list_service() (`-L -t VIP:PORT`): titles and one service, without the version line. */
export function formatService(svc: ServiceView, format: ListFormat, namer: Namer): string {
  return title(format) + serviceEntry(svc, format, namer);
}

const pad = (s: string | number, n: number): string => String(s).padEnd(n);
const PROT = 'Prot LocalAddress:Port';

/** print_title(): the first matching format wins, in this order. */
function title(f: ListFormat): string {
  const remote = '  -> RemoteAddress:Port\n';
  const nums = (cols: string[]): string => `${pad(PROT, 33)} ${cols.map((c) => c.padStart(8)).join(' ')}\n${remote}`;
  if (f.stats) return nums(['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes']);
  if (f.rate) return nums(['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS']);
  if (f.thresholds) return `${pad(PROT, 33)} ${['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'].map((c) => pad(c, 10)).join(' ')}\n${remote}`;
  if (f.persistentConn) return `${pad(PROT, 33)} ${pad('Weight', 9)} ${pad('PersistConn', 11)} ${pad('ActiveConn', 10)} ${pad('InActConn', 10)}\n${remote}`;
  if (f.tunInfo) return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n';
  return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
}

/**
 * "%-4s %s" of the protocol and address, cut at 33 characters (svc_name[33] =
 * '\0') unless the service is IPv6; "FWM  %d" for a mark, "FWM  %d IPv6" for an IPv6 one.
 */
export function listName(svc: ServiceView, namer: Namer): string {
  if (svc.fwmark) return svc.ipv6 ? `FWM  ${svc.fwmark} IPv6` : `FWM  ${svc.fwmark}`;
  const name = `${pad(svc.protocol.toUpperCase(), 4)} ${namer.addrPort(svc.address, svc.port, svc.protocol)}`;
  return svc.ipv6 ? name : name.slice(0, 33);
}

/** The persistence mask as ipvsadm prints it: " mask DOTTED" unless all ones; for IPv6 " mask %i" unless 128. */
export function persistMaskSuffix(svc: Pick<ServiceView, 'ipv6' | 'persistMask'>, word: string): string {
  if (svc.ipv6) return svc.persistMask !== '128' ? ` ${word} ${svc.persistMask}` : '';
  return svc.persistMask !== '255.255.255.255' ? ` ${word} ${svc.persistMask}` : '';
}

/**
 * print_sched_flags(): named by the bits the kernel keeps, for the service's
 * scheduler: sh-* for sh, mh-* for mh, flag-N otherwise. (For sh or mh, bit 3
 * has no name, so "-b flag-3" on sh lists as "()".)
 */
export function schedFlagsText(svc: Pick<ServiceView, 'scheduler' | 'schedFlags'>): string {
  const bits = schedFlagBits(svc.schedFlags);
  const names: string[] = [];
  const family = svc.scheduler === 'sh' || svc.scheduler === 'mh' ? svc.scheduler : null;
  if (family) {
    if (bits & SVC_F_SCHED1) names.push(`${family}-fallback`);
    if (bits & SVC_F_SCHED2) names.push(`${family}-port`);
  } else {
    if (bits & SVC_F_SCHED1) names.push('flag-1');
    if (bits & SVC_F_SCHED2) names.push('flag-2');
    if (bits & SVC_F_SCHED3) names.push('flag-3');
  }
  return names.join(',');
}

export const hasSchedFlags = (svc: ServiceView): boolean => schedFlagBits(svc.schedFlags) !== 0;

/** The service line of the non-rule formats: counters for --stats/--rate, else scheduler and flags. */
function serviceLine(svc: ServiceView, f: ListFormat, namer: Namer): string {
  const name = listName(svc, namer);
  const n = (v: number): string => largeNum(v, f.exact);
  if (f.stats) return `${pad(name, 33)}${n(svc.stats.conns)}${n(svc.stats.inPkts)}${n(svc.stats.outPkts)}${n(svc.stats.inBytes)}${n(svc.stats.outBytes)}`;
  if (f.rate) return `${pad(name, 33)}${n(svc.rates.cps)}${n(svc.rates.inPps)}${n(svc.rates.outPps)}${n(svc.rates.inBps)}${n(svc.rates.outBps)}`;
  let line = `${name} ${svc.scheduler}`;
  if (hasSchedFlags(svc)) line += ` (${schedFlagsText(svc)})`;
  if (svc.persistence) {
    line += ` persistent ${svc.persistence}${persistMaskSuffix(svc, 'mask')}`;
  }
  if (svc.onePacket) line += ' ops';
  return line;
}

const FORWARD_NAME = { nat: 'Masq', dr: 'Route', tunnel: 'Tunnel' } as const;

/** tunflags[]: how fwd_tun_info() shows tun_flags. */
const TUN_FLAGS = { none: '-c', csum: '+c', remcsum: 'r+c' } as const;

/** fwd_tun_info(): "ipip", "gue:PORT:FLAGS" or "gre:FLAGS" for a tunnel server, "n/a" for the others (snprintf into 16 bytes). */
export function tunInfo(d: ServerView): string {
  if (d.forward !== 'tunnel') return 'n/a';
  const flags = TUN_FLAGS[d.tunnelCsum ?? 'none'];
  const type = d.tunnelType ?? 'ipip';
  const s = type === 'gue' ? `gue:${d.tunnelPort ?? 0}:${flags}` : type === 'gre' ? `gre:${flags}` : 'ipip';
  return s.slice(0, 15);
}

/** One real-server line; an IPv4 address is cut at 28 characters (dname[28] = '\0'), an IPv6 one is not. */
function destLine(svc: ServiceView, d: ServerView, f: ListFormat, namer: Namer): string {
  const full = namer.addrPort(d.address, d.port, svc.protocol);
  const dname = pad(d.address.includes(':') ? full : full.slice(0, 28), 28);
  const n = (v: number): string => largeNum(v, f.exact);
  if (f.stats) return `  -> ${dname}${n(d.stats.conns)}${n(d.stats.inPkts)}${n(d.stats.outPkts)}${n(d.stats.inBytes)}${n(d.stats.outBytes)}`;
  if (f.rate) return `  -> ${dname}${plain8(d.rates.cps)}${plain8(d.rates.inPps)}${plain8(d.rates.outPps)}${n(d.rates.inBps)}${n(d.rates.outBps)}`;
  if (f.thresholds) return `  -> ${dname} ${pad(d.upperThreshold, 10)} ${pad(d.lowerThreshold, 10)} ${pad(d.activeConns, 10)} ${pad(d.inactiveConns, 10)}`;
  if (f.persistentConn) return `  -> ${dname} ${pad(d.weight, 9)} ${pad(d.persistConns, 11)} ${pad(d.activeConns, 10)} ${pad(d.inactiveConns, 10)}`;
  const tun = f.tunInfo ? ` ${pad(tunInfo(d), 13)}` : '';
  return `  -> ${dname} ${pad(FORWARD_NAME[d.forward], 7)}${tun} ${pad(d.weight, 6)} ${pad(d.activeConns, 10)} ${pad(d.inactiveConns, 10)}`;
}

/** print_service_entry(): the service, then its real servers (sorted unless --nosort; IPVS's own order is newest first). */
function serviceEntry(svc: ServiceView, f: ListFormat, namer: Namer): string {
  const dests = f.noSort ? svc.servers : qsort(svc.servers, cmpDests);
  return [serviceLine(svc, f, namer), ...dests.map((d) => destLine(svc, d, f, namer))].map((l) => `${l}\n`).join('');
}
