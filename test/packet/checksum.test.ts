import { describe, expect, it } from 'vitest';
import {
  checksum, csumReplace16, csumReplace32, csumReplaceAddrPort, fold, partialReplace16, partialReplace32,
  pseudoSum, sum16,
} from '../../src/packet/checksum.js';
import { hex, prng, randBytes, randInt, randU16, randU32, refChecksum, refSum } from './helpers.js';

describe('sum16 / checksum (RFC 1071)', () => {
  it('RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2', () => {
    // 0001 + f203 + f4f5 + f6f7 = 0x2ddf0; fold: ddf0 + 2 = ddf2; complement 220d.
    const b = hex('00 01 f2 03 f4 f5 f6 f7');
    expect(sum16(b, 0, 8)).toBe(0xddf2);
    expect(checksum(b, 0, 8)).toBe(0x220d);
  });

  it('IPv4 header example (4500 0073 ... c0a8 00c7) has checksum b861', () => {
    // 4500+0073+0000+4000+4011+0000+c0a8+0001+c0a8+00c7 = 0x2479c; 479c + 2 = 479e; ~ = b861.
    const h = hex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7');
    expect(checksum(h, 0, 20)).toBe(0xb861);
    // With the checksum in place the header sums to 0xffff ("negative zero").
    h[10] = 0xb8;
    h[11] = 0x61;
    expect(sum16(h, 0, 20)).toBe(0xffff);
    expect(checksum(h, 0, 20)).toBe(0);
  });

  it('odd length: the last byte is the high byte of a zero-padded word', () => {
    expect(sum16(hex('01'), 0, 1)).toBe(0x0100);
    // abcd + ef00 = 0x19acd -> 9acd + 1 = 9ace
    expect(sum16(hex('ab cd ef'), 0, 3)).toBe(0x9ace);
    expect(checksum(hex('ab cd ef'), 0, 3)).toBe(0x6531);
  });

  it('respects offset and length, ignoring bytes around', () => {
    const b = hex('ff ff 00 01 f2 03 f4 f5 f6 f7 ff ff');
    expect(sum16(b, 2, 8)).toBe(0xddf2);
    // Odd offset: words start wherever off says.
    const c = hex('99 00 01 f2 03 f4 f5 f6 f7 99');
    expect(sum16(c, 1, 8)).toBe(0xddf2);
  });

  it('folds carries: ffff + 0001 = 1 0000 -> 0001', () => {
    expect(sum16(hex('ff ff 00 01'), 0, 4)).toBe(0x0001);
    // fffe * 3 = 0x2fffa -> fffa + 2 = fffc
    expect(sum16(hex('ff fe ff fe ff fe'), 0, 6)).toBe(0xfffc);
  });

  it('all-ones data sums to ffff however many times it wraps (and past 32 KiB chunks)', () => {
    for (const n of [2, 4, 65534, 65536, 100000, 200002]) {
      expect(sum16(new Uint8Array(n).fill(0xff), 0, n)).toBe(0xffff);
    }
  });

  it('zero data sums to zero, and an empty range to the initial value', () => {
    expect(sum16(new Uint8Array(10), 0, 10)).toBe(0);
    expect(sum16(new Uint8Array(0), 0, 0, 0x1234)).toBe(0x1234);
    expect(checksum(new Uint8Array(4), 0, 4)).toBe(0xffff);
  });

  it('initial is added in (and folded first when large)', () => {
    const b = hex('00 01 f2 03 f4 f5 f6 f7');
    // ddf2 + 300f = 0x10e01 -> 0e02
    expect(sum16(b, 0, 8, 0x300f)).toBe(0x0e02);
    expect(sum16(b, 0, 8, 0x2_0000_300f)).toBe(fold(0xddf2 + 0x2_0000_300f));
  });

  it('matches the reference model on random buffers, offsets and lengths', () => {
    const rnd = prng(1071);
    for (let i = 0; i < 2000; i++) {
      const len = randInt(rnd, 300);
      const off = randInt(rnd, 5);
      const b = randBytes(rnd, off + len + 3);
      expect(sum16(b, off, len)).toBe(refSum(b, off, len));
      expect(checksum(b, off, len)).toBe(refChecksum(b, off, len));
    }
    const big = randBytes(rnd, 150001);
    expect(sum16(big, 1, 150000)).toBe(refSum(big, 1, 150000));
  });
});

describe('fold', () => {
  it('is the end-around-carry residue: 0 only for 0, else ((n-1) mod ffff) + 1', () => {
    expect(fold(0)).toBe(0);
    expect(fold(0xffff)).toBe(0xffff);
    expect(fold(0x10000)).toBe(1);
    expect(fold(0x1fffe)).toBe(0xffff);
    expect(fold(0xffffffff)).toBe(0xffff);
    const rnd = prng(7);
    for (let i = 0; i < 1000; i++) {
      const n = Math.floor(rnd() * 2 ** 52) + 1;
      expect(fold(n)).toBe(((n - 1) % 0xffff) + 1);
    }
  });
});

