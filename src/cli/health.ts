// `tsvs health`: the health checks of the running router over its control API -
// every checked real server with its state, whether it serves, its weight, its
// last result and its last change - and forcing a server by hand: up or down
// (nanny's SIGUSR1 / SIGUSR2), drain (weight 0, its connections finish), or
// auto (its checks decide again). ipvsadm has no such view, so it is a command
// of its own rather than a listing of `tsvs admin`, whose formats stay ipvsadm's.
import { type ControlApi, type HealthForce, type HealthServerView, type HealthView, type ServiceSelector } from '../control/types.js';
import { parseIPv4 } from '../model/index.js';
import { clientOf, SOCKET_OPTION } from './control-commands.js';
import { defineCommand, UsageError, type Io } from './registry.js';
import { serverRefOf } from '../control/service-id.js';

const ACTIONS = ['list', 'up', 'down', 'drain', 'auto'] as const;

export const healthCommand = defineCommand({
  name: 'health',
  summary: 'health checks of the running router: state per real server; force one up, down, drain or auto',
  usage: '[list | up | down | drain | auto SERVICE SERVER] [--json] [--control-socket PATH]',
  description: 'Lists every checked real server: its state (what its checks say), whether it takes new connections\n' +
    '(forcing and its service\'s quorum included), its running and configured weight, the good or bad checks\n' +
    'in a row against what it needs, its last result and its last change. up / down force a server whatever\n' +
    'its checks say (nanny\'s SIGUSR1 / SIGUSR2), drain keeps it at weight 0 while its connections finish,\n' +
    'auto hands it back to its checks. SERVICE is tcp:ADDR:PORT, udp:ADDR:PORT or fwm:MARK; SERVER ADDR:PORT.',
  options: {
    json: { type: 'boolean', help: 'print the control API\'s JSON' },
    'control-socket': SOCKET_OPTION,
  },
  positionals: [
    { name: 'ACTION', help: 'list (default), up, down, drain or auto', optional: true, choices: ACTIONS },
    { name: 'SERVICE', help: 'tcp:ADDR:PORT, udp:ADDR:PORT or fwm:MARK', optional: true },
    { name: 'SERVER', help: 'ADDR:PORT', optional: true },
  ],
  run({ values, positionals, io }) {
    const api = clientOf(values['control-socket']);
    return healthMain(api, positionals, values.json === true, io);
  },
});

export async function healthMain(api: ControlApi, args: string[], json: boolean, io: Io, now = Date.now()): Promise<number> {
  const [action = 'list', svc, srv] = args;
  if (action === 'list') {
    if (svc !== undefined) throw new UsageError('list takes no SERVICE or SERVER');
    const view = await api.health();
    io.out(json ? `${JSON.stringify(view, null, 2)}\n` : formatHealth(view, now));
    return 0;
  }
  if (svc === undefined || srv === undefined) throw new UsageError(`${action} needs SERVICE and SERVER, e.g. tsvs health ${action} tcp:198.18.0.10:80 198.19.0.11:80`);
  const v = await api.forceHealth(parseService(svc), parseServer(srv), action as HealthForce);
  io.out(json ? `${JSON.stringify(v, null, 2)}\n` : `${serverRefOf(v.address, v.port)}: ${v.serving ? 'serving' : 'not serving'}, weight ${v.weight}, ${v.force ? `forced ${v.force}` : 'its checks decide'} (checks say ${v.state})\n`);
  return 0;
}

export function parseService(s: string): ServiceSelector {
  const fwm = /^fwm:(\d+)$/i.exec(s);
  if (fwm) return { fwmark: Number(fwm[1]) };
  const m = /^(tcp|udp):([\d.]+):(\d+)$/i.exec(s);
  if (!m || parseIPv4(m[2]) === null || Number(m[3]) > 65535) throw new UsageError(`${s}: a service is tcp:ADDR:PORT, udp:ADDR:PORT or fwm:MARK`);
  return { protocol: m[1].toLowerCase() as 'tcp' | 'udp', address: m[2], port: Number(m[3]) };
}

function parseServer(s: string): { address: string; port: number } {
  const m = /^([\d.]+):(\d+)$/.exec(s);
  if (!m || parseIPv4(m[1]) === null || Number(m[2]) > 65535) throw new UsageError(`${s}: a server is ADDR:PORT`);
  return { address: m[1], port: Number(m[2]) };
}

/** The listing: a service line, then a line per real server, in the columns of ipvsadm -L -n. */
export function formatHealth(view: HealthView, now: number): string {
  if (view.services.length === 0) return 'no health checks run (no checked real servers, or the router runs without them)\n';
  const lines = [
    'Prot LocalAddress:Port            Quorum            Sorry server',
    '  -> RemoteAddress:Port           State Serving Weight  Streak    Last result                     Last change',
  ];
  for (const s of view.services) {
    const [prot, rest] = s.service.split(' ');
    const quorum = `${s.quorumUp ? 'up' : 'LOST'} (${s.quorum}${s.hysteresis ? `±${s.hysteresis}` : ''})`;
    const sorry = s.sorryServer ? `${s.sorryServer}${s.sorryActive ? ' ACTIVE' : ''}` : '-';
    lines.push(`${prot.padEnd(4)} ${(rest ?? '').padEnd(28)} ${quorum.padEnd(17)} ${sorry}`);
    for (const r of s.servers) lines.push(serverLine(r, now));
  }
  return lines.join('\n') + '\n';
}

function serverLine(r: HealthServerView, now: number): string {
  const state = r.state + (r.force ? `*` : '');
  // Up: the failures in a row against `fall`; down: the passes in a row against what brings it back.
  const streak = r.state === 'up' ? `fail ${r.failStreak}/${r.fall}` : `ok ${r.okStreak}/${r.riseNeeded}`;
  const last = r.last ? `${r.last.ok ? 'ok' : 'FAIL'} ${r.last.detail}, ${ago(now - r.last.at)}` : 'not checked yet';
  const change = r.lastChange ? `${r.lastChange.to} ${ago(now - r.lastChange.at)}: ${r.lastChange.reason}` : '';
  const forced = r.force ? ` [forced ${r.force}]` : '';
  return `  -> ${serverRefOf(r.address, r.port).padEnd(28)} ${state.padEnd(5)} ${(r.serving ? 'yes' : 'no').padEnd(7)} ${`${r.weight}/${r.configuredWeight}`.padEnd(7)} ${streak.padEnd(9)} ${last.slice(0, 31).padEnd(31)} ${change}${forced}`;
}

export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''} ago`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m ago`;
}
