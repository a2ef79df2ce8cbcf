import { describe, expect, it } from 'vitest';
import {
  FrameInfo, PARSE_ARP, PARSE_BAD_IHL, PARSE_BAD_IP_CSUM, PARSE_BAD_TOTLEN, PARSE_BAD_VERSION, PARSE_IPV4,
  PARSE_OTHER, PARSE_RESULT_COUNT, PARSE_RESULT_NAMES, PARSE_TRUNC_ARP, PARSE_TRUNC_ETH, PARSE_TRUNC_IP,
  PARSE_TRUNC_L4, parseFrame,
} from '../../src/packet/parse.js';
import {
  buildArp, buildIcmpEcho, buildIcmpError, buildTcp, buildUdp, ipv4Datagram,
} from '../../src/packet/build.js';
import { ipv4SetChecksum } from '../../src/packet/ipv4.js';
import { TCP_ACK_FLAG, TCP_PSH, TCP_SYN } from '../../src/packet/tcp.js';
import { hex } from './helpers.js';

const info = new FrameInfo();
const parse = (f: Uint8Array) => parseFrame(f, 0, f.length, info);
/** Re-checksums the IPv4 header of an untagged frame after a crafted change. */
const fixIp = (f: Uint8Array) => ipv4SetChecksum(f, 14, (f[14] & 15) * 4);

const C = 0x0a000001; // client 10.0.0.1
const V = 0xc0a80a0a; // VIP 192.168.10.10
const tcp = (extra: object = {}) =>
  buildTcp({ src: C, dst: V, sport: 40000, dport: 80, flags: TCP_SYN, payload: hex('0102030405'), ...extra });

