// `tsvs failover`: the router's part in its pair (lvs.cf backup_active = 1) over
// the control API - its role, whether it is active, the partner's heartbeat -
// and the operator's maintenance switch: standby releases the addresses so that
// the partner takes over, and keeps this router inactive until `resume`.
import { type ControlApi, type FailoverView, type VrrpView } from '../control/types.js';
import { ago } from './health.js';
import { clientOf, SOCKET_OPTION } from './control-commands.js';
import { defineCommand, UsageError, type Io } from './registry.js';

const ACTIONS = ['status', 'standby', 'resume'] as const;

export const failoverCommand = defineCommand({
  name: 'failover',
  summary: 'the router\'s part in its pair (pulse): role, active or not, the partner\'s heartbeat; standby / resume',
  usage: '[status | standby | resume] [--json] [--control-socket PATH]',
  description: 'Shows whether this router is the primary or the backup of its pair (lvs.cf backup_active = 1), whether\n' +
    'it is active (answering for the VIPs and the NAT router address), why it last changed, and what the\n' +
    'partner\'s heartbeat says. standby releases the addresses at once (the partner takes over at its next\n' +
    'heartbeat, or after deadtime) and keeps this router inactive, for maintenance; resume hands it back to\n' +
    'pulse\'s rules (it does not take the addresses from an active partner).',
  options: {
    json: { type: 'boolean', help: 'print the control API\'s JSON' },
    'control-socket': SOCKET_OPTION,
  },
  positionals: [{ name: 'ACTION', help: 'status (default), standby or resume', optional: true, choices: ACTIONS }],
  run({ values, positionals, io }) {
    const api = clientOf(values['control-socket']);
    return failoverMain(api, positionals[0] ?? 'status', values.json === true, io);
  },
});

export async function failoverMain(api: ControlApi, action: string, json: boolean, io: Io, now = Date.now()): Promise<number> {
  if (!(ACTIONS as readonly string[]).includes(action)) throw new UsageError(`${action}: want status, standby or resume`);
  const v = action === 'status' ? await api.failover() : await api.standby(action === 'standby');
  io.out(json ? `${JSON.stringify(v, null, 2)}\n` : formatFailover(v, now));
  return 0;
}

/** failover = vrrp: the instance and its advert counters; each error (keepalived's statistics names) only when non-zero. */
function vrrpLines(v: VrrpView, h: FailoverView['heartbeats'], port: number, keepalive: number): string[] {
  const s = v.stats;
  const dropped = Object.entries(s).filter(([k, n]) => n > 0 && !VRRP_NOT_DROPS.has(k)).map(([k, n]) => `${k} ${n}`);
  return [
    `  vrrp       VRRPv${v.version} VRID ${v.vrid} priority ${v.priority} on ${v.interface} from ${v.address} to ${v.peers.join(', ')}, advert every ${v.advertInt}s, ${v.preempt ? (v.preemptDelay ? `preempt after ${v.preemptDelay}s` : 'preempt') : 'nopreempt'}`,
    `  adverts    sent ${s.advert_sent} (priority 0: ${s.pri_zero_sent}), received ${s.advert_rcvd} (priority 0: ${s.pri_zero_rcvd}), became master ${s.become_master}, released ${s.release_master}${h.sendErrors ? `, send errors ${h.sendErrors}` : ''}`,
    ...(dropped.length ? [`  errors     ${dropped.join(', ')} (dropped; addr_list_err only logged)`] : []),
    `  beacon     heartbeat UDP ${port} every ${keepalive}s, presence only: sent ${v.beacon.sent}, received ${v.beacon.received}, partner ${v.beacon.lastHeard === null ? 'never heard (a keepalived partner sends none)' : `heard ${v.beacon.lastHeard.toFixed(1)}s ago`}`,
  ];
}

const VRRP_NOT_DROPS = new Set(['advert_rcvd', 'advert_sent', 'become_master', 'release_master', 'pri_zero_rcvd', 'pri_zero_sent']);

export function formatFailover(v: FailoverView, now: number): string {
  const heard = v.lastHeard === null ? 'never heard' : `${v.partnerSays} ${v.lastHeard.toFixed(1)}s ago`;
  const links = Object.entries(v.links).map(([d, up]) => `${d} ${up ? 'up' : 'DOWN'}`).join(', ');
  const h = v.heartbeats;
  return [
    // pulse's state ("backup active", "primary inactive (link failure)"), the active one loud.
    v.state.replace(/\bactive\b/, 'ACTIVE'),
    `  since      ${ago(now - v.since)}: ${v.reason} (${v.transitions} change${v.transitions === 1 ? '' : 's'} since start)`,
    `  partner    ${v.partner.join(', ')}: ${heard}`,
    ...(v.vrrp ? vrrpLines(v.vrrp, h, v.port, v.keepalive) : [
      `  heartbeat  UDP ${v.port}, every ${v.keepalive}s, partner dead after ${v.deadtime}s; sent ${h.sent}, received ${h.received}, ignored ${h.ignored}${h.sendErrors ? `, send errors ${h.sendErrors}` : ''}`,
    ]),
    ...(v.auth ? [`  auth       ha_key_file: ${v.auth.ok} taken; dropped ${v.auth.unauthenticated} unauthenticated, ${v.auth.forged} forged, ${v.auth.replayed} replayed`] : []),
    ...(links ? [`  links      ${links} (monitor_links)`] : []),
  ].join('\n') + '\n';
}
