// Issue 15 items 7 and 9: the answers the engine writes in place of a frame it
// cannot forward. A TCP segment of no connection gets the reset RFC 9293 3.10.7.1
// prescribes; a datagram too big for the egress MTU with DF set gets ICMP
// fragmentation needed (RFC 1191) with the next-hop MTU. Expected frames are built
// by packet/build.ts (code apart from engine/replies.ts) and their checksums are
// checked with RFC 1071's sum written out here.
import { describe, expect, it } from 'vitest';
import { Batch, VERDICT_DROP, VERDICT_PASS, VERDICT_TX } from '../../src/frames/batch.js';
import { DROP_FRAG_NEEDED, DROP_NO_CONN, DROP_TOO_BIG } from '../../src/engine/counters.js';
import { Engine } from '../../src/engine/engine.js';
import { buildIcmpError, buildTcp, ipv4Datagram } from '../../src/packet/build.js';
import { addNeighbours, CLIENT, CLIENT_MAC, ETH0_MAC, ETH1_MAC, engine, hex, ip, NAT_ROUTER, rsMac, run, runAll, service, table, VIP } from './helpers.js';

const ACK = 0x10, PSH = 0x08, FIN = 0x01, SYN = 0x02, RST = 0x04;
const RS = ip('198.19.0.11');

/** RFC 1071 section 4.1, as written there: 16-bit words summed, carries folded. */
function rfc1071(bytes: Uint8Array): number {
  let sum = 0;
  for (let k = 0; k + 1 < bytes.length; k += 2) sum += (bytes[k] << 8) | bytes[k + 1];
  if (bytes.length & 1) sum += bytes[bytes.length - 1] << 8;
  while (sum >>> 16) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The IP header and the L4 message (with the pseudo-header for TCP) each sum to 0xffff. */
function checksumsHold(frame: Uint8Array): void {
  const ip4 = frame.subarray(14);
  const ihl = (ip4[0] & 15) * 4;
  const total = (ip4[2] << 8) | ip4[3];
  expect(rfc1071(ip4.subarray(0, ihl))).toBe(0xffff);
  const l4 = ip4.subarray(ihl, total);
  if (ip4[9] === 1) {
    expect(rfc1071(l4)).toBe(0xffff);
    return;
  }
  const pseudo = new Uint8Array(12 + l4.length);
  pseudo.set(ip4.subarray(12, 20), 0);
  pseudo[9] = ip4[9];
  pseudo[10] = l4.length >>> 8;
  pseudo[11] = l4.length & 255;
  pseudo.set(l4, 12);
  expect(rfc1071(pseudo)).toBe(0xffff);
}

describe('TCP reset for a segment of no connection (keep-alive after a restart)', () => {
  const world = () => engine(table([service([{ addr: '198.19.0.11' }])]));
  const segment = (flags: number, seq: number, ack: number, payload = 0) =>
    buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 40001, dport: 80, flags, seq, ack, payload: new Uint8Array(payload).fill(0x61), df: true, id: 4321 });

  it('answers an ACK-bearing segment with RST, seq = its ACK, no ACK flag, from the VIP out of the interface it came in on', () => {
    const e = world();
    const out = run(e, segment(PSH | ACK, 1000, 5000, 100), 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(0);
    const want = buildTcp({ srcMac: ETH0_MAC, dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, sport: 80, dport: 40001, flags: RST, seq: 5000, ack: 0, window: 0, df: true, id: 0, ttl: 64 });
    expect(hex(out.frame)).toBe(hex(want));
    // The same frame written out byte by byte: Ethernet, IPv4 (DF, TTL 64, proto 6), TCP (doff 5, RST).
    expect(hex(out.frame)).toBe(
      '02c100000001' + '020000000001' + '0800' +
      '4500' + '0028' + '0000' + '4000' + '4006' + hex(out.frame.subarray(24, 26)) + 'c612000a' + 'c6120064' +
      '0050' + '9c41' + '00001388' + '00000000' + '5004' + '0000' + hex(out.frame.subarray(50, 52)) + '0000',
    );
    checksumsHold(out.frame);
    expect(e.counters.snapshot()).toMatchObject({ tcp_resets_sent: 1, drop_tcp_no_connection: 1, conns_created: 0 });
  });

  it('answers a segment without ACK with RST|ACK, seq 0, ack = its seq + length (FIN counts one)', () => {
    const out = run(world(), segment(FIN, 7, 0, 10), 0);
    const want = buildTcp({ srcMac: ETH0_MAC, dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, sport: 80, dport: 40001, flags: RST | ACK, seq: 0, ack: 18, window: 0, df: true });
    expect(hex(out.frame)).toBe(hex(want));
    checksumsHold(out.frame);
  });

  it('never answers a RST, and does not count it against the rate limit', () => {
    const e = world();
    for (const flags of [RST, RST | ACK, SYN | RST]) {
      const out = run(e, segment(flags, 1, 2), 0);
      expect(out.verdict).toBe(VERDICT_DROP);
      expect(out.reason).toBe(DROP_NO_CONN);
    }
    expect(e.counters.snapshot()).toMatchObject({ tcp_resets_sent: 0, tcp_resets_rate_limited: 0, drop_tcp_no_connection: 3 });
  });

  it('sends at most 50 at once and 1000 a second (icmp_msgs_burst, icmp_msgs_per_sec); the rest are dropped and counted', () => {
    const e = world();
    const b = new Batch(60, 60 * 128);
    for (let k = 0; k < 60; k++) b.push(segment(ACK, k, 9), 0);
    e.process(b, 5000);
    const verdicts = Array.from(b.verdict);
    expect(verdicts.filter((v) => v === VERDICT_TX).length).toBe(50);
    expect(verdicts.slice(50).every((v) => v === VERDICT_DROP)).toBe(true);
    expect(e.counters.snapshot()).toMatchObject({ tcp_resets_sent: 50, tcp_resets_rate_limited: 10, drop_tcp_no_connection: 60 });
    // 10 ms later, 10 tokens have come back.
    const later = new Batch(20, 20 * 128);
    for (let k = 0; k < 20; k++) later.push(segment(ACK, k, 9), 0);
    e.process(later, 5010);
    expect(Array.from(later.verdict).filter((v) => v === VERDICT_TX).length).toBe(10);
  });

  it('sends none from a router whose addresses are released (the inactive one of a pair)', () => {
    const e = world();
    e.released = true;
    const out = run(e, segment(ACK, 1, 2), 0);
    expect(out.verdict).toBe(VERDICT_DROP);
    expect(e.counters.snapshot()).toMatchObject({ tcp_resets_sent: 0, tcp_resets_rate_limited: 0, drop_tcp_no_connection: 1 });
  });

  it('leaves a segment to a port with no virtual service alone', () => {
    const seg = buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 40001, dport: 81, flags: ACK, seq: 1, ack: 2 });
    expect(run(world(), seg, 0).verdict).toBe(VERDICT_PASS);
  });
});