describe('pseudoSum', () => {
  it('192.168.0.1 -> 192.168.0.199, TCP, length 20', () => {
    // c0a8 + 0001 + c0a8 + 00c7 + 0006 + 0014 = 0x18232 -> 8232 + 1 = 8233
    expect(pseudoSum(0xc0a80001, 0xc0a800c7, 6, 20)).toBe(0x8233);
  });

  it('addresses above 2^31 stay unsigned', () => {
    // ffff + ffff + ffff + fffe + 0011 + 0008 = 0x40014 -> 0014 + 4 = 0018
    expect(pseudoSum(0xffffffff, 0xfffffffe, 17, 8)).toBe(0x0018);
  });
});

describe('csumReplace16 / csumReplace32 (RFC 1624)', () => {
  it('RFC 1624 section 4 example: eqn. 3 gives 0000 where eqn. 2 gave ffff', () => {
    // Sum of other octets cd7a, m = 5555: HC = ~(cd7a + 5555) = ~22d0 = dd2f.
    // m' = 3285: HC' = ~(~dd2f + ~5555 + 3285) = ~(22d0 + aaaa + 3285) = ~ffff = 0000.
    expect(csumReplace16(0xdd2f, 0x5555, 0x3285)).toBe(0x0000);
  });

  it('IPv4 example: daddr c0a8 00c7 -> c0a8 0002 turns b861 into b926', () => {
    // ~b861 = 479e; 479e - 00c7 + 0002 = 46d9; ~46d9 = b926.
    expect(csumReplace32(0xb861, 0xc0a800c7, 0xc0a80002)).toBe(0xb926);
    const h = hex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 0002');
    expect(checksum(h, 0, 20)).toBe(0xb926);
  });

  it('replacing a word by itself keeps the checksum', () => {
    expect(csumReplace16(0x1234, 0xabcd, 0xabcd)).toBe(0x1234);
    expect(csumReplace32(0x1234, 0xdeadbeef, 0xdeadbeef)).toBe(0x1234);
  });

  it('equals a full recomputation for random headers and words', () => {
    const rnd = prng(1624);
    for (let i = 0; i < 3000; i++) {
      // Word 0 stays non-zero, like a version byte: for all-zero data the two
      // ones'-complement zeros differ (full sum +0, incremental -0), which no
      // real header can reach.
      const words = 3 + randInt(rnd, 30);
      const b = randBytes(rnd, words * 2 + 2);
      b[0] = 0x45;
      b[b.length - 2] = 0;
      b[b.length - 1] = 0;
      const len = b.length;
      const csum = checksum(b, 0, len);
      const at = 2 + 2 * randInt(rnd, words - 2);
      if (rnd() < 0.5) {
        const old = (b[at] << 8) | b[at + 1];
        const neu = randU16(rnd);
        b[at] = neu >>> 8;
        b[at + 1] = neu & 0xff;
        expect(csumReplace16(csum, old, neu)).toBe(checksum(b, 0, len));
      } else {
        const old = ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
        const neu = randU32(rnd);
        b[at] = neu >>> 24;
        b[at + 1] = (neu >>> 16) & 0xff;
        b[at + 2] = (neu >>> 8) & 0xff;
        b[at + 3] = neu & 0xff;
        expect(csumReplace32(csum, old, neu)).toBe(checksum(b, 0, len));
      }
    }
  });

  it('csumReplaceAddrPort = csumReplace32 then csumReplace16', () => {
    const rnd = prng(99);
    for (let i = 0; i < 2000; i++) {
      const c = randU16(rnd) === 0xffff ? 0x1234 : randInt(rnd, 0xffff);
      const [oa, na, op, np] = [randU32(rnd), randU32(rnd), randU16(rnd), randU16(rnd)];
      expect(csumReplaceAddrPort(c, oa, na, op, np)).toBe(csumReplace16(csumReplace32(c, oa, na), op, np));
    }
  });
});

describe('partialReplace16 / partialReplace32 (CHECKSUM_PARTIAL seeds)', () => {
  it('moves a pseudo-header sum from one address to another, uncomplemented', () => {
    const rnd = prng(4);
    for (let i = 0; i < 2000; i++) {
      const [src, dst, neu] = [randU32(rnd), randU32(rnd), randU32(rnd)];
      const len = randInt(rnd, 1500);
      const p = pseudoSum(src, dst, 6, len);
      expect(partialReplace32(p, dst, neu)).toBe(pseudoSum(src, neu, 6, len));
      expect(partialReplace32(p, src, neu)).toBe(pseudoSum(neu, dst, 6, len));
      // A length change, as a 16-bit word of the pseudo-header.
      const len2 = randInt(rnd, 1500);
      expect(partialReplace16(p, len, len2)).toBe(pseudoSum(src, dst, 6, len2));
    }
  });

  it('hand example: c0a8 00c7 -> c0a8 0002 , seed 8233 -> 816e', () => {
    // 8233 + ~c0a8 + ~00c7 + c0a8 + 0002 = 8233 + 3f57 + ff38 + c0a8 + 0002 = 0x2816c
    // -> 816c + 2 = 816e; directly: c0a8 + 0001 + c0a8 + 0002 + 0006 + 0014 = 0x1816d -> 816e.
    expect(partialReplace32(0x8233, 0xc0a800c7, 0xc0a80002)).toBe(0x816e);
    expect(pseudoSum(0xc0a80001, 0xc0a80002, 6, 20)).toBe(0x816e);
  });
});
