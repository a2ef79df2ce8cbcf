// IPv6 parsing (parse6.ts): golden frames written from RFC 8200, 4443 and 4861 with
// checksums from an independent sum (python3's struct, noted at each frame, and the
// reference refL4Checksum6), then every extension-header and NDP edge case.
import { describe, expect, it } from 'vitest';
import {
  FrameInfo, PARSE_BAD_IPV6_EXT, PARSE_BAD_NDP, PARSE_BAD_TOTLEN, PARSE_BAD_VERSION, PARSE_IPV4, PARSE_IPV6,
  PARSE_RESULT_NAMES, PARSE_TRUNC_IP, PARSE_TRUNC_L4, parseFrame,
} from '../../src/packet/parse.js';
import { l4Checksum6, l4ChecksumOk6 } from '../../src/packet/checksum.js';
import { buildTcp } from '../../src/packet/build.js';
import { Counters, countersSnapshot, dropName, MALFORMED_BASE } from '../../src/engine/counters.js';
import { PARSE_RESULT_COUNT } from '../../src/packet/parse.js';
import { hex } from './helpers.js';
import { a6, ETH, fragExt, frame6, icmp6Msg, ndBody, optsExt, tcpSeg, udpSeg } from './helpers6.js';

const info = new FrameInfo();
const parse = (f: Uint8Array) => parseFrame(f, 0, f.length, info);
const MAC = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];

// Echo request fe80::1 -> fe80::2, id 0x1234, seq 1, "abcd" (RFC 4443 section 4.1).
// python3: csum(pseudo('fe80::1','fe80::2',12,58) + struct.pack('!BBHHH',128,0,0,0x1234,1)+b'abcd') = 0xabb8
const ECHO = hex(`
  020000000002 020000000001 86dd
  60000000 000c 3a 40
  fe800000000000000000000000000001
  fe800000000000000000000000000002
  80 00 abb8 1234 0001 61626364`);

// UDP 2001:db8::1.4096 -> 2001:db8::2.53, "ping": python3 gives 0xb55b.
const UDP = hex(`
  020000000002 020000000001 86dd
  60000000 000c 11 40
  20010db8000000000000000000000001
  20010db8000000000000000000000002
  1000 0035 000c b55b 70696e67`);

// Neighbor Solicitation for 2001:db8::2 from 2001:db8::1 to its solicited-node group
// ff02::1:ff00:2 (RFC 4861 section 4.3), source LLA option 02:00:00:00:00:01: 0x1c27.
const NS = hex(`
  3333ff000002 020000000001 86dd
  60000000 0020 3a ff
  20010db8000000000000000000000001
  ff0200000000000000000001ff000002
  87 00 1c27 00000000
  20010db8000000000000000000000002
  01 01 020000000001`);

// TCP SYN 40000 -> 80 behind Hop-by-Hop and Destination Options, each 8 bytes with one
// PadN option (RFC 8200 sections 4.3, 4.6, 4.2): the pseudo-header takes the upper-layer
// length 20 and Next Header 6. python3: 0xb7dc.
const TCP_EXT = hex(`
  020000000002 020000000001 86dd
  60000000 0024 00 40
  20010db8000000000000000000000001
  20010db8000000000000000000000002
  3c 00 01 04 00000000
  06 00 01 04 00000000
  9c40 0050 00000001 00000000 5002 ffff b7dc 0000`);

