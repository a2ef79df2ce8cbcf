// Captures crafted byte by byte (other byte order, nanoseconds) and the errors a
// bad capture must give: what went wrong and at which byte.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PcapError, PcapReader, pcapBytes } from '../../src/io/pcap-file.js';
import { frameOf, hex, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

const ETH14 = 'ffffffffffff 020000000001 0800';

function errorOf(f: () => unknown): PcapError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(PcapError);
    return e as PcapError;
  }
  throw new Error('expected a PcapError');
}

function readAll(r: PcapReader): number {
  let n = 0;
  while (r.next()) n++;
  return n;
}

describe('PcapReader on hand-made captures', () => {
  it('reads a big-endian microsecond capture', () => {
    const bytes = hex(
      'a1b2c3d4 0002 0004 00000000 00000000 0000ffff 00000001' + // global header, big-endian
        '6553f100 0007a120 0000000e 0000003c' + // 1700000000.500000 s, 14 captured of 60
        ETH14,
    );
    const r = new PcapReader(bytes);
    expect(r.header).toMatchObject({ bigEndian: true, nanosecond: false, snaplen: 65535, linkType: 1, versionMajor: 2, versionMinor: 4 });
    const rec = r.next()!;
    expect(rec.tsMs).toBe(1700000000500);
    expect(rec.origLen).toBe(60);
    expect(rec.data).toEqual(hex(ETH14));
    expect(r.next()).toBeNull();
  });

  it('reads little- and big-endian nanosecond captures', () => {
    const le = hex('4d3cb2a1 0200 0400 00000000 00000000 ffff0000 01000000' + '01000000 15cd5b07 0e000000 0e000000' + ETH14);
    const be = hex('a1b23c4d 0002 0004 00000000 00000000 0000ffff 00000001' + '00000001 075bcd15 0000000e 0000000e' + ETH14);
    for (const bytes of [le, be]) {
      const r = new PcapReader(bytes);
      expect(r.header.nanosecond).toBe(true);
      const rec = r.next()!;
      expect(rec.tsMs).toBeCloseTo(1123.456789, 9);
      expect(rec.data).toEqual(hex(ETH14));
    }
  });

  it('reads a capture with no records', () => {
    expect(readAll(new PcapReader(pcapBytes([])))).toBe(0);
  });
});

describe('PcapReader errors', () => {
  // Two 60-byte records: record 1 at byte 24, record 2 at byte 100, end at 176.
  const two = pcapBytes([
    { tsMs: 1, data: frameOf(60, 1) },
    { tsMs: 2, data: frameOf(60, 2) },
  ]);

  // As tcpdump ("truncated dump file"): the complete records are read, then the
  // capture ends and `truncated` says where and how it was cut (issue 15 item 18).
  it('ends at a record cut short, in memory and streamed in small chunks, and says where', () => {
    const cut = two.subarray(0, 170);
    const path = join(tmp.dir, 'cut.pcap');
    writeFileSync(path, cut);
    for (const r of [new PcapReader(cut), new PcapReader(path, { chunkBytes: 32 })]) {
      expect(r.next()!.data).toEqual(frameOf(60, 1));
      expect(r.truncated).toBe(null);
      expect(r.next()).toBe(null);
      const e = r.truncated!;
      expect(e.code).toBe('PCAP_TRUNCATED');
      expect(e.offset).toBe(100);
      expect(e.message).toMatch(/truncated dump file: record header says 60 bytes of data, file has 54 at byte offset 100$/);
      expect(r.next()).toBe(null);
      r.close();
    }
    const r = new PcapReader(path);
    expect(readAll(r)).toBe(1);
    expect(r.truncated!.message).toMatch(/^.*cut\.pcap: truncated dump file/);
  });

  it('ends at a record header cut short', () => {
    const r = new PcapReader(two.subarray(0, 110));
    expect(readAll(r)).toBe(1);
    expect(r.truncated!.code).toBe('PCAP_TRUNCATED');
    expect(r.truncated!.offset).toBe(100);
    expect(r.truncated!.message).toMatch(/truncated dump file: record header cut short \(10 of 16 bytes\) at byte offset 100/);
  });

  it('rejects a short global header', () => {
    const path = join(tmp.dir, 'short.pcap');
    writeFileSync(path, two.subarray(0, 20));
    const e = errorOf(() => new PcapReader(path));
    expect(e.code).toBe('PCAP_TRUNCATED');
    expect(e.message).toMatch(/truncated global header \(20 of 24 bytes\) at byte offset 0/);
  });

  it('rejects a non-Ethernet link type with advice', () => {
    const cooked = hex('d4c3b2a1 0200 0400 00000000 00000000 ffff0000 71000000');
    const e = errorOf(() => new PcapReader(cooked));
    expect(e.code).toBe('PCAP_NOT_ETHERNET');
    expect(e.offset).toBe(20);
    expect(e.message).toContain('capture link type 113 (Linux cooked) is not Ethernet; capture with -i <device>, not -i any');
    const raw = hex('d4c3b2a1 0200 0400 00000000 00000000 ffff0000 65000000');
    expect(errorOf(() => new PcapReader(raw)).message).toContain('capture link type 101 (raw IP) is not Ethernet (want 1, Ethernet)');
  });

  it('rejects pcapng, other magics and other versions', () => {
    expect(errorOf(() => new PcapReader(hex('0a0d0d0a' + '00'.repeat(20)))).code).toBe('PCAP_IS_PCAPNG');
    const bad = errorOf(() => new PcapReader(hex('7f454c46' + '00'.repeat(20))));
    expect(bad.code).toBe('PCAP_BAD_MAGIC');
    expect(bad.message).toContain('magic 0x464c457f');
    const v1 = hex('d4c3b2a1 0100 0000 00000000 00000000 ffff0000 01000000');
    expect(errorOf(() => new PcapReader(v1)).code).toBe('PCAP_BAD_VERSION');
  });

  it('rejects a record longer than any capture could hold', () => {
    const huge = hex('d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000' + '00000000 00000000 ffffff7f ffffff7f');
    const e = errorOf(() => new PcapReader(huge).next());
    expect(e.code).toBe('PCAP_BAD_RECORD');
    expect(e.offset).toBe(24);
  });
});
