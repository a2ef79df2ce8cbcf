// Structured logs: one line per event, logfmt (`ts=... level=info msg="..." k=v`)
// or JSON lines, on stderr, filtered by level. Under systemd (stderr connected to
// the journal) each line starts with its syslog priority, `<6>` for info, which
// journald reads as the entry's priority (SyslogLevelPrefix=), and leaves out
// the timestamp, which journald records itself; `journalctl -p warning` then
// shows warnings and errors only, and syslog gets the same priorities.
import { fstatSync } from 'node:fs';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
/** syslog(3) priorities: LOG_DEBUG 7, LOG_INFO 6, LOG_WARNING 4, LOG_ERR 3. */
const PRIORITY: Record<Level, number> = { debug: 7, info: 6, warn: 4, error: 3 };

/**
 * True when stderr is the systemd journal: JOURNAL_STREAM names its device and
 * inode ("dev:ino"), and they are stderr's (not a stream a child inherited).
 */
export function stderrIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  const m = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  if (!m) return false;
  try {
    const st = fstatSync(2);
    return String(st.dev) === m[1] && String(st.ino) === m[2];
  } catch {
    return false;
  }
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(opts: { level?: Level; json?: boolean; journal?: boolean; write?: (line: string) => void; clock?: () => Date } = {}): Logger {
  const min = RANK[opts.level ?? 'info'];
  const write = opts.write ?? ((l: string) => process.stderr.write(l + '\n'));
  const clock = opts.clock ?? (() => new Date());
  const emit = (level: Level, msg: string, fields: Record<string, unknown> = {}): void => {
    if (RANK[level] < min) return;
    const ts = clock().toISOString();
    const prefix = opts.journal ? `<${PRIORITY[level]}>` : '';
    if (opts.json) {
      write(prefix + JSON.stringify({ ...(opts.journal ? {} : { ts }), level, msg, ...fields }));
      return;
    }
    const kv = Object.entries(fields).map(([k, v]) => `${k}=${quote(v)}`);
    write(prefix + [...(opts.journal ? [] : [`ts=${ts}`]), `level=${level}`, `msg=${quote(msg)}`, ...kv].join(' '));
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
