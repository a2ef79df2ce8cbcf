// Fuzz: random bytes, truncations and bit flips of valid frames. The parser must
// never throw, and its answer must not depend on any byte outside [off, off+len)
// (checked by parsing the same frame between two different random surroundings).
// Frames it accepts must survive every rewrite without a write outside the frame
// and still parse (the IP header checksum kept valid).
import { describe, expect, it } from 'vitest';
import { FrameInfo, PARSE_IPV4, PARSE_IPV6, PARSE_RESULT_COUNT, parseFrame } from '../../src/packet/parse.js';
import { rewriteDst, rewriteIcmpInnerDst, rewriteIcmpInnerSrc, rewriteSrc } from '../../src/packet/rewrite.js';
import {
  buildArp, buildIcmpEcho, buildIcmpError, buildTcp, buildUdp, ipv4Datagram,
} from '../../src/packet/build.js';
import { ipv4SetChecksum } from '../../src/packet/ipv4.js';
import { prng, randBytes, randInt, randU16, randU32 } from './helpers.js';

type Rnd = () => number;

function validFrame(rnd: Rnd): Uint8Array {
  const base = {
    src: randU32(rnd), dst: randU32(rnd), sport: randU16(rnd), dport: randU16(rnd),
    payload: randBytes(rnd, randInt(rnd, 40)), vlan: rnd() < 0.3 ? randInt(rnd, 4096) : undefined,
  };
  switch (randInt(rnd, 6)) {
    case 0: return buildTcp(base);
    case 1: return buildUdp(base);
    case 2: return buildIcmpEcho(base);
    case 3: return buildArp({ op: 1 + randInt(rnd, 2), senderMac: randBytes(rnd, 6), senderIp: base.src, targetIp: base.dst, vlan: base.vlan });
    default: {
      const orig = rnd() < 0.5 ? buildTcp(base) : buildUdp(base);
      return buildIcmpError({ ...base, type: 3, code: 3, original: ipv4Datagram(orig), quoteLen: randInt(rnd, 60) });
    }
  }
}

function mutate(rnd: Rnd, f: Uint8Array): Uint8Array {
  const g = f.slice(0, rnd() < 0.5 ? randInt(rnd, f.length + 1) : f.length);
  const flips = randInt(rnd, 4);
  for (let i = 0; i < flips && g.length > 0; i++) g[randInt(rnd, g.length)] ^= 1 << randInt(rnd, 8);
  // Often repair the IP header checksum so the mutation reaches L4 and the ICMP quote.
  const tagged = g.length >= 14 && g[12] === 0x81 && g[13] === 0;
  const l3 = tagged ? 18 : 14;
  const ihl = g.length > l3 ? (g[l3] & 15) * 4 : 0;
  if (rnd() < 0.7 && ihl >= 20 && l3 + ihl <= g.length) ipv4SetChecksum(g, l3, ihl);
  return g;
}

function randomFrame(rnd: Rnd): Uint8Array {
  const r = rnd();
  if (r < 0.15) return randBytes(rnd, randInt(rnd, 100));
  if (r < 0.25) {
    const g = randBytes(rnd, randInt(rnd, 100));
    if (g.length >= 14) [g[12], g[13]] = rnd() < 0.5 ? [8, 0] : [8, 6];
    return g;
  }
  return mutate(rnd, validFrame(rnd));
}

describe('parser fuzz', () => {
  it('8000 random frames: never throws, reads nothing outside the frame', () => {
    const rnd = prng(0xf022);
    const a = new FrameInfo();
    const b = new FrameInfo();
    const seen = new Set<number>();
    for (let n = 0; n < 8000; n++) {
      const f = randomFrame(rnd);
      const pre = randInt(rnd, 20);
      const post = rnd() < 0.3 ? 0 : randInt(rnd, 100);
      const buf1 = randBytes(rnd, pre + f.length + post);
      const buf2 = randBytes(rnd, pre + f.length + post);
      buf1.set(f, pre);
      buf2.set(f, pre);
      const r1 = parseFrame(buf1, pre, f.length, a);
      const r2 = parseFrame(buf2, pre, f.length, b);
      expect(r1).toBe(r2);
      expect(a).toEqual(b);
      expect(r1 >= 0 && r1 < PARSE_RESULT_COUNT).toBe(true);
      seen.add(r1);
      if (r1 !== PARSE_IPV4) continue;

      // Rewrites stay inside the frame and keep the IP header valid.
      const outside = buf1.slice();
      rewriteDst(buf1, a, randU32(rnd), randU16(rnd), rnd() < 0.2);
      rewriteSrc(buf1, a, randU32(rnd), randU16(rnd));
      rewriteIcmpInnerSrc(buf1, a, randU32(rnd), randU16(rnd));
      rewriteIcmpInnerDst(buf1, a, randU32(rnd), randU16(rnd), rnd() < 0.2);
      expect(buf1.subarray(0, pre)).toEqual(outside.subarray(0, pre));
      expect(buf1.subarray(pre + f.length)).toEqual(outside.subarray(pre + f.length));
      expect(parseFrame(buf1, pre, f.length, b)).toBe(PARSE_IPV4);
      expect([b.saddr, b.daddr, b.sport, b.dport]).toEqual([a.saddr, a.daddr, a.sport, a.dport]);
    }
    // The corpus reached every result code up to IPv6's (IPv6 frames: fuzz6.test.ts).
    expect([...seen].filter((r) => r < PARSE_IPV6).length).toBe(PARSE_IPV6);
  });

  it('every truncation of valid frames parses without throwing', () => {
    const rnd = prng(5);
    const info = new FrameInfo();
    for (let n = 0; n < 200; n++) {
      const f = validFrame(rnd);
      for (let len = 0; len <= f.length; len++) {
        const r = parseFrame(f, 0, len, info);
        expect(r >= 0 && r < PARSE_RESULT_COUNT).toBe(true);
        expect(info.end).toBe(len);
      }
    }
  });
});