describe('parseFrame: well-formed frames', () => {
  it('TCP: offsets, addresses, ports, flags', () => {
    const f = tcp({ flags: TCP_PSH | TCP_ACK_FLAG, ttl: 33 });
    expect(parse(f)).toBe(PARSE_IPV4);
    expect(info).toMatchObject({
      l2: 0, end: f.length, vlan: 0, ethType: 0x0800, l3: 14, ihl: 20, totalLen: 45, ttl: 33, proto: 6,
      saddr: C, daddr: V, fragOff: 0, moreFrags: 0, isFragment: 0, l4: 34, l4Len: 25, sport: 40000, dport: 80,
      tcpFlags: 0x18, inner: -1,
    });
  });

  it('addresses >= 128.0.0.0 come out unsigned', () => {
    const f = buildUdp({ src: 0xfffffffe, dst: 0x80000000, sport: 1, dport: 2 });
    expect(parse(f)).toBe(PARSE_IPV4);
    expect([info.saddr, info.daddr]).toEqual([0xfffffffe, 0x80000000]);
  });

  it('UDP and IP options (IHL 6)', () => {
    const f = buildUdp({ src: C, dst: V, sport: 53, dport: 1053, ipOptions: hex('01010100') });
    expect(parse(f)).toBe(PARSE_IPV4);
    expect([info.ihl, info.l4, info.l4Len, info.sport, info.dport, info.proto]).toEqual([24, 38, 8, 53, 1053, 17]);
  });

  it('a frame at an offset inside a larger buffer', () => {
    const f = tcp();
    const buf = new Uint8Array(f.length + 200);
    buf.set(f, 100);
    expect(parseFrame(buf, 100, f.length, info)).toBe(PARSE_IPV4);
    expect([info.l2, info.end, info.l3, info.l4, info.dport]).toEqual([100, 100 + f.length, 114, 134, 80]);
  });

  it('VLAN-tagged frame: vlan = 1 and offsets moved by 4', () => {
    const f = tcp({ vlan: 0x0064 });
    expect(parse(f)).toBe(PARSE_IPV4);
    expect([info.vlan, info.vlanTci, info.ethType, info.l3, info.l4, info.sport]).toEqual([1, 100, 0x0800, 18, 38, 40000]);
  });

  it('a second VLAN tag (QinQ) is not ours', () => {
    const f = tcp({ vlan: 5 });
    const q = new Uint8Array(f.length + 4);
    q.set(f.subarray(0, 16));
    q.set(hex('8100 0006'), 16);
    q.set(f.subarray(16), 20);
    expect(parseFrame(q, 0, q.length, info)).toBe(PARSE_OTHER);
  });

  it('Ethernet padding beyond total length is accepted (and not counted in l4Len)', () => {
    const f = buildUdp({ src: C, dst: V, sport: 1, dport: 2 });
    const padded = new Uint8Array(60);
    padded.set(f);
    expect(parse(padded)).toBe(PARSE_IPV4);
    expect([info.totalLen, info.l4Len, info.end]).toEqual([28, 8, 60]);
  });

  it('first fragment has ports; non-first fragment has none', () => {
    const first = buildUdp({ src: C, dst: V, sport: 7, dport: 9, fragment: { offset: 0, more: true } });
    expect(parse(first)).toBe(PARSE_IPV4);
    expect([info.isFragment, info.moreFrags, info.fragOff, info.sport, info.dport]).toEqual([1, 1, 0, 7, 9]);

    const later = buildUdp({ src: C, dst: V, sport: 7, dport: 9, fragment: { offset: 1480, more: true } });
    expect(parse(later)).toBe(PARSE_IPV4);
    expect([info.isFragment, info.moreFrags, info.fragOff, info.sport, info.dport]).toEqual([1, 1, 1480, 0, 0]);

    const last = buildTcp({ src: C, dst: V, sport: 7, dport: 9, fragment: { offset: 2960, more: false } });
    expect(parse(last)).toBe(PARSE_IPV4);
    expect([info.isFragment, info.moreFrags, info.fragOff, info.sport, info.tcpFlags]).toEqual([1, 0, 2960, 0, 0]);
  });

  it('a non-first fragment too short for an L4 header is fine', () => {
    const f = buildUdp({ src: C, dst: V, sport: 7, dport: 9, fragment: { offset: 8, more: false } });
    const short = f.slice(0, 34 + 3);
    short[17] = 23; // total length 23: 3 bytes of payload
    fixIp(short);
    expect(parse(short)).toBe(PARSE_IPV4);
    expect(info.l4Len).toBe(3);
  });

  it('ICMP echo: type, code, identifier', () => {
    const f = buildIcmpEcho({ src: C, dst: V, echoId: 0xbeef, echoSeq: 3 });
    expect(parse(f)).toBe(PARSE_IPV4);
    expect([info.proto, info.icmpType, info.icmpCode, info.icmpId, info.inner]).toEqual([1, 8, 0, 0xbeef, -1]);
  });

  it('ICMP error quoting a TCP segment: inner addresses and ports', () => {
    const R = 0xc0a80102;
    const orig = buildTcp({ src: R, dst: C, sport: 80, dport: 40000, flags: TCP_ACK_FLAG });
    const f = buildIcmpError({ src: 0x0a0000fe, dst: R, type: 3, code: 4, mtu: 1400, original: ipv4Datagram(orig) });
    expect(parse(f)).toBe(PARSE_IPV4);
    expect(info).toMatchObject({
      proto: 1, icmpType: 3, icmpCode: 4, icmpId: 0, inner: 42, innerIhl: 20, innerProto: 6,
      innerSaddr: R, innerDaddr: C, innerL4: 62, innerSport: 80, innerDport: 40000, sport: 0, dport: 0,
    });
  });

  it('ICMP time exceeded quoting UDP behind a VLAN tag', () => {
    const orig = buildUdp({ src: C, dst: V, sport: 5000, dport: 53, payload: hex('00112233') });
    const f = buildIcmpError({ src: 9, dst: C, type: 11, code: 0, original: ipv4Datagram(orig), vlan: 7, quoteLen: 32 });
    expect(parse(f)).toBe(PARSE_IPV4);
    expect([info.inner, info.innerProto, info.innerSaddr, info.innerDaddr, info.innerSport, info.innerDport])
      .toEqual([46, 17, C, V, 5000, 53]);
  });

  it('ICMP error with a truncated quote: inner = -1, still PARSE_IPV4', () => {
    const orig = buildTcp({ src: V, dst: C, sport: 80, dport: 40000 });
    for (const quoteLen of [0, 10, 20, 27]) {
      const f = buildIcmpError({ src: 9, dst: V, type: 3, code: 1, original: ipv4Datagram(orig), quoteLen });
      expect(parse(f)).toBe(PARSE_IPV4);
      expect(info.inner).toBe(-1);
      expect(info.innerSport).toBe(0);
    }
  });

  it('ICMP error quoting a non-IPv4 header or a non-first fragment: inner = -1', () => {
    const frag = buildUdp({ src: V, dst: C, sport: 1, dport: 2, fragment: { offset: 8, more: false } });
    let f = buildIcmpError({ src: 9, dst: V, type: 11, code: 1, original: ipv4Datagram(frag) });
    expect(parse(f)).toBe(PARSE_IPV4);
    expect(info.inner).toBe(-1);
    const bogus = ipv4Datagram(buildUdp({ src: V, dst: C, sport: 1, dport: 2 })).slice();
    bogus[0] = 0x65;
    f = buildIcmpError({ src: 9, dst: V, type: 3, code: 3, original: bogus, quoteLen: 28 });
    expect(parse(f)).toBe(PARSE_IPV4);
    expect(info.inner).toBe(-1);
  });

  it('ARP and other EtherTypes', () => {
    expect(parse(buildArp({ op: 2, senderMac: '02:00:00:00:00:09', senderIp: 1, targetIp: 2 }))).toBe(PARSE_ARP);
    // LLDP (0x88cc) is not ours; IPv6 is now parsed (parse6.test.ts): zeros are version 0.
    const lldp = new Uint8Array(60);
    lldp[12] = 0x88;
    lldp[13] = 0xcc;
    expect(parse(lldp)).toBe(PARSE_OTHER);
    expect(info.ethType).toBe(0x88cc);
    const ipv6 = new Uint8Array(60);
    ipv6[12] = 0x86;
    ipv6[13] = 0xdd;
    expect(parse(ipv6)).toBe(PARSE_BAD_VERSION);
    // ARP for another hardware type is not ours either.
    const arp = buildArp({ op: 1, senderMac: '02:00:00:00:00:09', senderIp: 1, targetIp: 2 });
    arp[15] = 6; // htype 6 (IEEE 802)
    expect(parse(arp)).toBe(PARSE_OTHER);
  });

  it('the reused record is reset between frames', () => {
    const orig = buildTcp({ src: V, dst: C, sport: 80, dport: 40000 });
    parse(buildIcmpError({ src: 9, dst: V, type: 3, code: 1, original: ipv4Datagram(orig) }));
    expect(info.inner).toBeGreaterThan(0);
    parse(tcp({ vlan: 3 }));
    parse(buildUdp({ src: C, dst: V, sport: 1, dport: 2 }));
    expect([info.inner, info.innerSport, info.icmpType, info.tcpFlags, info.vlan]).toEqual([-1, 0, 0, 0, 0]);
    expect(parse(buildArp({ op: 1, senderMac: '02:00:00:00:00:09', senderIp: C, targetIp: V }))).toBe(PARSE_ARP);
    parse(tcp());
    expect([info.arpOp, info.arpSpa, info.arpTpa, info.icmpId]).toEqual([0, 0, 0, 0]);
  });
});

