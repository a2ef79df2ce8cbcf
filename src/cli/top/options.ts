// `tsvs top`'s command line. Whoever registers the command in main.ts parses
// with this and hands the result, with the process's streams, to topMain.
import { parseArgs } from 'node:util';

export const TOP_USAGE = `usage: tsvs top [--interval SECONDS] [--iterations N] [--conns N]

A live view of the running router: every service and real server as
ipvsadm -L -n --rate shows them (CPS, packets and bytes per second, the
router's 2-second estimates), each real server's share of its service's
connections as a bar, the drop counters with their rate since the last
refresh, and the most recently active connections (ESTABLISHED and UDP,
least idle first, among the first 1000 of the table).

  --interval SECONDS  time between refreshes (default 1; 0.1 to 3600)
  --iterations N      stop after N refreshes (default: until quit)
  --conns N           connections to list (default 10; 0 lists none)

On a terminal: q or Ctrl-C quits; the view follows the window's size.
Piped or redirected: one plain block per refresh; if the router cannot be
reached, one line on stderr and exit status 1.
`;

export class TopUsageError extends Error {
  override name = 'TopUsageError';
}

export interface TopArgs {
  interval: number;
  iterations?: number;
  conns: number;
}

export function parseTopArgs(args: string[]): TopArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        interval: { type: 'string', default: '1' },
        iterations: { type: 'string' },
        conns: { type: 'string', default: '10' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new TopUsageError(`tsvs top: ${e instanceof Error ? e.message : String(e)}`);
  }
  const interval = Number(values.interval);
  if (!Number.isFinite(interval) || interval < 0.1 || interval > 3600) throw new TopUsageError(`tsvs top: --interval ${values.interval}: want seconds from 0.1 to 3600`);
  const whole = (text: string, flag: string, lo: number): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < lo) throw new TopUsageError(`tsvs top: --${flag} ${text}: want a whole number from ${lo}`);
    return n;
  };
  const out: TopArgs = { interval, conns: whole(values.conns, 'conns', 0) };
  if (values.iterations !== undefined) out.iterations = whole(values.iterations, 'iterations', 1);
  return out;
}
