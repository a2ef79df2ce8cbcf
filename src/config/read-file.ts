// The one way tsvs reads a file a config names (lvs.cf itself, fwmark_rules_from,
// ha_key_file): regular files only, and at most a size limit. readFileSync on
// /dev/zero or /dev/urandom grows without end and on a FIFO blocks for ever,
// which would hang `tsvs check` and freeze a reload. O_NONBLOCK makes opening a
// FIFO return at once, so fstat can refuse it.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** No lvs.cf or iptables-save dump comes near this. */
export const CONFIG_FILE_MAX_BYTES = 64 * 1024 * 1024;

/** The file's bytes and mode; throws an Error whose message says why (an errno code or a sentence). */
export function readConfigFileStat(path: string, maxBytes = CONFIG_FILE_MAX_BYTES): { bytes: Buffer; mode: number } {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`not a regular file (${kindOf(st)})`);
    if (st.size > maxBytes) throw new Error(`larger than ${sizeText(maxBytes)}`);
    // Read to the end, but never past the limit (the file may grow while read).
    const buf = Buffer.alloc(maxBytes < st.size + 65536 ? maxBytes + 1 : st.size + 65536);
    let n = 0;
    for (let got = 1; got > 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > maxBytes) throw new Error(`larger than ${sizeText(maxBytes)}`);
    return { bytes: buf.subarray(0, n), mode: st.mode };
  } finally {
    closeSync(fd);
  }
}

export function readConfigFile(path: string, maxBytes = CONFIG_FILE_MAX_BYTES): Buffer {
  return readConfigFileStat(path, maxBytes).bytes;
}

/** The file as text (UTF-8). */
export function readConfigText(path: string): string {
  return readConfigFile(path).toString('utf8');
}

/** Why a read error happened, for `cannot read PATH (WHY)`: the errno code, else the message. */
export function readWhy(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}
