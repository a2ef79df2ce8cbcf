import { describe, expect, it } from 'vitest';
import { VERDICT_DROP, VERDICT_PASS, VERDICT_TX } from '../../src/frames/batch.js';
import { buildArp, buildIcmpEcho, buildIcmpError, buildTcp, buildUdp, ipv4Datagram } from '../../src/packet/build.js';
import { CLIENT, CLIENT_MAC, ETH0_MAC, ETH1_MAC, NAT_ROUTER, engine, hex, ip, rsMac, run, service, table, VIP } from './helpers.js';

const SYN = 0x02;
const BCAST = 'ff:ff:ff:ff:ff:ff';
const RS = ip('198.19.0.11');

describe('ARP', () => {
  const e = () => engine(table([service([{ addr: '198.19.0.11' }])]));
  const request = (target: number, sender = CLIENT, mac: Uint8Array = CLIENT_MAC) =>
    buildArp({ srcMac: mac, dstMac: BCAST, op: 1, senderMac: mac, senderIp: sender, targetIp: target });

  it('answers for a VIP on the interface that holds it', () => {
    const out = run(e(), request(VIP), 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(0);
    const want = buildArp({ srcMac: ETH0_MAC, dstMac: CLIENT_MAC, op: 2, senderMac: ETH0_MAC, senderIp: VIP, targetMac: CLIENT_MAC, targetIp: CLIENT });
    expect(hex(out.frame)).toBe(hex(want));
  });

  it('answers for the NAT router address on its own interface', () => {
    const out = run(e(), request(NAT_ROUTER, RS, rsMac(RS)), 1);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.frame.subarray(6, 12)).toEqual(ETH1_MAC);
  });

  it('does not answer for a VIP asked on another interface, nor for addresses it does not own', () => {
    const eng = e();
    expect(run(eng, request(VIP), 1).verdict).toBe(VERDICT_PASS);
    expect(run(eng, request(ip('198.18.0.99')), 0).verdict).toBe(VERDICT_PASS);
    expect(eng.counters.arpReplies).toBe(0);
  });

  it('learns neighbours from the ARP it sees', () => {
    const eng = engine(table([service([{ addr: '198.19.0.11' }])]), { neighbours: false });
    run(eng, request(NAT_ROUTER, RS, rsMac(RS)), 1);
    const n = eng.neigh.resolve(RS);
    expect(n).toBeGreaterThan(0);
    expect(eng.neigh.neighIf[n]).toBe(1);
    const syn = buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 1234, dport: 80, flags: SYN });
    expect(run(eng, syn, 0).frame.subarray(0, 6)).toEqual(rsMac(RS));
  });
});

describe('ICMP', () => {
  it('answers an echo request to a VIP in place', () => {
    const req = buildIcmpEcho({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, echoId: 7, echoSeq: 3, id: 99, payload: Uint8Array.of(1, 2, 3, 4, 5) });
    const out = run(engine(table([service([{ addr: '198.19.0.11' }])])), req, 0);
    const want = buildIcmpEcho({ reply: true, srcMac: ETH0_MAC, dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, echoId: 7, echoSeq: 3, id: 99, payload: Uint8Array.of(1, 2, 3, 4, 5) });
    expect(hex(out.frame)).toBe(hex(want));
  });

  it('drops an echo request with a bad ICMP checksum and counts it (the kernel answers none)', () => {
    const e = engine(table([service([{ addr: '198.19.0.11' }])]));
    const req = buildIcmpEcho({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, echoId: 7, echoSeq: 3, id: 99, payload: Uint8Array.of(1, 2, 3, 4, 5) });
    req[14 + 20 + 2] ^= 0x5a; // corrupt the ICMP checksum
    expect(run(e, req, 0).verdict).toBe(VERDICT_DROP);
    expect(e.counters.echoReplies).toBe(0);
    expect(e.counters.snapshot().drop_bad_icmp_checksum).toBe(1);
  });

  it('translates an error from the client side about a NAT reply and sends it to the real server', () => {
    const e = engine(table([service([{ addr: '198.19.0.11', port: 8080 }])]));
    run(e, buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 40000, dport: 80, flags: SYN }), 0);
    const hop = ip('198.18.0.254');
    // A router on the client side says "fragmentation needed" about VIP:80 -> CLIENT:40000.
    const sent = ipv4Datagram(buildTcp({ src: VIP, dst: CLIENT, sport: 80, dport: 40000, flags: 0x10, payload: new Uint8Array(100) }));
    const err = buildIcmpError({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: hop, dst: VIP, type: 3, code: 4, mtu: 1400, original: sent });
    const out = run(e, err, 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(1);
    const asRs = ipv4Datagram(buildTcp({ src: RS, dst: CLIENT, sport: 8080, dport: 40000, flags: 0x10, payload: new Uint8Array(100) }));
    const want = buildIcmpError({ srcMac: ETH1_MAC, dstMac: rsMac(RS), src: hop, dst: RS, type: 3, code: 4, mtu: 1400, original: asRs });
    // The quoted TCP checksum lies beyond the 8 quoted bytes: equal on both sides.
    expect(hex(out.frame)).toBe(hex(want));
  });

  it('translates an error from the real server about a client datagram and sends it to the client', () => {
    const e = engine(table([service([{ addr: '198.19.0.11', port: 5353 }], { protocol: 'udp', port: 53 })]));
    run(e, buildUdp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 3333, dport: 53, payload: new Uint8Array(12) }), 0);
    const got = ipv4Datagram(buildUdp({ src: CLIENT, dst: RS, sport: 3333, dport: 5353, payload: new Uint8Array(12) }));
    const err = buildIcmpError({ srcMac: rsMac(RS), dstMac: ETH1_MAC, src: RS, dst: CLIENT, type: 3, code: 3, original: got });
    const out = run(e, err, 1);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(0);
    const asVip = ipv4Datagram(buildUdp({ src: CLIENT, dst: VIP, sport: 3333, dport: 53, payload: new Uint8Array(12) }));
    const want = buildIcmpError({ srcMac: ETH0_MAC, dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, type: 3, code: 3, original: asVip });
    expect(hex(out.frame)).toBe(hex(want));
  });

  it('drops an error to a VIP about no known flow and passes other ICMP', () => {
    const e = engine(table([service([{ addr: '198.19.0.11' }])]));
    const stray = buildIcmpError({ dstMac: ETH0_MAC, src: ip('198.18.0.254'), dst: VIP, type: 3, code: 1, original: ipv4Datagram(buildTcp({ src: VIP, dst: CLIENT, sport: 80, dport: 1, flags: 0x10 })) });
    expect(e.counters.snapshot().drop_icmp_error_no_connection).toBeUndefined();
    run(e, stray, 0);
    expect(e.counters.snapshot().drop_icmp_error_no_connection).toBe(1);
    expect(run(e, buildIcmpEcho({ dstMac: ETH0_MAC, src: CLIENT, dst: ip('198.18.0.77') }), 0).verdict).toBe(VERDICT_PASS);
  });
});
