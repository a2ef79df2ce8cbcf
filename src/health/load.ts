// nanny's load monitor (`load_monitor = uptime | rup | ruptime`, nanny -U): every
// max(interval, 20 s) it reads a real server's one-minute load average and moves
// its weight, once a slow start has brought it to the configured weight
// (LVS-REFERENCE 1.5, adjustWeight):
//   load < 1: new = last + (weight / 2) * (1 - load)^(1/3), at most scale * weight
//   load > 1: new = last - (weight / 2) * (load - 1)^(1/3), at least weight
// and only when |new - last| >= weight / 4, so small moves do not churn the table.
// The load comes from the tool's output: `uptime` run over rsh_command (rsh or
// ssh) on the server, or the rstatd (`rup`) or rwhod (`ruptime`) daemons. Where
// the tool does not answer, the weight stays as it is.

export type LoadTool = 'uptime' | 'rup' | 'ruptime';

/** nanny's scale: a lightly loaded server reaches at most ten times its weight. */
export const LOAD_SCALE = 10;
export const LOAD_MIN_PERIOD_S = 20;

/** The shell command that reads a server's load. */
export function loadCommand(tool: LoadTool, host: string, rsh: string): string {
  if (tool === 'uptime') return `${rsh} ${host} uptime`;
  return `${tool} ${host}`;
}

/**
 * The one-minute load average in a tool's output: uptime's and rup's "load
 * average: 0.52, 0.31, 0.20", ruptime's "load 0.52, 0.31, 0.20". null: none.
 */
export function parseLoad(output: string): number | null {
  const m = /load(?: average)?s?:?\s+([\d.]+)/i.exec(output);
  if (!m) return null;
  const v = Number(m[1]);
  return Number.isFinite(v) ? v : null;
}

/** The weight after a load reading, or null when it should stay (nanny's adjustWeight). */
export function loadWeight(last: number, weight: number, load: number): number | null {
  let next = last;
  if (load < 1) next = Math.min(LOAD_SCALE * weight, last + (weight / 2) * Math.cbrt(1 - load));
  else if (load > 1) next = Math.max(weight, last - (weight / 2) * Math.cbrt(load - 1));
  next = Math.round(next);
  return Math.abs(next - last) >= weight / 4 && next !== last ? next : null;
}