describe('ICMP fragmentation needed for a datagram bigger than the egress MTU', () => {
  /** A jumbo client side (eth0, 9000) and a 1,500-byte server LAN (eth1). */
  function world(mtu0 = 9000, mtu1 = 1500): Engine {
    const t = table([service([{ addr: '198.19.0.11' }])]);
    const e = new Engine({ interfaces: [{ name: 'eth0', mac: ETH0_MAC, mtu: mtu0 }, { name: 'eth1', mac: ETH1_MAC, mtu: mtu1 }], table: t, connCapacity: 64 });
    addNeighbours(e, t);
    return e;
  }
  /** A SYN whose IP datagram is `total` bytes long (options-free header, payload padding). */
  const bigSyn = (total: number, df = true, sport = 40002) =>
    buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport, dport: 80, flags: SYN, seq: 77, df, id: 99, tos: 0x10, payload: new Uint8Array(total - 40).fill(0x5a) });

  it('answers a 2,000-byte SYN with DF for a 1,500-byte server LAN: type 3 code 4, MTU 1500, 548 bytes quoted, from the VIP', () => {
    const e = world();
    const syn = bigSyn(2000);
    const out = run(e, syn, 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(0);
    const want = buildIcmpError({
      srcMac: ETH0_MAC, dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, tos: 0xc0 | 0x10, id: 1, ttl: 64,
      type: 3, code: 4, mtu: 1500, original: ipv4Datagram(syn), quoteLen: 548,
    });
    expect(out.frame.length).toBe(14 + 576);
    expect(hex(out.frame)).toBe(hex(want));
    // Type, code, checksum, 16 unused bits, next-hop MTU 0x05dc (RFC 1191 section 4).
    expect(hex(out.frame.subarray(34, 42))).toBe('0304' + hex(out.frame.subarray(36, 38)) + '0000' + '05dc');
    checksumsHold(out.frame);
    expect(e.counters.snapshot()).toMatchObject({ icmp_frag_needed_sent: 1, drop_fragmentation_needed: 1 });
  });

  it('quotes no more than the frame held: a 100-byte datagram for a 68-byte link', () => {
    const e = world(9000, 68);
    const syn = bigSyn(100);
    const out = run(e, syn, 0);
    // 114 bytes came in; the answer takes 14 + 20 + 8 of them, which leaves 72 to quote.
    const want = buildIcmpError({
      srcMac: ETH0_MAC, dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, tos: 0xd0, id: 1, type: 3, code: 4, mtu: 68, original: ipv4Datagram(syn), quoteLen: 72,
    });
    expect(out.frame.length).toBe(114);
    expect(hex(out.frame)).toBe(hex(want));
    checksumsHold(out.frame);
  });

  it('forwards a datagram of exactly the MTU', () => {
    const out = run(world(), bigSyn(1500), 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(1);
    expect(out.frame.subarray(0, 6)).toEqual(rsMac(RS));
  });

  it('fragments a too-big datagram with DF clear for the server LAN (1,480 + 500 bytes), sends no ICMP', () => {
    const e = world();
    const out = runAll(e, bigSyn(2000, false), 0);
    expect(out.map((o) => [o.verdict, o.ifOut, o.frame.length])).toEqual([[VERDICT_TX, 1, 14 + 1500], [VERDICT_TX, 1, 14 + 20 + 500]]);
    expect(e.counters.snapshot()).toMatchObject({ datagrams_fragmented: 1, fragments_sent: 2, icmp_frag_needed_sent: 0 });
  });

  it('drops a too-big datagram with DF clear when the batch has no place for its fragments, counted apart', () => {
    const e = world();
    const out = run(e, bigSyn(2000, false), 0);
    expect(out.verdict).toBe(VERDICT_DROP);
    expect(out.reason).toBe(DROP_TOO_BIG);
    expect(e.counters.snapshot()).toMatchObject({ drop_too_big_not_fragmented: 1, icmp_frag_needed_sent: 0 });
  });

  it('answers a NAT reply too big for the client side from the NAT router address, back to the real server', () => {
    const e = world(1400, 9000);
    expect(run(e, bigSyn(60), 0).verdict).toBe(VERDICT_TX);
    const reply = buildTcp({ srcMac: rsMac(RS), dstMac: ETH1_MAC, src: RS, dst: CLIENT, sport: 80, dport: 40002, flags: SYN | ACK, seq: 1, ack: 78, df: true, payload: new Uint8Array(1960) });
    const out = run(e, reply, 1);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(1);
    const want = buildIcmpError({
      srcMac: ETH1_MAC, dstMac: rsMac(RS), src: NAT_ROUTER, dst: RS, tos: 0xc0, id: 1, type: 3, code: 4, mtu: 1400, original: ipv4Datagram(reply), quoteLen: 548,
    });
    expect(hex(out.frame)).toBe(hex(want));
    checksumsHold(out.frame);
  });

  it('leaves GSO super-frames to the kernel, which cuts them to the MTU on the way out', () => {
    const e = world();
    const b = new Batch(1, 1 << 16);
    b.push(bigSyn(2000), 0);
    b.gsoType[0] = 1;
    e.process(b, 1000);
    expect(b.verdict[0]).toBe(VERDICT_TX);
    expect(b.ifOut[0]).toBe(1);
  });

  it('is rate-limited like the kernel\'s ICMP: 50 at once, the rest dropped and counted', () => {
    const e = world();
    const b = new Batch(60, 60 * 2048);
    for (let k = 0; k < 60; k++) b.push(bigSyn(1600, true, 41000 + k), 0);
    e.process(b, 1000);
    expect(Array.from(b.verdict).filter((v) => v === VERDICT_TX).length).toBe(50);
    expect(b.reason[59]).toBe(DROP_FRAG_NEEDED);
    expect(e.counters.snapshot()).toMatchObject({ icmp_frag_needed_sent: 50, icmp_frag_needed_rate_limited: 10, drop_fragmentation_needed: 60 });
  });
});
