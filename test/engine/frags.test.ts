// Fragments forwarded along their flow (src/engine/frags.ts): fixtures of input
// fragments and expected output fragments. The expected fragments are cut from
// a whole datagram built from scratch with the translated addresses and ports
// (full checksums), so they check the incremental update of the UDP checksum in
// the first fragment; the checksum is also verified over the reassembled output.
import { describe, expect, it } from 'vitest';
import { Batch, VERDICT_DROP, VERDICT_PASS, VERDICT_TX } from '../../src/frames/batch.js';
import { countersSnapshot, dropName } from '../../src/engine/counters.js';
import { Engine } from '../../src/engine/engine.js';
import type { FragOptions } from '../../src/engine/frags.js';
import { l4Checksum } from '../../src/packet/checksum.js';
import { buildUdp, fragmentFrame, type UdpOptions } from '../../src/packet/build.js';
import { addNeighbours, CLIENT, CLIENT_MAC, ETH0_MAC, ETH1_MAC, hex, ip, rsMac, service, table, VIP } from './helpers.js';

const RS1 = ip('198.19.0.11');
const ID = 0x1234;

function world(o: { frags?: FragOptions } = {}): Engine {
  const t = table([service([{ addr: '198.19.0.11', port: 5353 }], { protocol: 'udp', port: 53 })]);
  const e = new Engine({ interfaces: [{ name: 'eth0', mac: ETH0_MAC }, { name: 'eth1', mac: ETH1_MAC }], table: t, connCapacity: 1024, frags: o.frags });
  addNeighbours(e, t);
  return e;
}

const payload = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, k) => (k * 7 + 3) & 0xff);

/** A UDP datagram of `size` payload octets cut into fragments of 1480 data octets (a 1500 MTU). */
function datagram(o: UdpOptions, size: number, data = 1480): Uint8Array[] {
  return fragmentFrame(buildUdp({ id: ID, ...o, payload: payload(size) }), data);
}

function dr(): Engine {
  const t = table([service([{ addr: '198.19.0.11', port: 53 }], { protocol: 'udp', port: 53, forward: 'dr' })]);
  const e = new Engine({ interfaces: [{ name: 'eth0', mac: ETH0_MAC }, { name: 'eth1', mac: ETH1_MAC }], table: t, connCapacity: 1024 });
  addNeighbours(e, t);
  return e;
}

const query = (size = 3000, sport = 40000): UdpOptions =>
  ({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport, dport: 53, payload: payload(size) });

interface Out { verdict: number; reason: string; ifOut: number; frame: Uint8Array }

/** Runs frames as one batch of `capacity` (room for released fragments); returns every frame of the batch afterwards. */
function runBatch(e: Engine, frames: Uint8Array[], ifIn: number, now = 1000, capacity = 16): Out[] {
  const b = new Batch(capacity, capacity * 2048);
  for (const f of frames) b.push(f, ifIn);
  e.process(b, now);
  const out: Out[] = [];
  for (let i = 0; i < b.count; i++) {
    out.push({ verdict: b.verdict[i], reason: b.reason[i] ? dropName(b.reason[i]) : '', ifOut: b.ifOut[i], frame: b.frame(i).slice() });
  }
  return out;
}

const one = (e: Engine, frame: Uint8Array, ifIn: number, now = 1000): Out => runBatch(e, [frame], ifIn, now)[0];

/** The UDP checksum over the reassembled datagram of Ethernet + IPv4 fragments (in order): 0 when it verifies. */
function reassembledUdpCheck(frags: Uint8Array[]): number {
  const parts = frags.map((f) => f.subarray(34));
  const l4 = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { l4.set(p, at); at += p.length; }
  const h = frags[0];
  const word = (o: number) => ((h[o] << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3]) >>> 0;
  // Summing the datagram with its checksum field in place gives 0 after the complement when it is right.
  return l4Checksum(l4, 0, l4.length, word(26), word(30), 17);
}

