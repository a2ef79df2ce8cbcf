// The router's last resort (issue 15 item 11): an exception nothing caught, or a
// promise rejection nobody handled, would end the process with a stack trace and
// leave the nftables fence behind, the VIPs blackholed until tsvs starts again.
// These handlers turn either into one log line, the fence removed, and a non-zero
// exit (systemd starts the router again). Errors the router expects after start-up
// (a stats file that cannot be written, a timer's failure) never get here: they
// are counted and logged once where they happen, and forwarding goes on.
import type { Component } from './components.js';

export type FatalKind = 'uncaughtException' | 'unhandledRejection';

/** Exit status of a router stopped by an error nothing handled. */
export const EXIT_FATAL = 1;

/** The first line of what was thrown (a message, not a stack). */
export function oneLine(e: unknown): string {
  const s = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return s.split('\n')[0];
}

/** Installs the handlers while it runs; `onFatal` must end the process. */
export function fatalHandlers(proc: NodeJS.Process, onFatal: (kind: FatalKind, e: unknown) => void): Component {
  const exception = (e: unknown): void => onFatal('uncaughtException', e);
  const rejection = (e: unknown): void => onFatal('unhandledRejection', e);
  return {
    name: 'fatal-handlers',
    start: () => {
      proc.on('uncaughtException', exception);
      proc.on('unhandledRejection', rejection);
    },
    stop: () => {
      proc.off('uncaughtException', exception);
      proc.off('unhandledRejection', rejection);
    },
  };
}
