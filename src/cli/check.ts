// `tsvs check -c FILE`: parse and compile an lvs.cf without running anything.
// On success it prints the table the file builds through `tsvs admin -L -n`'s
// own formatter (every counter zero, as before anything has run), then how each
// service's servers are checked (check-health.ts), what pulse will do when the
// file names a backup router, then each key that is present
// but not acted on yet; on failure every error of the file as
// `file:line: CODE: message`. The CLI only wires this to argv.
import type { FailoverSettings } from '../config/compile-failover.js';
import { readConfigText, readWhy } from '../config/read-file.js';
import type { VrrpLvsSettings } from '../config/compile-vrrp.js';
import { formatIPv4 } from '../model/index.js';
import { compileLvsCf, ConfigError, ConfigErrors, parseLvsCf } from '../config/index.js';
import { tableViewFromModel } from '../control/from-model.js';
import { DEFAULT_FORMAT } from './admin/command.js';
import { formatList } from './admin/format-list.js';
import { numericNamer } from './admin/names.js';
import { formatHealth } from './check-health.js';
import { defineCommand, EXIT_FAILURE, EXIT_OK } from './registry.js';
import { planEgress } from '../router/egress.js';
import { tableDevices } from '../router/setup.js';
import type { Route } from '../engine/routes.js';
import { readKernelRoutes } from '../router/kernel-routes.js';

export interface CheckResult {
  ok: boolean;
  output: string;
}

/** `routes`: the router's routes (tsvs check --routes, run on the router): how each real server is reached is said too. */
export function checkFile(path: string, routes?: Route[] | null): CheckResult {
  let text: string;
  try {
    text = readConfigText(path);
  } catch (e) {
    const why = readWhy(e);
    return { ok: false, output: `${new ConfigError('READ', path, 0, `cannot read the file (${why})`)}\n` };
  }
  return checkText(text, path, routes);
}

/** checkFile on text already read (for the web tool and tests). */
export function checkText(text: string, file: string, routes?: Route[] | null): CheckResult {
  try {
    const { table, notActedOn, health, failover, sync } = compileLvsCf(parseLvsCf(text, file));
    let output = formatList(tableViewFromModel(table), { ...DEFAULT_FORMAT, numeric: true }, numericNamer);
    if (routes !== undefined) output += `\n${formatEgress(table, routes)}`;
    const checks = formatHealth(health);
    if (checks) output += `\n${checks}`;
    if (failover) output += `\n${formatFailoverSettings(failover)}`;
    if (sync?.auth) output += `${failover ? '' : '\n'}sync messages authenticated (HMAC-SHA256, key file ${sync.auth.keyFile})\n`;
    if (notActedOn.length) {
      output += `\nNot yet acted on (${notActedOn.length}):\n`;
      output += notActedOn.map((n) => `${n.file}:${n.line} ${n.key}: ${n.why}\n`).join('');
    }
    return { ok: true, output };
  } catch (e) {
    if (!(e instanceof ConfigErrors)) throw e;
    return { ok: false, output: e.errors.map((x) => `${x}\n`).join('') };
  }
}

/** How this host's routes reach each real server, as tsvs start would decide it (router/egress.ts). */
function formatEgress(table: Parameters<typeof planEgress>[0], routes: Route[] | null): string {
  if (routes === null) return 'Routes: this host\'s routes cannot be read (ip -j route failed)\n';
  const open = tableDevices(table);
  const p = planEgress(table, routes, open);
  const lines = [`Routes (this host's): devices opened ${[...open, ...p.extra].join(', ')}${p.extra.length ? ` (${p.extra.join(', ')} for the real servers)` : ''}`];
  for (const [addr, how] of p.reached) lines.push(`  ${typeof addr === 'string' ? addr : formatIPv4(addr)} by ${how}`);
  for (const problem of p.problems) lines.push(`  ${problem}`);
  return lines.join('\n') + '\n';
}

/** What pulse will do with the file: both routers, the heartbeat, the commands. */
function formatFailoverSettings(f: FailoverSettings): string {
  const pair = (pub: string, priv: string | null) => (priv ? `${pub} (private ${priv})` : pub);
  return [
    `Failover (${f.vrrp ? 'VRRP' : 'pulse'}):`,
    `primary ${pair(f.primary, f.primaryPrivate)}, backup ${pair(f.backup, f.backupPrivate)}`,
    ...(f.vrrp ? vrrpLines(f.vrrp, f.monitorLinks, f.port, f.keepalive) : [
      `heartbeat UDP ${f.port} every ${f.keepalive}s, partner dead after ${f.deadtime}s${f.monitorLinks ? ', monitor_links on' : ''}${f.failback ? ', failback after deadtime' : ''}`,
    ]),
    ...(f.activeCmd ? [`active_cmd: ${f.activeCmd}`] : []),
    ...(f.inactiveCmd ? [`inactive_cmd: ${f.inactiveCmd}`] : []),
    ...(f.auth ? [`heartbeats authenticated (HMAC-SHA256, key file ${f.auth.keyFile}); unauthenticated ones are dropped`] : []),
    ...(f.configSync ? [`config sync: lvs.cf goes to the partner on TCP ${f.configSync.port} when serial_no grows, and comes from it`] : []),
  ].join('\n') + '\n';
}

/** failover = vrrp: the instance as keepalived.conf would say it, so the partner's can be matched to it. */
function vrrpLines(v: VrrpLvsSettings, monitorLinks: boolean, port: number, keepalive: number): string[] {
  const to = v.unicastPeers.length ? `unicast to ${v.unicastPeers.map(formatIPv4).join(', ')}` : 'multicast to 224.0.0.18';
  const preempt = !v.preempt ? 'nopreempt' : v.preemptDelay ? `preempt after ${v.preemptDelay / 1000}s` : 'preempt';
  return [
    `VRRPv${v.version} virtual_router_id ${v.vrid}, priority ${v.priority} (primary) / ${v.backupPriority} (backup), advert_int ${v.advertInt / 1000}s, ${preempt}`,
    `on ${v.interface ?? 'the public address\'s device'} from ${v.srcIp !== null ? formatIPv4(v.srcIp) : 'the public address'}, ${to}${v.authPass !== null ? ', auth_type PASS' : ''}${monitorLinks ? ', monitor_links on' : ''}`,
    `virtual_ipaddress: ${v.virtualAddresses.map(formatIPv4).join(' ') || 'none'}`,
    `beside VRRP, pulse's heartbeat on UDP ${port} every ${keepalive}s as a presence beacon (a returning partner gets the connection table)`,
  ];
}

export const checkCommand = defineCommand({
  name: 'check',
  summary: 'validate an lvs.cf and print the table it builds (ipvsadm -L -n layout)',
  description: 'Validates a Piranha lvs.cf: prints every error as file:line: CODE: message (exit status 1),\n' +
    'or the table it would build in the ipvsadm -L -n layout, how each service\'s servers are checked,\n' +
    'and the keys it parsed but does not act on yet.',
  options: {
    config: { type: 'string', short: 'c', arg: 'FILE', required: true, help: 'the lvs.cf to check' },
    routes: { type: 'boolean', help: 'also say how this host\'s routes reach each real server, as tsvs start would (run it on the router)' },
  },
  run({ values, io }) {
    const res = checkFile(values.config, values.routes ? readKernelRoutes() : undefined);
    const text = res.output.endsWith('\n') ? res.output : res.output + '\n';
    if (res.ok) io.out(text);
    else io.err(text);
    return res.ok ? EXIT_OK : EXIT_FAILURE;
  },
});
