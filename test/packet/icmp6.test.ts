// ICMPv6 builders (icmp6.ts): golden frames from RFC 4443 and 4861 with checksums from
// python3 (noted at each), round trips through the parser, in-place use, and the
// RFC 4443 section 2.4 (c) size limit of errors.
import { describe, expect, it } from 'vitest';
import { FrameInfo, PARSE_IPV6, parseFrame } from '../../src/packet/parse.js';
import { l4ChecksumOk6 } from '../../src/packet/checksum.js';
import {
  echoReply6, ICMP6_ERROR_QUOTE_MAX, icmp6Error, icmp6ErrorAllowed, multicastMac, neighborAdvertReply, neighborSolicit,
  packetTooBig6, portUnreachable6, solicitedNode, timeExceeded6, unsolicitedNeighborAdvert,
} from '../../src/packet/icmp6.js';
import { formatIPv6 } from '../../src/packet/ipv6.js';
import { hex, toHex } from './helpers.js';
import { a6, ETH, fragExt, frame6, icmp6Msg, ndBody, optsExt, tcpSeg, udpSeg, w6 } from './helpers6.js';

const MY_MAC = hex('021122334455');
const info = new FrameInfo();
const parse = (f: Uint8Array, len = f.length) => parseFrame(f, 0, len, info);

describe('solicitedNode and multicastMac', () => {
  it('ff02::1:ff + the low 24 bits; 33:33 + the low 32 bits', () => {
    expect(formatIPv6(solicitedNode(w6('2001:db8::abcd:1234')))).toBe('ff02::1:ffcd:1234');
    expect(formatIPv6(solicitedNode(w6('fe80::ffff:ffff')))).toBe('ff02::1:ffff:ffff');
    const out = new Int32Array(6);
    solicitedNode(w6('::2'), 0, out, 2);
    expect(formatIPv6(out, 2)).toBe('ff02::1:ff00:2');
    const m = new Uint8Array(8);
    multicastMac(m, 1, w6('ff02::1:ffcd:1234'));
    expect(toHex(m)).toBe('003333ffcd123400');
    multicastMac(m, 0, w6('ff02::1'));
    expect(toHex(m.subarray(0, 6))).toBe('333300000001');
  });
});

describe('echoReply6', () => {
  it('golden: the echo request of parse6.test.ts answered in place (python3: checksum 0xaab8)', () => {
    const f = hex(`
      020000000002 020000000001 86dd
      60000000 000c 3a 40
      fe800000000000000000000000000001 fe800000000000000000000000000002
      80 00 abb8 1234 0001 61626364 0000`); // two bytes of Ethernet padding
    expect(parse(f)).toBe(PARSE_IPV6);
    expect(echoReply6(f, info)).toBe(66);
    expect(toHex(f.subarray(0, 66))).toBe(toHex(hex(`
      020000000001 020000000002 86dd
      60000000 000c 3a 40
      fe800000000000000000000000000002 fe800000000000000000000000000001
      81 00 aab8 1234 0001 61626364`)));
  });

  it('extension headers of the request are dropped and the checksum stays right', () => {
    const f = frame6({ hop: 3, exts: [optsExt(0), optsExt(60, 1)], proto: 58, l4: icmp6Msg(128, 0, [0, 7, 0, 9, 1, 2, 3, 4, 5]) });
    expect(parse(f)).toBe(PARSE_IPV6);
    const n = echoReply6(f, info);
    expect(n).toBe(ETH + 40 + 13);
    expect(parse(f, n)).toBe(PARSE_IPV6);
    expect(info).toMatchObject({ ihl: 40, ttl: 64, icmpType: 129, icmpId: 7, saddr: 0x20010dba, daddr: 0x20010db9 });
    expect(Array.from(f.subarray(info.l4 + 4, info.l4 + 13))).toEqual([0, 7, 0, 9, 1, 2, 3, 4, 5]);
    expect(l4ChecksumOk6(f, ETH, info.l4, 13, 58)).toBe(true);
  });
});

