// Golden frames written by hand from RFC 791/9293/768/792/826, checked against
// the builders (which every other test relies on).
import { describe, expect, it } from 'vitest';
import {
  buildArp, buildGratuitousArp, buildIcmpEcho, buildIcmpError, buildTcp, buildUdp, ipv4Addr, ipv4Datagram,
  tcpFrameLen, toMac, writeTcp,
} from '../../src/packet/build.js';
import { TCP_SYN } from '../../src/packet/tcp.js';
import { hex, toHex } from './helpers.js';

const ETH = '020000000002 020000000001 0800';

describe('buildTcp', () => {
  it('TCP SYN 192.168.0.1:12345 -> 192.168.0.199:80, checksums by hand', () => {
    // IP: 4500+0028+0000+4000+4006+c0a8+0001+c0a8+00c7 = 0x24746 -> 4748; ~ = b8b7.
    // TCP pseudo: c0a8+0001+c0a8+00c7+0006+0014 = 0x18232.
    // TCP header: 3039+0050+1234+5678+0000+0000+5002+ffff+0000+0000 = 0x1e936.
    // 0x18232 + 0x1e936 = 0x36b68 -> 6b68 + 3 = 6b6b; ~ = 9494.
    const f = buildTcp({
      src: ipv4Addr('192.168.0.1'), dst: ipv4Addr('192.168.0.199'), sport: 12345, dport: 80,
      flags: TCP_SYN, seq: 0x12345678, df: true,
    });
    expect(toHex(f)).toBe(toHex(hex(`${ETH}
      4500 0028 0000 4000 4006 b8b7 c0a8 0001 c0a8 00c7
      3039 0050 1234 5678 0000 0000 5002 ffff 9494 0000`)));
  });

  it('writeTcp writes the same frame at an offset and returns its length', () => {
    const o = { src: 1, dst: 2, sport: 3, dport: 4, payload: hex('01 02 03') };
    const buf = new Uint8Array(200).fill(0xee);
    const n = writeTcp(buf, 50, o);
    expect(n).toBe(tcpFrameLen(o));
    expect(n).toBe(14 + 20 + 20 + 3);
    expect(toHex(buf.subarray(50, 50 + n))).toBe(toHex(buildTcp(o)));
    expect(buf[49]).toBe(0xee);
    expect(buf[50 + n]).toBe(0xee);
  });

  it('TCP options set the data offset', () => {
    const f = buildTcp({ src: 1, dst: 2, sport: 3, dport: 4, tcpOptions: hex('020405b4') });
    expect(f[14 + 20 + 12]).toBe(0x60);
    expect(f.length).toBe(14 + 20 + 24);
  });
});

describe('buildUdp', () => {
  it('10.0.0.1:1024 -> 10.0.0.2:53 "abc" (odd length), checksums by hand', () => {
    // IP: 4500+001f+0000+0000+4011+0a00+0001+0a00+0002 = 9933; ~ = 66cc.
    // pseudo: 0a00+0001+0a00+0002+0011+000b = 141f
    // UDP: 0400+0035+000b+0000+6162+6300 (odd byte padded) = c8a2
    // 141f + c8a2 = dcc1; ~ = 233e.
    const f = buildUdp({
      src: ipv4Addr('10.0.0.1'), dst: ipv4Addr('10.0.0.2'), sport: 1024, dport: 53, payload: hex('616263'),
    });
    expect(toHex(f)).toBe(toHex(hex(`${ETH}
      4500 001f 0000 0000 4011 66cc 0a00 0001 0a00 0002
      0400 0035 000b 233e 616263`)));
  });

  it('a checksum that computes to 0 is sent as ffff (RFC 768)', () => {
    // pseudo 0a00+0001+0a00+0002+0011+000a = 141e; UDP 0400+0035+000a+0000 = 043f;
    // payload e7a2: 141e + 043f + e7a2 = ffff; ~ffff = 0000 -> sent as ffff.
    const f = buildUdp({ src: 0x0a000001, dst: 0x0a000002, sport: 1024, dport: 53, payload: hex('e7a2') });
    expect(toHex(f.subarray(34))).toBe('04000035000affffe7a2');
  });

  it('udpChecksum: false sends 0 ("no checksum")', () => {
    const f = buildUdp({ src: 1, dst: 2, sport: 3, dport: 4, udpChecksum: false, payload: hex('ff') });
    expect(toHex(f.subarray(34))).toBe('000300040009' + '0000' + 'ff');
  });

  it('VLAN tag and MAC strings', () => {
    const f = buildUdp({
      src: 1, dst: 2, sport: 3, dport: 4, vlan: 0x2064, srcMac: 'aa:bb:cc:dd:ee:ff', dstMac: '11-22-33-44-55-66',
    });
    expect(toHex(f.subarray(0, 18))).toBe('112233445566aabbccddeeff810020640800');
    expect(f[18]).toBe(0x45);
    expect(toHex(ipv4Datagram(f).subarray(0, 1))).toBe('45');
  });

  it('fragment fields: offset in 8-byte units, MF flag', () => {
    const f = buildUdp({ src: 1, dst: 2, sport: 3, dport: 4, fragment: { offset: 1480, more: true } });
    // 0x2000 | 1480/8 = 0x2000 | 185 = 0x20b9
    expect(toHex(f.subarray(20, 22))).toBe('20b9');
    expect(() => buildUdp({ src: 1, dst: 2, sport: 3, dport: 4, fragment: { offset: 3, more: false } })).toThrow(RangeError);
  });
});

