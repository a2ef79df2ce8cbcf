// Fragmenting what the router forwards (DF clear, over the egress MTU), as the
// kernel's ip_fragment does after IPVS rewrote the datagram: the fragments put
// back together give the rewritten datagram, checksums valid; a checksum the
// sender left to the device is completed first; options without the copied flag
// stay in the first fragment only.
import { describe, expect, it } from 'vitest';
import { Batch, VERDICT_DROP, VERDICT_TX } from '../../src/frames/batch.js';
import { buildArp, buildUdp, fragmentFrame } from '../../src/packet/build.js';
import { pseudoSum, sum16 } from '../../src/packet/checksum.js';
import * as C from '../../src/engine/counters.js';
import { Engine } from '../../src/engine/engine.js';
import { FRAGMENT_LATER_MAX } from '../../src/engine/fragment-out.js';
import { addNeighbours, CLIENT, CLIENT_MAC, ETH0_MAC, ETH1_MAC, hex, ip, rsMac, runAll, service, table, VIP } from './helpers.js';

const RS = ip('198.19.0.11');

/** A 9000-byte client side (eth0) and a 1500-byte server LAN (eth1), or the other way round; a UDP service on port 53. */
function world(mtu0 = 9000, mtu1 = 1500): Engine {
  const t = table([service([{ addr: '198.19.0.11', port: 53 }], { protocol: 'udp', port: 53 })]);
  const e = new Engine({ interfaces: [{ name: 'eth0', mac: ETH0_MAC, mtu: mtu0 }, { name: 'eth1', mac: ETH1_MAC, mtu: mtu1 }], table: t, connCapacity: 1024 });
  addNeighbours(e, t);
  return e;
}

const payload = (n: number) => Uint8Array.from({ length: n }, (_, k) => (k * 7) % 256);
const query = (n: number, o: { ipOptions?: Uint8Array; sport?: number } = {}) =>
  buildUdp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: o.sport ?? 40000, dport: 53, id: 0x4242, payload: payload(n), ipOptions: o.ipOptions });

/** The datagram the fragments make, by their offsets; checks each fragment's header checksum and MF. */
function reassemble(frames: Uint8Array[]): Uint8Array {
  const parts = frames.map((f) => {
    const ihl = (f[14] & 15) * 4;
    expect(sum16(f, 14, ihl)).toBe(0xffff);
    const fo = (f[14 + 6] << 8) | f[14 + 7];
    return { off: (fo & 0x1fff) * 8, mf: (fo & 0x2000) !== 0, head: f.subarray(14, 14 + ihl), data: f.subarray(14 + ihl, 14 + ((f[16] << 8) | f[17])) };
  });
  expect(parts.map((p) => p.mf)).toEqual(parts.map((_, k) => k < parts.length - 1));
  const head = parts[0].head;
  const out = new Uint8Array(head.length + parts.reduce((n, p) => Math.max(n, p.off + p.data.length), 0));
  out.set(head);
  for (const p of parts) out.set(p.data, head.length + p.off);
  return out;
}

/** The UDP checksum of a whole datagram holds (RFC 768). */
function udpOk(d: Uint8Array): boolean {
  const ihl = (d[0] & 15) * 4;
  const src = ((d[12] << 24) | (d[13] << 16) | (d[14] << 8) | d[15]) >>> 0;
  const dst = ((d[16] << 24) | (d[17] << 16) | (d[18] << 8) | d[19]) >>> 0;
  return sum16(d, ihl, d.length - ihl, pseudoSum(src, dst, 17, d.length - ihl)) === 0xffff;
}

