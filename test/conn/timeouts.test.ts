// ipvsadm --set / -L --timeout over the per-state timeout table.
import { describe, expect, it } from 'vitest';
import { TCP_S_CLOSE, TCP_S_ESTABLISHED, TCP_S_FIN_WAIT, TCP_S_SYN_RECV, TCP_S_TIME_WAIT, Timeouts } from '../../src/conn/index.js';

describe('Timeouts', () => {
  it('defaults: "Timeout (tcp tcpfin udp): 900 120 300"', () => {
    const t = new Timeouts();
    expect(t.get()).toEqual({ tcp: 900, tcpfin: 120, udp: 300 });
    expect(t.tcp(TCP_S_SYN_RECV)).toBe(60_000);
    expect(t.tcp(TCP_S_CLOSE)).toBe(10_000);
    expect(t.udp()).toBe(300_000);
  });

  it('set writes ESTABLISHED, FIN_WAIT and UDP only; 0 keeps the current value', () => {
    const t = new Timeouts();
    t.set(3600, 0, 10);
    expect(t.get()).toEqual({ tcp: 3600, tcpfin: 120, udp: 10 });
    t.set(0, 30, 0);
    expect(t.get()).toEqual({ tcp: 3600, tcpfin: 30, udp: 10 });
    expect(t.tcp(TCP_S_ESTABLISHED)).toBe(3_600_000);
    expect(t.tcp(TCP_S_FIN_WAIT)).toBe(30_000);
    expect(t.tcp(TCP_S_TIME_WAIT)).toBe(120_000); // tcpfin is FIN_WAIT only
  });

  it('rejects bad values and then changes nothing', () => {
    const t = new Timeouts();
    expect(() => t.set(100, -1, 5)).toThrow(RangeError);
    expect(() => t.set(1.5, 0, 0)).toThrow(RangeError);
    expect(() => t.set(0, 0, 5_000_000)).toThrow(RangeError);
    expect(t.get()).toEqual({ tcp: 900, tcpfin: 120, udp: 300 });
  });
});

describe('secure_tcp timeouts', () => {
  it("are Linux 2.4's vs_timeout_table_dos where shorter, the normal ones elsewhere", () => {
    const t = new Timeouts();
    expect(Array.from(t.tcpMsSecure).map((ms) => ms / 1000)).toEqual([2, 900, 60, 10, 60, 60, 10, 60, 30, 120, 100]);
    t.set(30, 20, 0);
    expect([t.tcpMsSecure[1], t.tcpMsSecure[4]]).toEqual([30_000, 20_000]);
  });
});
