// The TCP state machine cell by cell, against a transcription of tcp_states[] made
// here independently of src/ (state names as text, parsed below), and driven through
// ConnTable.tcpTransition so the counters and timeouts of every cell are checked too.
import { describe, expect, it } from 'vitest';
import {
  CONN_F_INACTIVE, CONN_F_NOOUTPUT, TCP_STATES, TCP_STATE_NAMES, TCP_S_CLOSE, TCP_S_ESTABLISHED, stateName,
  tcpEvent, tcpNextState,
} from '../../src/conn/index.js';
import { TCP_STATES_DOS, TCP_S_SYNACK, TCP_S_SYN_RECV } from '../../src/conn/tcp-states.js';
import { T0, TCP, fixture, ip } from './helpers.js';

// ip_vs_proto_tcp.c, tcp_states[], rows syn/fin/ack/rst; columns sNO..sSA.
const KERNEL_TABLE = {
  INPUT: [
    'sSR sES sES sSR sSR sSR sSR sSR sSR sSR sSR',
    'sCL sCW sSS sTW sTW sTW sCL sCW sLA sLI sTW',
    'sCL sES sSS sES sFW sTW sCL sCW sCL sLI sES',
    'sCL sCL sCL sSR sCL sCL sCL sCL sLA sLI sSR',
  ],
  OUTPUT: [
    'sSS sES sSS sSR sSS sSS sSS sSS sSS sLI sSR',
    'sTW sFW sSS sTW sFW sTW sCL sTW sLA sLI sTW',
    'sES sES sSS sES sFW sTW sCL sCW sLA sES sES',
    'sCL sCL sSS sCL sCL sTW sCL sCL sCL sCL sCL',
  ],
  INPUT_ONLY: [
    'sSR sES sES sSR sSR sSR sSR sSR sSR sSR sSR',
    'sCL sFW sSS sTW sFW sTW sCL sCW sLA sLI sTW',
    'sCL sES sSS sES sFW sTW sCL sCW sCL sLI sES',
    'sCL sCL sCL sSR sCL sCL sCL sCL sLA sLI sCL',
  ],
};
const SHORT = ['sNO', 'sES', 'sSS', 'sSR', 'sFW', 'sTW', 'sCL', 'sCW', 'sLA', 'sLI', 'sSA'];
const NAMES = ['NONE', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'SYNACK'];
// tcp_timeouts[] in seconds, by state.
const TIMEOUT_S = [2, 900, 120, 60, 120, 120, 10, 60, 30, 120, 120];
// Flags that pick each event; the extra ACKs check that the event wins over ACK.
const EVENTS = [
  { name: 'syn', flags: 0x02 },
  { name: 'fin', flags: 0x11 },
  { name: 'ack', flags: 0x10 },
  { name: 'rst', flags: 0x14 },
];
const DIRS = [
  { name: 'INPUT', dir: 0, noOutput: false },
  { name: 'OUTPUT', dir: 1, noOutput: false },
  { name: 'INPUT_ONLY', dir: 0, noOutput: true },
] as const;

const cells: [string, string, string, number, number, number, boolean, number][] = [];
DIRS.forEach((d, di) => {
  EVENTS.forEach((e, ei) => {
    const row = KERNEL_TABLE[d.name][ei].split(' ');
    for (let st = 0; st < 11; st++) {
      cells.push([d.name, e.name, SHORT[st], di, e.flags, st, d.noOutput, SHORT.indexOf(row[st])]);
    }
  });
});

describe('TCP state table, cell by cell', () => {
  it('has 132 cells', () => expect(cells.length).toBe(132));

  it.each(cells)('%s %s from %s', (_d, _e, _s, di, flags, st, noOutput, want) => {
    expect(TCP_STATES[di][tcpEvent(flags)][st]).toBe(want);

    const { t, dests } = fixture();
    const s = t.add(TCP, ip('10.0.0.1'), 1000, ip('192.168.0.1'), 80, ip('172.16.0.1'), 80, 1, noOutput ? CONN_F_NOOUTPUT : 0, 0, T0);
    t.setState(s, st);
    if (st === TCP_S_ESTABLISHED) { // make the fixture consistent: ESTABLISHED conns are active
      t.setFlags(s, t.flagsOf(s) & ~CONN_F_INACTIVE);
      dests.toActive(1);
    }
    t.tcpTransition(s, DIRS[di].dir, flags, T0 + 1000);
    expect(t.stateOf(s)).toBe(want);
    const active = want === TCP_S_ESTABLISHED ? 1 : 0;
    expect([dests.active[1], dests.inactive[1]]).toEqual([active, 1 - active]);
    expect((t.flagsOf(s) & CONN_F_INACTIVE) !== 0).toBe(active === 0);
    const rem = t.remaining(s, T0 + 1000);
    expect(rem).toBeGreaterThanOrEqual(TIMEOUT_S[want] * 1000);
    expect(rem).toBeLessThan(TIMEOUT_S[want] * 1000 + 64);
  });
});

