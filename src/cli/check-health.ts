// The "Health checks:" section of `tsvs check`: one line per service saying how
// its servers are checked (what most of them get), then one line per server whose
// checks differ (a check block of its own):
//
//   TCP 198.18.0.10:80: http /healthz 200-299, every 2s, timeout 5s, retry 1 after 3s, rise 2 fall 3
//     -> 198.19.0.13:80: http /healthz 200-299 + misc "/usr/local/bin/db-ok %h" (timeout 3s), every 2s, ...
import type { CheckSpec, HealthConfig, ServerChecks, ServiceHealth } from '../health/types.js';
import { serverRefOf } from '../control/service-id.js';

/** The section, or '' when no service has a server to check. */
export function formatHealth(health: HealthConfig): string {
  const lines = health.services.filter((s) => s.servers.length > 0).flatMap(serviceLines);
  return lines.length ? `Health checks:\n${lines.map((l) => `${l}\n`).join('')}` : '';
}

function serviceLines(svc: ServiceHealth): string[] {
  const descs = svc.servers.map(describeServer);
  const counts = new Map<string, number>();
  for (const d of descs) counts.set(d, (counts.get(d) ?? 0) + 1);
  const common = [...counts].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  const extra = [svc.sorryServer && `sorry server ${svc.sorryServer.address}:${svc.sorryServer.port}`, (svc.quorum !== 1 || svc.hysteresis !== 0) && `quorum ${svc.quorum} hysteresis ${svc.hysteresis}`];
  const tail = extra.filter(Boolean).map((e) => `; ${e}`).join('');
  const out = [`${svc.service}: ${common}${tail}`];
  svc.servers.forEach((s, i) => {
    if (descs[i] !== common) out.push(`  -> ${serverRefOf(s.address, s.port)}: ${descs[i]}`);
  });
  return out;
}

export function describeServer(s: ServerChecks): string {
  if (s.checks.length === 0) return 'not checked (checks = none): always up';
  const t = s.timing;
  const parts = [s.checks.map(describeCheck).join(' + '), `every ${t.interval}s`, `timeout ${t.connectTimeout}s`];
  if (t.retry) parts.push(`retry ${t.retry} after ${t.delayBeforeRetry}s`);
  if (t.rise !== 1 || t.fall !== 1) parts.push(`rise ${t.rise} fall ${t.fall}`);
  if (s.reentry) parts.push(`re-entry after ${s.reentry}s`);
  if (t.warmup) parts.push(`warmup ${t.warmup}s`);
  if (t.inhibitOnFailure) parts.push('weight 0 when down');
  return parts.join(', ');
}

// Quoted for reading: control characters as lvs.cf writes them, backslashes as they are (a regex stays legible).
const quoted = (s: string) => `"${s.replace(/[\n\r\t"]/g, (c) => ({ '\n': '\\n', '\r': '\\r', '\t': '\\t', '"': '\\"' })[c]!)}"`;
const at = (port: number | null | undefined) => (port ? ` port ${port}` : '');

export function describeCheck(c: CheckSpec): string {
  switch (c.kind) {
    case 'nanny': {
      const expect = c.expect === null ? '' : ` expect ${quoted(c.expect)}${c.useRegex ? ' (regex)' : ''}`;
      if (c.sendProgram !== null) return `nanny program ${quoted(c.sendProgram)}${expect}`;
      return `nanny ${c.protocol}${at(c.port)}${c.send === null ? ' connect' : ` send ${quoted(c.send)}`}${expect}`;
    }
    case 'tcp':
      return `tcp connect${at(c.port)}`;
    case 'http':
    case 'https': {
      const status = c.status.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',');
      const more = [
        c.digest && `digest ${c.digest}`,
        c.regex !== null && `${c.regexNoMatch ? 'not ' : ''}regex ${quoted(c.regex)}`,
        c.virtualhost && `host ${c.virtualhost}`,
        c.sni && `sni ${c.sni}`,
      ].filter(Boolean);
      return `${c.kind}${at(c.port)} ${c.path} ${status}${more.map((m) => ` ${m}`).join('')}`;
    }
    case 'dns':
      return `dns${at(c.port)} ${c.type} ${c.name}`;
    case 'udp': {
      const hex = [...c.payload].map((b) => b.toString(16).padStart(2, '0')).join('');
      const reply = c.reply && ` reply ${c.reply.map((b) => (b === null ? 'XX' : b.toString(16).padStart(2, '0'))).join('') || 'any'}`;
      return `udp${at(c.port)}${hex ? ` payload ${hex}` : ''}${reply ?? ''}`;
    }
    case 'icmp':
      return 'icmp echo';
    case 'misc':
      return `misc ${quoted(c.command)} (timeout ${c.timeout}s${c.dynamic ? ', dynamic weight' : ''})`;
  }
}
