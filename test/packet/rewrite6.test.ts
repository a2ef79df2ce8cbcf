// IPv6 NAT rewrites (rewrite6.ts): the incremental RFC 1624 update must equal a full
// recomputation for random addresses and ports, with and without CHECKSUM_PARTIAL,
// for TCP, UDP and ICMPv6 (whose checksum also covers the addresses), behind
// extension headers, and for the packet quoted in an ICMPv6 error.
import { describe, expect, it } from 'vitest';
import { FrameInfo, PARSE_IPV6, parseFrame } from '../../src/packet/parse.js';
import { pseudoSum6, l4ChecksumOk6, setL4Checksum6 } from '../../src/packet/checksum.js';
import { fold6, readAddr6 } from '../../src/packet/ipv6.js';
import {
  rewriteDst6, rewriteIcmp6InnerDst, rewriteIcmp6InnerSrc, rewriteSrc6,
} from '../../src/packet/rewrite6.js';
import { prng, randBytes, randInt, randU16, randU32 } from './helpers.js';
import { type Ext, ETH, fragExt, frame6, icmp6Msg, optsExt, tcpSeg, udpSeg, w6 } from './helpers6.js';

type Rnd = () => number;
const u16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];

function randWords(rnd: Rnd): Int32Array {
  const w = new Int32Array(6); // at an offset, as a table row would hold them
  for (let i = 2; i < 6; i++) w[i] = randU32(rnd) | 0;
  return w;
}

function randFrame(rnd: Rnd, proto: number): Uint8Array {
  const pl = Array.from(randBytes(rnd, randInt(rnd, 50)));
  const exts: Ext[] = rnd() < 0.3 ? [optsExt(0), optsExt(60, 1)] : [];
  const l4 = proto === 6 ? tcpSeg(randU16(rnd), randU16(rnd), 0x10, pl) : proto === 17 ? udpSeg(randU16(rnd), randU16(rnd), pl) : icmp6Msg(128, 0, [1, 2, 3, 4, ...pl]);
  const hex = (n: number) => n.toString(16);
  return frame6({ src: `${hex(randU16(rnd))}::${hex(randU16(rnd))}`, dst: `2001:db8:${hex(randU16(rnd))}::${hex(randU16(rnd))}`, exts, proto, l4 });
}

describe('rewriteDst6 / rewriteSrc6', () => {
  it('2000 random rewrites: the incremental checksum equals a full recomputation', () => {
    const rnd = prng(0x6e6);
    const info = new FrameInfo();
    for (let n = 0; n < 2000; n++) {
      const proto = [6, 17, 58][n % 3];
      const f = randFrame(rnd, proto);
      expect(parseFrame(f, 0, f.length, info)).toBe(PARSE_IPV6);
      const w = randWords(rnd);
      const port = randU16(rnd);
      const dst = rnd() < 0.5;
      if (dst) rewriteDst6(f, info, w, 2, port);
      else rewriteSrc6(f, info, w, 2, port);
      const out = new Int32Array(4);
      readAddr6(f, ETH + (dst ? 24 : 8), out, 0);
      expect(Array.from(out)).toEqual(Array.from(w.subarray(2)));
      if (proto !== 58) expect(u16(f, info.l4 + (dst ? 2 : 0))).toBe(port);
      expect(dst ? info.daddr : info.saddr).toBe(fold6(f, ETH + (dst ? 24 : 8)));
      const field = info.l4 + (proto === 6 ? 16 : proto === 17 ? 6 : 2);
      const got = u16(f, field);
      const full = f.slice();
      expect(setL4Checksum6(full, ETH, info.l4, info.l4Len, proto)).toBe(got);
      expect(l4ChecksumOk6(f, ETH, info.l4, info.l4Len, proto)).toBe(true);
      // The parse of the result agrees with the updated info.
      const again = new FrameInfo();
      expect(parseFrame(f, 0, f.length, again)).toBe(PARSE_IPV6);
      expect([again.saddr, again.daddr, again.sport, again.dport]).toEqual([info.saddr, info.daddr, info.sport, info.dport]);
    }
  });

  it('CHECKSUM_PARTIAL: the field keeps the pseudo-header sum of the new addresses; the port does not enter it', () => {
    const rnd = prng(0x9a);
    const info = new FrameInfo();
    for (let n = 0; n < 1000; n++) {
      const proto = n % 2 ? 6 : 17;
      const f = randFrame(rnd, proto);
      expect(parseFrame(f, 0, f.length, info)).toBe(PARSE_IPV6);
      const field = info.l4 + (proto === 6 ? 16 : 6);
      const ps = pseudoSum6(f, ETH, proto, info.l4Len);
      f[field] = ps >> 8; f[field + 1] = ps & 0xff;
      const w = randWords(rnd);
      const port = randU16(rnd);
      if (n % 4 < 2) rewriteDst6(f, info, w, 2, port, true);
      else rewriteSrc6(f, info, w, 2, port, true);
      expect(u16(f, field) % 0xffff).toBe(pseudoSum6(f, ETH, proto, info.l4Len) % 0xffff);
      expect(u16(f, info.l4 + (n % 4 < 2 ? 2 : 0))).toBe(port);
    }
  });

  it('a golden rewrite: UDP 2001:db8::1.4096 -> 2001:db8::2.53 to [2001:db8:1::10]:5353', () => {
    const f = frame6({ proto: 17, l4: udpSeg(4096, 53, [0x70, 0x69, 0x6e, 0x67]) });
    const info = new FrameInfo();
    parseFrame(f, 0, f.length, info);
    expect(u16(f, 60)).toBe(0xb55b); // python3, as in parse6.test.ts
    rewriteDst6(f, info, w6('2001:db8:1::10'), 0, 5353);
    // python3: csum(pseudo('2001:db8::1','2001:db8:1::10',12,17)+struct.pack('!HHHH',4096,5353,12,0)+b'ping') = 0xa098
    expect(u16(f, 60)).toBe(0xa098);
    expect([info.daddr, info.dport]).toEqual([(0x20010db8 ^ 0x10000 ^ 0x10) >>> 0, 5353]);
  });

  it('a zero UDP checksum stays zero; a later fragment changes only the address; other protocols only the address', () => {
    const info = new FrameInfo();
    const z = frame6({ proto: 17, l4: udpSeg(1, 2, [3]), csum: false });
    parseFrame(z, 0, z.length, info);
    rewriteDst6(z, info, w6('::9'), 0, 99);
    expect([u16(z, 60), u16(z, 56)]).toEqual([0, 99]);

    const later = frame6({ proto: 6, exts: [fragExt(1480, false)], l4: tcpSeg(1, 2), csum: false });
    parseFrame(later, 0, later.length, info);
    const before = later.slice();
    rewriteSrc6(later, info, w6('2001:db8::77'), 0, 1000);
    expect(later.subarray(ETH + 48)).toEqual(before.subarray(ETH + 48));
    expect(info.sport).toBe(0);
    expect(fold6(later, ETH + 8)).toBe(info.saddr);

    const none = frame6({ proto: 59, l4: new Uint8Array(8) });
    parseFrame(none, 0, none.length, info);
    rewriteDst6(none, info, w6('::5'), 0, 1);
    expect(none.subarray(ETH + 40)).toEqual(new Uint8Array(8));
  });
});

