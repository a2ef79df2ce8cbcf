// twos with a hand-chosen random sequence, and get_random_u32_below().
import { describe, expect, it } from 'vitest';
import { randomBelow, xorshift32 } from '../../src/sched/random.js';
import { TwoChoices } from '../../src/sched/twos.js';
import { lcg, makeDests, setOverload } from './helpers.js';

/** A "PRNG" that plays back fixed u32s. */
const seq = (values: number[]): (() => number) => {
  let i = 0;
  return () => values[i++ % values.length];
};

/** A u32 whose get_random_u32_below(ceil) is r: floor(u * ceil / 2^32) = r, off the rejection zone. */
const drawFor = (r: number, ceil: number): number => Math.floor(((r + 0.5) * 2 ** 32) / ceil);

describe('get_random_u32_below', () => {
  it('is floor(rand * ceil / 2^32)', () => {
    const r = seq([0x80000001, 0x10000000, 0xffffffff]);
    expect(randomBelow(r, 10)).toBe(5); // 10 * 0x80000001 = 0x5_0000000a: high 5, low 10 >= 10 kept
    expect(randomBelow(r, 10)).toBe(0); // 10 * 2^28 = 0xa0000000: high 0, low 0xa0000000
    expect(randomBelow(r, 10)).toBe(9); // 10 * 0xffffffff = 0x9_fffffff6
  });

  it('redraws when the low half falls below 2^32 mod ceil', () => {
    // rand = 0: mult = 0, (u32)mult = 0 < ceil; bound = 2^32 % 10 = 6; 0 < 6 -> redraw
    // rand = 0x1999999a: 10 * 0x1999999a = 0x1_0000_0004: low 4 < 6 -> redraw again
    // rand = 0x80000000: 0x5_00000000, low 0 < 6 -> redraw (an exact multiple is rejected too)
    // rand = 0x80000001: 0x5_0000000a, low 10 -> 5
    const r = seq([0, 0x1999999a, 0x80000000, 0x80000001]);
    expect(randomBelow(r, 10)).toBe(5);
  });

  it('handles large ceilings exactly (64-bit product)', () => {
    const r = seq([0xfffffffe]);
    // 0xfffffff0 * 0xfffffffe = 0xffffffee_00000020 -> high 0xffffffee
    expect(randomBelow(r, 0xfffffff0)).toBe(0xffffffee);
  });

  it('xorshift32 is deterministic for a seed', () => {
    const a = xorshift32(1), b = xorshift32(1);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
    expect(xorshift32(1)()).toBe(270369); // 1 ^ 1<<13 = 8193; ^ >>>17 = 8193; ^ <<5 = 8193 ^ 262176 = 270369
  });
});

describe('twos', () => {
  // A w=2, B w=3 (overloaded), C w=1, D w=4: usable total = 2 + 1 + 4 = 7, draws below 8.
  // Walking the usable dests subtracts 2 (A), 1 (C), 4 (D): r in 0..2 -> A, 3 -> C, 4..7 -> D.
  const setup = (draws: number[]) => {
    const s = new TwoChoices(seq(draws.map((r) => drawFor(r, 8))));
    const { dests, ids } = makeDests([{ w: 2, active: 1 }, { w: 3, overloaded: true }, { w: 1, active: 1 }, { w: 4, active: 1 }]);
    s.update(ids, dests);
    return { s, dests };
  };

  it('picks choice1 = A (r1 = 0) and choice2 = D (r2 = 7); D wins: 4 * 256 > 2 * 256', () => {
    const { s, dests } = setup([0, 7]);
    expect(s.schedule(dests, 0, 0, 0, 0, 0)).toBe(4);
  });

  it('keeps choice1 on equal load per weight: A(2, 256) vs D(4, 512): 4*256 > 2*512 is false', () => {
    const { s, dests } = setup([2, 5]);
    dests.active[4] = 2;
    expect(s.schedule(dests, 0, 0, 0, 0, 0)).toBe(1);
  });

  it('r = 3 lands on C, and both choices may be the same dest', () => {
    const { s, dests } = setup([3, 3]);
    expect(s.schedule(dests, 0, 0, 0, 0, 0)).toBe(3);
  });

  it('choice2 with fewer connections per weight wins over choice1', () => {
    const { s, dests } = setup([6, 1]);
    dests.active[1] = 0; // A idle: 4 * 0 > ... choice1 = D (o=256, w=4), choice2 = A (o=0, w=2): 2*256 > 4*0 -> A
    expect(s.schedule(dests, 0, 0, 0, 0, 0)).toBe(1);
  });

  it('never picks overloaded or quiesced dests, and returns 0 when none is usable', () => {
    const { s, dests } = setup([7, 7]);
    setOverload(dests, 4, true);
    dests.weight[3] = 0;
    // only A is usable: total 2, draws below 3 from the same u32s still land on A
    expect(s.schedule(dests, 0, 0, 0, 0, 0)).toBe(1);
    setOverload(dests, 1, true);
    expect(s.schedule(dests, 0, 0, 0, 0, 0)).toBe(0);
  });
});

describe('twos over long lists (Fenwick index)', () => {
  it('makes the same decisions as the kernel walk, draw for draw, over random changes on 1,000 dests', () => {
    const rnd = lcg(11);
    const n = 1000;
    const { dests, ids } = makeDests(Array.from({ length: n }, () => ({ w: rnd() % 4, active: rnd() % 3 })));
    const walk = new TwoChoices(xorshift32(77), Infinity);
    const indexed = new TwoChoices(xorshift32(77), 0);
    walk.update(ids, dests);
    indexed.update(ids, dests);
    for (let step = 0; step < 20_000; step++) {
      const d = ids[rnd() % n];
      const op = rnd() % 10;
      if (op < 3) dests.weight[d] = rnd() % 4;
      else if (op < 5) setOverload(dests, d, rnd() % 4 === 0);
      else dests.active[d] = rnd() % 5;
      indexed.changed(d, dests);
      expect(indexed.schedule(dests)).toBe(walk.schedule(dests));
    }
  });

  it('r = 0 and r = total land on the first and the last usable dest', () => {
    const { dests, ids } = makeDests([0, 2, 3, 0, 1, 0], 40);
    const total = 6;
    const s = new TwoChoices(seq([drawFor(0, total + 1), drawFor(total, total + 1)]), 0);
    s.update(ids, dests);
    // choice1 = B (first usable), choice2 = E (last usable); both idle: 1 * 0 > 2 * 0 is false -> B
    expect(s.schedule(dests)).toBe(2);
  });
});
