// Property tests: after any rewrite, every incrementally updated checksum equals a
// full recomputation by the independent reference model in helpers.ts.
import { describe, expect, it } from 'vitest';
import { rewriteDst, rewriteIcmpInnerDst, rewriteIcmpInnerSrc, rewriteSrc } from '../../src/packet/rewrite.js';
import { FrameInfo, PARSE_IPV4, parseFrame } from '../../src/packet/parse.js';
import {
  buildIcmpEcho, buildIcmpError, buildTcp, buildUdp, ipv4Datagram, type TcpOptions, type UdpOptions,
} from '../../src/packet/build.js';
import { checksum, pseudoSum } from '../../src/packet/checksum.js';
import { prng, randBytes, randInt, randU16, randU32, refChecksumZeroed, refL4Checksum, toHex, u16 } from './helpers.js';

const N = 3000;
const info = new FrameInfo();
const again = new FrameInfo();

type Rnd = () => number;

function randomL4Options(rnd: Rnd): { udp: boolean; o: TcpOptions & UdpOptions } {
  const udp = rnd() < 0.5;
  const o: TcpOptions & UdpOptions = {
    src: randU32(rnd), dst: randU32(rnd), sport: randU16(rnd), dport: randU16(rnd),
    payload: randBytes(rnd, randInt(rnd, 3) === 0 ? randInt(rnd, 8) : randInt(rnd, 300)),
    ttl: 1 + randInt(rnd, 255), id: randU16(rnd), flags: randInt(rnd, 256), seq: randU32(rnd), ack: randU32(rnd),
  };
  if (rnd() < 0.2) o.vlan = randInt(rnd, 4096);
  if (rnd() < 0.2) o.ipOptions = randBytes(rnd, 4 * (1 + randInt(rnd, 10)));
  if (!udp && rnd() < 0.3) o.tcpOptions = randBytes(rnd, 4 * (1 + randInt(rnd, 10)));
  if (udp && rnd() < 0.1) o.udpChecksum = false;
  return { udp, o };
}

/** The checksum field of the L4 header, and what a full recomputation puts there. */
function l4Expect(f: Uint8Array, i: FrameInfo, udp: boolean): { field: number; full: number } {
  const at = i.l4 + (udp ? 6 : 16);
  let full = refL4Checksum(f, i.l4, i.l4Len, i.saddr, i.daddr, i.proto, at);
  if (udp && full === 0) full = 0xffff;
  return { field: u16(f, at), full };
}

function expectIpOk(f: Uint8Array, i: FrameInfo): void {
  expect(u16(f, i.l3 + 10)).toBe(refChecksumZeroed(f, i.l3, i.ihl, i.l3 + 10));
}

function expectReparsedSame(f: Uint8Array, i: FrameInfo): void {
  expect(parseFrame(f, 0, f.length, again)).toBe(PARSE_IPV4);
  expect([again.saddr, again.daddr, again.sport, again.dport]).toEqual([i.saddr, i.daddr, i.sport, i.dport]);
}