describe('event choice (tcp_state_idx)', () => {
  it('RST beats SYN beats FIN beats ACK', () => {
    expect(tcpEvent(0x02 | 0x04 | 0x01 | 0x10)).toBe(3);
    expect(tcpEvent(0x02 | 0x01 | 0x10)).toBe(0);
    expect(tcpEvent(0x01 | 0x10)).toBe(1);
    expect(tcpEvent(0x10)).toBe(2);
    expect(tcpEvent(0x10 | 0x08)).toBe(2); // PSH does not matter
    expect(tcpEvent(0x08 | 0x20)).toBe(-1); // PSH+URG only
    expect(tcpEvent(0)).toBe(-1);
  });

  it('a packet with none of RST/SYN/FIN/ACK sends the conn to CLOSE (new_state starts as CLOSE)', () => {
    expect(tcpNextState(0, -1, TCP_S_ESTABLISHED)).toBe(TCP_S_CLOSE);
    const { t, dests } = fixture();
    const s = t.add(TCP, ip('10.0.0.1'), 1000, ip('192.168.0.1'), 80, ip('172.16.0.1'), 80, 1, 0, 0, T0);
    t.tcpTransition(s, 0, 0x02, T0);
    t.tcpTransition(s, 0, 0x10, T0);
    expect(t.stateOf(s)).toBe(TCP_S_ESTABLISHED);
    t.tcpTransition(s, 0, 0x08, T0); // PSH alone
    expect(t.stateOf(s)).toBe(TCP_S_CLOSE);
    expect([dests.active[1], dests.inactive[1]]).toEqual([0, 1]);
  });
});

describe('NOOUTPUT (DR/tunnel)', () => {
  it('input packets use INPUT_ONLY while no output was seen; an output packet clears the flag for good', () => {
    const { t } = fixture();
    const s = t.add(TCP, ip('10.0.0.1'), 1000, ip('192.168.0.1'), 80, ip('172.16.0.1'), 80, 1, CONN_F_NOOUTPUT, 0, T0);
    t.setState(s, TCP_S_ESTABLISHED);
    t.tcpTransition(s, 0, 0x11, T0); // INPUT_ONLY fin from ES -> FIN_WAIT (INPUT would say CLOSE_WAIT)
    expect(TCP_STATE_NAMES[t.stateOf(s)]).toBe('FIN_WAIT');
    expect(t.flagsOf(s) & CONN_F_NOOUTPUT).toBe(CONN_F_NOOUTPUT);

    const s2 = t.add(TCP, ip('10.0.0.2'), 1000, ip('192.168.0.1'), 80, ip('172.16.0.1'), 80, 1, CONN_F_NOOUTPUT, 0, T0);
    t.tcpTransition(s2, 1, 0x12, T0); // an output SYN-ACK: OUTPUT table, flag cleared
    expect(t.flagsOf(s2) & CONN_F_NOOUTPUT).toBe(0);
    expect(TCP_STATE_NAMES[t.stateOf(s2)]).toBe('SYN_SENT');
    t.tcpTransition(s2, 0, 0x10, T0); // ack sSS in INPUT -> sSS
    t.setState(s2, TCP_S_ESTABLISHED);
    t.tcpTransition(s2, 0, 0x11, T0); // now INPUT: fin from ES -> CLOSE_WAIT
    expect(TCP_STATE_NAMES[t.stateOf(s2)]).toBe('CLOSE_WAIT');
  });
});

describe('names', () => {
  it('match ipvsadm -L -c', () => {
    expect(TCP_STATE_NAMES).toEqual(NAMES);
    expect(stateName(6, 3, false)).toBe('SYN_RECV');
    expect(stateName(17, 0, false)).toBe('UDP');
    expect(stateName(6, 0, true)).toBe('NONE');
    expect(stateName(0, 0, false)).toBe('NONE');
    expect(stateName(6, 42, false)).toBe('ERR!');
  });
});

describe('tcp_states_dos (secure_tcp)', () => {
  it('differs from the normal table only where a spoofed handshake would complete or a DR conn starts', () => {
    const diffs: string[] = [];
    for (let d = 0; d < 3; d++) {
      for (let ev = 0; ev < 4; ev++) {
        for (let st = 0; st < 11; st++) {
          if (TCP_STATES[d][ev][st] !== TCP_STATES_DOS[d][ev][st]) diffs.push(`${d}.${ev}.${st}:${TCP_STATES_DOS[d][ev][st]}`);
        }
      }
    }
    // dir.event.state:next, from tcp_states_dos[] of ip_vs_proto_tcp.c read against tcp_states[].
    // INPUT ack in SYN_RECV stays SYN_RECV (normal: ESTABLISHED).
    expect(TCP_STATES[0][2][TCP_S_SYN_RECV]).toBe(TCP_S_ESTABLISHED);
    expect(TCP_STATES_DOS[0][2][TCP_S_SYN_RECV]).toBe(TCP_S_SYN_RECV);
    // DR's first SYN goes to SYNACK.
    expect(TCP_STATES_DOS[2][0][0]).toBe(TCP_S_SYNACK);
    expect(diffs).toEqual([
      '0.0.10:10', '0.1.10:10', '0.2.3:3', '0.2.10:10', '0.3.10:6',
      '1.0.3:10', '1.0.10:10',
      '2.0.0:10', '2.0.4:10', '2.0.5:10', '2.0.6:10', '2.0.7:10', '2.0.8:10', '2.0.9:10', '2.0.10:10',
    ]);
  });
});
