// NAT both ways, as fixtures: input frame, expected output frame, verdict. The
// expected frames are built from scratch (full checksums), so they also check
// that the engine's incremental checksum updates are right.
import { describe, expect, it } from 'vitest';
import { Batch, VERDICT_DROP, VERDICT_PASS, VERDICT_TX } from '../../src/frames/batch.js';
import { dropName } from '../../src/engine/counters.js';
import { buildArp, buildTcp, buildUdp } from '../../src/packet/build.js';
import { CLIENT, CLIENT_MAC, ETH0_MAC, ETH1_MAC, engine, hex, ip, rsMac, run, service, table, VIP } from './helpers.js';

const SYN = 0x02, ACK = 0x10, FIN = 0x01;
const RS1 = ip('198.19.0.11');
const RS2 = ip('198.19.0.12');

function natWorld() {
  // Real servers listen on 8080: NAT maps the port. IPVS keeps its list newest
  // first, so rr's first pick is the server added last (rs2).
  return engine(table([service([{ addr: '198.19.0.11', port: 8080 }, { addr: '198.19.0.12', port: 8080 }])]));
}

const fromClient = (flags: number, sport = 40000, extra = {}) =>
  buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport, dport: 80, flags, seq: 100, ack: flags & ACK ? 500 : 0, ...extra });