describe('Neighbor Advertisements', () => {
  // The Neighbor Solicitation of parse6.test.ts (from 2001:db8::1, MAC 02:00:00:00:00:01).
  const NS = () => frame6({ dst: 'ff02::1:ff00:2', dstMac: [0x33, 0x33, 0xff, 0, 0, 2], hop: 255, proto: 58, l4: icmp6Msg(135, 0, ndBody(0, '2001:db8::2', [1, 1, 2, 0, 0, 0, 0, 1])) });
  const NA_GOLDEN = `
    020000000001 021122334455 86dd
    60000000 0020 3a ff
    20010db8000000000000000000000002 20010db8000000000000000000000001
    88 00 a3d9 e0000000
    20010db8000000000000000000000002
    02 01 021122334455`;

  it('golden: the answer to a solicitation, R S O set, our MAC (python3: 0xa3d9)', () => {
    const ns = NS();
    expect(parse(ns)).toBe(PARSE_IPV6);
    const out = new Uint8Array(100);
    expect(neighborAdvertReply(out, 3, ns, info, MY_MAC, 0)).toBe(86);
    expect(toHex(out.subarray(3, 89))).toBe(toHex(hex(NA_GOLDEN)));
  });

  it('in place over the solicitation gives the same bytes', () => {
    const ns = NS();
    parse(ns);
    expect(neighborAdvertReply(ns, 0, ns, info, MY_MAC, 0)).toBe(86);
    expect(toHex(ns.subarray(0, 86))).toBe(toHex(hex(NA_GOLDEN)));
    expect(parse(ns)).toBe(PARSE_IPV6);
    expect([info.icmpType, info.ndLla]).toEqual([136, ETH + 40 + 26]);
  });

  it('without a source LLA option: to the Ethernet source; from :: (DAD): to all-nodes, Solicited clear', () => {
    const plain = frame6({ srcMac: [2, 0, 0, 0, 0, 0x77], hop: 255, proto: 58, l4: icmp6Msg(135, 0, ndBody(0, '2001:db8::2')) });
    parse(plain);
    const out = new Uint8Array(86);
    neighborAdvertReply(out, 0, plain, info, MY_MAC, 0);
    expect(toHex(out.subarray(0, 6))).toBe('020000000077');
    const dad = frame6({ src: '::', hop: 255, proto: 58, l4: icmp6Msg(135, 0, ndBody(0, '2001:db8::2')) });
    parse(dad);
    neighborAdvertReply(out, 0, dad, info, MY_MAC, 0);
    expect(parse(out)).toBe(PARSE_IPV6);
    expect(toHex(out.subarray(0, 6))).toBe('333300000001');
    expect(toHex(out.subarray(ETH + 24, ETH + 40))).toBe(toHex(a6('ff02::1')));
    expect(out[ETH + 44]).toBe(0xa0);
    expect(l4ChecksumOk6(out, ETH, ETH + 40, 32, 58)).toBe(true);
  });

  it('golden: unsolicited advertisement of 2001:db8::10 (python3: 0x1274)', () => {
    const out = new Uint8Array(86);
    expect(unsolicitedNeighborAdvert(out, 0, w6('2001:db8::10'), 0, MY_MAC, 0)).toBe(86);
    expect(toHex(out)).toBe(toHex(hex(`
      333300000001 021122334455 86dd
      60000000 0020 3a ff
      20010db8000000000000000000000010 ff020000000000000000000000000001
      88 00 1274 a0000000
      20010db8000000000000000000000010
      02 01 021122334455`)));
  });
});

describe('neighborSolicit', () => {
  it('golden: byte for byte the solicitation of parse6.test.ts', () => {
    const out = new Uint8Array(86);
    expect(neighborSolicit(out, 0, w6('2001:db8::2'), 0, w6('2001:db8::1'), 0, hex('020000000001'), 0)).toBe(86);
    expect(toHex(out)).toBe(toHex(hex(`
      3333ff000002 020000000001 86dd
      60000000 0020 3a ff
      20010db8000000000000000000000001 ff0200000000000000000001ff000002
      87 00 1c27 00000000
      20010db8000000000000000000000002
      01 01 020000000001`)));
  });

  it('golden: a DAD probe from :: without the option (python3: 0x7bec), and it parses', () => {
    const out = new Uint8Array(78);
    expect(neighborSolicit(out, 0, w6('2001:db8::abcd:1234'), 0, null, 0, MY_MAC, 0)).toBe(78);
    expect(toHex(out)).toBe(toHex(hex(`
      3333ffcd1234 021122334455 86dd
      60000000 0018 3a ff
      00000000000000000000000000000000 ff0200000000000000000001ffcd1234
      87 00 7bec 00000000
      20010db80000000000000000abcd1234`)));
    expect(parse(out)).toBe(PARSE_IPV6);
    expect([info.ndTarget, info.ndLla]).toEqual([ETH + 48, -1]);
  });
});

