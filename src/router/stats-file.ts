// The stats file's two guards (issue 15 item 11). Before start: a path the router
// cannot write is refused with one line, before anything is fenced or opened.
// After start: a failed write is the stats file's problem, not the router's: the
// daemon counts it, logs it once, and forwarding goes on (daemon.ts guard()).
import { closeSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';

/** Why `path` cannot take the stats file (one line), or null when a write there works. */
export function statsFileProblem(path: string): string | null {
  try {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) return `--stats-file ${path}: is a directory`;
  } catch (e) {
    return `--stats-file ${path}: ${(e as Error).message}`;
  }
  // The file is written as PATH.tmp and renamed into place: try the first half, and leave nothing.
  const tmp = `${path}.tmp`;
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (e) {
    // Node's message is "CODE: what, syscall 'path'": the path is said already.
    return `--stats-file ${path}: cannot be written (${(e as Error).message.split(',')[0]})`;
  }
  try {
    writeSync(fd, '{}');
    return null;
  } catch (e) {
    return `--stats-file ${path}: cannot be written (${(e as Error).message})`;
  } finally {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
}
