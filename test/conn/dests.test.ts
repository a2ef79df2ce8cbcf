// Dest counters and the -x/-y overload rules of ip_vs_bind_dest / ip_vs_unbind_dest.
import { describe, expect, it } from 'vitest';
import { CONN_F_INACTIVE, CONN_F_TEMPLATE, DEST_F_AVAILABLE, DEST_F_OVERLOAD, Dests } from '../../src/conn/index.js';

const over = (d: Dests, id: number): boolean => (d.flags[id] & DEST_F_OVERLOAD) !== 0;

describe('Dests counters', () => {
  it('bind counts templates in persist, INACTIVE conns in inactive, others in active', () => {
    const d = new Dests(4);
    d.bind(1, CONN_F_TEMPLATE | CONN_F_INACTIVE);
    d.bind(1, CONN_F_INACTIVE);
    d.bind(1, 0);
    expect([d.persist[1], d.inactive[1], d.active[1]]).toEqual([1, 1, 1]);
    d.toActive(1);
    expect([d.active[1], d.inactive[1]]).toEqual([2, 0]);
    d.toInactive(1);
    d.unbind(1, CONN_F_TEMPLATE);
    d.unbind(1, CONN_F_INACTIVE);
    d.unbind(1, 0);
    expect([d.persist[1], d.inactive[1], d.active[1]]).toEqual([0, 0, 0]);
    expect([d.active[2], d.inactive[2], d.persist[2]]).toEqual([0, 0, 0]);
  });

  it('clear() resets a dest id for reuse', () => {
    const d = new Dests(4);
    d.weight[3] = 5;
    d.flags[3] = DEST_F_AVAILABLE;
    d.bind(3, 0);
    d.clear(3);
    expect([d.weight[3], d.flags[3], d.active[3]]).toEqual([0, 0, 0]);
  });
});

describe('overload thresholds', () => {
  it('upper only: set at total >= upper, cleared only when total*4 < upper*3 (hysteresis)', () => {
    const d = new Dests(4);
    d.upper[1] = 4;
    for (let i = 0; i < 3; i++) d.bind(1, CONN_F_INACTIVE);
    expect(over(d, 1)).toBe(false);
    d.bind(1, 0); // total 4
    expect(over(d, 1)).toBe(true);
    d.unbind(1, 0); // 3*4 = 12, not < 12
    expect(over(d, 1)).toBe(true);
    d.unbind(1, CONN_F_INACTIVE); // 2*4 = 8 < 12
    expect(over(d, 1)).toBe(false);
  });

  it('templates do not count towards the thresholds', () => {
    const d = new Dests(4);
    d.upper[1] = 1;
    d.bind(1, CONN_F_TEMPLATE);
    expect(over(d, 1)).toBe(false);
    d.bind(1, CONN_F_INACTIVE);
    expect(over(d, 1)).toBe(true);
  });

  it('with a lower threshold: cleared when total < lower', () => {
    const d = new Dests(4);
    d.upper[1] = 4;
    d.lower[1] = 2;
    for (let i = 0; i < 4; i++) d.bind(1, 0);
    expect(over(d, 1)).toBe(true);
    d.unbind(1, 0); // 3
    d.unbind(1, 0); // 2, not < 2
    expect(over(d, 1)).toBe(true);
    d.unbind(1, 0); // 1 < 2
    expect(over(d, 1)).toBe(false);
  });

  it('no thresholds: any unbind clears a stale OVERLOAD', () => {
    const d = new Dests(4);
    d.bind(1, 0);
    d.bind(1, 0);
    d.flags[1] |= DEST_F_OVERLOAD | DEST_F_AVAILABLE;
    d.unbind(1, 0);
    expect(over(d, 1)).toBe(false);
    expect(d.flags[1] & DEST_F_AVAILABLE).toBe(DEST_F_AVAILABLE);
  });
});
