// The tournament index (lc, wlc, sed, nq, fo, ovf) against a plain linear-scan model of the kernel loops,
// decision by decision, over long random sequences of counter, weight and
// overload changes on 1,000 dests (and on short lists of every size).
import { describe, expect, it } from 'vitest';
import { createScheduler } from '../../src/sched/registry.js';
import { DEST_OVERLOAD, type DestView } from '../../src/sched/types.js';
import { lcg, makeDests, setOverload } from './helpers.js';

const eligible = (v: DestView, d: number): boolean => (v.flags[d] & DEST_OVERLOAD) === 0 && v.weight[d] > 0;
const oh = (v: DestView, d: number): number => v.active[d] * 256 + v.inactive[d];

/** Independent model: "least = first eligible; replace when strictly better", ties to the first. */
const reference: Record<string, (ids: Uint32Array, v: DestView) => number> = {
  lc(ids, v) {
    let best = 0;
    for (const d of ids) if (eligible(v, d) && (best === 0 || oh(v, d) < oh(v, best))) best = d;
    return best;
  },
  wlc(ids, v) {
    let best = 0;
    for (const d of ids) if (eligible(v, d) && (best === 0 || oh(v, best) * v.weight[d] > oh(v, d) * v.weight[best])) best = d;
    return best;
  },
  sed(ids, v) {
    let best = 0;
    const c = (d: number): number => v.active[d] + 1;
    for (const d of ids) if (eligible(v, d) && (best === 0 || c(best) * v.weight[d] > c(d) * v.weight[best])) best = d;
    return best;
  },
  nq(ids, v) {
    for (const d of ids) if (eligible(v, d) && v.active[d] === 0) return d;
    return reference.sed(ids, v);
  },
  fo(ids, v) {
    let best = 0;
    for (const d of ids) if (eligible(v, d) && (best === 0 || v.weight[d] > v.weight[best])) best = d;
    return best;
  },
  ovf(ids, v) {
    let best = 0;
    for (const d of ids) if (eligible(v, d) && v.active[d] <= v.weight[d] && (best === 0 || v.weight[d] > v.weight[best])) best = d;
    return best;
  },
};

describe.each(Object.keys(reference))('%s index == linear scan', (name) => {
  it('over 40,000 random changes on 1,000 dests, decision by decision', () => {
    const rnd = lcg(7 + name.length);
    const s = createScheduler(name, []);
    const n = 1000;
    // small counts and weights so that ties are common and the tie-break is exercised
    const { dests, ids } = makeDests(Array.from({ length: n }, () => ({ w: 1 + (rnd() % 4), active: 1 + (rnd() % 3), inactive: rnd() % 3 })));
    s.update(ids, dests);
    let mismatches = 0;
    for (let step = 0; step < 40_000; step++) {
      const d = ids[rnd() % n];
      const op = rnd() % 100;
      if (op < 40) dests.active[d] = Math.max(0, dests.active[d] + (rnd() % 3) - 1);
      else if (op < 70) dests.inactive[d] = Math.max(0, dests.inactive[d] + (rnd() % 3) - 1);
      else if (op < 80) dests.weight[d] = rnd() % 5;
      else if (op < 90) setOverload(dests, d, rnd() % 3 === 0);
      else if (op < 93) {
        dests.weight[d] = rnd() % 5;
        s.update(ids, dests); // weight edits also arrive as update()
      } else {
        // a decision that binds: the engine's bind + changed()
        const got = s.schedule(dests, 0, 0, 0, 0, step);
        if (got !== 0) dests.active[got]++;
        if (got !== 0) s.changed!(got, dests);
      }
      if (op < 90) s.changed!(d, dests);
      const want = reference[name](ids, dests);
      const got = s.schedule(dests, 0, 0, 0, 0, step);
      if (got !== want) mismatches++;
      expect(got).toBe(want);
    }
    expect(mismatches).toBe(0);
  });

  it('on every list length from 1 to 70 (odd sizes pad the tree)', () => {
    const rnd = lcg(99);
    for (let n = 1; n <= 70; n++) {
      const s = createScheduler(name, [], { indexMin: 0 });
      const { dests, ids } = makeDests(Array.from({ length: n }, () => ({ w: rnd() % 3, active: rnd() % 2, inactive: rnd() % 2 })));
      s.update(ids, dests);
      for (let step = 0; step < 200; step++) {
        const d = ids[rnd() % n];
        dests.active[d] = rnd() % 3;
        dests.weight[d] = rnd() % 3;
        setOverload(dests, d, rnd() % 5 === 0);
        s.changed!(d, dests);
        expect(s.schedule(dests, 0, 0, 0, 0, 0)).toBe(reference[name](ids, dests));
      }
    }
  });

  it('follows list changes (adds at the head, removals) through update()', () => {
    const rnd = lcg(5);
    const s = createScheduler(name, [], { indexMin: 0 });
    const { dests } = makeDests(Array.from({ length: 200 }, () => ({ w: 1 + (rnd() % 3), active: rnd() % 4 })));
    let list: number[] = [];
    for (let step = 0; step < 300; step++) {
      const d = 1 + (rnd() % 200);
      const at = list.indexOf(d);
      if (at >= 0) list.splice(at, 1);
      else list.unshift(d);
      const ids = Uint32Array.from(list);
      s.update(ids, dests);
      expect(s.schedule(dests, 0, 0, 0, 0, 0)).toBe(reference[name](ids, dests));
    }
  });
});