describe('ICMPv6 errors', () => {
  const ME = w6('2001:db8::fe');
  const check = (out: Uint8Array, n: number, type: number, code: number) => {
    expect(parse(out, n)).toBe(PARSE_IPV6);
    expect(info).toMatchObject({ ttl: 64, proto: 58, icmpType: type, icmpCode: code, totalLen: n - ETH });
    expect(l4ChecksumOk6(out, ETH, ETH + 40, n - ETH - 40, 58)).toBe(true);
    expect(toHex(out.subarray(0, 12))).toBe('020000000001021122334455');
  };

  it('port unreachable quoting a whole small UDP datagram; the quote parses back to its flow', () => {
    const req = frame6({ proto: 17, l4: udpSeg(4096, 53, [1, 2, 3]) });
    parse(req);
    const out = new Uint8Array(1400);
    const n = portUnreachable6(out, 0, req, info, ME, 0, MY_MAC, 0);
    expect(n).toBe(ETH + 40 + 8 + req.length - ETH);
    check(out, n, 1, 4);
    expect(toHex(out.subarray(ETH + 8, ETH + 40))).toBe(toHex(a6('2001:db8::fe')) + toHex(a6('2001:db8::1')));
    expect(toHex(out.subarray(ETH + 48))).toBe(toHex(req.subarray(ETH)).padEnd((1400 - ETH - 48) * 2, '0'));
    expect([info.inner, info.innerProto, info.innerSport, info.innerDport]).toEqual([ETH + 48, 17, 4096, 53]);
  });

  it('packet too big carries the MTU and quotes at most 1232 bytes: 1280 in all (RFC 4443 2.4 (c))', () => {
    const req = frame6({ exts: [fragExt(0, true)], proto: 6, l4: tcpSeg(1, 2, 0x10, Array(1400).fill(7)) });
    parse(req);
    const out = new Uint8Array(1600).fill(0xee);
    const n = packetTooBig6(out, 0, 1280, req, info, ME, 0, MY_MAC, 0);
    expect(n).toBe(ETH + 1280);
    expect(ICMP6_ERROR_QUOTE_MAX).toBe(1232);
    check(out, n, 2, 0);
    expect(toHex(out.subarray(ETH + 44, ETH + 48))).toBe('00000500');
    expect(out.subarray(ETH + 48, n)).toEqual(req.subarray(ETH, ETH + 1232));
    expect(out[n]).toBe(0xee);
  });

  it('time exceeded in place over the offending frame equals the one built elsewhere', () => {
    const req = frame6({ hop: 1, proto: 6, l4: tcpSeg(1, 2, 0x02, Array(100).fill(9)) });
    parse(req);
    const elsewhere = new Uint8Array(400);
    const n1 = timeExceeded6(elsewhere, 0, req, info, ME, 0, MY_MAC, 0);
    const inPlace = new Uint8Array(400);
    inPlace.set(req);
    parse(inPlace, req.length);
    const n2 = timeExceeded6(inPlace, 0, inPlace, info, ME, 0, MY_MAC, 0);
    expect(n2).toBe(n1);
    expect(toHex(inPlace.subarray(0, n2))).toBe(toHex(elsewhere.subarray(0, n1)));
    check(inPlace, n2, 3, 0);
  });

  it('a quote is cut to what the buffer holds; no room at all writes nothing', () => {
    const req = frame6({ proto: 17, l4: udpSeg(1, 2, Array(200).fill(1)) });
    parse(req);
    const out = new Uint8Array(ETH + 48 + 50);
    expect(icmp6Error(out, 0, 1, 0, 0, req, info, ME, 0, MY_MAC, 0)).toBe(out.length);
    check(out, out.length, 1, 0);
    expect(icmp6Error(new Uint8Array(20), 0, 1, 0, 0, req, info, ME, 0, MY_MAC, 0)).toBe(0);
  });
});

describe('icmp6ErrorAllowed (RFC 4443 section 2.4 (e))', () => {
  const allowed = (f: Uint8Array, type: number, code = 0) => {
    expect(parse(f)).toBe(PARSE_IPV6);
    return icmp6ErrorAllowed(f, info, type, code);
  };
  const udp = (o: object = {}) => frame6({ proto: 17, l4: udpSeg(1, 2), ...o });

  it('a unicast packet may be answered with any error', () => {
    expect([1, 2, 3, 4].map((t) => allowed(udp(), t))).toEqual([true, true, true, true]);
  });

  it('never about an error or a redirect; echo is fine', () => {
    expect(allowed(frame6({ proto: 58, l4: icmp6Msg(1, 4, [0, 0, 0, 0]) }), 3)).toBe(false);
    expect(allowed(frame6({ proto: 58, l4: icmp6Msg(137, 0, Array(36).fill(0)) }), 3)).toBe(false);
    expect(allowed(frame6({ proto: 58, l4: icmp6Msg(128, 0, [0, 1, 0, 1]) }), 3)).toBe(true);
  });

  it('to multicast (address or MAC): only Packet Too Big and Parameter Problem code 2', () => {
    const m = udp({ dst: 'ff05::2', dstMac: [0x33, 0x33, 0, 0, 0, 2] });
    expect([allowed(m, 1, 4), allowed(m, 3), allowed(m, 2), allowed(m, 4, 2), allowed(m, 4, 0)]).toEqual([false, false, true, true, false]);
    expect(allowed(udp({ dstMac: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] }), 1, 4)).toBe(false);
  });

  it('never to :: or a multicast source', () => {
    expect(allowed(udp({ src: '::' }), 2)).toBe(false);
    expect(allowed(udp({ src: 'ff02::1' }), 2)).toBe(false);
  });
});