describe('rewriteIcmp6InnerSrc / rewriteIcmp6InnerDst', () => {
  it('500 errors quoting UDP or TCP: quoted UDP checksum exact, ICMPv6 checksum exact', () => {
    const rnd = prng(0x1c6);
    const info = new FrameInfo();
    for (let n = 0; n < 500; n++) {
      const udp = n % 2 === 0;
      const inner = frame6({ src: '2001:db8::2', dst: '2001:db8:ff::7', exts: rnd() < 0.3 ? [optsExt(60)] : [], proto: udp ? 17 : 6, l4: udp ? udpSeg(53, 4000, [1, 2, 3]) : tcpSeg(80, 4000) });
      const quote = inner.subarray(ETH);
      const f = frame6({ src: '2001:db8::fe', dst: '2001:db8::2', proto: 58, l4: icmp6Msg(1, 4, [0, 0, 0, 0, ...quote]) });
      expect(parseFrame(f, 0, f.length, info)).toBe(PARSE_IPV6);
      const w = randWords(rnd);
      const port = randU16(rnd);
      const src = rnd() < 0.5;
      if (src) rewriteIcmp6InnerSrc(f, info, w, 2, port);
      else rewriteIcmp6InnerDst(f, info, w, 2, port);
      expect(src ? info.innerSport : info.innerDport).toBe(port);
      expect(u16(f, info.innerL4 + (src ? 0 : 2))).toBe(port);
      expect(l4ChecksumOk6(f, ETH, info.l4, info.l4Len, 58)).toBe(true);
      if (udp) expect(l4ChecksumOk6(f, info.inner, info.innerL4, 11, 17)).toBe(true);
      // The outer rewrite then updates the ICMPv6 checksum for the outer pseudo-header.
      rewriteDst6(f, info, randWords(rnd), 2, 0);
      expect(l4ChecksumOk6(f, ETH, info.l4, info.l4Len, 58)).toBe(true);
    }
  });

  it('nothing happens without a parsed quote', () => {
    const info = new FrameInfo();
    const f = frame6({ proto: 58, l4: icmp6Msg(1, 4, [0, 0, 0, 0, 0x60, 0]) });
    parseFrame(f, 0, f.length, info);
    const before = f.slice();
    rewriteIcmp6InnerSrc(f, info, w6('::1'), 0, 1);
    expect(f).toEqual(before);
  });
});
