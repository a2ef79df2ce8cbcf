// IPv6 addresses as 4 words (ipv6.ts) and the RFC 8200 section 8.1 pseudo-header
// sums (checksum.ts), against the byte-laid reference of helpers6.ts.
import { describe, expect, it } from 'vitest';
import {
  addr6Equals, fold6, foldWords6, formatIPv6, ipv6Words, isMulticast6, isUnspecified6, readAddr6, writeAddr6,
} from '../../src/packet/ipv6.js';
import { l4Checksum6, l4ChecksumOk6, pseudoSum6, setL4Checksum6 } from '../../src/packet/checksum.js';
import { decHopLimit } from '../../src/packet/rewrite6.js';
import { prng, randBytes, randInt, refSum } from './helpers.js';
import { a6, ETH, frame6, icmp6Msg, refL4Checksum6, tcpSeg, udpSeg, w6 } from './helpers6.js';

describe('IPv6 addresses as words', () => {
  it('readAddr6 / writeAddr6 round trip, big-endian words at an offset', () => {
    const b = new Uint8Array(40);
    b.set(a6('2001:db8:1:2:3:4:5:fffe'), 7);
    const out = new Int32Array(9);
    readAddr6(b, 7, out, 5);
    expect(Array.from(out.subarray(5), (x) => x >>> 0)).toEqual([0x20010db8, 0x00010002, 0x00030004, 0x0005fffe]);
    const c = new Uint8Array(40);
    writeAddr6(c, 3, out, 5);
    expect(c.subarray(3, 19)).toEqual(b.subarray(7, 23));
    expect(addr6Equals(b, 7, out, 5)).toBe(true);
    out[8] ^= 1;
    expect(addr6Equals(b, 7, out, 5)).toBe(false);
  });

  it('fold6 is the XOR of the 4 words, unsigned (ip_vs_sh/dh/lblc/mh key)', () => {
    const b = a6('ffff:0:0:0:0:0:0:1');
    expect(fold6(b, 0)).toBe(0xffff0001);
    expect(fold6(a6('2001:db8::2'), 0)).toBe(0x20010dba);
    expect(fold6(a6('::'), 0)).toBe(0);
    expect(foldWords6(w6('ffff::1'), 0)).toBe(0xffff0001);
    const rnd = prng(6);
    for (let i = 0; i < 200; i++) {
      const r = randBytes(rnd, 16);
      const ws = [0, 4, 8, 12].map((o) => ((r[o] << 24) | (r[o + 1] << 16) | (r[o + 2] << 8) | r[o + 3]) >>> 0);
      expect(fold6(r, 0)).toBe((ws[0] ^ ws[1] ^ ws[2] ^ ws[3]) >>> 0);
    }
  });

  it('text forms: ipv6Words and formatIPv6 (RFC 5952)', () => {
    expect(Array.from(ipv6Words('2001:db8::1'))).toEqual(Array.from(w6('2001:db8::1')));
    expect(Array.from(ipv6Words('::ffff:198.18.0.1'), (x) => x >>> 0)).toEqual([0, 0, 0xffff, 0xc6120001]);
    expect(formatIPv6(ipv6Words('2001:0db8:0000:0000:0001:0000:0000:0001'))).toBe('2001:db8::1:0:0:1');
    expect(formatIPv6(ipv6Words('::'))).toBe('::');
    expect(formatIPv6(ipv6Words('ff02::1:ff00:2'))).toBe('ff02::1:ff00:2');
    expect(formatIPv6(ipv6Words('1:0:2:3:4:5:6:7'))).toBe('1:0:2:3:4:5:6:7');
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7', '12345::', 'g::', '::1.2.3.256', '1:2:3:4:5:6:7:8:9']) {
      expect(() => ipv6Words(bad)).toThrow(/not an IPv6 address/);
    }
  });

  it('unspecified, multicast, hop-limit decrement', () => {
    expect(isUnspecified6(a6('::'), 0)).toBe(true);
    expect(isUnspecified6(a6('::1'), 0)).toBe(false);
    expect(isMulticast6(a6('ff02::1'), 0)).toBe(true);
    expect(isMulticast6(a6('fe80::1'), 0)).toBe(false);
    const f = frame6({ hop: 2, proto: 59, l4: new Uint8Array(0) });
    expect(decHopLimit(f, ETH)).toBe(1);
    expect(decHopLimit(f, ETH)).toBe(0);
    expect(decHopLimit(f, ETH)).toBe(0);
    expect(f[ETH + 7]).toBe(0);
  });
});