describe('fragment builder', () => {
  it('cuts as RFC 791 3.2 does: total length, MF and offset in 8-octet units, header checksum', () => {
    const f = datagram(query(3000), 3000);
    expect(f.map((x) => x.length)).toEqual([14 + 20 + 1480, 14 + 20 + 1480, 14 + 20 + 48]);
    // Second fragment's header, by hand: length 1500 (0x05dc), id 0x1234, MF + offset 1480/8 = 185 (0x20b9), TTL 64, UDP,
    // checksum ~(4500 + 05dc + 1234 + 20b9 + 4011 + c612 + 0064 + c612 + 000a) = ~0x4a6e (0x24a6c folded) = 0xb591.
    expect(hex(f[1].subarray(14, 34))).toBe('450005dc123420b94011b591c6120064c612000a');
    expect(reassembledUdpCheck(f)).toBe(0);
  });
});

describe('fragments through NAT', () => {
  it('client -> real server in order: each fragment goes to the scheduled server, the first with the port and UDP checksum updated', () => {
    const e = world();
    const out = runBatch(e, datagram(query(3000), 3000), 0);
    const want = datagram({ ...query(3000), srcMac: ETH1_MAC, dstMac: rsMac(RS1), dst: RS1, dport: 5353 }, 3000);
    expect(out.map((o) => o.verdict)).toEqual([VERDICT_TX, VERDICT_TX, VERDICT_TX]);
    expect(out.map((o) => o.ifOut)).toEqual([1, 1, 1]);
    expect(out.map((o) => hex(o.frame))).toEqual(want.map(hex));
    expect(reassembledUdpCheck(out.map((o) => o.frame))).toBe(0);
    // Every byte seen: the flow is freed at once, not at its timeout.
    expect(e.frags.live).toBe(0);
  });

  it('real server -> client (a 4 KB answer): source back to the VIP and port 53, TTL one less, out to the client', () => {
    const e = world();
    one(e, buildUdp(query(40)), 0);
    const reply = datagram({ srcMac: rsMac(RS1), dstMac: ETH1_MAC, src: RS1, dst: CLIENT, sport: 5353, dport: 40000, ttl: 64 }, 4096);
    const out = runBatch(e, reply, 1);
    const want = datagram({ srcMac: ETH0_MAC, dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, sport: 53, dport: 40000, ttl: 63 }, 4096);
    expect(out.map((o) => o.verdict)).toEqual([VERDICT_TX, VERDICT_TX, VERDICT_TX]);
    expect(out.map((o) => o.ifOut)).toEqual([0, 0, 0]);
    expect(out.map((o) => hex(o.frame))).toEqual(want.map(hex));
    expect(reassembledUdpCheck(out.map((o) => o.frame))).toBe(0);
    const dest = e.conns.destOf(e.conns.lookupIn(17, CLIENT, 40000, VIP, 53));
    // One datagram, one packet (IPVS counts the reassembled datagram once); every fragment's bytes.
    expect(e.services.destOutPkts[dest]).toBe(1);
    expect(e.services.destOutBytes[dest]).toBe(want.reduce((n, f) => n + f.length - 14, 0));
  });

  it('out of order, last first: later fragments are held, then sent after the first, in arrival order', () => {
    const e = world();
    const [f0, f1, f2] = datagram(query(3000), 3000);
    const held = runBatch(e, [f2, f1], 0);
    expect(held.map((o) => [o.verdict, o.reason])).toEqual([[VERDICT_DROP, ''], [VERDICT_DROP, '']]);
    expect(e.frags.held).toBe(2);
    expect(e.counters.snapshot().drop_fragment_store_full).toBeUndefined();
    const out = runBatch(e, [f0], 0, 2000);
    const [w0, w1, w2] = datagram({ ...query(3000), srcMac: ETH1_MAC, dstMac: rsMac(RS1), dst: RS1, dport: 5353 }, 3000);
    expect(out.map((o) => o.verdict)).toEqual([VERDICT_TX, VERDICT_TX, VERDICT_TX]);
    expect(out.map((o) => hex(o.frame))).toEqual([w0, w2, w1].map(hex));
    expect(reassembledUdpCheck([out[0].frame, out[2].frame, out[1].frame])).toBe(0);
    expect([e.frags.held, e.frags.live]).toEqual([0, 0]);
    expect(e.counters.txFrames).toBe(3);
  });

  it('held fragments wait for a batch with room when the first one fills its batch', () => {
    const e = world();
    const [f0, f1] = datagram(query(2000), 2000);
    runBatch(e, [f1], 0);
    const first = runBatch(e, [f0], 0, 1001, 1);
    expect(first.map((o) => o.verdict)).toEqual([VERDICT_TX]);
    expect(e.frags.waiting).toBe(1);
    const next = runBatch(e, [], 0, 1002, 4);
    const [, w1] = datagram({ ...query(2000), srcMac: ETH1_MAC, dstMac: rsMac(RS1), dst: RS1, dport: 5353 }, 2000);
    expect(next.map((o) => [o.verdict, hex(o.frame)])).toEqual([[VERDICT_TX, hex(w1)]]);
    expect([e.frags.waiting, e.frags.live]).toEqual([0, 0]);
  });

  it('an overlapping fragment refuses its whole datagram (RFC 5722): held frames and later fragments are dropped', () => {
    const e = world();
    const [f0, f1, f2] = datagram(query(3000), 3000);
    // Octets 1400.. again, as a fragment that overlaps the end of the first one.
    const overlap = fragmentFrame(buildUdp({ id: ID, ...query(3000) }), 1400)[1];
    expect(one(e, f2, 0).verdict).toBe(VERDICT_DROP); // held
    expect(one(e, f0, 0).verdict).toBe(VERDICT_TX);
    const bad = one(e, overlap, 0);
    expect([bad.verdict, bad.reason]).toEqual([VERDICT_DROP, 'fragment_overlap']);
    const rest = one(e, f1, 0);
    expect([rest.verdict, rest.reason]).toEqual([VERDICT_DROP, 'fragment_refused']);
    expect(e.counters.snapshot()).toMatchObject({ drop_fragment_overlap: 1, drop_fragment_refused: 1 });
  });

  it('an overlap among held fragments drops the held ones too, counted as overlaps', () => {
    const e = world();
    const [, f1, f2] = datagram(query(3000), 3000);
    const overlap = fragmentFrame(buildUdp({ id: ID, ...query(3000) }), 1400)[2];
    runBatch(e, [f1, f2], 0);
    expect(one(e, overlap, 0).reason).toBe('fragment_overlap');
    expect(e.counters.snapshot().drop_fragment_overlap).toBe(3);
    expect(e.frags.held).toBe(0);
  });

  it('an exact duplicate is dropped and counted; the datagram carries on', () => {
    const e = world();
    const [f0, f1, f2] = datagram(query(3000), 3000);
    const out = runBatch(e, [f0, f1, f1, f2], 0);
    expect(out.map((o) => [o.verdict, o.reason])).toEqual([[VERDICT_TX, ''], [VERDICT_TX, ''], [VERDICT_DROP, 'fragment_duplicate'], [VERDICT_TX, '']]);
    expect(e.frags.live).toBe(0);
  });

  it('held fragments whose first never comes are dropped after ipfrag_time (30 s) and counted', () => {
    const e = world();
    const [, f1, f2] = datagram(query(3000), 3000);
    runBatch(e, [f1, f2], 0, 1000);
    runBatch(e, [], 0, 30_999);
    expect(e.frags.held).toBe(2);
    runBatch(e, [], 0, 31_000);
    expect([e.frags.held, e.frags.live]).toEqual([0, 0]);
    expect(e.counters.snapshot().drop_fragment_timeout).toBe(2);
  });

  it('a full store refuses new datagrams (no eviction, as ipfrag_high_thresh) and counts them', () => {
    const e = world({ frags: { flows: 2, held: 2 } });
    // Later fragments have no ports: datagrams differ by their IP id.
    const later = (id: number) => datagram({ ...query(3000), id }, 3000)[1];
    expect(runBatch(e, [later(1), later(2)], 0).map((o) => o.reason)).toEqual(['', '']);
    expect(one(e, later(3), 0).reason).toBe('fragment_store_full');
    // No held slot left either: a third fragment of a known datagram is refused with its datagram.
    const e2 = world({ frags: { flows: 4, held: 2 } });
    const [, a1, a2] = datagram({ ...query(3000), id: 7 }, 3000);
    runBatch(e2, [a1, later(8)], 0);
    expect(one(e2, a2, 0).reason).toBe('fragment_store_full');
    expect(e2.counters.snapshot().drop_fragment_store_full).toBe(2);
    expect(e2.frags.held).toBe(1);
  });

  it('more than 64 fragments in one datagram are refused', () => {
    const e = world();
    const tiny = datagram(query(600), 600, 8); // 76 fragments of 8 octets
    const out = runBatch(e, tiny.slice(0, 66), 0, 1000, 80);
    expect(out.slice(0, 64).every((o) => o.verdict === VERDICT_TX)).toBe(true);
    expect(out.slice(64).map((o) => o.reason)).toEqual(['fragment_too_many', 'fragment_refused']);
  });

  it('a non-last fragment whose length is no multiple of 8 is dropped as bad length', () => {
    const e = world();
    const [f0] = datagram(query(3000), 3000);
    const bad = f0.slice(0, f0.length - 4);
    bad[17] -= 4; // total length 1496: 1476 data octets with MF set
    bad[24] = 0; bad[25] = 0;
    const sum = (() => { let s = 0; for (let k = 14; k < 34; k += 2) s += (bad[k] << 8) | bad[k + 1]; while (s > 0xffff) s = (s & 0xffff) + (s >>> 16); return ~s & 0xffff; })();
    bad[24] = sum >>> 8; bad[25] = sum & 0xff;
    expect(one(e, bad, 0).reason).toBe('fragment_bad_length');
  });

  it('fragments of routed traffic (to no owned address, from no real server) are left to the kernel', () => {
    const e = world();
    const [, f1] = datagram({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: ip('198.18.0.200'), sport: 1, dport: 53 }, 3000);
    expect(one(e, f1, 0).verdict).toBe(VERDICT_PASS);
    expect(e.frags.live).toBe(0);
  });

  it('later fragments of a datagram whose first found no real server are dropped as fragment; the first is answered port unreachable', () => {
    const t = table([service([], { protocol: 'udp', port: 53 })]);
    const e = new Engine({ interfaces: [{ name: 'eth0', mac: ETH0_MAC }, { name: 'eth1', mac: ETH1_MAC }], table: t, connCapacity: 64 });
    const [f0, f1] = datagram(query(2000), 2000);
    const out = runBatch(e, [f1, f0], 0);
    // ip_vs_leave: the first fragment (it has the ports) gets ICMP port unreachable and counts as no_real_server.
    expect(out.map((o) => o.reason)).toEqual(['', '']);
    expect(e.counters.snapshot()).toMatchObject({ drop_fragment: 1, drop_no_real_server: 1, icmp_port_unreachable_sent: 1 });
  });
});

