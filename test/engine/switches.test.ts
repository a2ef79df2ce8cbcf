// The IPVS sysctls tsvs honours: conn_reuse_mode, expire_nodest_conn,
// expire_quiescent_template, and one-packet scheduling for UDP.
import { describe, expect, it } from 'vitest';
import { VERDICT_TX } from '../../src/frames/batch.js';
import { dropName } from '../../src/engine/counters.js';
import { buildTcp, buildUdp } from '../../src/packet/build.js';
import { CLIENT, CLIENT_MAC, ETH0_MAC, addNeighbours, engine, ip, run, service, table, VIP } from './helpers.js';

const SYN = 0x02, ACK = 0x10, FIN = 0x01, RST = 0x04;
const seg = (flags: number, sport = 1000, src = CLIENT) => buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src, dst: VIP, sport, dport: 80, flags });
const rsOf = (f: Uint8Array) => f[33];
const TWO = [{ addr: '198.19.0.11' }, { addr: '198.19.0.12' }];

describe('conn_reuse_mode', () => {
  it('1 (default): a SYN reusing the port of a closed connection is scheduled afresh', () => {
    const e = engine(table([service(TWO)]));
    const first = rsOf(run(e, seg(SYN), 0).frame);
    run(e, seg(ACK), 0); // -> ESTABLISHED
    run(e, seg(RST), 0); // -> CLOSE (a RST in SYN_RECV would stay there: the kernel's table)
    const again = run(e, seg(SYN), 0);
    expect(again.verdict).toBe(VERDICT_TX);
    expect(rsOf(again.frame)).not.toBe(first);
    expect(e.services.destConns[1] + e.services.destConns[2]).toBe(2);
  });

  it('0: the reused port goes to the same server through the old connection', () => {
    const e = engine(table([service(TWO)], {}, { connReuseMode: 0 }));
    const first = rsOf(run(e, seg(SYN), 0).frame);
    run(e, seg(ACK), 0);
    run(e, seg(RST), 0);
    expect(rsOf(run(e, seg(SYN), 0).frame)).toBe(first);
    expect(e.counters.connsCreated).toBe(1);
  });

  it('an established connection is not rescheduled by a stray SYN', () => {
    const e = engine(table([service(TWO)]));
    const first = rsOf(run(e, seg(SYN), 0).frame);
    run(e, seg(ACK), 0);
    expect(rsOf(run(e, seg(SYN), 0).frame)).toBe(first);
  });
});

describe('expire_nodest_conn', () => {
  const removeFirst = (connReuseMode = 1, expireNodestConn = false) => {
    const e = engine(table([service(TWO)], {}, { connReuseMode, expireNodestConn }));
    const first = rsOf(run(e, seg(SYN), 0).frame);
    run(e, seg(ACK), 0);
    const left = TWO.filter((s) => !s.addr.endsWith(`.${first}`));
    const t = table([service(left)], {}, { connReuseMode, expireNodestConn });
    e.apply(t);
    addNeighbours(e, t);
    return { e, first };
  };

  it('0 (default): packets of a connection whose server was removed are dropped, silently kept until timeout', () => {
    const { e } = removeFirst();
    const out = run(e, seg(ACK), 0);
    expect(dropName(out.reason)).toBe('real_server_removed');
    expect(e.conns.count).toBe(1);
  });

  it('1: the connection is expired at its next packet; a new SYN from the same port goes to a live server', () => {
    const { e, first } = removeFirst(1, true);
    expect(run(e, seg(ACK), 0).frame[14 + 20 + 13]).toBe(0x04); // no connection: reset (replies.test.ts)
    expect(e.counters.snapshot().drop_tcp_no_connection).toBe(1);
    expect(e.conns.count).toBe(0);
    expect(rsOf(run(e, seg(SYN), 0).frame)).not.toBe(first);
  });
});

describe('expire_quiescent_template', () => {
  const persistent = (expireQuiescentTemplate: boolean) => {
    const svc = (w1: number) => service([{ addr: '198.19.0.11', weight: w1 }, { addr: '198.19.0.12' }], { persistence: 300, persistMask: 0xffffff00 });
    const e = engine(table([svc(1)], {}, { expireQuiescentTemplate }));
    // Send the first client where .11 is chosen (rr: list head is .12, so take the second pick).
    run(e, seg(SYN, 1, ip('198.18.7.1')), 0);
    const b = rsOf(run(e, seg(SYN, 2, ip('198.18.9.1')), 0).frame);
    expect(b).toBe(11);
    e.apply(table([svc(0)], {}, { expireQuiescentTemplate }));
    return rsOf(run(e, seg(SYN, 3, ip('198.18.9.2')), 0).frame);
  };

  it('0 (default): persistent clients of a quiesced server stay with it', () => {
    expect(persistent(false)).toBe(11);
  });

  it('1: their template is expired and they move to a server taking new connections', () => {
    expect(persistent(true)).toBe(12);
  });
});

describe('one-packet scheduling (ops)', () => {
  it('schedules every UDP datagram on its own and keeps no connection', () => {
    const e = engine(table([service(TWO, { protocol: 'udp', port: 53, onePacket: true })]));
    const dgram = () => buildUdp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 5000, dport: 53, payload: new Uint8Array(4) });
    const picks = [1, 2, 3, 4].map(() => rsOf(run(e, dgram(), 0).frame));
    expect(picks).toEqual([12, 11, 12, 11]);
    expect(e.conns.count).toBe(0);
    expect(e.services.dests.inactive[1] + e.services.dests.inactive[2]).toBe(0);
  });
});

describe('sloppy_tcp', () => {
  it('0 (default): a mid-stream ACK of no connection is reset, not scheduled', () => {
    const e = engine(table([service(TWO)]));
    expect(run(e, seg(ACK, 2000), 0).frame[14 + 20 + 13]).toBe(RST);
    expect(e.conns.count).toBe(0);
  });

  it('1: the ACK opens a connection and is forwarded; a RST still opens none', () => {
    const e = engine(table([service(TWO)], {}, { sloppyTcp: true }));
    const out = run(e, seg(ACK, 2000), 0);
    expect(out.verdict).toBe(VERDICT_TX);
    expect([11, 12]).toContain(rsOf(out.frame));
    expect(e.conns.count).toBe(1);
    // tcp_states[] INPUT: NONE + ACK -> CLOSE (10 s, refreshed by each packet), so it counts as inactive.
    expect(Array.from(e.services.dests.inactive).reduce((a, b) => a + b, 0)).toBe(1);
    expect(dropName(run(e, seg(RST, 2001), 0).reason)).toBe('tcp_no_connection');
    expect(e.conns.count).toBe(1);
  });
});
