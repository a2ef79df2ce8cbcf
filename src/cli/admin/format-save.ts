// `ipvsadm -S` (list_all with FMT_RULE): one -A line per service, one -a line
// per real server, sorted as the listing is, and read back by -R.
import type { ServerView, ServiceView, TableView } from '../../control/types.js';
import { hasSchedFlags, persistMaskSuffix, schedFlagsText } from './format-list.js';
import type { Namer } from './names.js';
import { cmpDests, cmpServices, qsort } from './sort.js';

const FORWARD_SWITCH = { nat: '-m', dr: '-g', tunnel: '-i' } as const;

export function formatSave(view: TableView, namer: Namer): string {
  return qsort(view.services, cmpServices).map((s) => saveService(s, namer)).join('');
}

/** svc_name in FMT_RULE: "-f MARK" ("-f MARK -6" for IPv6), or "-t|-u ADDR:PORT" (not cut short, unlike the listing's). */
function ruleName(svc: ServiceView, namer: Namer): string {
  if (svc.fwmark) return svc.ipv6 ? `-f ${svc.fwmark} -6` : `-f ${svc.fwmark}`;
  return `${svc.protocol === 'udp' ? '-u' : '-t'} ${namer.addrPort(svc.address, svc.port, svc.protocol)}`;
}

function saveService(svc: ServiceView, namer: Namer): string {
  const name = ruleName(svc, namer);
  let line = `-A ${name} -s ${svc.scheduler}`;
  if (svc.persistence) {
    line += ` -p ${svc.persistence}${persistMaskSuffix(svc, '-M')}`;
  }
  if (svc.onePacket) line += ' -o';
  // " -b " then the names; for sh/mh with only bit 3 set ipvsadm prints "-b "
  // and nothing after it, which its own -R then refuses.
  if (hasSchedFlags(svc)) line += ` -b ${schedFlagsText(svc)}`;
  const dests = qsort(svc.servers, cmpDests).map((d) => saveServer(svc, name, d, namer));
  return [line, ...dests].map((l) => `${l}\n`).join('');
}

/**
 * "-a %s -r %s %s -w %d"; a tunnel server gets print_tunnel_rule()'s
 * "--tun-type ipip", "--tun-type gue --tun-port PORT --tun-CSUM" or
 * "--tun-type gre --tun-CSUM". ipvsadm saves no thresholds; tsvs
 * appends -x/-y when they are set, so that `-S | -R` rebuilds the whole table
 * (lines without thresholds are exactly ipvsadm's).
 */
/** tun_flags_opts[]. */
const TUN_FLAG_OPTS = { none: '--tun-nocsum', csum: '--tun-csum', remcsum: '--tun-remcsum' } as const;

function tunnelRule(d: ServerView): string {
  const flags = TUN_FLAG_OPTS[d.tunnelCsum ?? 'none'];
  if (d.tunnelType === 'gue') return ` --tun-type gue --tun-port ${d.tunnelPort ?? 0} ${flags}`;
  if (d.tunnelType === 'gre') return ` --tun-type gre ${flags}`;
  return ' --tun-type ipip';
}

function saveServer(svc: ServiceView, name: string, d: ServerView, namer: Namer): string {
  let line = `-a ${name} -r ${namer.addrPort(d.address, d.port, svc.protocol)} ${FORWARD_SWITCH[d.forward]} -w ${d.weight}`;
  if (d.forward === 'tunnel') line += tunnelRule(d);
  if (d.upperThreshold) line += ` -x ${d.upperThreshold}`;
  if (d.lowerThreshold) line += ` -y ${d.lowerThreshold}`;
  return line;
}