describe('parseFrame: malformed frames', () => {
  it('truncated at every length: Ethernet, IP header, then total length beyond the frame', () => {
    const f = tcp();
    for (let n = 0; n < f.length; n++) {
      const want = n < 14 ? PARSE_TRUNC_ETH : n < 34 ? PARSE_TRUNC_IP : PARSE_BAD_TOTLEN;
      expect([n, parseFrame(f, 0, n, info)]).toEqual([n, want]);
    }
    expect(parse(f)).toBe(PARSE_IPV4);
  });

  it('truncated VLAN tag', () => {
    const f = tcp({ vlan: 1 });
    for (let n = 14; n < 18; n++) expect(parseFrame(f, 0, n, info)).toBe(PARSE_TRUNC_ETH);
    expect(parseFrame(f, 0, 30, info)).toBe(PARSE_TRUNC_IP);
  });

  it('version 6 in an IPv4 EtherType', () => {
    const f = tcp();
    f[14] = 0x65;
    expect(parse(f)).toBe(PARSE_BAD_VERSION);
  });

  it('IHL 4 (below the minimum 5) and IHL beyond the frame', () => {
    const f = tcp();
    f[14] = 0x44;
    fixIp(f);
    expect(parse(f)).toBe(PARSE_BAD_IHL);
    const g = buildUdp({ src: C, dst: V, sport: 1, dport: 2 }); // 42 bytes: 28 after l3
    g[14] = 0x48; // 32-byte header
    expect(parse(g)).toBe(PARSE_BAD_IHL);
  });

  it('total length smaller than IHL, or beyond the frame', () => {
    const f = tcp();
    f[16] = 0;
    f[17] = 19;
    fixIp(f);
    expect(parse(f)).toBe(PARSE_BAD_TOTLEN);
    const g = tcp();
    g[17] += 1;
    fixIp(g);
    expect(parse(g)).toBe(PARSE_BAD_TOTLEN);
  });

  it('bad IP header checksum', () => {
    const f = tcp();
    f[24] ^= 0x01;
    expect(parse(f)).toBe(PARSE_BAD_IP_CSUM);
    const g = tcp();
    g[26] ^= 0x80; // a flipped source address bit
    expect(parse(g)).toBe(PARSE_BAD_IP_CSUM);
  });

  it('TCP: shorter than 20 bytes, data offset 4, data offset beyond the segment', () => {
    const short = tcp().slice(0, 14 + 20 + 19);
    short[17] = 39;
    fixIp(short);
    expect(parse(short)).toBe(PARSE_TRUNC_L4);
    const doff4 = tcp();
    doff4[34 + 12] = 0x40;
    expect(parse(doff4)).toBe(PARSE_TRUNC_L4);
    const doff7 = tcp(); // 25 bytes of TCP, header claims 28
    doff7[34 + 12] = 0x70;
    expect(parse(doff7)).toBe(PARSE_TRUNC_L4);
    const doff6 = tcp(); // 24 <= 25: fine
    doff6[34 + 12] = 0x60;
    expect(parse(doff6)).toBe(PARSE_IPV4);
  });

  it('UDP and ICMP shorter than 8 bytes', () => {
    for (const f of [buildUdp({ src: C, dst: V, sport: 1, dport: 2 }), buildIcmpEcho({ src: C, dst: V })]) {
      const s = f.slice(0, 41);
      s[17] = 27;
      fixIp(s);
      expect(parse(s)).toBe(PARSE_TRUNC_L4);
    }
  });

  it('short ARP', () => {
    const f = buildArp({ op: 1, senderMac: '02:00:00:00:00:01', senderIp: 1, targetIp: 2 });
    for (let n = 14; n < f.length; n++) expect(parseFrame(f, 0, n, info)).toBe(PARSE_TRUNC_ARP);
  });

  it('len beyond the buffer is clamped, not read', () => {
    const f = tcp();
    expect(parseFrame(f.subarray(0, 30), 0, f.length, info)).toBe(PARSE_TRUNC_IP);
    expect(info.end).toBe(30);
  });
});

describe('PARSE_RESULT_NAMES', () => {
  it('names every code in snake_case', () => {
    expect(PARSE_RESULT_NAMES.length).toBe(PARSE_RESULT_COUNT);
    expect(new Set(PARSE_RESULT_NAMES).size).toBe(PARSE_RESULT_COUNT);
    for (const n of PARSE_RESULT_NAMES) expect(n).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(PARSE_RESULT_NAMES[PARSE_TRUNC_ETH]).toBe('truncated_ethernet');
    expect(PARSE_RESULT_NAMES[PARSE_BAD_VERSION]).toBe('bad_ip_version');
    expect(PARSE_RESULT_NAMES[PARSE_BAD_IP_CSUM]).toBe('bad_ip_checksum');
  });
});