describe('buildIcmpEcho / buildIcmpError', () => {
  it('echo request 10.0.0.1 -> 10.0.0.2 id 1234 seq 1 "hi"', () => {
    // IP: 4500+001e+4001+0a00+0001+0a00+0002 = 9922; ~ = 66dd.
    // ICMP: 0800+1234+0001+6869 = 829e; ~ = 7d61.
    const f = buildIcmpEcho({ src: 0x0a000001, dst: 0x0a000002, echoId: 0x1234, echoSeq: 1, payload: hex('6869') });
    expect(toHex(f)).toBe(toHex(hex(`${ETH}
      4500 001e 0000 0000 4001 66dd 0a00 0001 0a00 0002
      0800 7d61 1234 0001 6869`)));
  });

  it('error quotes the IP header + 8 bytes of the original datagram', () => {
    const orig = buildUdp({ src: 0x0a000002, dst: 0x0a000001, sport: 53, dport: 1024, payload: hex('616263') });
    const f = buildIcmpError({ src: 0x0a0000fe, dst: 0x0a000002, type: 3, code: 3, original: ipv4Datagram(orig) });
    expect(f.length).toBe(14 + 20 + 8 + 28);
    expect(toHex(f.subarray(42))).toBe(toHex(orig.subarray(14, 14 + 28)));
    expect(toHex(f.subarray(34, 36))).toBe('0303');
  });

  it('frag-needed carries the next-hop MTU in bytes 6..7 (RFC 1191)', () => {
    const orig = buildTcp({ src: 1, dst: 2, sport: 3, dport: 4 });
    const f = buildIcmpError({ src: 5, dst: 1, type: 3, code: 4, mtu: 1400, original: ipv4Datagram(orig) });
    expect(toHex(f.subarray(34 + 4, 34 + 8))).toBe('00000578');
  });
});

describe('buildArp', () => {
  it('request who-has 10.0.0.100 tell 10.0.0.1 (RFC 826 layout)', () => {
    const f = buildArp({ op: 1, senderMac: '02:00:00:00:00:01', senderIp: 0x0a000001, targetIp: 0x0a000064 });
    expect(toHex(f)).toBe(toHex(hex(`ffffffffffff 020000000001 0806
      0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000064`)));
  });

  it('gratuitous ARP: sender IP = target IP, broadcast (RFC 5227 announcement)', () => {
    const f = buildGratuitousArp('02:00:00:00:00:aa', 0xc0a80a0a);
    expect(toHex(f)).toBe(toHex(hex(`ffffffffffff 0200000000aa 0806
      0001 0800 06 04 0001 0200000000aa c0a80a0a 000000000000 c0a80a0a`)));
  });
});

describe('toMac / ipv4Addr', () => {
  it('parses and rejects', () => {
    expect(Array.from(toMac('0a:0B:0c:0d:0e:ff'))).toEqual([10, 11, 12, 13, 14, 255]);
    expect(() => toMac('0a:0b:0c:0d:0e')).toThrow(RangeError);
    expect(() => toMac(new Uint8Array(5))).toThrow(RangeError);
    expect(ipv4Addr('255.255.255.255')).toBe(0xffffffff);
    expect(ipv4Addr('192.168.0.199')).toBe(0xc0a800c7);
    expect(() => ipv4Addr('256.0.0.1')).toThrow(RangeError);
    expect(() => ipv4Addr('1.2.3')).toThrow(RangeError);
  });
});
