// process_options() after the options are read: the command/option table,
// ipvsadm's own consistency checks, its defaults, and then what to do. For a
// change, the Op carries every field as ipvsadm sends it: -E and -e replace
// the whole service or server, so an option left out takes its default
// (scheduler wlc, no persistence, mask /32, weight 1, -g, no thresholds),
// exactly as `ipvsadm -E`/`-e` do to a kernel table.
import type { Op, ServiceSelector } from '../../control/types.js';
import type { ParseContext } from './args.js';
import type { AdminCommand, ServiceKey } from './command.js';
import type { CommandEntry } from './entry.js';
import { fail, tryHelp } from './errors.js';
import { genericOptCheck, tunnelOptCheck } from './opt-check.js';
import type { Cmd, OptName } from './options.js';

const TUNNEL_OPTIONS: readonly OptName[] = ['tun-type', 'tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'];

export function processOptions(ce: CommandEntry, cmd: Cmd, ctx: ParseContext): AdminCommand {
  genericOptCheck(cmd, ce.options);
  const { svc, dest, options } = ce;

  if (cmd === 'add-service' || cmd === 'edit-service') {
    if (!svc.fwmark && !svc.port && !svc.persistent) fail('Zero port specified for non-persistent service');
    if (svc.onePacket && !svc.fwmark && svc.protocol !== 'udp') fail('One-Packet Scheduling is only for UDP virtual services');
    if (!svc.scheduler) svc.scheduler = 'wlc';
  }
  if (cmd === 'start-daemon' && !ce.daemon.mcastInterface) ce.daemon.mcastInterface = 'eth0';

  if (cmd === 'add-server' || cmd === 'edit-server') {
    // "The destination port must be equal to the service port if the
    // IP_VS_CONN_F_TUNNEL or IP_VS_CONN_F_DROUTE is set. Don't worry about
    // this if fwmark is used."
    if (!svc.fwmark && (dest.forward === 'tunnel' || dest.forward === 'dr')) dest.port = svc.port;
    if (dest.af !== svc.af && dest.forward !== 'tunnel') fail('Different address family is allowed only for tunneling servers');
    if (TUNNEL_OPTIONS.some((o) => options.has(o)) && dest.forward !== 'tunnel') fail('Tunnel options conflict with forward method');
    tunnelOptCheck(dest.tunType, options);
  }

  switch (cmd) {
    case 'list': {
      const has = (o: OptName): boolean => options.has(o);
      if (((has('connection') || has('timeout') || has('daemon')) && (has('stats') || has('rate') || has('thresholds'))) ||
        ((has('timeout') || has('daemon')) && has('persistent-conn'))) {
        fail('options conflicts in the list command');
      }
      const format = ce.format;
      if (has('connection')) return { kind: 'list', what: 'conns', format };
      if (has('service-address')) return { kind: 'list', what: 'service', service: serviceKey(ce), format };
      if (has('timeout')) return { kind: 'list', what: 'timeouts', format };
      if (has('daemon')) return { kind: 'list', what: 'daemon', format };
      return { kind: 'list', what: 'all', format };
    }
    case 'restore':
      if (ctx.readingStdin) tryHelp(ctx.program);
      return { kind: 'restore' };
    case 'save':
      return { kind: 'save', format: ce.format };
    case 'start-daemon':
    case 'stop-daemon':
      return { kind: 'daemon', cmd, daemon: { ...ce.daemon } };
    default:
      return change(ce, cmd);
  }
}

function change(ce: CommandEntry, cmd: Cmd): AdminCommand {
  const { svc, dest } = ce;
  const service = (): ServiceSelector => selector(serviceKey(ce));
  const server = { address: dest.address, port: dest.port };
  let op: Op;
  switch (cmd) {
    case 'flush': op = { op: 'clear' }; break;
    case 'set': op = { op: 'set-timeouts', ...ce.timeouts! }; break;
    case 'zero': op = ce.options.has('service-address') ? { op: 'zero', service: service() } : { op: 'zero' }; break;
    case 'delete-service': op = { op: 'delete-service', service: service() }; break;
    case 'add-service':
    case 'edit-service':
      op = {
        op: cmd, service: service(), scheduler: svc.scheduler, schedFlags: ce.schedFlags ?? [],
        persistence: svc.persistent ? svc.timeout : 0, persistMask: String(svc.netmask), onePacket: svc.onePacket,
        ...(svc.pe ? { persistenceEngine: svc.pe } : {}),
      };
      break;
    case 'delete-server': op = { op: 'delete-server', service: service(), server }; break;
    default:
      op = {
        op: cmd === 'add-server' ? 'add-server' : 'edit-server', service: service(), server,
        forward: dest.forward, weight: dest.weight, upperThreshold: dest.upperThreshold, lowerThreshold: dest.lowerThreshold,
        ...(dest.forward === 'tunnel' ? { tunnelType: dest.tunType, tunnelPort: dest.tunPort, tunnelCsum: dest.tunCsum } : {}),
      };
  }
  const usesService = cmd !== 'flush' && cmd !== 'set' && !(cmd === 'zero' && !ce.options.has('service-address'));
  let refuse: 'ENOPROTOOPT' | undefined;
  if (usesService && svc.protocol === 'sctp' && !svc.fwmark) refuse = 'ENOPROTOOPT';
  return refuse ? { kind: 'change', cmd, ops: [op], refuse } : { kind: 'change', cmd, ops: [op] };
}

function serviceKey(ce: CommandEntry): ServiceKey {
  const { svc } = ce;
  const af = svc.af === 6 ? 6 : 4;
  if (svc.fwmark) return { fwmark: svc.fwmark, af };
  return { protocol: svc.protocol ?? 'tcp', af, address: svc.address, port: svc.port };
}

/** The API's selector; SCTP never reaches it (refused above). */
export function selector(key: ServiceKey): ServiceSelector {
  if ('fwmark' in key) return key.af === 6 ? { fwmark: key.fwmark, ipv6: true } : { fwmark: key.fwmark };
  return { protocol: key.protocol === 'udp' ? 'udp' : 'tcp', address: key.address, port: key.port };
}
