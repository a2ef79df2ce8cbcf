// Fuzz of the IPv6 branch: valid frames (extension-header chains, fragments, TCP, UDP,
// ICMPv6 errors, NDP) mutated by truncation, bit flips and byte swaps in the chain. The
// parser must never throw, return a known code, and not depend on any byte outside the
// frame (parsed between two different random surroundings, as fuzz.test.ts does for IPv4).
import { describe, expect, it } from 'vitest';
import {
  FrameInfo, PARSE_BAD_IPV6_EXT, PARSE_BAD_NDP, PARSE_BAD_TOTLEN, PARSE_BAD_VERSION, PARSE_IPV6, PARSE_RESULT_COUNT,
  PARSE_TRUNC_IP, PARSE_TRUNC_L4, parseFrame,
} from '../../src/packet/parse.js';
import { prng, randBytes, randInt } from './helpers.js';
import { type Ext, fragExt, frame6, icmp6Msg, ndBody, optsExt, tcpSeg, udpSeg } from './helpers6.js';

type Rnd = () => number;

function randExts(rnd: Rnd): Ext[] {
  const exts: Ext[] = [];
  if (rnd() < 0.3) exts.push(optsExt(0, randInt(rnd, 3)));
  const n = randInt(rnd, 4);
  let frag = false;
  for (let i = 0; i < n; i++) {
    const k = randInt(rnd, 3);
    if (k === 2 && !frag) {
      // At most one Fragment header, the walk's last when not the first fragment.
      const off = rnd() < 0.5 ? 0 : 8 * (1 + randInt(rnd, 200));
      exts.push(fragExt(off, rnd() < 0.5));
      frag = true;
      if (off !== 0) break;
    } else {
      exts.push(optsExt(k === 0 ? 43 : 60, randInt(rnd, 2)));
    }
  }
  return exts;
}

function validFrame6(rnd: Rnd): Uint8Array {
  const pl = Array.from(randBytes(rnd, randInt(rnd, 24)));
  switch (randInt(rnd, 5)) {
    case 0: return frame6({ proto: 6, exts: randExts(rnd), l4: tcpSeg(randInt(rnd, 65536), 80, 0x02, pl) });
    case 1: return frame6({ proto: 17, exts: randExts(rnd), l4: udpSeg(53, randInt(rnd, 65536), pl) });
    case 2: {
      const inner = frame6({ proto: rnd() < 0.5 ? 6 : 17, exts: randExts(rnd), l4: tcpSeg(80, 1234) });
      const q = inner.subarray(14, 14 + randInt(rnd, inner.length - 13));
      return frame6({ proto: 58, l4: icmp6Msg(1 + randInt(rnd, 4), 0, [0, 0, 5, 0, ...q]) });
    }
    case 3: {
      const opts: number[] = [];
      for (let i = randInt(rnd, 3); i > 0; i--) opts.push(1 + randInt(rnd, 3), 1, ...randBytes(rnd, 6));
      return frame6({ hop: 255, proto: 58, l4: icmp6Msg(135 + randInt(rnd, 2), 0, ndBody(0x60, '2001:db8::9', opts)) });
    }
    default: return frame6({ proto: 58, exts: randExts(rnd), l4: icmp6Msg(128 + randInt(rnd, 2), 0, [0, 1, 0, 2, ...pl]) });
  }
}

function mutate(rnd: Rnd, f: Uint8Array): Uint8Array {
  const g = f.slice(0, rnd() < 0.3 ? randInt(rnd, f.length + 1) : f.length);
  const flips = randInt(rnd, 4);
  // Flips aimed at the chain (Next Header and length bytes) most of the time.
  for (let i = 0; i < flips && g.length > 54; i++) {
    const at = rnd() < 0.7 ? 54 + randInt(rnd, Math.min(40, g.length - 54)) : randInt(rnd, g.length);
    g[at] ^= 1 << randInt(rnd, 8);
  }
  if (rnd() < 0.1 && g.length > 20) g[20] = [0, 43, 44, 60, 58, 59][randInt(rnd, 6)];
  return g;
}

describe('IPv6 parser fuzz', () => {
  it('6000 mutated IPv6 frames: never throws, a known code, nothing read outside the frame', () => {
    const rnd = prng(0x86dd);
    const a = new FrameInfo();
    const b = new FrameInfo();
    const seen = new Set<number>();
    for (let n = 0; n < 6000; n++) {
      const f = rnd() < 0.1 ? validFrame6(rnd) : mutate(rnd, validFrame6(rnd));
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
      if (r1 !== PARSE_IPV6) continue;
      // Every offset the parser hands out lies inside the frame.
      const end = pre + f.length;
      expect(a.l4).toBeLessThanOrEqual(end);
      expect(a.l3 + a.totalLen).toBeLessThanOrEqual(end);
      expect(a.l4 + a.l4Len).toBe(a.l3 + a.totalLen);
      if (a.inner >= 0) expect(a.innerL4 + 8).toBeLessThanOrEqual(end);
      if (a.ndTarget >= 0) expect(a.ndTarget + 16).toBeLessThanOrEqual(end);
      if (a.ndLla >= 0) expect(a.ndLla + 6).toBeLessThanOrEqual(end);
      if (a.frag6 >= 0) expect(a.frag6 + 8).toBeLessThanOrEqual(a.l4);
    }
    for (const code of [PARSE_IPV6, PARSE_BAD_IPV6_EXT, PARSE_BAD_NDP, PARSE_BAD_TOTLEN, PARSE_BAD_VERSION, PARSE_TRUNC_IP, PARSE_TRUNC_L4]) {
      expect(seen.has(code)).toBe(true);
    }
  });

  it('every truncation of valid IPv6 frames parses to a code', () => {
    const rnd = prng(66);
    const info = new FrameInfo();
    for (let n = 0; n < 150; n++) {
      const f = validFrame6(rnd);
      expect(parseFrame(f, 0, f.length, info)).toBe(PARSE_IPV6);
      for (let len = 0; len < f.length; len++) {
        const r = parseFrame(f, 0, len, info);
        expect(r >= 0 && r < PARSE_RESULT_COUNT && r !== PARSE_IPV6).toBe(true);
      }
    }
  });
});
