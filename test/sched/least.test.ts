// lc, wlc, sed, nq: hand-worked choices, tie-breaks in list order, and the
// kernel's integer cross-multiplication.
import { describe, expect, it } from 'vitest';
import { createScheduler } from '../../src/sched/registry.js';
import type { SchedulerOptions } from '../../src/sched/types.js';
import { makeDests, setOverload, type DestSpec } from './helpers.js';

// Every case runs with the scan (default for short lists) and with the index forced.
const paths: Array<[string, SchedulerOptions]> = [['scan', {}], ['index', { indexMin: 0 }]];

function pick(name: string, opts: SchedulerOptions, specs: DestSpec[]): number {
  const s = createScheduler(name, [], opts);
  const { dests, ids } = makeDests(specs);
  s.update(ids, dests);
  return s.schedule(dests, 0, 0, 0, 0, 0);
}

describe.each(paths)('least-connection family (%s)', (_path, opts) => {
  it('lc: least activeconns*256 + inactconns, weight ignored except 0; first on ties', () => {
    // overheads: A 1*256+0 = 256, B 0*256+300 = 300, C 0*256+256 = 256 -> A (first of the 256s)
    expect(pick('lc', opts, [{ w: 1, active: 1 }, { w: 9, inactive: 300 }, { w: 1, inactive: 256 }])).toBe(1);
    // A quiesced, B overloaded: C
    expect(pick('lc', opts, [{ w: 0 }, { w: 5, overloaded: true }, { w: 1, active: 9 }])).toBe(3);
  });

  it('wlc: least overhead/weight by cross-multiplication; first on ties', () => {
    // A: 512/2 = 256, B: 768/3 = 256, C: 257/1 -> A and B tie (512*3 = 768*2), A is first
    expect(pick('wlc', opts, [{ w: 2, active: 2 }, { w: 3, active: 3 }, { w: 1, active: 1, inactive: 1 }])).toBe(1);
    // A: 256/1 = 256, B: 256/2 = 128 -> B
    expect(pick('wlc', opts, [{ w: 1, active: 1 }, { w: 2, active: 1 }])).toBe(2);
    // all idle: every load is 0 -> the first usable
    expect(pick('wlc', opts, [{ w: 0 }, { w: 1, overloaded: true }, { w: 3 }, { w: 7 }])).toBe(3);
  });

  it('sed: (activeconns + 1)/weight, inactconns ignored', () => {
    // A: (0+1)/1 = 1, B: (1+1)/4 = 0.5 -> B (wlc would take A: 0 < 256/4)
    expect(pick('sed', opts, [{ w: 1, inactive: 50 }, { w: 4, active: 1 }])).toBe(2);
    expect(pick('wlc', opts, [{ w: 1 }, { w: 4, active: 1 }])).toBe(1);
    // ties: A (1+1)/2 = 1, B (2+1)/3 = 1 -> A
    expect(pick('sed', opts, [{ w: 2, active: 1 }, { w: 3, active: 2 }])).toBe(1);
  });

  it('nq: the first idle dest wins outright, even with a low weight', () => {
    // B and D idle; B comes first though C's SED load would be lower
    expect(pick('nq', opts, [{ w: 1, active: 3 }, { w: 1 }, { w: 100, active: 1 }, { w: 50 }])).toBe(2);
    // an idle but overloaded or quiesced dest does not count
    expect(pick('nq', opts, [{ w: 1, overloaded: true }, { w: 0 }, { w: 2, active: 1 }, { w: 1, active: 1 }])).toBe(3);
  });

  it('nq: no idle dest -> SED rule, first on ties', () => {
    // A (2+1)/3 = 1, B (1+1)/2 = 1, C (3+1)/2 = 2 -> A
    expect(pick('nq', opts, [{ w: 3, active: 2 }, { w: 2, active: 1 }, { w: 2, active: 3 }])).toBe(1);
  });
});

describe('index follows changes', () => {
  it('wlc over 40 dests: changed() moves the choice as connections bind and unbind', () => {
    const s = createScheduler('wlc', [], { indexMin: 0 });
    const { dests, ids } = makeDests(Array.from({ length: 40 }, () => ({ w: 1 })));
    s.update(ids, dests);
    // binding one active connection per decision spreads them in list order: 1, 2, ... 40, 1, ...
    const seq: number[] = [];
    for (let k = 0; k < 45; k++) {
      const d = s.schedule(dests, 0, 0, 0, 0, 0);
      seq.push(d);
      dests.active[d]++;
      s.changed!(d, dests);
    }
    expect(seq).toEqual([...Array.from({ length: 40 }, (_, i) => i + 1), 1, 2, 3, 4, 5]);
    dests.active[30] = 0;
    s.changed!(30, dests);
    expect(s.schedule(dests, 0, 0, 0, 0, 0)).toBe(30);
    setOverload(dests, 30, true);
    s.changed!(30, dests);
    expect(s.schedule(dests, 0, 0, 0, 0, 0)).toBe(6);
  });
});
