// The screen of `tsvs top`, as a pure function of two snapshots: ipvsadm -L -n
// and --rate in one table (rates are the router's kernel-style estimates),
// each real server's share of its service's connections as a bar, the drop
// counters with their rate since the previous refresh, and the most recently
// active connections. Plain text: the loop adds the escape codes on a TTY.
import type { ConnPage, DataPlaneView, FailoverView, HealthView, ServiceView, TableView, TimeoutsView } from '../../control/types.js';
import { busiest } from './busiest.js';
import { bar, compareServers, compareServices, fit, human, mmss, rate, serviceFlags, serviceName } from './format.js';
import { serverRefOf } from '../../control/service-id.js';

export interface TopSnapshot {
  /** When it was read, in ms of the loop's clock (only differences are used). */
  at: number;
  table: TableView;
  dataplane: DataPlaneView;
  timeouts: TimeoutsView;
  /** The first entries of the connection table, among which the busiest are picked. */
  conns: ConnPage;
  /** The health checks; null or absent: not known. */
  health?: HealthView | null;
  /** The router's part in its pair; null or absent: no backup router (or not known). */
  failover?: FailoverView | null;
}

export interface RenderOptions {
  /** How many connections to list (0: none). Default 10. */
  conns?: number;
  /** Put after "tsvs top" on the first line, where a narrow window still shows it (how to quit, on a terminal). */
  hint?: string;
}

/** The numeric columns: header and width. ipvsadm's names, shortened where top has no room. */
const COLUMNS: ReadonlyArray<readonly [string, number]> = [
  ['Weight', 6],
  ['Active', 6],
  ['InAct', 5],
  ['CPS', 5],
  ['InPPS', 5],
  ['OutPPS', 6],
  ['InBPS', 5],
  ['OutBPS', 6],
];
const NAME_HEADER = 'Prot LocalAddress:Port';
/** Narrower than this, the share column is left out. */
const MIN_BAR = 3;

export function renderTop(snap: TopSnapshot, previous: TopSnapshot | null, width: number, height: number, opts: RenderOptions = {}): string {
  const dt = previous && snap.at > previous.at ? (snap.at - previous.at) / 1000 : 0;
  /** Per-second change of a counter since the previous refresh, or null on the first. */
  const perSecond = (now: number, before: number | undefined): number | null => (dt && before !== undefined && now >= before ? (now - before) / dt : null);
  const { table, dataplane: dp } = snap;
  const rx = perSecond(dp.rxFrames, previous?.dataplane.rxFrames);
  const tx = perSecond(dp.txFrames, previous?.dataplane.txFrames);
  const title = `tsvs top${opts.hint ?? ''} - table v${table.version}, ${count(table.services.length, 'service')}, ${dp.conns}/${dp.connCapacity} conns, ` +
    `rx ${rx === null ? '-' : human(rx)}/s, tx ${tx === null ? '-' : human(tx)}/s`;
  const sections = [[title, ...workersRow(dp, previous?.dataplane, perSecond), ...failoverRow(snap.failover)], serviceRows(table, width), healthRows(snap.health), dropRows(dp, perSecond, previous?.dataplane), connRows(snap, opts.conns ?? 10)];
  const lines = sections.filter((s) => s.length).flatMap((s, i) => (i ? ['', ...s] : s));
  return fitScreen(lines, width, height).join('\n');
}

/** With several data-plane workers (tsvs start --workers N): one line, each worker's frames in per second and connections. */
function workersRow(dp: DataPlaneView, before: DataPlaneView | undefined, perSecond: (now: number, before: number | undefined) => number | null): string[] {
  if (!dp.workers) return [];
  const each = dp.workers.map((w, k) => {
    const rx = perSecond(w.rxFrames, before?.workers?.[k]?.rxFrames);
    return `#${k} rx ${rx === null ? '-' : human(rx)}/s ${w.conns} conns`;
  });
  return [`workers: ${each.join(', ')}`];
}

