// NAT rewrites on hand-worked frames (RFC 1624 arithmetic in the comments).
import { describe, expect, it } from 'vitest';
import { rewriteDst, rewriteIcmpInnerDst, rewriteIcmpInnerSrc, rewriteSrc } from '../../src/packet/rewrite.js';
import { FrameInfo, PARSE_IPV4, parseFrame } from '../../src/packet/parse.js';
import { buildIcmpEcho, buildIcmpError, buildTcp, buildUdp, ipv4Addr, ipv4Datagram } from '../../src/packet/build.js';
import { sum16 } from '../../src/packet/checksum.js';
import { TCP_SYN } from '../../src/packet/tcp.js';
import { hex, toHex, u16 } from './helpers.js';

const info = new FrameInfo();
function parsed(f: Uint8Array): Uint8Array {
  expect(parseFrame(f, 0, f.length, info)).toBe(PARSE_IPV4);
  return f;
}
const syn = () =>
  buildTcp({
    src: ipv4Addr('192.168.0.1'), dst: ipv4Addr('192.168.0.199'), sport: 12345, dport: 80,
    flags: TCP_SYN, seq: 0x12345678, df: true,
  });

describe('rewriteDst / rewriteSrc', () => {
  it('TCP SYN: 192.168.0.199:80 -> 10.0.0.2:8080', () => {
    // IP: ~b8b7 = 4748; + ~c0a8 + ~00c7 + 0a00 + 0002 = 4748+3f57+ff38+0a00+0002
    //     = 0x18fd9 -> 8fda; ~ = 7025.
    // TCP: ~9494 = 6b6b; + 3f57 + ff38 + 0a00 + 0002 + ~0050 (ffaf) + 1f90
    //     = 0x2d33b -> d33d; ~ = 2cc2.
    const f = parsed(syn());
    rewriteDst(f, info, ipv4Addr('10.0.0.2'), 8080);
    expect(toHex(f.subarray(14))).toBe(toHex(hex(`
      4500 0028 0000 4000 4006 7025 c0a8 0001 0a00 0002
      3039 1f90 1234 5678 0000 0000 5002 ffff 2cc2 0000`)));
    expect([info.daddr, info.dport, info.saddr, info.sport]).toEqual([0x0a000002, 8080, 0xc0a80001, 12345]);
  });

  it('TCP: rewriteSrc back to the original restores the original bytes', () => {
    const f = parsed(syn());
    const before = toHex(f);
    rewriteSrc(f, info, 0xdeadbeef, 1);
    expect(toHex(f)).not.toBe(before);
    rewriteSrc(f, info, ipv4Addr('192.168.0.1'), 12345);
    expect(toHex(f)).toBe(before);
  });

  it('UDP: checksum 0 ("no checksum", RFC 768) stays 0', () => {
    const f = parsed(buildUdp({ src: 1, dst: 2, sport: 3, dport: 4, udpChecksum: false, payload: hex('abcdef') }));
    rewriteDst(f, info, 0x0a0a0a0a, 5353);
    rewriteSrc(f, info, 0x0b0b0b0b, 6363);
    expect(u16(f, 34 + 6)).toBe(0);
    expect([u16(f, 34), u16(f, 36)]).toEqual([6363, 5353]);
  });

  it('UDP: an updated checksum of 0 is sent as ffff', () => {
    // Payload e7a1: 141e + 043f + e7a1 = fffe, checksum 0001. Source port 0400 -> 0401:
    // ~0001 + ~0400 + 0401 = fffe + fbff + 0401 = 0x1fffe -> ffff; ~ = 0000 -> ffff.
    const f = parsed(buildUdp({ src: 0x0a000001, dst: 0x0a000002, sport: 0x0400, dport: 53, payload: hex('e7a1') }));
    expect(u16(f, 40)).toBe(0x0001);
    rewriteSrc(f, info, 0x0a000001, 0x0401);
    expect(u16(f, 40)).toBe(0xffff);
    // And from ffff on, updates go on as usual: back to 0400 gives 0001 again.
    rewriteSrc(f, info, 0x0a000001, 0x0400);
    expect(u16(f, 40)).toBe(0x0001);
  });

  it('non-first fragment: only the IP header changes', () => {
    const f = parsed(buildUdp({ src: 1, dst: 2, sport: 3, dport: 4, payload: hex('0102'), fragment: { offset: 8, more: false } }));
    const l4Before = toHex(f.subarray(34));
    rewriteDst(f, info, 0x0a000009, 9999);
    expect(toHex(f.subarray(34))).toBe(l4Before);
    expect(sum16(f, 14, 20)).toBe(0xffff);
    expect([info.daddr, info.dport]).toEqual([0x0a000009, 0]);
  });

  it('ICMP echo: only the IP header changes (ICMP has no pseudo-header)', () => {
    const f = parsed(buildIcmpEcho({ src: 1, dst: 2, echoId: 7, payload: hex('00ff') }));
    const l4Before = toHex(f.subarray(34));
    rewriteDst(f, info, 0x0a000009, 9999);
    rewriteSrc(f, info, 0x0a000008, 9998);
    expect(toHex(f.subarray(34))).toBe(l4Before);
    expect(sum16(f, 14, 20)).toBe(0xffff);
    expect([info.saddr, info.daddr, info.sport, info.dport]).toEqual([0x0a000008, 0x0a000009, 0, 0]);
  });

  it('partial: address moves the pseudo-header seed, port change leaves it', () => {
    // Seed for 192.168.0.1 -> 192.168.0.199 TCP/20 is 8233 (see checksum tests);
    // for -> 10.0.0.2: c0a8+0001+0a00+0002+0006+0014 = cac5.
    const f = parsed(syn());
    f[34 + 16] = 0x82;
    f[34 + 17] = 0x33;
    rewriteDst(f, info, ipv4Addr('10.0.0.2'), 8080, true);
    expect(u16(f, 34 + 16)).toBe(0xcac5);
    expect(u16(f, 34 + 2)).toBe(8080);
    expect(u16(f, 24)).toBe(0x7025); // the IP header checksum is always complete
  });
});

