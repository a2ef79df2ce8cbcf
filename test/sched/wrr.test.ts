// Weighted round robin: sequences worked out by hand from ip_vs_wrr.c.
import { describe, expect, it } from 'vitest';
import { WeightedRoundRobin } from '../../src/sched/wrr.js';
import { makeDests, names, run, setOverload } from './helpers.js';

describe('wrr', () => {
  it('weights 4,3,2 give AABABCABC, repeating', () => {
    // di = gcd(4,3,2) = 1, mw = 4 - (1 - 1) = 4, cw = 4, cl = head.
    // cw=4: A(4>=4) -> A | from B: B 3<4, C 2<4, wrap cw=3: A -> A
    // from B: B 3>=3 -> B | from C: 2<3, wrap cw=2: A -> A | B -> B | C(2>=2) -> C
    // wrap cw=1: A, B, C | wrap cw=0 <= 0 -> cw = mw = 4 (restarted): A ... the cycle again.
    const s = new WeightedRoundRobin();
    const { dests, ids } = makeDests([4, 3, 2]);
    s.update(ids, dests);
    expect(names(run(s, dests, 18))).toBe('AABABCABC'.repeat(2));
  });

  it('weights with a common divisor: 4,2 -> di=2, mw=3, so AAB repeating', () => {
    // cw=3: A(4>=3) | B 2<3, wrap cw=1: A | B(2>=1) | wrap cw=-1 -> 3: A ...
    const s = new WeightedRoundRobin();
    const { dests, ids } = makeDests([4, 2]);
    s.update(ids, dests);
    expect(names(run(s, dests, 9))).toBe('AAB'.repeat(3));
  });

  it('skips overloaded dests and weight-0 dests', () => {
    const s = new WeightedRoundRobin();
    const { dests, ids } = makeDests([2, 0, 1]);
    s.update(ids, dests);
    // di = gcd(2,1) = 1 (weight 0 ignored), mw = 2: cw=2: A | wrap cw=1: A, C | wrap -> 2
    expect(names(run(s, dests, 6))).toBe('AACAAC');
    setOverload(dests, 1, true);
    // from C's position: wrap cw=1: A overloaded, B 0<1, C -> C ... only C is left
    expect(names(run(s, dests, 3))).toBe('CCC');
  });

  it('returns 0 when every weight is 0 (mw == 0) and when all dests are overloaded', () => {
    const s = new WeightedRoundRobin();
    const { dests, ids } = makeDests([0, 0]);
    s.update(ids, dests);
    expect(run(s, dests, 2)).toEqual([0, 0]);
    dests.weight[1] = dests.weight[2] = 1;
    s.update(ids, dests);
    setOverload(dests, 1, true);
    setOverload(dests, 2, true);
    expect(run(s, dests, 2)).toEqual([0, 0]);
    setOverload(dests, 2, false);
    expect(names(run(s, dests, 2))).toBe('BB');
  });

  it('an edit resets the position to the head and keeps cw when it is within [1, mw] and di = 1', () => {
    const s = new WeightedRoundRobin();
    const { dests, ids } = makeDests([4, 3, 2]);
    s.update(ids, dests);
    expect(names(run(s, dests, 5))).toBe('AABAB'); // now cl = B, cw = 2
    dests.weight[3] = 4; // C: 2 -> 4; di = 1, mw = 4; cw = 2 stays; cl = head
    s.update(ids, dests);
    // cw=2: A, B, C | wrap cw=1: A, B, C | wrap -> 4: A, C | wrap cw=3: A, B(3), C ...
    expect(names(run(s, dests, 10))).toBe('ABCABCACAB');
  });

  it('an edit with di > 1 rounds cw to (cw / di) * di + 1', () => {
    const s = new WeightedRoundRobin();
    const { dests, ids } = makeDests([4, 3]);
    s.update(ids, dests);
    // di=1, mw=4: cw=4: A | B 3<4, wrap cw=3: A | B -> now cl = B, cw = 3
    expect(names(run(s, dests, 3))).toBe('AAB');
    dests.weight[1] = 6; // A 6, B 3: di = 3, mw = 6 - 2 = 4; cw = 3 <= 4, di > 1: (3/3)*3+1 = 4
    s.update(ids, dests);
    // cw=4: A(6) | B 3<4, wrap cw=1: A, B | wrap cw=-2 -> 4: A | ... so A A B A A B
    expect(names(run(s, dests, 6))).toBe('AABAAB');
  });

  it('cw above the new mw goes back to mw', () => {
    const s = new WeightedRoundRobin();
    const { dests, ids } = makeDests([5, 1]);
    s.update(ids, dests);
    expect(names(run(s, dests, 1))).toBe('A'); // cw = 5
    dests.weight[1] = 2; // mw = 2 < cw -> cw = 2
    s.update(ids, dests);
    // cw=2: A | B 1<2, wrap cw=1: A, B | wrap -> 2: A ...
    expect(names(run(s, dests, 6))).toBe('AABAAB');
  });

  it('an update that changes nothing keeps the position (not an IPVS edit)', () => {
    const s = new WeightedRoundRobin();
    const { dests, ids } = makeDests([4, 3, 2]);
    s.update(ids, dests);
    expect(names(run(s, dests, 4))).toBe('AABA');
    s.update(ids.slice(), dests);
    expect(names(run(s, dests, 5))).toBe('BCABC');
  });

  it('a threshold edit is an IPVS edit (upd_dest): the position goes back to the head', () => {
    const s = new WeightedRoundRobin();
    const { dests, ids } = makeDests([1, 1, 1]);
    const upper = new Uint32Array(8);
    const view = { ...dests, upper };
    s.update(ids, view);
    expect(names(run(s, view, 2))).toBe('AB');
    upper[2] = 100;
    s.update(ids, view);
    expect(names(run(s, view, 2))).toBe('AB');
  });

  it('ratios over a long run follow the weights', () => {
    const s = new WeightedRoundRobin();
    const { dests, ids } = makeDests([5, 3, 1, 0, 7]);
    s.update(ids, dests);
    const counts = [0, 0, 0, 0, 0, 0];
    for (const d of run(s, dests, 16 * 100)) counts[d]++;
    expect(counts.slice(1)).toEqual([500, 300, 100, 0, 700]);
  });
});
