// Reads classic pcap captures of Ethernet frames, for `tsvs replay` and tests.
// Files are streamed through one reused chunk buffer (captures can be bigger than
// memory); records are handed out as views into it, like undici's parsers do,
// so reading a record allocates nothing.
import { closeSync, openSync, readSync } from 'node:fs';
import type { Batch } from '../frames/batch.js';
import {
  GLOBAL_HEADER_BYTES,
  MAX_RECORD_BYTES,
  PcapError,
  RECORD_HEADER_BYTES,
  parseGlobalHeader,
  type PcapHeader,
} from './pcap-format.js';

/** One record; the reader reuses this object, and `data` is valid until the next read. */
export interface PcapRecord {
  /** Capture time in milliseconds since the epoch, with the fraction of the file's precision. */
  tsMs: number;
  /** The captured bytes (at most snaplen of them). */
  data: Uint8Array;
  /** Length of the frame on the wire (more than data.length if the capture cut it). */
  origLen: number;
  /** Byte offset of the record header in the file, for messages. */
  offset: number;
}

export interface PcapReaderOptions {
  /** Size of the reused read buffer for files; grown only for a record bigger than it. */
  chunkBytes?: number;
}

export class PcapReader {
  readonly header: PcapHeader;
  private readonly source: string;
  private fd: number | null = null;
  private buf: Uint8Array;
  private view: DataView;
  /** Unread bytes are buf[start..end); buf[0] is at file offset `base`. */
  private start = 0;
  private end = 0;
  private base = 0;
  private readonly record: PcapRecord = { tsMs: 0, data: new Uint8Array(0), origLen: 0, offset: 0 };
  /** readInto could not fit `record` in the batch; hand it out again first. */
  private pending = false;
  /**
   * Set when the capture ended inside a record (a tcpdump killed mid-write):
   * next() returned the complete records, then null, as tcpdump does before its
   * "truncated dump file" warning. The caller warns once.
   */
  truncated: PcapError | null = null;

  constructor(input: string | Uint8Array, opts: PcapReaderOptions = {}) {
    if (typeof input === 'string') {
      this.source = input;
      this.buf = new Uint8Array(Math.max(opts.chunkBytes ?? 1 << 20, GLOBAL_HEADER_BYTES));
      this.fd = openSync(input, 'r');
    } else {
      this.source = 'pcap bytes';
      this.buf = input;
      this.end = input.length;
    }
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    try {
      this.fill(GLOBAL_HEADER_BYTES);
      const have = Math.min(this.end, GLOBAL_HEADER_BYTES);
      this.header = parseGlobalHeader(new DataView(this.buf.buffer, this.buf.byteOffset, have), this.source);
    } catch (e) {
      this.close();
      throw e;
    }
    this.start = GLOBAL_HEADER_BYTES;
  }

  get snaplen(): number {
    return this.header.snaplen;
  }

  /** The next record, or null at the end of the capture. */
  next(): PcapRecord | null {
    if (this.pending) {
      this.pending = false;
      return this.record;
    }
    if (!this.fill(RECORD_HEADER_BYTES)) {
      const have = this.end - this.start;
      if (have === 0) return null; // a clean end: the last record was whole
      return this.cut(`record header cut short (${have} of ${RECORD_HEADER_BYTES} bytes)`);
    }
    const le = !this.header.bigEndian;
    const h = this.start;
    const sec = this.view.getUint32(h, le);
    const frac = this.view.getUint32(h + 4, le);
    const incl = this.view.getUint32(h + 8, le);
    const orig = this.view.getUint32(h + 12, le);
    const limit = Math.max(this.header.snaplen, MAX_RECORD_BYTES);
    if (incl > limit) this.fail('PCAP_BAD_RECORD', `record claims ${incl} captured bytes, more than the limit of ${limit}`);
    if (!this.fill(RECORD_HEADER_BYTES + incl)) {
      const got = this.end - this.start - RECORD_HEADER_BYTES;
      return this.cut(`record header says ${incl} bytes of data, file has ${got}`);
    }
    const at = this.start + RECORD_HEADER_BYTES; // fill() may have moved the bytes
    const r = this.record;
    r.offset = this.base + this.start;
    r.tsMs = sec * 1000 + frac / (this.header.nanosecond ? 1e6 : 1e3);
    r.data = this.buf.subarray(at, at + incl);
    r.origLen = orig;
    this.start = at + incl;
    return r;
  }

  /**
   * Appends up to `max` frames to `batch` (copied in with batch.push) and returns how
   * many. `ifIn` is the arrival interface, or a function choosing it per frame. If
   * `ts` is given, ts[j] gets the time of the frame stored at batch index j. A frame
   * that does not fit in a partly full batch is kept for the next call.
   */
  readInto(batch: Batch, max: number, ifIn: number | ((data: Uint8Array) => number), ts?: Float64Array): number {
    let n = 0;
    while (n < max) {
      const r = this.next();
      if (r === null) break;
      const port = typeof ifIn === 'number' ? ifIn : ifIn(r.data);
      if (!batch.push(r.data, port)) {
        if (batch.count === 0) {
          throw new PcapError(
            'PCAP_FRAME_TOO_BIG',
            `${this.source}: frame of ${r.data.length} bytes does not fit in a batch buffer of ${batch.limit} bytes at byte offset ${r.offset}`,
            r.offset,
          );
        }
        this.pending = true;
        break;
      }
      if (ts) ts[batch.count - 1] = r.tsMs;
      n++;
    }
    return n;
  }

  /** Closes the file; further reads return null. Safe to call twice. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.start = this.end = 0;
    this.pending = false;
  }

  /** Makes n unread bytes available at buf[start..); false if the capture ends first. */
  private fill(n: number): boolean {
    if (this.end - this.start >= n) return true;
    if (this.fd === null) return false; // in memory, or the file is read to its end
    // Move the unread tail to the front, so ordinary records reuse the buffer.
    if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.base += this.start;
      this.end -= this.start;
      this.start = 0;
    }
    if (n > this.buf.length) {
      const bigger = new Uint8Array(Math.max(n, this.buf.length * 2));
      bigger.set(this.buf.subarray(0, this.end));
      this.buf = bigger;
      this.view = new DataView(bigger.buffer);
    }
    while (this.end < n) {
      const got = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
      if (got === 0) {
        closeSync(this.fd);
        this.fd = null;
        return false;
      }
      this.end += got;
    }
    return true;
  }

  /** The capture ends inside a record: note where, drop the partial bytes, end. */
  private cut(what: string): null {
    const at = this.base + this.start;
    this.truncated = new PcapError('PCAP_TRUNCATED', `${this.source}: truncated dump file: ${what} at byte offset ${at}`, at);
    this.start = this.end;
    return null;
  }

  private fail(code: 'PCAP_BAD_RECORD', what: string): never {
    const at = this.base + this.start;
    throw new PcapError(code, `${this.source}: ${what} at byte offset ${at}`, at);
  }
}