describe('rewriteIcmpInner*', () => {
  it('port unreachable from a real server, quoting client -> RS:8080, becomes client -> VIP:80', () => {
    // IPVS ip_vs_nat_icmp (out): embedded daddr/dport := VIP/vport, outer saddr := VIP.
    const C = 0x0a000001, V = 0xc0a80a0a, R = 0xc0a80102;
    const o = { src: C, sport: 40000, dport: 8080, dst: R, payload: hex('68656c6c6f') };
    const err = parsed(buildIcmpError({ src: R, dst: C, type: 3, code: 3, original: ipv4Datagram(buildUdp(o)) }));
    rewriteIcmpInnerDst(err, info, V, 80);
    rewriteSrc(err, info, V, 0);
    const want = buildIcmpError({
      src: V, dst: C, type: 3, code: 3, original: ipv4Datagram(buildUdp({ ...o, dst: V, dport: 80 })),
    });
    expect(toHex(err)).toBe(toHex(want));
    expect([info.innerDaddr, info.innerDport, info.saddr]).toEqual([V, 80, V]);
  });

  it('an error about a TCP segment leaves the quoted TCP bytes beyond the ports alone', () => {
    const orig = buildTcp({ src: 5, dst: 6, sport: 7, dport: 8, seq: 0xaabbccdd });
    const err = parsed(buildIcmpError({ src: 9, dst: 5, type: 11, code: 0, original: ipv4Datagram(orig), quoteLen: 40 }));
    rewriteIcmpInnerSrc(err, info, 0x01020304, 1234);
    expect(toHex(err.subarray(42 + 20, 42 + 24))).toBe('04d20008');
    expect(toHex(err.subarray(42 + 24))).toBe(toHex(orig.subarray(34 + 4)));
    expect(sum16(err, 42, 20)).toBe(0xffff);
    expect(sum16(err, 34, err.length - 34)).toBe(0xffff);
  });

  it('does nothing without a quoted datagram', () => {
    const orig = buildTcp({ src: 5, dst: 6, sport: 7, dport: 8 });
    const err = parsed(buildIcmpError({ src: 9, dst: 5, type: 3, code: 1, original: ipv4Datagram(orig), quoteLen: 24 }));
    const before = toHex(err);
    rewriteIcmpInnerSrc(err, info, 1, 2);
    rewriteIcmpInnerDst(err, info, 1, 2);
    expect(toHex(err)).toBe(before);
  });
});