/** One line under the title: which router of the pair this is, whether it is active, what the partner says. */
function failoverRow(f: FailoverView | null | undefined): string[] {
  if (!f) return [];
  const heard = f.lastHeard === null ? 'partner never heard' : `partner ${f.partnerSays} ${f.lastHeard.toFixed(1)}s ago`;
  const a = f.auth;
  const dropped = a ? a.unauthenticated + a.forged + a.replayed : 0;
  // Only when something was dropped: a quiet pair keeps top's line as it was.
  const auth = dropped ? `, heartbeats dropped: ${a!.forged} forged, ${a!.replayed} replayed, ${a!.unauthenticated} unauthenticated` : '';
  const vrrp = f.vrrp ? `VRRP VRID ${f.vrrp.vrid} prio ${f.vrrp.priority} ` : '';
  return [`failover: ${vrrp}${f.state.replace(/\bactive\b/, 'ACTIVE')} since ${f.reason}, ${heard}${auth}`];
}

const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

function serviceRows(table: TableView, width: number): string[] {
  const services = [...table.services].sort(compareServices);
  const names = services.flatMap((svc) => [serviceName(svc), ...svc.servers.map((rs) => `  -> ${serverRefOf(rs.address, rs.port)}`)]);
  const nameW = Math.max(NAME_HEADER.length, ...names.map((n) => n.length));
  const fixed = nameW + COLUMNS.reduce((w, [, cw]) => w + 1 + cw, 0);
  const barW = width - fixed - 1;
  const withBar = barW >= MIN_BAR;
  /** Counts exact while they fit their column; rates come already shortened. */
  const row = (name: string, cells: Array<number | string>, last: string): string =>
    [name.padEnd(nameW), ...cells.map((c, i) => (typeof c === 'number' ? fit(c, COLUMNS[i][1]) : c.padStart(COLUMNS[i][1]))), ...(withBar ? [last.slice(0, barW)] : [])]
      .join(' ')
      .trimEnd();

  const out = [row(NAME_HEADER, COLUMNS.map(([h]) => h), 'Share of conns'), '  -> RemoteAddress:Port'];
  for (const svc of services) {
    const active = svc.servers.reduce((n, rs) => n + rs.activeConns, 0);
    const inactive = svc.servers.reduce((n, rs) => n + rs.inactiveConns, 0);
    // The service row's share column names its scheduler, as ipvsadm -L does after the address.
    out.push(row(serviceName(svc), ['', active, inactive, ...rateCells(svc.rates)], serviceFlags(svc)));
    for (const rs of [...svc.servers].sort(compareServers)) {
      const share = active + inactive ? (rs.activeConns + rs.inactiveConns) / (active + inactive) : 0;
      out.push(row(`  -> ${serverRefOf(rs.address, rs.port)}`, [rs.weight, rs.activeConns, rs.inactiveConns, ...rateCells(rs.rates)], bar(share, barW)));
    }
  }
  return out;
}

/**
 * The health checks in a line when all is well; otherwise a line per real
 * server that is not serving as configured (down, forced, drained, or out with
 * its service's quorum): the table above no longer lists a server taken out.
 */
function healthRows(h: HealthView | null | undefined): string[] {
  if (!h || h.services.length === 0) return [];
  const all = h.services.flatMap((s) => s.servers);
  const odd = h.services.flatMap((s) => s.servers.filter((r) => !r.serving || r.force !== null || r.weight !== r.configuredWeight).map((r) => ({ s, r })));
  const lost = h.services.filter((s) => !s.quorumUp);
  if (!odd.length && !lost.length) return [`Health: all ${count(all.length, 'checked server')} up`];
  const out = [`Health: ${all.length - odd.length} of ${count(all.length, 'checked server')} serving as configured`];
  for (const s of lost) out.push(`  ${s.service}: quorum lost${s.sorryActive ? `, sorry server ${s.sorryServer} serving` : ''}`);
  for (const { s, r } of odd) {
    const why = r.force ? `forced ${r.force}` : r.state === 'down' ? `down: ${r.lastChange?.reason ?? r.last?.detail ?? ''}` : `weight ${r.weight}/${r.configuredWeight}`;
    out.push(`  -> ${serverRefOf(r.address, r.port)} (${s.service}) ${r.serving ? 'serving' : 'out'}, ${why}`);
  }
  return out;
}

