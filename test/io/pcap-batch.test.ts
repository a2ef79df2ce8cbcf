// PcapReader.readInto: frames copied into a Batch with their interface and time,
// stopping at max, at a full batch (keeping the frame for later) and at the end.
import { describe, expect, it } from 'vitest';
import { Batch } from '../../src/frames/batch.js';
import { PcapError, PcapReader, pcapBytes } from '../../src/io/pcap-file.js';
import { frameOf } from './helpers.js';

// Ten frames of 60..150 bytes, one per 10 ms.
const frames = Array.from({ length: 10 }, (_, i) => ({ tsMs: 5000 + i * 10, data: frameOf(60 + i * 10, i) }));
const capture = pcapBytes(frames);

describe('PcapReader.readInto', () => {
  it('fills a batch with copies, interface and times, and stops at max', () => {
    const r = new PcapReader(capture);
    const b = new Batch(8);
    const ts = new Float64Array(8);
    expect(r.readInto(b, 3, 2, ts)).toBe(3);
    expect(b.count).toBe(3);
    for (let i = 0; i < 3; i++) {
      expect(b.frame(i)).toEqual(frames[i].data);
      expect(b.ifIn[i]).toBe(2);
      expect(ts[i]).toBe(frames[i].tsMs);
    }
    // Appends after what the batch holds; ts follows the batch index.
    expect(r.readInto(b, 2, 2, ts)).toBe(2);
    expect(b.frame(4)).toEqual(frames[4].data);
    expect(ts[4]).toBe(frames[4].tsMs);
    // Copies, not views: reading on does not change frames already in the batch.
    r.next();
    expect(b.frame(0)).toEqual(frames[0].data);
  });

  it('stops at the end of the capture', () => {
    const r = new PcapReader(capture);
    const b = new Batch(32);
    expect(r.readInto(b, 32, 1)).toBe(10);
    b.reset();
    expect(r.readInto(b, 32, 1)).toBe(0);
    expect(b.count).toBe(0);
  });

  it('stops at a full batch and keeps the frame that did not fit', () => {
    const r = new PcapReader(capture);
    const byCount = new Batch(4);
    const seen: Uint8Array[] = [];
    for (;;) {
      byCount.reset();
      const n = r.readInto(byCount, 100, 0);
      if (n === 0) break;
      expect(n).toBeLessThanOrEqual(4);
      for (let i = 0; i < n; i++) seen.push(byCount.frame(i).slice());
    }
    expect(seen).toEqual(frames.map((f) => f.data));

    // A 200-byte buffer holds 60+70, then 80+90, then one frame each: none is lost.
    const r2 = new PcapReader(capture);
    const byBytes = new Batch(8, 200);
    const ts = new Float64Array(8);
    const counts: number[] = [];
    const times: number[] = [];
    for (;;) {
      byBytes.reset();
      const n = r2.readInto(byBytes, 8, 0, ts);
      if (n === 0) break;
      counts.push(n);
      times.push(...ts.subarray(0, n));
    }
    expect(counts).toEqual([2, 2, 1, 1, 1, 1, 1, 1]);
    expect(times).toEqual(frames.map((f) => f.tsMs));
  });

  it('asks a function for the interface of each frame', () => {
    const r = new PcapReader(capture);
    const b = new Batch(16);
    r.readInto(b, 16, (data) => (data.length >= 100 ? 2 : 1));
    expect(Array.from(b.ifIn.subarray(0, 10))).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
  });

  it('throws when a frame cannot fit even in an empty batch', () => {
    const r = new PcapReader(pcapBytes([{ tsMs: 0, data: frameOf(3000, 0) }]));
    const b = new Batch(4, 2048);
    expect(() => r.readInto(b, 4, 0)).toThrow(PcapError);
  });
});