describe('parseFrame: IPv6 golden frames', () => {
  it('echo request: header fields, folded addresses, identifier, checksum', () => {
    expect(parse(ECHO)).toBe(PARSE_IPV6);
    expect(info).toMatchObject({
      ethType: 0x86dd, l3: 14, ihl: 40, totalLen: 52, ttl: 64, proto: 58, l4: 54, l4Len: 12,
      saddr: 0xfe800001, daddr: 0xfe800002, icmpType: 128, icmpCode: 0, icmpId: 0x1234, isFragment: 0,
      inner: -1, ndTarget: -1, ndLla: -1, frag6: -1, sport: 0, dport: 0,
    });
    expect(l4ChecksumOk6(ECHO, 14, 54, 12, 58)).toBe(true);
    const z = ECHO.slice();
    z[56] = 0; z[57] = 0;
    expect(l4Checksum6(z, 14, 54, 12, 58)).toBe(0xabb8);
    z[56] = 0xab; z[57] = 0xb9;
    expect(l4ChecksumOk6(z, 14, 54, 12, 58)).toBe(false);
  });

  it('UDP: ports; a zero checksum is refused (RFC 8200 section 8.1)', () => {
    expect(parse(UDP)).toBe(PARSE_IPV6);
    expect(info).toMatchObject({ proto: 17, sport: 4096, dport: 53, l4: 54, l4Len: 12, saddr: 0x20010db9, daddr: 0x20010dba });
    expect(l4ChecksumOk6(UDP, 14, 54, 12, 17)).toBe(true);
    const z = UDP.slice();
    z[60] = 0; z[61] = 0;
    expect(l4Checksum6(z, 14, 54, 12, 17)).toBe(0xb55b);
    expect(l4ChecksumOk6(z, 14, 54, 12, 17)).toBe(false);
  });

  it('Neighbor Solicitation: target and source link-layer address', () => {
    expect(parse(NS)).toBe(PARSE_IPV6);
    expect(info).toMatchObject({ proto: 58, ttl: 255, icmpType: 135, ndTarget: 54 + 8, ndLla: 54 + 26 });
    expect(Array.from(NS.subarray(info.ndTarget, info.ndTarget + 16))).toEqual(Array.from(a6('2001:db8::2')));
    expect(Array.from(NS.subarray(info.ndLla, info.ndLla + 6))).toEqual([2, 0, 0, 0, 0, 1]);
    expect(l4ChecksumOk6(NS, 14, 54, 32, 58)).toBe(true);
  });

  it('TCP behind Hop-by-Hop and Destination Options: ihl covers both', () => {
    expect(parse(TCP_EXT)).toBe(PARSE_IPV6);
    expect(info).toMatchObject({ ihl: 56, l4: 70, l4Len: 20, totalLen: 76, proto: 6, sport: 40000, dport: 80, tcpFlags: 2 });
    expect(l4ChecksumOk6(TCP_EXT, 14, 70, 20, 6)).toBe(true);
  });

  it('the test builder lays out the golden frames byte for byte', () => {
    expect(frame6({ src: 'fe80::1', dst: 'fe80::2', proto: 58, l4: icmp6Msg(128, 0, [0x12, 0x34, 0, 1, 0x61, 0x62, 0x63, 0x64]) })).toEqual(ECHO);
    expect(frame6({ proto: 17, l4: udpSeg(4096, 53, [0x70, 0x69, 0x6e, 0x67]) })).toEqual(UDP);
    expect(frame6({ proto: 6, exts: [optsExt(0), optsExt(60)], l4: tcpSeg(40000, 80) })).toEqual(TCP_EXT);
  });
});

