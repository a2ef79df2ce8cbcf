// The SYN flood defences: evicting half-open entries from a full table, and
// IPVS's drop_entry, drop_packet and secure_tcp with their automatic modes.
import { describe, expect, it } from 'vitest';
import { Batch, VERDICT_DROP, VERDICT_TX } from '../../src/frames/batch.js';
import { DROP_DEFENSE, DROP_TABLE_FULL } from '../../src/engine/counters.js';
import { buildTcp } from '../../src/packet/build.js';
import { TCP_S_ESTABLISHED, TCP_S_SYN_RECV } from '../../src/conn/tcp-states.js';
import { CLIENT, CLIENT_MAC, ETH0_MAC, engine, ip, run, service, table, VIP } from './helpers.js';
import type { Engine } from '../../src/engine/engine.js';
import type { Switches } from '../../src/model/index.js';

const SYN = 0x02, ACK = 0x10;
const seg = (flags: number, src: number, sport = 1000) => buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src, dst: VIP, sport, dport: 80, flags });
/** A spoofed flood source, in the lab range but apart from the test world's addresses. */
const spoof = (k: number) => (ip('198.18.128.0') + k) >>> 0;
const ONE = [{ addr: '198.19.0.11' }];

function world(capacity: number, sw: Partial<Switches> = {}): Engine {
  return engine(table([service(ONE)], {}, { synProxy: 0, ...sw }), { connCapacity: capacity });
}

/** n half-open entries of spoofed clients (SYN, never an ACK). */
function flood(e: Engine, n: number, now = 1000, from = 0): void {
  for (let k = from; k < from + n; k++) expect(run(e, seg(SYN, spoof(k)), 0, now).verdict).toBe(VERDICT_TX);
}

describe('a full table', () => {
  it('evicts a half-open entry so that a new client still gets its connection', () => {
    const e = world(8);
    flood(e, 8);
    expect(e.conns.count).toBe(8);
    const legit = run(e, seg(SYN, CLIENT, 4242), 0);
    expect(legit.verdict).toBe(VERDICT_TX);
    expect(e.conns.count).toBe(8);
    expect(e.conns.lookupIn(6, CLIENT, 4242, VIP, 80)).not.toBe(0);
    expect(e.counters.snapshot().defense_half_open_evicted).toBe(1);
  });

  it('evicts the oldest half-open entries it finds: a client whose ACK is on its way keeps its entry', () => {
    const e = world(201);
    flood(e, 200, 1000);
    expect(run(e, seg(SYN, CLIENT, 4242), 0, 3000).verdict).toBe(VERDICT_TX);
    // 20 more flood SYNs, each evicting one: the oldest of four half-open entries found, never the client's (2 s younger).
    flood(e, 20, 3000, 200);
    expect(e.counters.snapshot().defense_half_open_evicted).toBe(20);
    expect(run(e, seg(ACK, CLIENT, 4242), 0, 3001).verdict).toBe(VERDICT_TX);
    expect(e.conns.stateOf(e.conns.lookupIn(6, CLIENT, 4242, VIP, 80))).toBe(TCP_S_ESTABLISHED);
  });

  it('keeps established connections: full of them, a new SYN is refused as conn_table_full', () => {
    const e = world(4);
    for (let k = 0; k < 4; k++) {
      run(e, seg(SYN, spoof(k)), 0);
      run(e, seg(ACK, spoof(k)), 0);
    }
    const r = run(e, seg(SYN, CLIENT, 4242), 0);
    expect(r.verdict).toBe(VERDICT_DROP);
    expect(r.reason).toBe(DROP_TABLE_FULL);
    for (let k = 0; k < 4; k++) expect(e.conns.stateOf(e.conns.lookupIn(6, spoof(k), 1000, VIP, 80))).toBe(TCP_S_ESTABLISHED);
  });
});

describe('drop_packet', () => {
  it('3: one new connection in am_droprate is refused, always', () => {
    const e = world(64, { dropPacket: 3, amDroprate: 3 });
    const verdicts = [];
    for (let k = 0; k < 9; k++) verdicts.push(run(e, seg(SYN, spoof(k)), 0).reason);
    expect(verdicts).toEqual([0, 0, DROP_DEFENSE, 0, 0, DROP_DEFENSE, 0, 0, DROP_DEFENSE]);
    expect(e.counters.snapshot().drop_defense_drop_packet).toBe(3);
  });

  it('1: acts only below amemthresh free entries, at rate amemthresh / (amemthresh - free), and reads 2 meanwhile', () => {
    const e = world(32, { dropPacket: 1, amemthresh: 16 });
    flood(e, 20); // 12 free
    expect(e.defense.dropPacketMode).toBe(1);
    run(e, seg(SYN, spoof(100)), 0, 2000); // the once-a-second update runs first: 12 free < 16
    expect(e.defense.dropPacketMode).toBe(2);
    expect(e.defense.dropRate).toBe(16 / (16 - 12));
    expect(e.counters.snapshot().defense_drop_rate).toBe(4);
    e.conns.flush();
    run(e, seg(SYN, spoof(101)), 0, 3000);
    expect(e.defense.dropPacketMode).toBe(1);
    expect(e.defense.dropRate).toBe(0);
  });

  it('0 (default): never drops', () => {
    const e = world(16);
    flood(e, 15);
    run(e, seg(SYN, spoof(99)), 0, 5000);
    expect(e.defense.dropRate).toBe(0);
  });
});

