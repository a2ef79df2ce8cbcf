// Ethernet helpers and ARP request -> reply in place (RFC 826).
import { describe, expect, it } from 'vitest';
import {
  copyMac, ethToReply, isBroadcast, isMulticast, macEquals, readEthDst, readEthSrc, readEthType, setEthAddrs,
  writeEthDst, writeEthSrc,
} from '../../src/packet/ethernet.js';
import { arpIsEthIpv4, arpOp, arpSenderIp, arpTargetIp, arpToReply } from '../../src/packet/arp.js';
import { FrameInfo, PARSE_ARP, parseFrame } from '../../src/packet/parse.js';
import { hex, toHex } from './helpers.js';

describe('ethernet', () => {
  it('copies and compares MACs at offsets', () => {
    const a = hex('00 11 22 33 44 55 66 77');
    const b = new Uint8Array(10);
    copyMac(b, 3, a, 1);
    expect(toHex(b)).toBe('00000011223344556600');
    expect(macEquals(a, 1, b, 3)).toBe(true);
    b[8] ^= 1;
    expect(macEquals(a, 1, b, 3)).toBe(false);
  });

  it('broadcast and multicast (I/G bit)', () => {
    expect(isBroadcast(hex('ffffffffffff'), 0)).toBe(true);
    expect(isBroadcast(hex('fffffffffffe'), 0)).toBe(false);
    expect(isMulticast(hex('01005e000001'), 0)).toBe(true);
    expect(isMulticast(hex('ffffffffffff'), 0)).toBe(true);
    expect(isMulticast(hex('020000000001'), 0)).toBe(false);
  });

  it('reads and writes header addresses at a frame offset', () => {
    const f = hex('ee ee 111111111111 222222222222 0800');
    const out = new Uint8Array(6);
    readEthDst(f, 2, out, 0);
    expect(toHex(out)).toBe('111111111111');
    readEthSrc(f, 2, out, 0);
    expect(toHex(out)).toBe('222222222222');
    expect(readEthType(f, 2)).toBe(0x0800);
    writeEthDst(f, 2, hex('aaaaaaaaaaaa'), 0);
    writeEthSrc(f, 2, hex('00bbbbbbbbbbbb'), 1);
    expect(toHex(f)).toBe('eeeeaaaaaaaaaaaabbbbbbbbbbbb0800');
    setEthAddrs(f, 2, hex('010203040506'), 0, hex('0a0b0c0d0e0f'), 0);
    expect(toHex(f)).toBe('eeee0102030405060a0b0c0d0e0f0800');
  });
});

describe('ARP', () => {
  const request = () =>
    hex(`ffffffffffff 020000000001 0806
      0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000064`);
  const myMac = hex('00 00 02 00 00 00 00 aa');

  it('parses an Ethernet/IPv4 request', () => {
    const f = request();
    const info = new FrameInfo();
    expect(parseFrame(f, 0, f.length, info)).toBe(PARSE_ARP);
    expect([info.l3, info.arpOp, info.arpSpa, info.arpTpa]).toEqual([14, 1, 0x0a000001, 0x0a000064]);
    expect(arpIsEthIpv4(f, 14)).toBe(true);
    expect([arpOp(f, 14), arpSenderIp(f, 14), arpTargetIp(f, 14)]).toEqual([1, 0x0a000001, 0x0a000064]);
  });

  it('request -> reply in place: golden bytes', () => {
    // RFC 826: swap sender/target, our MAC and the asked IP as sender, op = reply;
    // the Ethernet header goes back to the asker from us.
    const f = request();
    arpToReply(f, 14, myMac, 2);
    ethToReply(f, 0, myMac, 2);
    expect(toHex(f)).toBe(toHex(hex(`020000000001 0200000000aa 0806
      0001 0800 06 04 0002 0200000000aa 0a000064 020000000001 0a000001`)));
  });

  it('works behind a VLAN tag at a buffer offset', () => {
    const inner = request();
    const f = new Uint8Array(3 + inner.length + 4);
    f.set(inner.subarray(0, 12), 3);
    f.set(hex('8100 0005'), 15);
    f.set(inner.subarray(12), 19);
    const info = new FrameInfo();
    expect(parseFrame(f, 3, inner.length + 4, info)).toBe(PARSE_ARP);
    expect(info.l3).toBe(21);
    arpToReply(f, info.l3, myMac, 2);
    ethToReply(f, info.l2, myMac, 2);
    expect(toHex(f.subarray(3))).toBe(toHex(hex(`020000000001 0200000000aa 8100 0005 0806
      0001 0800 06 04 0002 0200000000aa 0a000064 020000000001 0a000001`)));
  });
});
