// The terminal side of `tsvs top`: the alternate screen, a hidden cursor, raw
// keys, and putting all of it back. Only sequences every terminal emulator
// and ssh client of the last decades knows (xterm's, which screen and tmux
// pass on); no mouse, no size assumptions.

/** The streams top writes to and reads keys from (process.stdout and process.stdin fit). */
export interface TopOutput {
  write(text: string): unknown;
  /** Read at every draw; undefined off a terminal. */
  columns?: number;
  rows?: number;
  /** Node emits 'resize' on a TTY stream when the terminal sends SIGWINCH. */
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

export interface TopInput {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  resume?(): unknown;
  pause?(): unknown;
}

/** xterm: switch to the alternate screen (1049) and hide the cursor (25). */
export const ENTER = '\x1b[?1049h\x1b[?25l';
/** The reverse, in the reverse order. */
export const LEAVE = '\x1b[?25h\x1b[?1049l';

/** When a terminal does not say its size. */
export const DEFAULT_COLUMNS = 80;
export const DEFAULT_ROWS = 24;

/**
 * One screen: cursor home, each line followed by erase-to-end-of-line, then
 * erase below. Drawing over the old screen instead of clearing it first does
 * not flicker. "\r\n" because the line discipline's newline translation is
 * not ours to rely on in raw mode.
 */
export function frame(text: string): string {
  return `\x1b[H${text.split('\n').join('\x1b[K\r\n')}\x1b[K\x1b[J`;
}

/** Keys that end top: q, Q, and Ctrl-C (which raw mode delivers as byte 3 instead of SIGINT). */
export const isQuitKey = (chunk: Buffer | string): boolean => /[qQ\x03]/.test(chunk.toString());

/**
 * Takes the terminal: alternate screen, hidden cursor, raw keys. `onKey` gets
 * every chunk typed. The function it returns gives it all back as it was, and
 * may be called more than once.
 */
export function takeTerminal(out: TopOutput, input: TopInput, onKey: (chunk: Buffer | string) => void): () => void {
  const wasRaw = input.isRaw ?? false;
  const raw = input.isTTY === true && typeof input.setRawMode === 'function';
  out.write(ENTER);
  if (raw) input.setRawMode!(true);
  input.on('data', onKey);
  input.resume?.();
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    input.off('data', onKey);
    if (raw) input.setRawMode!(wasRaw);
    // A paused stdin no longer keeps the process alive.
    input.pause?.();
    out.write(LEAVE);
  };
}
