// IPVS behaviours a user relies on: quiescing, a full table, malformed frames,
// persistence, reloads that keep connections, wlc's choice, expiry by timeout.
import { describe, expect, it } from 'vitest';
import { VERDICT_DROP, VERDICT_TX } from '../../src/frames/batch.js';
import { dropName } from '../../src/engine/counters.js';
import { buildTcp } from '../../src/packet/build.js';
import { CLIENT, CLIENT_MAC, ETH0_MAC, addNeighbours, engine, ip, run, service, table, VIP } from './helpers.js';

const SYN = 0x02, ACK = 0x10;
const seg = (flags: number, sport: number, src = CLIENT) => buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src, dst: VIP, sport, dport: 80, flags });
/** Last octet of the real server a forwarded NAT frame went to. */
const rsOf = (frame: Uint8Array): number => frame[33];

describe('engine behaviour', () => {
  it('quiesced server (weight 0): its connections continue, new ones avoid it', () => {
    const servers = [{ addr: '198.19.0.11' }, { addr: '198.19.0.12' }];
    const e = engine(table([service(servers)]));
    const first = rsOf(run(e, seg(SYN, 1000), 0).frame);
    const quiesced = servers.map((s) => (s.addr.endsWith(`.${first}`) ? { ...s, weight: 0 } : s));
    e.apply(table([service(quiesced)]));
    const cont = run(e, seg(ACK, 1000), 0);
    expect(cont.verdict).toBe(VERDICT_TX);
    expect(rsOf(cont.frame)).toBe(first);
    for (let p = 2000; p < 2006; p++) expect(rsOf(run(e, seg(SYN, p), 0).frame)).not.toBe(first);
  });

  it('a table full of established connections drops new connections, counted, and serves existing ones', () => {
    const e = engine(table([service([{ addr: '198.19.0.11' }])]), { connCapacity: 2 });
    // Established: a half-open entry would make way (test/engine/defense.test.ts).
    for (const p of [1, 2]) {
      expect(run(e, seg(SYN, p), 0).verdict).toBe(VERDICT_TX);
      expect(run(e, seg(ACK, p), 0).verdict).toBe(VERDICT_TX);
    }
    const third = run(e, seg(SYN, 3), 0);
    expect(third.verdict).toBe(VERDICT_DROP);
    expect(dropName(third.reason)).toBe('conn_table_full');
    expect(run(e, seg(ACK, 1), 0).verdict).toBe(VERDICT_TX);
    expect(e.counters.snapshot().drop_conn_table_full).toBe(1);
  });

  it('malformed frames are dropped with their own counter, never thrown', () => {
    const e = engine(table([service([{ addr: '198.19.0.11' }])]));
    const good = seg(SYN, 9);
    expect(dropName(run(e, good.subarray(0, 10), 0).reason)).toBe('malformed_truncated_ethernet');
    const badVersion = good.slice();
    badVersion[14] = 0x65;
    expect(dropName(run(e, badVersion, 0).reason)).toBe('malformed_bad_ip_version');
    expect(dropName(run(e, good.subarray(0, 40), 0).reason)).toBe('malformed_bad_ip_total_length');
    for (let n = 0; n < 300; n++) {
      const junk = good.slice(0, (n * 7) % good.length);
      for (let k = 14; k < junk.length; k += 3) junk[k] ^= n;
      expect(() => run(e, junk, 0)).not.toThrow();
    }
    expect(e.counters.snapshot()).toMatchObject({ drop_malformed_truncated_ethernet: expect.any(Number) });
  });

  it('fragments to a VIP follow their flow (frags.test.ts): a first fragment opens the connection', () => {
    const e = engine(table([service([{ addr: '198.19.0.11' }])]));
    const frag = buildTcp({ dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 5, dport: 80, flags: SYN, fragment: { offset: 0, more: true }, payload: new Uint8Array(4) });
    const out = run(e, frag, 0);
    expect([out.verdict, out.ifOut]).toEqual([VERDICT_TX, 1]);
    expect(e.frags.live).toBe(1);
  });

  it('persistence: clients of one /24 share a server; another net may go elsewhere', () => {
    const e = engine(table([service([{ addr: '198.19.0.11' }, { addr: '198.19.0.12' }], { persistence: 300, persistMask: 0xffffff00 })]));
    const a = rsOf(run(e, seg(SYN, 1, ip('198.18.5.1')), 0).frame);
    const b = rsOf(run(e, seg(SYN, 2, ip('198.18.5.2')), 0).frame);
    const c = rsOf(run(e, seg(SYN, 3, ip('198.18.6.1')), 0).frame);
    const a2 = rsOf(run(e, seg(SYN, 4, ip('198.18.5.200')), 0).frame);
    expect(b).toBe(a);
    expect(a2).toBe(a);
    expect(c).not.toBe(a);
    // The template outlives its connections by the persistence timeout.
    const t = e.conns.lookupTemplate(6, ip('198.18.5.0'), VIP, 80);
    expect(t).toBeGreaterThan(0);
    expect(e.conns.nControl[t]).toBe(3);
  });

  it('a reload that adds a server keeps running connections on their servers', () => {
    const one = [{ addr: '198.19.0.11' }];
    const e = engine(table([service(one)]));
    for (let p = 1; p <= 3; p++) run(e, seg(SYN, p), 0);
    const t2 = table([service([...one, { addr: '198.19.0.12' }])]);
    e.apply(t2);
    addNeighbours(e, t2);
    for (let p = 1; p <= 3; p++) expect(rsOf(run(e, seg(ACK, p), 0).frame)).toBe(11);
    expect(rsOf(run(e, seg(SYN, 9), 0).frame)).toBe(12);
  });

  it('wlc picks the least overhead/weight, ties to the first in IPVS list order (newest first)', () => {
    const e = engine(table([service([{ addr: '198.19.0.11' }, { addr: '198.19.0.12' }, { addr: '198.19.0.13', weight: 2 }], { scheduler: 'wlc' })]));
    // List order is .13, .12, .11. New conns are inactive (overhead 1 each):
    // .13 (0) -> .12 (0 beats 1/2) -> .11 (0) -> .13 (1/2 beats 1/1).
    const picks = [1, 2, 3, 4].map((p) => rsOf(run(e, seg(SYN, p), 0).frame));
    expect(picks).toEqual([13, 12, 11, 13]);
  });

  it('a half-open connection expires after the SYN_RECV timeout (60 s); later segments find nothing', () => {
    const e = engine(table([service([{ addr: '198.19.0.11' }])]));
    run(e, seg(SYN, 77), 0, 1000);
    expect(run(e, seg(ACK, 77), 0, 1000 + 59_000).verdict).toBe(VERDICT_TX); // ACK: SYN_RECV -> ESTABLISHED (900 s)
    run(e, seg(0x04, 77), 0, 70_000); // RST: -> CLOSE, 10 s
    expect(e.conns.count).toBe(1);
    const late = run(e, seg(ACK, 77), 0, 70_000 + 10_500);
    expect(late.frame[14 + 20 + 13]).toBe(0x04); // answered with a reset (replies.test.ts)
    expect(e.counters.snapshot().drop_tcp_no_connection).toBe(1);
    expect(e.conns.count).toBe(0);
    expect(e.services.dests.inactive[1] + e.services.dests.active[1]).toBe(0);
  });
});