describe('IPv6 checksums', () => {
  it('pseudoSum6 equals the reference sum of the pseudo-header bytes', () => {
    const rnd = prng(86);
    for (let i = 0; i < 500; i++) {
      const f = randBytes(rnd, 60);
      const len = rnd() < 0.1 ? 0xffff : randInt(rnd, 70000);
      const proto = randInt(rnd, 256);
      const p = new Uint8Array(40);
      p.set(f.subarray(10, 42), 0);
      p[32] = len >>> 24; p[33] = (len >> 16) & 0xff; p[34] = (len >> 8) & 0xff; p[35] = len & 0xff; p[39] = proto;
      const ref = refSum(p);
      // 0 and 0xffff are the same number in ones' complement.
      expect(pseudoSum6(f, 2, proto, len) % 0xffff).toBe(ref % 0xffff);
    }
  });

  it('setL4Checksum6 matches the reference for TCP, UDP, ICMPv6 of random sizes; l4ChecksumOk6 accepts it', () => {
    const rnd = prng(87);
    for (let i = 0; i < 300; i++) {
      const kind = randInt(rnd, 3);
      const pl = Array.from(randBytes(rnd, randInt(rnd, 60)));
      const l4 = kind === 0 ? tcpSeg(randInt(rnd, 65536), 80, 0x10, pl) : kind === 1 ? udpSeg(53, randInt(rnd, 65536), pl) : icmp6Msg(128, 0, [1, 2, 3, 4, ...pl]);
      const proto = [6, 17, 58][kind];
      const f = frame6({ src: `2001:db8::${randInt(rnd, 0xffff).toString(16)}`, dst: `fe80::${randInt(rnd, 0xffff).toString(16)}`, proto, l4, csum: false });
      const at = ETH + 40, field = at + [16, 6, 2][kind];
      let ref = refL4Checksum6(f, ETH, at, l4.length, proto, field);
      if (proto === 17 && ref === 0) ref = 0xffff;
      expect(setL4Checksum6(f, ETH, at, l4.length, proto)).toBe(ref);
      expect((f[field] << 8) | f[field + 1]).toBe(ref);
      expect(l4ChecksumOk6(f, ETH, at, l4.length, proto)).toBe(true);
      f[at + l4.length - 1] ^= 0x40;
      expect(l4ChecksumOk6(f, ETH, at, l4.length, proto)).toBe(false);
    }
  });

  it('a UDP result of 0 is sent as 0xffff, which verifies', () => {
    // Find a payload word that makes the sum 0xffff (checksum 0): solve for it.
    const f = frame6({ proto: 17, l4: udpSeg(1, 2, [0, 0]), csum: false });
    const at = ETH + 40;
    const c = l4Checksum6(f, ETH, at, 10, 17);
    // Adding the checksum value as a data word makes the new sum 0xffff -> computed checksum 0.
    f[at + 8] = c >> 8; f[at + 9] = c & 0xff;
    expect(l4Checksum6(f, ETH, at, 10, 17)).toBe(0);
    expect(setL4Checksum6(f, ETH, at, 10, 17)).toBe(0xffff);
    expect(l4ChecksumOk6(f, ETH, at, 10, 17)).toBe(true);
  });

  it('other protocols have no checksum to set or verify', () => {
    const f = frame6({ proto: 59, l4: new Uint8Array(8) });
    expect(setL4Checksum6(f, ETH, ETH + 40, 8, 59)).toBe(-1);
    expect(l4ChecksumOk6(f, ETH, ETH + 40, 8, 59)).toBe(false);
  });
});