describe('parseFrame: IPv6 header and extension-header chain', () => {
  const tcp = (exts: ReturnType<typeof optsExt>[], extra: object = {}) =>
    frame6({ proto: 6, exts, l4: tcpSeg(1234, 443), ...extra });

  it('Ethernet padding after the payload is ignored; a payload longer than the frame is not', () => {
    const f = tcp([], { pad: 6 });
    expect(parse(f)).toBe(PARSE_IPV6);
    expect([info.totalLen, info.l4Len, info.end]).toEqual([60, 20, f.length]);
    const g = tcp([]);
    expect(parseFrame(g, 0, g.length - 1, info)).toBe(PARSE_BAD_TOTLEN);
  });

  it('short header and wrong version', () => {
    const f = tcp([]);
    expect(parseFrame(f, 0, ETH + 39, info)).toBe(PARSE_TRUNC_IP);
    f[ETH] = 0x45;
    expect(parse(f)).toBe(PARSE_BAD_VERSION);
  });

  it('a Routing header is walked; the upper layer follows it', () => {
    expect(parse(tcp([optsExt(43, 2)]))).toBe(PARSE_IPV6);
    expect(info).toMatchObject({ ihl: 64, proto: 6, sport: 1234, dport: 443 });
  });

  it('8 extension headers are walked, a 9th is malformed', () => {
    const eight = [optsExt(0), ...Array.from({ length: 7 }, () => optsExt(60))];
    expect(parse(tcp(eight))).toBe(PARSE_IPV6);
    expect([info.ihl, info.dport]).toEqual([40 + 64, 443]);
    expect(parse(tcp([...eight, optsExt(60)]))).toBe(PARSE_BAD_IPV6_EXT);
  });

  it('Hop-by-Hop anywhere but first is malformed (RFC 8200 section 4.3)', () => {
    expect(parse(tcp([optsExt(60), optsExt(0)]))).toBe(PARSE_BAD_IPV6_EXT);
    expect(parse(tcp([optsExt(0), optsExt(0)]))).toBe(PARSE_BAD_IPV6_EXT);
  });

  it('an extension header overrunning the payload is malformed, even with bytes after it in the frame', () => {
    const f = tcp([optsExt(60, 1)], { pad: 64 });
    f[ETH + 40 + 1] = 4; // claims 40 bytes: past the 36 of payload left
    expect(parse(f)).toBe(PARSE_BAD_IPV6_EXT);
    // A header cut before its length byte: payload of 4 bytes with Next Header 60.
    const g = frame6({ proto: 60, l4: new Uint8Array([6, 0, 1, 0]), csum: false });
    expect(parse(g)).toBe(PARSE_BAD_IPV6_EXT);
  });

  it('an unknown or No Next Header ends the walk: proto is it, l4 there, no ports', () => {
    expect(parse(frame6({ proto: 253, exts: [optsExt(60)], l4: udpSeg(1, 2) }))).toBe(PARSE_IPV6);
    expect(info).toMatchObject({ proto: 253, ihl: 48, l4: ETH + 48, l4Len: 8, sport: 0, dport: 0 });
    expect(parse(frame6({ proto: 59, l4: new Uint8Array(0) }))).toBe(PARSE_IPV6);
    expect(info).toMatchObject({ proto: 59, ihl: 40, l4Len: 0 });
  });

  it('a truncated TCP or UDP header is truncated_l4', () => {
    expect(parse(frame6({ proto: 6, l4: tcpSeg(1, 2).subarray(0, 19), csum: false }))).toBe(PARSE_TRUNC_L4);
    const bad = tcpSeg(1, 2);
    bad[12] = 0x60; // data offset 24 > 20
    expect(parse(frame6({ proto: 6, l4: bad }))).toBe(PARSE_TRUNC_L4);
    expect(parse(frame6({ proto: 17, l4: udpSeg(1, 2).subarray(0, 7), csum: false }))).toBe(PARSE_TRUNC_L4);
  });
});

describe('parseFrame: IPv6 fragments', () => {
  it('first fragment: flags set, L4 parsed, frag6 at the Fragment header', () => {
    const f = frame6({ proto: 17, exts: [fragExt(0, true, 0xdeadbeef)], l4: udpSeg(5353, 53, [1, 2, 3, 4]) });
    expect(parse(f)).toBe(PARSE_IPV6);
    expect(info).toMatchObject({ isFragment: 1, moreFrags: 1, fragOff: 0, frag6: ETH + 40, ihl: 48, proto: 17, sport: 5353, dport: 53 });
    expect(Array.from(f.subarray(info.frag6 + 4, info.frag6 + 8))).toEqual([0xde, 0xad, 0xbe, 0xef]);
  });

  it('a later fragment: offset in bytes, no ports, the walk stops at the Fragment header', () => {
    // Payload after the Fragment header looks like a bad Destination Options header: not walked.
    const f = frame6({ proto: 60, exts: [optsExt(0), fragExt(1480, false)], l4: new Uint8Array([6, 200, 0, 0]), csum: false });
    expect(parse(f)).toBe(PARSE_IPV6);
    expect(info).toMatchObject({ isFragment: 1, moreFrags: 0, fragOff: 1480, proto: 60, ihl: 56, l4: ETH + 56, l4Len: 4, sport: 0 });
  });

  it('an atomic fragment (offset 0, M 0: RFC 6946) is no fragment; two Fragment headers are malformed', () => {
    expect(parse(frame6({ proto: 6, exts: [fragExt(0, false)], l4: tcpSeg(7, 8) }))).toBe(PARSE_IPV6);
    expect(info).toMatchObject({ isFragment: 0, frag6: ETH + 40, dport: 8 });
    expect(parse(frame6({ proto: 6, exts: [fragExt(0, true), fragExt(0, false)], l4: tcpSeg(7, 8) }))).toBe(PARSE_BAD_IPV6_EXT);
  });

  it('a first fragment that cuts the TCP header is truncated_l4 (RFC 7112: the whole chain in the first)', () => {
    expect(parse(frame6({ proto: 6, exts: [fragExt(0, true)], l4: tcpSeg(7, 8).subarray(0, 12), csum: false }))).toBe(PARSE_TRUNC_L4);
  });
});

