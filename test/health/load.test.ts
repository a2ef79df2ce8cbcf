import { describe, expect, it } from 'vitest';
import { loadCommand, loadWeight, parseLoad } from '../../src/health/load.js';
import { ServerHealth } from '../../src/health/state.js';
import { NANNY, server } from './helpers.js';

describe("nanny's load monitor", () => {
  it("reads the one-minute load from uptime's, rup's and ruptime's output", () => {
    expect(parseLoad(' 10:01:02 up 3 days,  2:03,  2 users,  load average: 0.52, 0.31, 0.20\n')).toBe(0.52);
    expect(parseLoad('rs1    up  3 days,  2:03,     load average: 1.75, 0.31, 0.20\n')).toBe(1.75);
    expect(parseLoad('rs1          up  3+02:03,     2 users,  load 0.08, 0.03, 0.01\n')).toBe(0.08);
    expect(parseLoad('rup: RPC: Program not registered\n')).toBeNull();
  });

  it('runs uptime over the remote shell, rup and ruptime with the host', () => {
    expect(loadCommand('uptime', '198.19.0.11', 'ssh')).toBe('ssh 198.19.0.11 uptime');
    expect(loadCommand('rup', '198.19.0.11', 'rsh')).toBe('rup 198.19.0.11');
    expect(loadCommand('ruptime', '198.19.0.11', 'rsh')).toBe('ruptime 198.19.0.11');
  });

  it("adjustWeight: light load raises the weight by weight/2 * cbrt(1 - load) up to 10x, heavy load lowers it down to the weight; small moves are skipped", () => {
    // weight 8, idle: 8 + 4 * 1 = 12
    expect(loadWeight(8, 8, 0)).toBe(12);
    // at the cap of 10 x 8
    expect(loadWeight(78, 8, 0)).toBe(80);
    expect(loadWeight(80, 8, 0)).toBeNull();
    // load 9: 40 - 4 * cbrt(8) = 32
    expect(loadWeight(40, 8, 9)).toBe(32);
    // never below the configured weight
    expect(loadWeight(9, 8, 9)).toBeNull(); // 9 - 8 -> floored at 8: a move of 1 < 8/4
    expect(loadWeight(12, 8, 9)).toBe(8);
    // load 0.99: 4 * cbrt(0.01) = 0.86 < 8/4: no change
    expect(loadWeight(8, 8, 0.99)).toBeNull();
  });

  it('moves a server\'s running weight only once its slow start is over', () => {
    const h = new ServerHealth(server(1, { checks: [NANNY], weight: 8, reentry: 10, t: { interval: 10 } }), 0);
    expect(h.applyLoad(0)).toBe(true);
    expect(h.verdict()).toEqual({ up: true, weight: 12 });
    h.record({ ok: false, detail: 'refused' }, 1);
    h.record({ ok: true, detail: 'ok' }, 10_000);
    expect(h.weight).toBe(1); // slow start from 8 >> 5 = 0 -> 1
    expect(h.applyLoad(0)).toBe(false);
  });
});
