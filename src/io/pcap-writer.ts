// Writes classic pcap captures of Ethernet frames (little-endian, the byte order
// tcpdump uses on x86), for `tsvs replay` output and tests. Records gather in one
// reused buffer that is written out when full, so a write is a copy, not a syscall.
import { closeSync, openSync, writeSync } from 'node:fs';
import { GLOBAL_HEADER_BYTES, RECORD_HEADER_BYTES, encodeGlobalHeader, encodeRecordHeader } from './pcap-format.js';

export interface PcapWriterOptions {
  /** Frames longer than this are cut to it (origLen keeps the real length). */
  snaplen?: number;
  /** Write nanosecond timestamps (magic 0xa1b23c4d) instead of microseconds. */
  nanosecond?: boolean;
  /** Size of the reused output buffer. */
  bufferBytes?: number;
}

export interface PcapInput {
  tsMs: number;
  data: Uint8Array;
  /** Length on the wire; defaults to data.length. */
  origLen?: number;
}

function checkSnaplen(snaplen: number): number {
  if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > 0xffffffff) {
    throw new RangeError(`pcap snaplen must be a whole number 1..4294967295, got ${snaplen}`);
  }
  return snaplen;
}

export class PcapWriter {
  readonly snaplen: number;
  readonly nanosecond: boolean;
  private fd: number | null;
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  private used = 0;

  constructor(
    readonly path: string,
    opts: PcapWriterOptions = {},
  ) {
    this.snaplen = checkSnaplen(opts.snaplen ?? 65535);
    this.nanosecond = opts.nanosecond ?? false;
    this.buf = new Uint8Array(Math.max(opts.bufferBytes ?? 1 << 20, GLOBAL_HEADER_BYTES + RECORD_HEADER_BYTES));
    this.view = new DataView(this.buf.buffer);
    this.fd = openSync(path, 'w');
    encodeGlobalHeader(this.view, 0, this.snaplen, this.nanosecond);
    this.used = GLOBAL_HEADER_BYTES;
  }

  /** Adds one record; `frame` may be reused by the caller as soon as this returns. */
  write(tsMs: number, frame: Uint8Array, origLen = frame.length): void {
    if (this.fd === null) throw new Error(`pcap writer for ${this.path} is closed`);
    const incl = Math.min(frame.length, this.snaplen);
    if (this.used + RECORD_HEADER_BYTES + incl > this.buf.length) this.flush();
    encodeRecordHeader(this.view, this.used, tsMs, incl, origLen, this.nanosecond);
    this.used += RECORD_HEADER_BYTES;
    const data = frame.subarray(0, incl);
    if (incl > this.buf.length - this.used) {
      // Bigger than the whole buffer: write it straight through rather than grow.
      this.flush();
      this.writeAll(data);
      return;
    }
    this.buf.set(data, this.used);
    this.used += incl;
  }

  /** Writes out what is buffered. */
  flush(): void {
    if (this.fd === null || this.used === 0) return;
    this.writeAll(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  /** Flushes and closes the file. Safe to call twice. */
  close(): void {
    if (this.fd === null) return;
    this.flush();
    closeSync(this.fd);
    this.fd = null;
  }

  private writeAll(bytes: Uint8Array): void {
    // writeSync may write fewer bytes than asked (a pipe, say): loop until all are out.
    for (let done = 0; done < bytes.length; ) {
      done += writeSync(this.fd as number, bytes, done, bytes.length - done);
    }
  }
}

/** Builds a whole capture in memory, byte for byte what PcapWriter would write. */
export function pcapBytes(records: readonly PcapInput[], opts: Omit<PcapWriterOptions, 'bufferBytes'> = {}): Uint8Array {
  const snaplen = checkSnaplen(opts.snaplen ?? 65535);
  const nanosecond = opts.nanosecond ?? false;
  let size = GLOBAL_HEADER_BYTES;
  for (const r of records) size += RECORD_HEADER_BYTES + Math.min(r.data.length, snaplen);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  encodeGlobalHeader(view, 0, snaplen, nanosecond);
  let at = GLOBAL_HEADER_BYTES;
  for (const r of records) {
    const incl = Math.min(r.data.length, snaplen);
    encodeRecordHeader(view, at, r.tsMs, incl, r.origLen ?? r.data.length, nanosecond);
    out.set(r.data.subarray(0, incl), at + RECORD_HEADER_BYTES);
    at += RECORD_HEADER_BYTES + incl;
  }
  return out;
}