/** Rates always shortened (counts stay exact while they fit), so a column reads alike down the screen. */
const rateCells = (r: ServiceView['rates']): string[] => [r.cps, r.inPps, r.outPps, r.inBps, r.outBps].map(human);

function dropRows(dp: DataPlaneView, perSecond: (now: number, before: number | undefined) => number | null, before: DataPlaneView | undefined): string[] {
  // The backend's losses (ring overflows, refused sends) and the answers' rate limit are frames lost too.
  const drops = [...Object.entries(dp.drops), ...lostElsewhere(dp)].filter(([, n]) => n > 0);
  const prev: Record<string, number> | undefined = before && Object.fromEntries([...Object.entries(before.drops), ...lostElsewhere(before)]);
  // Sends that waited for room in a full queue: nothing lost, but the outgoing link is at its limit.
  const waits = dp.backend?.tx_waits ?? 0;
  const waited = waits > 0 ? [`Sends that waited for a full queue (not lost): ${waits}`] : [];
  if (!drops.length) return ['Drops: none', ...waited];
  const w = Math.max(...drops.map(([reason]) => reason.length), 'Drops'.length);
  const out = [`${'Drops'.padEnd(w + 2)}     total   per s`];
  for (const [reason, n] of drops) {
    const r = perSecond(n, prev ? (prev[reason] ?? 0) : undefined);
    out.push(`  ${reason.padEnd(w)} ${fit(n, 9)} ${(r === null ? '-' : rate(r)).padStart(7)}`);
  }
  return [...out, ...waited];
}

/** The backend's counters as backend_* rows, and the answers the rate limit held back. */
function lostElsewhere(dp: DataPlaneView): Array<[string, number]> {
  const b = Object.entries(dp.backend ?? {}).filter(([k]) => k !== 'tx_waits').map(([k, n]): [string, number] => [`backend_${k}`, n]);
  const r = Object.entries(dp.replies ?? {}).filter(([k]) => k.endsWith('_rate_limited'));
  return [...b, ...r];
}

function connRows(snap: TopSnapshot, limit: number): string[] {
  if (limit <= 0) return [];
  const page = snap.conns;
  const top = busiest(page.conns, snap.timeouts, limit);
  const entries = (n: number): string => `${n} ${n === 1 ? 'entry' : 'entries'}`;
  const scope = page.conns.length < page.total ? `first ${page.conns.length} of ${entries(page.total)}` : entries(page.total);
  const title = `Most recently active connections (ESTABLISHED and UDP; ${scope})`;
  if (!top.length) return [title, '  none'];
  const ep = (a: string, p: number): string => `${a}:${p}`;
  const srcW = Math.max('source'.length, ...top.map(({ conn: c }) => ep(c.client, c.clientPort).length));
  const vipW = Math.max('virtual'.length, ...top.map(({ conn: c }) => ep(c.virtual, c.virtualPort).length));
  // ipvsadm -L -c -n's columns, with how long each has been idle after expire.
  const out = [title, `pro expire  idle state       ${'source'.padEnd(srcW)} ${'virtual'.padEnd(vipW)} destination`];
  for (const { conn: c, idle } of top) {
    out.push(
      `${c.protocol.padEnd(3)} ${mmss(c.expires)} ${fit(idle, 5)} ${c.state.padEnd(11)} ${ep(c.client, c.clientPort).padEnd(srcW)} ${ep(c.virtual, c.virtualPort).padEnd(vipW)} ${ep(c.dest, c.destPort)}`,
    );
  }
  return out;
}

/** Cuts lines to the width, and to the height with a last line saying how many more there are. */
function fitScreen(lines: string[], width: number, height: number): string[] {
  let out = lines;
  if (out.length > height) {
    const keep = Math.max(0, height - 1);
    out = [...out.slice(0, keep), `... ${out.length - keep} more lines (a taller window shows them)`];
  }
  return out.map((l) => (l.length > width ? l.slice(0, width) : l));
}