describe('NAT', () => {
  it('rewrites a client SYN to the scheduled real server: destination address and port, MACs, egress', () => {
    const e = natWorld();
    const out = run(e, fromClient(SYN), 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(1);
    const want = buildTcp({ srcMac: ETH1_MAC, dstMac: rsMac(RS2), src: CLIENT, dst: RS2, sport: 40000, dport: 8080, flags: SYN, seq: 100, ack: 0 });
    expect(hex(out.frame)).toBe(hex(want));
  });

  it('rewrites the real server reply back to the VIP and service port, TTL one less, out to the client', () => {
    const e = natWorld();
    run(e, fromClient(SYN), 0);
    const reply = buildTcp({ srcMac: rsMac(RS2), dstMac: ETH1_MAC, src: RS2, dst: CLIENT, sport: 8080, dport: 40000, flags: SYN | ACK, seq: 500, ack: 101, ttl: 64 });
    const out = run(e, reply, 1);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(out.ifOut).toBe(0);
    const want = buildTcp({ srcMac: ETH0_MAC, dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, sport: 80, dport: 40000, flags: SYN | ACK, seq: 500, ack: 101, ttl: 63 });
    expect(hex(out.frame)).toBe(hex(want));
  });

  it('keeps a flow on its server and counts it ActiveConn once established, InActConn after FIN', () => {
    const e = natWorld();
    const d = e.services.dests;
    run(e, fromClient(SYN), 0);
    const slot = e.conns.lookup(6, CLIENT, 40000, VIP, 80) >>> 1;
    const dest = e.conns.destOf(slot);
    expect([d.active[dest], d.inactive[dest]]).toEqual([0, 1]);
    run(e, buildTcp({ srcMac: rsMac(RS2), dstMac: ETH1_MAC, src: RS2, dst: CLIENT, sport: 8080, dport: 40000, flags: SYN | ACK }), 1);
    const ack = run(e, fromClient(ACK), 0);
    expect(ack.frame.subarray(30, 34)).toEqual(Uint8Array.from([198, 19, 0, 12]));
    expect([d.active[dest], d.inactive[dest]]).toEqual([1, 0]);
    run(e, fromClient(FIN | ACK), 0);
    expect([d.active[dest], d.inactive[dest]]).toEqual([0, 1]);
    expect(e.services.destConns[dest]).toBe(1);
    expect(e.services.destInPkts[dest]).toBe(3);
    expect(e.services.destOutPkts[dest]).toBe(1);
  });

  it('spreads new connections round robin in IPVS list order', () => {
    const e = natWorld();
    const picks = [40001, 40002, 40003, 40004].map((p) => run(e, fromClient(SYN, p), 0).frame.subarray(30, 34)[3]);
    expect(picks).toEqual([12, 11, 12, 11]);
  });

  it('translates UDP both ways and keeps a zero (absent) checksum zero', () => {
    const e = engine(table([service([{ addr: '198.19.0.11', port: 5353 }], { protocol: 'udp', port: 53 })]));
    const q = buildUdp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 3333, dport: 53, payload: Uint8Array.of(1, 2, 3), udpChecksum: false });
    const out = run(e, q, 0);
    expect(hex(out.frame)).toBe(hex(buildUdp({ srcMac: ETH1_MAC, dstMac: rsMac(RS1), src: CLIENT, dst: RS1, sport: 3333, dport: 5353, payload: Uint8Array.of(1, 2, 3), udpChecksum: false })));
    const r = buildUdp({ srcMac: rsMac(RS1), dstMac: ETH1_MAC, src: RS1, dst: CLIENT, sport: 5353, dport: 3333, payload: Uint8Array.of(9, 9) });
    const back = run(e, r, 1);
    expect(hex(back.frame)).toBe(hex(buildUdp({ srcMac: ETH0_MAC, dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, sport: 53, dport: 3333, payload: Uint8Array.of(9, 9), ttl: 63 })));
  });

  it('resets a non-SYN segment with no connection, and passes traffic that is not for a virtual service', () => {
    const e = natWorld();
    const out = run(e, fromClient(ACK), 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect([out.ifOut, out.frame[14 + 20 + 13]]).toEqual([0, 0x04]);
    const other = buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: ip('198.18.0.77'), sport: 1, dport: 80, flags: SYN });
    expect(run(e, other, 0).verdict).toBe(VERDICT_PASS);
    expect(e.counters.snapshot()).toMatchObject({ drop_tcp_no_connection: 1, pass_not_a_virtual_service: 1 });
  });

  it('drops a reply whose TTL would reach zero', () => {
    const e = natWorld();
    run(e, fromClient(SYN), 0);
    const r = run(e, buildTcp({ srcMac: rsMac(RS2), dstMac: ETH1_MAC, src: RS2, dst: CLIENT, sport: 8080, dport: 40000, flags: SYN | ACK, ttl: 1 }), 1);
    expect(dropName(r.reason)).toBe('ttl_exceeded');
  });

  it('holds a frame for a real server whose MAC is being resolved and sends it, rewritten, when the ARP reply comes', () => {
    const e = engine(table([service([{ addr: '198.19.0.11', port: 8080 }])]), { neighbours: false });
    const held = run(e, fromClient(SYN), 0, 1000);
    expect([held.verdict, held.reason]).toEqual([VERDICT_DROP, 0]);
    expect(e.counters.snapshot()).toMatchObject({ next_hop_frames_held: 1 });
    expect(e.neigh.describeMissing()).toEqual(['198.19.0.11 (1 frame)']);

    const b = new Batch(4, 1 << 16);
    b.push(buildArp({ srcMac: rsMac(RS1), dstMac: ETH1_MAC, op: 2, senderMac: rsMac(RS1), senderIp: RS1, targetMac: ETH1_MAC, targetIp: ip('198.19.0.1') }), 1);
    expect(e.process(b, 1200)).toBe(1);
    expect([b.count, b.verdict[1], b.ifOut[1]]).toEqual([2, VERDICT_TX, 1]);
    const want = buildTcp({ srcMac: ETH1_MAC, dstMac: rsMac(RS1), src: CLIENT, dst: RS1, sport: 40000, dport: 8080, flags: SYN, seq: 100, ack: 0 });
    expect(hex(b.frame(1))).toBe(hex(want));
    expect(e.counters.snapshot()).toMatchObject({ next_hop_held_sent: 1 });
    expect(e.counters.snapshot().drop_next_hop_unknown).toBeUndefined();
  });

  it('gives a held frame up after 3 s without an answer: dropped as next_hop_unknown and reported', () => {
    const e = engine(table([service([{ addr: '198.19.0.11' }])]), { neighbours: false });
    run(e, fromClient(SYN), 0, 1000);
    run(e, fromClient(ACK, 40001), 0, 3999); // any later batch looks at what is held
    expect(e.held.count).toBe(1);
    run(e, fromClient(ACK, 40001), 0, 4000);
    expect(e.held.count).toBe(0);
    expect(e.counters.snapshot()).toMatchObject({ next_hop_frames_held: 1, drop_next_hop_unknown: 1 });
    expect(e.neigh.describeMissing()).toEqual(['198.19.0.11 (1 frame)']);
  });
});