describe('rewriteDst / rewriteSrc: incremental = full recomputation', () => {
  it(`${N} random TCP and UDP frames`, () => {
    const rnd = prng(0x1624);
    for (let n = 0; n < N; n++) {
      const { udp, o } = randomL4Options(rnd);
      const f = udp ? buildUdp(o) : buildTcp(o);
      expect(parseFrame(f, 0, f.length, info)).toBe(PARSE_IPV4);
      const noCsum = udp && u16(f, info.l4 + 6) === 0;
      const [addr, port] = [randU32(rnd), randU16(rnd)];
      const dst = rnd() < 0.5;
      if (dst) rewriteDst(f, info, addr, port);
      else rewriteSrc(f, info, addr, port);
      expect(dst ? [info.daddr, info.dport] : [info.saddr, info.sport]).toEqual([addr, port]);
      expectIpOk(f, info);
      const { field, full } = l4Expect(f, info, udp);
      expect(field).toBe(noCsum ? 0 : full);
      expectReparsedSame(f, info);
    }
  });

  it('chains of rewrites (DNAT then SNAT, many times) stay exact', () => {
    const rnd = prng(42);
    for (let n = 0; n < 300; n++) {
      const { udp, o } = randomL4Options(rnd);
      o.udpChecksum = true;
      const f = udp ? buildUdp(o) : buildTcp(o);
      expect(parseFrame(f, 0, f.length, info)).toBe(PARSE_IPV4);
      for (let k = 0; k < 10; k++) {
        rewriteDst(f, info, randU32(rnd), randU16(rnd));
        rewriteSrc(f, info, randU32(rnd), randU16(rnd));
      }
      expectIpOk(f, info);
      const { field, full } = l4Expect(f, info, udp);
      expect(field).toBe(full);
    }
  });

  it('matches a frame built from scratch with the new address and port', () => {
    const rnd = prng(7);
    for (let n = 0; n < 500; n++) {
      const { udp, o } = randomL4Options(rnd);
      const f = udp ? buildUdp(o) : buildTcp(o);
      parseFrame(f, 0, f.length, info);
      const [addr, port] = [randU32(rnd), randU16(rnd)];
      rewriteDst(f, info, addr, port);
      const g = udp ? buildUdp({ ...o, dst: addr, dport: port }) : buildTcp({ ...o, dst: addr, dport: port });
      expect(toHex(f)).toBe(toHex(g));
    }
  });

  it('non-first fragments and ICMP: only the IP header, still exact', () => {
    const rnd = prng(3);
    for (let n = 0; n < 500; n++) {
      const { udp, o } = randomL4Options(rnd);
      const icmp = rnd() < 0.3;
      if (!icmp) o.fragment = { offset: 8 * (1 + randInt(rnd, 1000)), more: rnd() < 0.5 };
      const f = icmp ? buildIcmpEcho(o) : udp ? buildUdp(o) : buildTcp(o);
      expect(parseFrame(f, 0, f.length, info)).toBe(PARSE_IPV4);
      const tail = toHex(f.subarray(info.l4));
      if (rnd() < 0.5) rewriteDst(f, info, randU32(rnd), randU16(rnd));
      else rewriteSrc(f, info, randU32(rnd), randU16(rnd));
      expectIpOk(f, info);
      expect(toHex(f.subarray(info.l4))).toBe(tail);
      expect([info.sport, info.dport]).toEqual([0, 0]);
    }
  });
});

describe('partial = true (CHECKSUM_PARTIAL)', () => {
  it(`${N} frames: completing the rewritten seed gives the full checksum`, () => {
    const rnd = prng(0xc5);
    for (let n = 0; n < N; n++) {
      const { udp, o } = randomL4Options(rnd);
      o.udpChecksum = true;
      const f = udp ? buildUdp(o) : buildTcp(o);
      expect(parseFrame(f, 0, f.length, info)).toBe(PARSE_IPV4);
      const at = info.l4 + (udp ? 6 : 16);
      // What the sending kernel leaves: the folded pseudo-header sum, uncomplemented.
      const seed = pseudoSum(info.saddr, info.daddr, info.proto, info.l4Len);
      f[at] = seed >>> 8;
      f[at + 1] = seed & 0xff;
      const [addr, port] = [randU32(rnd), randU16(rnd)];
      if (rnd() < 0.5) rewriteDst(f, info, addr, port, true);
      else rewriteSrc(f, info, addr, port, true);
      expectIpOk(f, info);
      expect(u16(f, at)).toBe(pseudoSum(info.saddr, info.daddr, info.proto, info.l4Len));
      // What the NIC (or skb_checksum_help) then does: sum from l4 on, complement.
      let c = checksum(f, info.l4, info.l4Len);
      if (udp && c === 0) c = 0xffff;
      f[at] = c >>> 8;
      f[at + 1] = c & 0xff;
      expect(c).toBe(l4Expect(f, info, udp).full);
    }
  });
});