describe('parseFrame: ICMPv6 errors quote the offending packet', () => {
  const quoted = frame6({ src: '2001:db8::2', dst: '2001:db8:ff::7', proto: 6, exts: [optsExt(0)], l4: tcpSeg(80, 40000, 0x12) });
  const err = (type: number, quote: Uint8Array, code = 0) =>
    frame6({ src: '2001:db8::fe', dst: '2001:db8::2', proto: 58, l4: icmp6Msg(type, code, [0, 0, 0x05, 0x00, ...quote]) });

  it.each([1, 2, 3, 4])('type %i: inner header, its extension headers, ports', (type) => {
    const f = err(type, quoted.subarray(ETH));
    expect(parse(f)).toBe(PARSE_IPV6);
    const ci = ETH + 40 + 8;
    expect(info).toMatchObject({
      icmpType: type, inner: ci, innerIhl: 48, innerProto: 6, innerL4: ci + 48, innerSport: 80, innerDport: 40000,
      innerSaddr: 0x20010db8 ^ 2, innerDaddr: (0x20010db8 ^ 0x00ff0000 ^ 7) >>> 0,
    });
  });

  it('a quote without 8 bytes of L4, of a non-first fragment, or of IPv4 leaves inner at -1', () => {
    expect(parse(err(1, quoted.subarray(ETH, ETH + 48 + 7), 4))).toBe(PARSE_IPV6);
    expect([info.icmpType, info.icmpCode, info.inner]).toEqual([1, 4, -1]);
    expect(parse(err(1, quoted.subarray(ETH, ETH + 56), 4))).toBe(PARSE_IPV6);
    expect(info.inner).toBe(ETH + 48);
    const later = frame6({ proto: 17, exts: [fragExt(8, false)], l4: udpSeg(1, 2), csum: false });
    expect(parse(err(3, later.subarray(ETH)))).toBe(PARSE_IPV6);
    expect(info.inner).toBe(-1);
    const v4 = buildTcp({ src: 1, dst: 2, sport: 3, dport: 4 });
    expect(parse(err(1, v4.subarray(ETH)))).toBe(PARSE_IPV6);
    expect(info.inner).toBe(-1);
  });

  it('an ICMPv6 message under 8 bytes is truncated_l4', () => {
    expect(parse(frame6({ proto: 58, l4: icmp6Msg(128, 0, [0, 1]), csum: false }))).toBe(PARSE_TRUNC_L4);
  });
});

