// `tsvs top`: reads the router's views through the control API every
// interval and shows them. On a terminal it takes the screen (terminal.ts),
// redraws in place, re-renders at once when the window is resized, quits on
// q or Ctrl-C, and keeps retrying while the router cannot be reached. Off a
// terminal (a pipe, a log) it prints one plain block per refresh and stops
// with status 1 at the first failure, since nobody is watching for it to heal.
import type { ControlApi } from '../../control/types.js';
import { renderTop, type TopSnapshot } from './render.js';
import { DEFAULT_COLUMNS, DEFAULT_ROWS, frame, isQuitKey, takeTerminal, type TopInput, type TopOutput } from './terminal.js';

/** How many entries of the connection table are read to pick the busiest from. */
export const CONN_SCAN = 1000;

export interface TopLoopOptions {
  /** Seconds between refreshes. */
  interval: number;
  /** Stop after this many refreshes (default: until quit). */
  iterations?: number;
  /** Connections to list (default 10; 0 lists none and reads none). */
  conns?: number;
  /** Whether `out` is a terminal to draw on. */
  tty: boolean;
  out: TopOutput;
  input: TopInput;
  /** Where the one line of a plain-mode failure goes (default process.stderr). */
  err?: { write(text: string): unknown };
  /** Waits `ms`, or less once `wake` aborts. Injected by tests, which do not sleep. */
  sleep?: (ms: number, wake: AbortSignal) => Promise<void>;
  /** A monotonic clock in ms (default performance.now). */
  now?: () => number;
  /** Where SIGINT, SIGTERM and SIGHUP are heard on a terminal (default process). */
  signals?: { on(signal: NodeJS.Signals, listener: () => void): unknown; off(signal: NodeJS.Signals, listener: () => void): unknown };
}

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Runs top until it is quit or has done its iterations. Resolves to the exit status. */
export async function topMain(api: ControlApi, opts: TopLoopOptions): Promise<number> {
  const now = opts.now ?? (() => performance.now());
  const limit = opts.conns ?? 10;
  const read = async (): Promise<TopSnapshot> => {
    const [table, dataplane, timeouts, conns, health, failover] = await Promise.all([
      api.table(),
      api.dataplane(),
      api.timeouts(),
      limit > 0 ? api.connections(0, CONN_SCAN) : Promise.resolve({ total: 0, offset: 0, conns: [] }),
      // A router from before health checks answers 404: top still shows the rest.
      api.health().catch(() => null),
      // A router without a backup answers 404 (ENOENT): no failover line.
      api.failover().catch(() => null),
    ]);
    return { at: now(), table, dataplane, timeouts, conns, health, failover };
  };
  return opts.tty ? onTerminal(read, opts, limit) : plain(read, opts, limit);
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const done = (opts: TopLoopOptions, i: number): boolean => opts.iterations !== undefined && i >= opts.iterations;

async function plain(read: () => Promise<TopSnapshot>, opts: TopLoopOptions, limit: number): Promise<number> {
  const sleep = opts.sleep ?? defaultSleep;
  const never = new AbortController().signal;
  let prev: TopSnapshot | null = null;
  for (let i = 0; !done(opts, i); i++) {
    if (i) await sleep(opts.interval * 1000, never);
    let snap: TopSnapshot;
    try {
      snap = await read();
    } catch (e) {
      (opts.err ?? process.stderr).write(`tsvs top: cannot read the router's state: ${errorText(e)}\n`);
      return 1;
    }
    // No height limit: a log keeps every line. Width as the terminal says, if any.
    opts.out.write(`${i ? '\n' : ''}${renderTop(snap, prev, opts.out.columns || DEFAULT_COLUMNS, Infinity, { conns: limit })}\n`);
    prev = snap;
  }
  return 0;
}

async function onTerminal(read: () => Promise<TopSnapshot>, opts: TopLoopOptions, limit: number): Promise<number> {
  const sleep = opts.sleep ?? defaultSleep;
  const signals = opts.signals ?? process;
  const wake = new AbortController();
  let quit = false;
  const stop = (): void => {
    quit = true;
    wake.abort();
  };
  let prev: TopSnapshot | null = null;
  let last: TopSnapshot | null = null;
  let failure: string | null = null;
  const hint = ' (q quits)';

  const draw = (): void => {
    const width = opts.out.columns || DEFAULT_COLUMNS;
    const height = opts.out.rows || DEFAULT_ROWS;
    const text =
      failure !== null
        ? `tsvs top: cannot read the router's state: ${failure}\n\nretrying every ${opts.interval} s; q quits`
        : last
          ? renderTop(last, prev, width, height, { conns: limit, hint })
          : 'tsvs top: waiting for the router to answer; q quits';
    opts.out.write(frame(fitWidth(text, width)));
  };

  /** The snapshot, or null when top was quit first: a router that hangs must not hold q up. */
  const readOrQuit = (): Promise<TopSnapshot | null> =>
    new Promise((resolve, reject) => {
      const quitFirst = (): void => resolve(null);
      wake.signal.addEventListener('abort', quitFirst, { once: true });
      read()
        .then(resolve, reject)
        .finally(() => wake.signal.removeEventListener('abort', quitFirst));
    });

  const restore = takeTerminal(opts.out, opts.input, (chunk) => {
    if (isQuitKey(chunk)) stop();
  });
  for (const s of STOP_SIGNALS) signals.on(s, stop);
  // Someone calling process.exit() while top runs skips the finally below, not this.
  process.on('exit', restore);
  // A resize draws from an event handler: an error there ends the loop and is thrown from it.
  let resizeError: unknown = null;
  const onResize = (): void => {
    try {
      draw();
    } catch (e) {
      resizeError ??= e;
      stop();
    }
  };
  opts.out.on?.('resize', onResize);
  try {
    for (let i = 0; !quit && !done(opts, i); i++) {
      if (i) await sleep(opts.interval * 1000, wake.signal);
      if (quit) break;
      try {
        const snap = await readOrQuit();
        if (!snap) break;
        [prev, last, failure] = [last, snap, null];
      } catch (e) {
        failure = errorText(e);
      }
      draw();
    }
  } finally {
    opts.out.off?.('resize', onResize);
    for (const s of STOP_SIGNALS) signals.off(s, stop);
    process.off('exit', restore);
    restore();
  }
  if (resizeError) throw resizeError;
  return 0;
}

/** The error screen is not cut by renderTop, so cut it here: a wrapped line would scroll the screen. */
const fitWidth = (text: string, width: number): string => text.split('\n').map((l) => l.slice(0, width)).join('\n');

function defaultSleep(ms: number, wake: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const end = (): void => {
      clearTimeout(timer);
      wake.removeEventListener('abort', end);
      resolve();
    };
    const timer = setTimeout(end, ms);
    wake.addEventListener('abort', end);
  });
}
