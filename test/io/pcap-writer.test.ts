// Golden bytes of the writer, written out by hand from the pcap format
// (draft-ietf-opsawg-pcap, sections 4 and 5), and write -> read round trips.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PcapReader, PcapWriter, pcapBytes } from '../../src/io/pcap-file.js';
import { frameOf, hex, rng, sameBytes, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

// Global header, little-endian: magic, version 2.4, thiszone 0, sigfigs 0, snaplen 65535, linktype 1.
const GLOBAL_US = hex('d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000');
// Record header: ts_sec 1700000000 (0x6553f100), ts_usec 123456 (0x0001e240), incl 60, orig 60.
const RECORD_1 = hex('00f15365 40e20100 3c000000 3c000000');
const TS_1 = 1700000000123.456;

describe('PcapWriter golden bytes', () => {
  it('writes the 24-byte global header and a 16-byte record header', () => {
    const path = join(tmp.dir, 'one.pcap');
    const w = new PcapWriter(path);
    w.write(TS_1, frameOf(60, 1));
    w.close();
    const bytes = new Uint8Array(readFileSync(path));
    expect(bytes.length).toBe(24 + 16 + 60);
    expect(bytes.subarray(0, 24)).toEqual(GLOBAL_US);
    expect(bytes.subarray(24, 40)).toEqual(RECORD_1);
    expect(bytes.subarray(40)).toEqual(frameOf(60, 1));
  });

  it('pcapBytes builds exactly what the writer writes', () => {
    const path = join(tmp.dir, 'two.pcap');
    const recs = [
      { tsMs: TS_1, data: frameOf(60, 1) },
      { tsMs: TS_1 + 0.001, data: frameOf(1514, 2) },
    ];
    const w = new PcapWriter(path, { bufferBytes: 64 }); // forces a flush and a write-through
    for (const r of recs) w.write(r.tsMs, r.data);
    w.close();
    expect(new Uint8Array(readFileSync(path))).toEqual(pcapBytes(recs));
  });

  it('writes the nanosecond magic and a nanosecond fraction', () => {
    const bytes = pcapBytes([{ tsMs: 1123.456789, data: frameOf(14, 0) }], { nanosecond: true });
    expect(bytes.subarray(0, 4)).toEqual(hex('4d3cb2a1'));
    // ts_sec 1, ts_nsec 123456789 = 0x075bcd15, incl 14, orig 14.
    expect(bytes.subarray(24, 40)).toEqual(hex('01000000 15cd5b07 0e000000 0e000000'));
  });

  it('cuts frames to snaplen and keeps the wire length', () => {
    const bytes = pcapBytes([{ tsMs: 0, data: frameOf(100, 3) }], { snaplen: 64 });
    expect(bytes.subarray(16, 20)).toEqual(hex('40000000'));
    expect(bytes.subarray(24, 40)).toEqual(hex('00000000 00000000 40000000 64000000'));
    const r = new PcapReader(bytes).next()!;
    expect(r.data).toEqual(frameOf(64, 3));
    expect(r.origLen).toBe(100);
  });

  it('carries a fraction that rounds up to a whole second into ts_sec', () => {
    const bytes = pcapBytes([{ tsMs: 1999.9999, data: frameOf(14, 0) }]);
    expect(bytes.subarray(24, 32)).toEqual(hex('02000000 00000000'));
  });

  it('refuses timestamps it cannot store and writes after close', () => {
    expect(() => pcapBytes([{ tsMs: -1, data: frameOf(14, 0) }])).toThrow(RangeError);
    expect(() => pcapBytes([{ tsMs: 2 ** 32 * 1000, data: frameOf(14, 0) }])).toThrow(/2106/);
    const w = new PcapWriter(join(tmp.dir, 'c.pcap'));
    w.close();
    w.close();
    expect(() => w.write(0, frameOf(14, 0))).toThrow(/closed/);
  });
});

describe('write -> read round trip', () => {
  // Random frames of 14..9000 bytes at microsecond times near 2023.
  function corpus(seed: number, n: number): Array<{ tsMs: number; us: number; data: Uint8Array }> {
    const rand = rng(seed);
    let us = 1_700_000_000 * 1e6;
    return Array.from({ length: n }, (_, i) => {
      us += 1 + Math.floor(rand() * 5_000_000);
      const sec = Math.floor(us / 1e6);
      const data = frameOf(14 + Math.floor(rand() * (9000 - 14 + 1)), i);
      return { tsMs: sec * 1000 + (us - sec * 1e6) / 1000, us, data };
    });
  }

  for (const [name, bufferBytes, chunkBytes] of [
    ['default buffers', undefined, undefined],
    ['small buffers (write-through, reader grows and compacts)', 4096, 4096],
  ] as const) {
    it(`keeps bytes, lengths and microseconds (${name})`, () => {
      const frames = corpus(7, 300);
      const path = join(tmp.dir, 'rt.pcap');
      const w = new PcapWriter(path, { bufferBytes });
      for (const f of frames) w.write(f.tsMs, f.data);
      w.close();
      const r = new PcapReader(path, { chunkBytes });
      let offset = 24;
      for (const f of frames) {
        const rec = r.next();
        expect(rec).not.toBeNull();
        expect(sameBytes(rec!.data, f.data)).toBe('same');
        expect(rec!.origLen).toBe(f.data.length);
        expect(Math.round(rec!.tsMs * 1000)).toBe(f.us);
        expect(rec!.tsMs).toBe(f.tsMs);
        expect(rec!.offset).toBe(offset);
        offset += 16 + f.data.length;
      }
      expect(r.next()).toBeNull();
      expect(r.next()).toBeNull();
      r.close();
    });
  }

  it('reads the same from a file and from bytes in memory', () => {
    const frames = corpus(11, 50);
    const bytes = pcapBytes(frames);
    const r = new PcapReader(bytes);
    for (const f of frames) expect(sameBytes(r.next()!.data, f.data)).toBe('same');
    expect(r.next()).toBeNull();
  });
});