describe('parseFrame: Neighbor Discovery validation (RFC 4861 section 7.1)', () => {
  const nd = (type: number, body: number[], extra: object = {}) =>
    frame6({ dst: 'ff02::1:ff00:2', hop: 255, proto: 58, l4: icmp6Msg(type, 0, body), ...extra });
  const SLLA = [1, 1, ...MAC];
  const TLLA = [2, 1, ...MAC];

  it('Neighbor Advertisement: the target link-layer address option', () => {
    expect(parse(nd(136, ndBody(0x60, '2001:db8::2', TLLA)))).toBe(PARSE_IPV6);
    expect([info.ndTarget, info.ndLla]).toEqual([ETH + 48, ETH + 40 + 26]);
  });

  it('options of other types are skipped; the wanted one is found after them; the wrong kind is not taken', () => {
    const nonce = [14, 1, 1, 2, 3, 4, 5, 6];
    expect(parse(nd(135, ndBody(0, '2001:db8::2', [...nonce, ...SLLA])))).toBe(PARSE_IPV6);
    expect(info.ndLla).toBe(ETH + 40 + 24 + 8 + 2);
    expect(parse(nd(135, ndBody(0, '2001:db8::2', TLLA)))).toBe(PARSE_IPV6);
    expect([info.ndTarget, info.ndLla]).toEqual([ETH + 48, -1]);
    expect(parse(nd(136, ndBody(0x20, '2001:db8::2', SLLA)))).toBe(PARSE_IPV6);
    expect(info.ndLla).toBe(-1);
    expect(parse(nd(135, ndBody(0, '2001:db8::2')))).toBe(PARSE_IPV6);
    expect([info.ndTarget, info.ndLla]).toEqual([ETH + 48, -1]);
  });

  it('an option of length 0, one overrunning the message, or a lone trailing byte is malformed', () => {
    expect(parse(nd(135, ndBody(0, '2001:db8::2', [1, 0, ...MAC])))).toBe(PARSE_BAD_NDP);
    expect(parse(nd(135, ndBody(0, '2001:db8::2', [...SLLA, 1, 0])))).toBe(PARSE_BAD_NDP);
    expect(parse(nd(135, ndBody(0, '2001:db8::2', [1, 2, ...MAC])))).toBe(PARSE_BAD_NDP);
    expect(parse(nd(135, ndBody(0, '2001:db8::2', [...SLLA, 0])))).toBe(PARSE_BAD_NDP);
  });

  it('hop limit other than 255, code other than 0, or under 24 bytes is malformed', () => {
    expect(parse(nd(135, ndBody(0, '2001:db8::2', SLLA), { hop: 254 }))).toBe(PARSE_BAD_NDP);
    const c = nd(135, ndBody(0, '2001:db8::2', SLLA));
    c[ETH + 41] = 1;
    expect(parse(c)).toBe(PARSE_BAD_NDP);
    expect(parse(nd(136, ndBody(0, '2001:db8::2').slice(0, 19)))).toBe(PARSE_BAD_NDP);
  });

  it('a DAD probe (source ::) has no source LLA option: with one it is malformed', () => {
    expect(parse(nd(135, ndBody(0, '2001:db8::2'), { src: '::' }))).toBe(PARSE_IPV6);
    expect([info.ndTarget, info.ndLla]).toEqual([ETH + 48, -1]);
    expect(parse(nd(135, ndBody(0, '2001:db8::2', SLLA), { src: '::' }))).toBe(PARSE_BAD_NDP);
  });

  it('the IPv6-only fields are reset by the next frame, IPv4 included', () => {
    expect(parse(NS)).toBe(PARSE_IPV6);
    expect(parse(frame6({ proto: 17, exts: [fragExt(0, true)], l4: udpSeg(1, 2) }))).toBe(PARSE_IPV6);
    expect([info.ndTarget, info.ndLla, info.icmpType, info.frag6]).toEqual([-1, -1, 0, ETH + 40]);
    expect(parse(buildTcp({ src: 1, dst: 2, sport: 3, dport: 4 }))).toBe(PARSE_IPV4);
    expect([info.ndTarget, info.ndLla, info.frag6, info.isFragment]).toEqual([-1, -1, -1, 0]);
  });
});

describe('PARSE_RESULT_NAMES for IPv6', () => {
  it('names the new codes after the IPv4 ones', () => {
    expect([PARSE_IPV6, PARSE_BAD_IPV6_EXT, PARSE_BAD_NDP]).toEqual([11, 12, 13]);
    expect(PARSE_RESULT_NAMES.slice(11)).toEqual(['ipv6', 'bad_ipv6_ext_header', 'bad_ndp']);
  });

  it('the engine counts the malformed ones by name, within its drop slots; ipv6 is no malformation', () => {
    const c = new Counters();
    expect(MALFORMED_BASE + PARSE_RESULT_COUNT).toBeLessThanOrEqual(c.drops.length);
    expect(dropName(MALFORMED_BASE + PARSE_BAD_IPV6_EXT)).toBe('malformed_bad_ipv6_ext_header');
    expect(dropName(MALFORMED_BASE + PARSE_BAD_NDP)).toBe('malformed_bad_ndp');
    const all = countersSnapshot(c.drops, c.passes, c.n, true);
    expect(all).toMatchObject({ drop_malformed_bad_ipv6_ext_header: 0, drop_malformed_bad_ndp: 0, drop_malformed_truncated_arp: 0 });
    expect('drop_malformed_ipv6' in all).toBe(false);
    expect('drop_malformed_ipv4' in all).toBe(false);
  });
});
