// Where frames were lost during one lab run, for every director alike: the TCP
// retransmissions the client and the real servers made (each one a segment the
// path lost, or a timer that fired first), the drop counters of every lab
// interface (a veth counts a frame its peer's backlog refused as tx_dropped),
// and, for tsvs, its backend's own counters (ring drops, unsent frames: what
// the kernel's NAT has no equivalent of) from its stats file.
import { existsSync, readFileSync } from 'node:fs';
import type { Lab } from '../../src/lab/index.js';

export type Losses = Record<string, number>;

/** TcpRetransSegs of one namespace (/proc/net/snmp is per namespace). */
async function retransmits(lab: Lab, role: string): Promise<number> {
  const r = await lab.exec(role, ['cat', '/proc/net/snmp'], { check: true });
  const tcp = r.stdout.split('\n').filter((l) => l.startsWith('Tcp:'));
  if (tcp.length < 2) return 0;
  const names = tcp[0].split(/\s+/);
  const values = tcp[1].split(/\s+/);
  return Number(values[names.indexOf('RetransSegs')] ?? 0);
}

/** rx_dropped + tx_dropped of every interface but lo in a namespace. */
async function ifDrops(lab: Lab, role: string): Promise<number> {
  const script = 'for d in /sys/class/net/*; do [ "${d##*/}" = lo ] || cat $d/statistics/rx_dropped $d/statistics/tx_dropped; done';
  const r = await lab.exec(role, ['sh', '-c', script], { check: true });
  return r.stdout.split('\n').filter(Boolean).reduce((a, l) => a + Number(l), 0);
}

/** tsvs's stats file: its backend_* counters (frames/port.ts PORT_COUNTER_NAMES) and every drop_* of the engine. */
function tsvsCounters(statsFile: string | undefined): Losses {
  if (!statsFile || !existsSync(statsFile)) return {};
  try {
    const c = (JSON.parse(readFileSync(statsFile, 'utf8')) as { counters: Record<string, number> }).counters;
    return Object.fromEntries(Object.entries(c).filter(([k]) => k.startsWith('backend_') || k.startsWith('drop_')));
  } catch {
    return {}; // caught mid-rename: the next read has it
  }
}

/** A reading of every counter; losses of a run are the difference of two (since()). */
export async function readLosses(lab: Lab, statsFile?: string): Promise<Losses> {
  let retrans = 0;
  let drops = 0;
  for (const role of ['client', ...lab.serverNames]) retrans += await retransmits(lab, role);
  for (const role of ['client', 'router', ...lab.serverNames]) drops += await ifDrops(lab, role);
  return { tcp_retransmits: retrans, if_drops: drops, ...tsvsCounters(statsFile) };
}

/** after - before, keeping only counters that moved. */
export function since(before: Losses, after: Losses): Losses {
  const out: Losses = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** "tcp_retransmits 12, backend_tx_unsent 40" or "none". */
export function formatLosses(l: Losses): string {
  const parts = Object.entries(l).map(([k, v]) => `${k} ${Math.round(v)}`);
  return parts.length ? parts.join(', ') : 'none';
}