describe('fragmenting a forwarded datagram with DF clear (ip_fragment)', () => {
  it('a 4,000-byte query to a server on a 1,500-byte LAN: three fragments of 1480, 1480 and the rest, rewritten to the server', () => {
    const e = world();
    const out = runAll(e, query(4000 - 28), 0);
    expect(out.map((o) => [o.verdict, o.ifOut, o.frame.length])).toEqual([[VERDICT_TX, 1, 1514], [VERDICT_TX, 1, 1514], [VERDICT_TX, 1, 14 + 20 + 1020]]);
    for (const o of out) expect(hex(o.frame.subarray(0, 12))).toBe(hex(rsMac(RS)) + hex(ETH1_MAC));
    const d = reassemble(out.map((o) => o.frame));
    expect(d.length).toBe(4000);
    expect(hex(d.subarray(16, 20))).toBe(hex(Uint8Array.of(198, 19, 0, 11)));
    expect(hex(d.subarray(4, 6))).toBe('4242'); // one ID for all the fragments
    expect(hex(d.subarray(28))).toBe(hex(payload(4000 - 28)));
    expect(udpOk(d)).toBe(true);
    expect(e.counters.snapshot()).toMatchObject({ datagrams_fragmented: 1, fragments_sent: 3 });
  });

  it("a NAT reply too big for the client's side goes back in fragments from the VIP", () => {
    const e = world(1500, 9000);
    runAll(e, query(100), 0);
    const reply = buildUdp({ srcMac: rsMac(RS), dstMac: ETH1_MAC, src: RS, dst: CLIENT, sport: 53, dport: 40000, id: 7, payload: payload(3000) });
    const out = runAll(e, reply, 1);
    expect(out.map((o) => [o.verdict, o.ifOut])).toEqual([[VERDICT_TX, 0], [VERDICT_TX, 0], [VERDICT_TX, 0]]);
    for (const o of out) expect(hex(o.frame.subarray(0, 6))).toBe(hex(CLIENT_MAC));
    const d = reassemble(out.map((o) => o.frame));
    expect(hex(d.subarray(12, 16))).toBe(hex(Uint8Array.of(198, 18, 0, 10)));
    expect(d[8]).toBe(63); // forwarded: TTL one less
    expect(udpOk(d)).toBe(true);
  });

  it("cuts a NAT reply's fragments again for a narrower client side: offsets carried on, MF on all but the datagram's last", () => {
    const e = world(1280, 1500);
    runAll(e, query(100), 0);
    const reply = buildUdp({ srcMac: rsMac(RS), dstMac: ETH1_MAC, src: RS, dst: CLIENT, sport: 53, dport: 40000, id: 9, payload: payload(4000) });
    const b = new Batch(3, 1 << 17, 1 << 16, 16);
    for (const f of fragmentFrame(reply, 1480)) b.push(f, 1);
    e.process(b, 1000);
    // 1500, 1500, 1076: the first two cut at 1256 bytes of data, the last fits.
    expect(b.count).toBe(5);
    const frames = Array.from({ length: b.count }, (_, k) => b.frame(k).slice());
    expect(frames.every((f) => f.length <= 14 + 1280)).toBe(true);
    const sorted = frames.sort((x, y) => (((x[20] << 8) | x[21]) & 0x1fff) - (((y[20] << 8) | y[21]) & 0x1fff));
    const d = reassemble(sorted);
    expect(d.length).toBe(4028);
    expect(hex(d.subarray(12, 16))).toBe(hex(Uint8Array.of(198, 18, 0, 10)));
    expect(hex(d.subarray(28))).toBe(hex(payload(4000)));
    expect(udpOk(d)).toBe(true);
    expect(e.counters.snapshot()).toMatchObject({ datagrams_fragmented: 2, fragments_sent: 4 });
  });

  it('completes a checksum the sender left to the device (CHECKSUM_PARTIAL) before cutting', () => {
    const e = world();
    const f = query(3000);
    // As veth hands it over with offloads on: the UDP checksum field holds the pseudo-header sum only.
    const l4 = 34, len = f.length - l4;
    const seed = pseudoSum(CLIENT, VIP, 17, len);
    f[l4 + 6] = seed >> 8;
    f[l4 + 7] = seed & 0xff;
    const b = new Batch(1, 1 << 17, 1 << 16, 8);
    b.push(f, 0);
    b.csumPartial[0] = 1;
    b.csumStart[0] = l4;
    b.csumOffset[0] = 6;
    expect(e.process(b, 1000)).toBe(3);
    expect(Array.from(b.csumPartial.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(udpOk(reassemble([0, 1, 2].map((k) => b.frame(k))))).toBe(true);
  });

  it('repeats options with the copied flag in every fragment, and puts NOPs for the others after the first', () => {
    const e = world();
    // Router alert (0x94, copied) then a 4-byte timestamp-like option without the copied flag (0x44), then end.
    const opts = Uint8Array.of(0x94, 0x04, 0x00, 0x00, 0x44, 0x04, 0x05, 0x00);
    const out = runAll(e, query(2000, { ipOptions: opts }), 0);
    expect(out.length).toBe(2);
    expect(hex(out[0].frame.subarray(34, 42))).toBe('9404000044040500');
    expect(hex(out[1].frame.subarray(34, 42))).toBe('9404000001010101');
    // 1500 - 28 = 1472: the first fragment's data is a multiple of 8 (1472).
    expect(out[0].frame.length).toBe(14 + 28 + 1472);
    expect(reassemble(out.map((o) => o.frame)).length).toBe(28 + 8 + 2000);
  });

  it('cuts a datagram that waited for its next hop once the ARP reply lets it go', () => {
    const t = table([service([{ addr: '198.19.0.11', port: 53 }], { protocol: 'udp', port: 53 })]);
    const e = new Engine({ interfaces: [{ name: 'eth0', mac: ETH0_MAC, mtu: 9000 }, { name: 'eth1', mac: ETH1_MAC, mtu: 1500 }], table: t, connCapacity: 64 });
    const held = runAll(e, query(1800 - 28), 0);
    expect(held.map((o) => o.verdict)).toEqual([VERDICT_DROP]);
    expect(e.counters.snapshot()).toMatchObject({ next_hop_frames_held: 1 });
    const arp = buildArp({ srcMac: rsMac(RS), dstMac: ETH1_MAC, op: 2, senderMac: rsMac(RS), senderIp: RS, targetMac: ETH1_MAC, targetIp: ip('198.19.0.1') });
    const out = runAll(e, arp, 1, 1200);
    // The ARP reply itself (taken, not sent), then the held datagram in two fragments to the server.
    expect(out.slice(1).map((o) => [o.verdict, o.ifOut, o.frame.length])).toEqual([[VERDICT_TX, 1, 1514], [VERDICT_TX, 1, 14 + 20 + 300]]);
    expect(udpOk(reassemble(out.slice(1).map((o) => o.frame)))).toBe(true);
    expect(e.counters.snapshot()).toMatchObject({ next_hop_held_sent: 1, datagrams_fragmented: 1 });
  });

  it(`fragments at most ${FRAGMENT_LATER_MAX} datagrams a batch; one more is dropped as too_big_not_fragmented`, () => {
    const e = world();
    const n = FRAGMENT_LATER_MAX + 1;
    const b = new Batch(n, 8 << 20, 4 << 20, 4 * n);
    for (let k = 0; k < n; k++) b.push(query(2000, { sport: 41000 + k }), 0);
    e.process(b, 1000);
    expect(b.verdict[n - 1]).toBe(VERDICT_DROP);
    expect(C.dropName(b.reason[n - 1])).toBe('too_big_not_fragmented');
    expect(e.counters.snapshot()).toMatchObject({ datagrams_fragmented: FRAGMENT_LATER_MAX, fragments_sent: 2 * FRAGMENT_LATER_MAX });
  });
});