describe('drop_entry', () => {
  it('drops SYN_RECV entries and ESTABLISHED ones idle for 60 s, keeps fresh established ones', () => {
    const e = world(16);
    flood(e, 4); // SYN_RECV
    for (let k = 10; k < 12; k++) {
      run(e, seg(SYN, spoof(k)), 0);
      run(e, seg(ACK, spoof(k)), 0); // ESTABLISHED, active at 1000
    }
    for (let k = 20; k < 22; k++) {
      run(e, seg(SYN, spoof(k)), 0, 1000);
      run(e, seg(ACK, spoof(k)), 0, 1000);
    }
    // At 70 s, all conns were last touched 69 s ago: SYN_RECV ones would have expired, so
    // refresh the four half-open ones and the last two established ones at 69 s.
    for (let k = 0; k < 4; k++) run(e, seg(SYN, spoof(k)), 0, 69_000);
    for (let k = 20; k < 22; k++) run(e, seg(ACK, spoof(k)), 0, 69_000);
    const dropped = e.conns.randomDropEntry(4096, 70_000);
    expect(dropped).toBe(6);
    const live = (k: number) => e.conns.lookupIn(6, spoof(k), 1000, VIP, 80) !== 0;
    expect([0, 1, 2, 3, 10, 11, 20, 21].map(live)).toEqual([false, false, false, false, false, false, true, true]);
  });

  it('3: the engine scans 1/32 of the table each second and counts what it dropped', () => {
    const e = world(64, { dropEntry: 3 });
    flood(e, 64);
    run(e, seg(SYN, CLIENT, 5), 0, 2000);
    const s = e.counters.snapshot();
    expect(s.defense_drop_entry_on).toBe(1);
    // Two random probes (64 >> 5) over a table of half-open entries: each drops what
    // it finds, so 2, or 1 when both land on the same slot (1 time in 64).
    expect([1, 2]).toContain(s.defense_drop_entry_dropped);
    // What it counts is what left the table (the new client's conn in, evictions out).
    expect(e.conns.count).toBe(64 + 1 - s.defense_drop_entry_dropped - (s.defense_half_open_evicted ?? 0));
  });
});

describe('secure_tcp', () => {
  it('3: a client ACK leaves the conn in SYN_RECV (tcp_states_dos) on the 10 s secure timeout', () => {
    const e = world(16, { secureTcp: 3 });
    run(e, seg(SYN, CLIENT), 0, 1000);
    run(e, seg(ACK, CLIENT), 0, 1000);
    const s = e.conns.lookupIn(6, CLIENT, 1000, VIP, 80);
    expect(e.conns.stateOf(s)).toBe(TCP_S_SYN_RECV);
    expect(e.conns.timeoutOf(s)).toBe(10_000);
    e.process(new Batch(1), 11_100);
    expect(e.conns.lookupIn(6, CLIENT, 1000, VIP, 80)).toBe(0);
  });

  it('0 (default): the same ACK makes it ESTABLISHED on the normal table', () => {
    const e = world(16);
    run(e, seg(SYN, CLIENT), 0);
    run(e, seg(ACK, CLIENT), 0);
    const s = e.conns.lookupIn(6, CLIENT, 1000, VIP, 80);
    expect(e.conns.stateOf(s)).toBe(TCP_S_ESTABLISHED);
    expect(e.conns.timeoutOf(s)).toBe(900_000);
  });

  it('1: switches on below amemthresh free entries (mode 2) and off again when they recover (mode 1)', () => {
    const e = world(32, { secureTcp: 1, amemthresh: 8 });
    flood(e, 25); // 7 free
    run(e, seg(SYN, CLIENT), 0, 2000);
    expect([e.defense.secureTcpMode, e.conns.secureTcp]).toEqual([2, true]);
    expect(e.conns.timeoutOf(e.conns.lookupIn(6, CLIENT, 1000, VIP, 80))).toBe(10_000);
    expect(e.counters.snapshot().defense_secure_tcp_on).toBe(1);
    e.conns.flush();
    run(e, seg(SYN, CLIENT), 0, 3000);
    expect([e.defense.secureTcpMode, e.conns.secureTcp]).toEqual([1, false]);
    expect(e.conns.timeoutOf(e.conns.lookupIn(6, CLIENT, 1000, VIP, 80))).toBe(60_000);
  });
});