describe('rewriteIcmpInnerSrc / rewriteIcmpInnerDst', () => {
  function randomError(rnd: Rnd) {
    const { udp, o } = randomL4Options(rnd);
    const orig = udp ? buildUdp(o) : buildTcp(o);
    const ihl = 20 + (o.ipOptions?.length ?? 0);
    const quoteLen = rnd() < 0.5 ? ihl + 8 : ihl + 8 + randInt(rnd, orig.length - 14 - ihl - 8 + 1);
    const eo = {
      src: randU32(rnd), dst: randU32(rnd), type: [3, 4, 11][randInt(rnd, 3)], code: randInt(rnd, 16),
      rest: randU32(rnd), quoteLen, vlan: rnd() < 0.2 ? 9 : undefined,
    };
    const err = buildIcmpError({ ...eo, original: ipv4Datagram(orig) });
    return { udp, o, ihl, quoteLen, eo, err };
  }

  it(`${N} errors: embedded IP, embedded UDP and ICMP checksums all exact`, () => {
    const rnd = prng(0x792);
    for (let n = 0; n < N; n++) {
      const { udp, o, ihl, quoteLen, eo, err } = randomError(rnd);
      expect(parseFrame(err, 0, err.length, info)).toBe(PARSE_IPV4);
      expect(info.inner).toBeGreaterThan(0);
      const [addr, port] = [randU32(rnd), randU16(rnd)];
      const srcSide = rnd() < 0.5;
      if (srcSide) rewriteIcmpInnerSrc(err, info, addr, port);
      else rewriteIcmpInnerDst(err, info, addr, port);
      expect(srcSide ? [info.innerSaddr, info.innerSport] : [info.innerDaddr, info.innerDport]).toEqual([addr, port]);

      // The quote now starts like the original built with the new address/port
      // (header checksum and, for UDP, the L4 checksum included) ...
      const o2 = srcSide ? { ...o, src: addr, sport: port } : { ...o, dst: addr, dport: port };
      const want = ipv4Datagram(udp ? buildUdp(o2) : buildTcp(o2));
      const q = err.subarray(info.inner, info.inner + quoteLen);
      const exact = udp ? quoteLen : ihl + 8;
      expect(toHex(q.subarray(0, exact))).toBe(toHex(want.subarray(0, exact)));
      // ... the quoted TCP bytes past the first 8 (checksum included) are untouched ...
      const before = ipv4Datagram(udp ? buildUdp(o) : buildTcp(o));
      expect(toHex(q.subarray(exact))).toBe(toHex(before.subarray(exact, quoteLen)));
      // ... and the ICMP checksum covers the changed message.
      expect(u16(err, info.l4 + 2)).toBe(refChecksumZeroed(err, info.l4, info.l4Len, info.l4 + 2));
      // The outer header was not touched.
      expect(parseFrame(err, 0, err.length, again)).toBe(PARSE_IPV4);
      expect([again.saddr, again.daddr]).toEqual([eo.src, eo.dst]);
    }
  });

  it('partial: the ICMP field needs no update, completing it gives the full checksum', () => {
    const rnd = prng(0x793);
    for (let n = 0; n < 500; n++) {
      const { err } = randomError(rnd);
      expect(parseFrame(err, 0, err.length, info)).toBe(PARSE_IPV4);
      // The same rewrite without offload, on a copy, for comparison.
      const full = err.slice();
      const fullInfo = new FrameInfo();
      parseFrame(full, 0, full.length, fullInfo);
      err[info.l4 + 2] = 0; // ICMP has no pseudo-header: the seed is zero
      err[info.l4 + 3] = 0;
      const [addr, port, srcSide] = [randU32(rnd), randU16(rnd), rnd() < 0.5];
      if (srcSide) {
        rewriteIcmpInnerSrc(err, info, addr, port, true);
        rewriteIcmpInnerSrc(full, fullInfo, addr, port);
      } else {
        rewriteIcmpInnerDst(err, info, addr, port, true);
        rewriteIcmpInnerDst(full, fullInfo, addr, port);
      }
      expect(u16(err, info.l4 + 2)).toBe(0);
      const c = checksum(err, info.l4, info.l4Len);
      expect(c).toBe(u16(full, info.l4 + 2));
      err[info.l4 + 2] = c >>> 8;
      err[info.l4 + 3] = c & 0xff;
      expect(toHex(err)).toBe(toHex(full));
      // The embedded IP header checksum is never offloaded: it is exact already.
      expect(u16(err, info.inner + 10)).toBe(refChecksumZeroed(err, info.inner, info.innerIhl, info.inner + 10));
    }
  });
});