describe('fragments through DR', () => {
  it('every fragment goes unchanged to the chosen server\'s MAC, held ones after the first', () => {
    const e = dr();
    const [f0, f1, f2] = datagram(query(3000), 3000);
    runBatch(e, [f2], 0);
    const out = runBatch(e, [f0, f1], 0);
    const macs = (f: Uint8Array) => { const g = f.slice(); g.set(rsMac(RS1), 0); g.set(ETH0_MAC, 6); return g; };
    expect(out.map((o) => o.verdict)).toEqual([VERDICT_TX, VERDICT_TX, VERDICT_TX]);
    expect(out.map((o) => o.ifOut)).toEqual([0, 0, 0]);
    expect(out.map((o) => hex(o.frame))).toEqual([f0, f1, f2].map((f) => hex(macs(f))));
  });
});

describe('fragment counters', () => {
  it('every fragment drop reason is listed by name, zeros included (stats, tsvs top, /metrics)', () => {
    const e = world();
    const c = e.counters;
    const all = countersSnapshot(c.drops, c.passes, c.n, true);
    const names = Object.keys(all).filter((k) => k === 'drop_fragment' || k.startsWith('drop_fragment_')).sort();
    expect(names).toEqual([
      'drop_fragment', 'drop_fragment_bad_length', 'drop_fragment_duplicate', 'drop_fragment_overlap', 'drop_fragment_oversize',
      'drop_fragment_refused', 'drop_fragment_store_full', 'drop_fragment_timeout', 'drop_fragment_too_many',
    ]);
    expect(names.map((k) => all[k])).toEqual(Array(9).fill(0));
  });
});
