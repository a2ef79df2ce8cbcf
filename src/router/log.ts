// Structured logs: one line per event, logfmt (`ts=... level=info msg="..." k=v`)
// or JSON lines, on stderr, filtered by level.

export type Level = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(opts: { level?: Level; json?: boolean; write?: (line: string) => void; clock?: () => Date } = {}): Logger {
  const min = RANK[opts.level ?? 'info'];
  const write = opts.write ?? ((l: string) => process.stderr.write(l + '\n'));
  const clock = opts.clock ?? (() => new Date());
  const emit = (level: Level, msg: string, fields: Record<string, unknown> = {}): void => {
    if (RANK[level] < min) return;
    const ts = clock().toISOString();
    if (opts.json) {
      write(JSON.stringify({ ts, level, msg, ...fields }));
      return;
    }
    const kv = Object.entries(fields).map(([k, v]) => `${k}=${quote(v)}`);
    write([`ts=${ts}`, `level=${level}`, `msg=${quote(msg)}`, ...kv].join(' '));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

function quote(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /^[\w.:/@,+-]+$/.test(s) ? s : JSON.stringify(s);
}
