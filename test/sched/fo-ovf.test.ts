// fo and ovf: highest weight wins, with their own skip rules.
import { describe, expect, it } from 'vitest';
import { WeightedFailover } from '../../src/sched/fo.js';
import { Overflow } from '../../src/sched/ovf.js';
import { makeDests, names, run, setOverload } from './helpers.js';

describe('fo', () => {
  it('sends everything to the highest weight, the first of equals', () => {
    const s = new WeightedFailover();
    const { dests, ids } = makeDests([2, 5, 5, 1]);
    s.update(ids, dests);
    expect(names(run(s, dests, 3))).toBe('BBB');
  });

  it('fails over to the next highest when the top one is overloaded or quiesced', () => {
    const s = new WeightedFailover();
    const { dests, ids } = makeDests([2, 5, 5, 1]);
    s.update(ids, dests);
    setOverload(dests, 2, true);
    expect(names(run(s, dests, 1))).toBe('C');
    dests.weight[3] = 0;
    expect(names(run(s, dests, 1))).toBe('A');
    setOverload(dests, 2, false);
    expect(names(run(s, dests, 1))).toBe('B');
  });

  it('ignores connection counts', () => {
    const s = new WeightedFailover();
    const { dests, ids } = makeDests([{ w: 3, active: 1000 }, { w: 2 }]);
    s.update(ids, dests);
    expect(names(run(s, dests, 1))).toBe('A');
  });
});

describe('ovf', () => {
  it('keeps the highest weight until its activeconns exceed its weight, then overflows', () => {
    const s = new Overflow();
    const { dests, ids } = makeDests([2, 3, 1]);
    s.update(ids, dests);
    const seq: number[] = [];
    for (let k = 0; k < 8; k++) {
      const d = s.schedule(dests, 0, 0, 0, 0, 0);
      seq.push(d);
      if (d) dests.active[d]++;
    }
    // B takes 4 (active 0..3 <= 3), then A takes 3 (0..2 <= 2), then C 2 (0..1 <= 1): "activeconns > w" skips
    expect(names(seq)).toBe('BBBBAAAC');
  });

  it('inactive connections do not count; ties go to the first; overloaded and weight-0 skipped', () => {
    const s = new Overflow();
    const { dests, ids } = makeDests([{ w: 2, inactive: 99 }, { w: 2 }, { w: 7, overloaded: true }, { w: 0 }]);
    s.update(ids, dests);
    expect(names(run(s, dests, 1))).toBe('A');
    dests.active[1] = 3;
    expect(names(run(s, dests, 1))).toBe('B');
    dests.active[2] = 3;
    expect(run(s, dests, 1)).toEqual([0]);
  });
});
