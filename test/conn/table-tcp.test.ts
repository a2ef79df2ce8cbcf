// Whole TCP conversations through the table: states, ActiveConn/InActConn, timeouts.
import { describe, expect, it } from 'vitest';
import { CONN_F_INACTIVE, CONN_F_NAT, CONN_F_NOOUTPUT, CONN_F_SYNC, TCP_STATE_NAMES } from '../../src/conn/index.js';
import { T0, TCP, fixture, ip } from './helpers.js';

const SYN = 0x02, ACK = 0x10, FIN = 0x01, RST = 0x04, PSH = 0x08;
const IN = 0, OUT = 1;
const C = ip('10.1.2.3'), V = ip('192.168.0.10'), R = ip('172.16.0.5');

function run(noOutput: boolean, steps: [number, number, string, number, number, number][]) {
  const { t, dests } = fixture();
  const s = t.add(TCP, C, 40000, V, 80, R, 80, 3, (noOutput ? CONN_F_NOOUTPUT : CONN_F_NAT), 0, T0);
  expect(TCP_STATE_NAMES[t.stateOf(s)]).toBe('NONE');
  expect([dests.active[3], dests.inactive[3]]).toEqual([0, 1]); // every new conn starts inactive
  let now = T0;
  for (const [dir, flags, want, active, inactive, timeoutS] of steps) {
    now += 100;
    t.tcpTransition(s, dir, flags, now);
    expect(TCP_STATE_NAMES[t.stateOf(s)]).toBe(want);
    expect([dests.active[3], dests.inactive[3]]).toEqual([active, inactive]);
    expect(Math.floor(t.remaining(s, now) / 1000)).toBe(timeoutS); // remaining is timeout + < 1 tick
  }
  return { t, s, dests, now };
}

describe('NAT conversation', () => {
  it('handshake to ESTABLISHED, client close to TIME_WAIT, then expiry', () => {
    const { t, dests, now } = run(false, [
      [IN, SYN, 'SYN_RECV', 0, 1, 60],
      [OUT, SYN | ACK, 'SYN_RECV', 0, 1, 60],
      [IN, ACK, 'ESTABLISHED', 1, 0, 900],
      [IN, ACK | PSH, 'ESTABLISHED', 1, 0, 900],
      [OUT, ACK, 'ESTABLISHED', 1, 0, 900],
      [IN, FIN | ACK, 'CLOSE_WAIT', 0, 1, 60],
      [OUT, ACK, 'CLOSE_WAIT', 0, 1, 60],
      [OUT, FIN | ACK, 'TIME_WAIT', 0, 1, 120],
      [IN, ACK, 'TIME_WAIT', 0, 1, 120],
    ]);
    t.expire(now + 119_000);
    expect(t.count).toBe(1);
    t.expire(now + 120_064);
    expect(t.count).toBe(0);
    expect([dests.active[3], dests.inactive[3]]).toEqual([0, 0]);
  });

  it('server closes first: FIN_WAIT, then LAST_ACK is reached by the client FIN', () => {
    run(false, [
      [IN, SYN, 'SYN_RECV', 0, 1, 60],
      [OUT, SYN | ACK, 'SYN_RECV', 0, 1, 60],
      [IN, ACK, 'ESTABLISHED', 1, 0, 900],
      [OUT, FIN | ACK, 'FIN_WAIT', 0, 1, 120],
      [IN, ACK, 'FIN_WAIT', 0, 1, 120],
      [IN, FIN | ACK, 'TIME_WAIT', 0, 1, 120],
    ]);
  });

  it('RST from the server closes an established conn; a new SYN on it starts over', () => {
    run(false, [
      [IN, SYN, 'SYN_RECV', 0, 1, 60],
      [IN, ACK, 'ESTABLISHED', 1, 0, 900],
      [OUT, RST | ACK, 'CLOSE', 0, 1, 10],
      [IN, SYN, 'SYN_RECV', 0, 1, 60],
      [IN, ACK, 'ESTABLISHED', 1, 0, 900],
    ]);
  });
});

describe('DR conversation (NOOUTPUT, INPUT_ONLY table)', () => {
  it('only client packets: SYN, ACK -> ESTABLISHED, FIN -> FIN_WAIT (not CLOSE_WAIT)', () => {
    const { t, s } = run(true, [
      [IN, SYN, 'SYN_RECV', 0, 1, 60],
      [IN, ACK, 'ESTABLISHED', 1, 0, 900],
      [IN, ACK | PSH, 'ESTABLISHED', 1, 0, 900],
      [IN, FIN | ACK, 'FIN_WAIT', 0, 1, 120],
      [IN, ACK, 'FIN_WAIT', 0, 1, 120],
    ]);
    expect(t.flagsOf(s) & CONN_F_NOOUTPUT).toBe(CONN_F_NOOUTPUT);
  });

  it('INPUT_ONLY rst from SYNACK goes to CLOSE where INPUT says SYN_RECV', () => {
    const a = fixture();
    const dr = a.t.add(TCP, C, 1, V, 80, R, 80, 1, CONN_F_NOOUTPUT, 0, T0);
    const nat = a.t.add(TCP, C, 2, V, 80, R, 80, 1, CONN_F_NAT, 0, T0);
    a.t.setState(dr, 10); // SYNACK
    a.t.setState(nat, 10);
    a.t.tcpTransition(dr, IN, RST, T0);
    a.t.tcpTransition(nat, IN, RST, T0);
    expect(TCP_STATE_NAMES[a.t.stateOf(dr)]).toBe('CLOSE');
    expect(TCP_STATE_NAMES[a.t.stateOf(nat)]).toBe('SYN_RECV');
  });
});

describe('counters', () => {
  it('a conn with no dest moves states without touching any counter', () => {
    const { t, dests } = fixture();
    const s = t.add(TCP, C, 1, V, 80, R, 80, 0, 0, 0, T0);
    t.tcpTransition(s, IN, SYN, T0);
    t.tcpTransition(s, IN, ACK, T0);
    expect(TCP_STATE_NAMES[t.stateOf(s)]).toBe('ESTABLISHED');
    expect(t.flagsOf(s) & CONN_F_INACTIVE).toBe(CONN_F_INACTIVE);
    for (let d = 0; d < dests.capacity; d++) expect(dests.active[d] + dests.inactive[d]).toBe(0);
  });

  it('a synced conn keeps its activity flag (ip_vs_bind_dest with IP_VS_CONN_F_SYNC)', () => {
    const { t, dests } = fixture();
    const s = t.add(TCP, C, 1, V, 80, R, 80, 2, CONN_F_SYNC, 0, T0);
    expect([dests.active[2], dests.inactive[2]]).toEqual([1, 0]);
    t.setState(s, 1);
    t.tcpTransition(s, IN, FIN, T0);
    expect([dests.active[2], dests.inactive[2]]).toEqual([0, 1]);
    t.expireNow(s);
    expect([dests.active[2], dests.inactive[2]]).toEqual([0, 0]);
  });

  it('overload follows conns: set on add at the threshold, cleared as they expire', () => {
    const { t, dests } = fixture();
    dests.upper[4] = 4;
    const slots = [1, 2, 3, 4].map((p) => t.add(TCP, C, p, V, 80, R, 80, 4, 0, 0, T0));
    expect(dests.flags[4] & 2).toBe(2);
    t.expireNow(slots[0]);
    expect(dests.flags[4] & 2).toBe(2); // 3*4 = 12 is not < 12
    t.expireNow(slots[1]);
    expect(dests.flags[4] & 2).toBe(0);
  });
});
