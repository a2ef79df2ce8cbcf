// Round robin: hand-worked sequences from ip_vs_rr.c.
import { describe, expect, it } from 'vitest';
import { RoundRobin } from '../../src/sched/rr.js';
import { makeDests, names, run, setOverload } from './helpers.js';

describe('rr', () => {
  it('walks the list from the head, one dest per decision, ignoring weights above 0', () => {
    const s = new RoundRobin();
    const { dests, ids } = makeDests([1, 5, 2]);
    s.update(ids, dests);
    expect(names(run(s, dests, 7))).toBe('ABCABCA');
  });

  it('skips quiesced (weight 0) and overloaded dests, and comes back to them when usable', () => {
    const s = new RoundRobin();
    const { dests, ids } = makeDests([1, 0, 1, 1]);
    s.update(ids, dests);
    setOverload(dests, 3, true);
    expect(names(run(s, dests, 4))).toBe('ADAD');
    setOverload(dests, 3, false);
    // after D the walk wraps: A, then B (weight 0) skipped, C
    expect(names(run(s, dests, 3))).toBe('ACD');
  });

  it('returns 0 and keeps its place when nothing is usable', () => {
    const s = new RoundRobin();
    const { dests, ids } = makeDests([1, 1, 1]);
    s.update(ids, dests);
    expect(names(run(s, dests, 2))).toBe('AB');
    for (const d of ids) setOverload(dests, d, true);
    expect(run(s, dests, 2)).toEqual([0, 0]);
    for (const d of ids) setOverload(dests, d, false);
    expect(names(run(s, dests, 2))).toBe('CA');
  });

  it('keeps its place on the same dest when dests are added at the head or edited', () => {
    const s = new RoundRobin();
    const { dests, ids } = makeDests([1, 1, 1, 1, 1]);
    s.update(ids.subarray(2), dests); // list C D E
    expect(names(run(s, dests, 2))).toBe('CD');
    // B then A added: list A B C D E (newest first); rr still stands on D
    s.update(ids, dests);
    expect(names(run(s, dests, 4))).toBe('EABC');
    dests.weight[4] = 3; // an edit
    s.update(ids, dests);
    expect(names(run(s, dests, 2))).toBe('DE');
  });

  it('on deleting the last chosen dest resumes after its predecessor (ip_vs_rr_del_dest)', () => {
    const s = new RoundRobin();
    const { dests, ids } = makeDests([1, 1, 1, 1, 1]);
    s.update(ids, dests);
    expect(names(run(s, dests, 3))).toBe('ABC');
    // delete C: position goes to B, so D is next
    s.update(Uint32Array.from([1, 2, 4, 5]), dests);
    expect(names(run(s, dests, 1))).toBe('D');
    // delete D and its predecessor B at once: nearest earlier survivor is A, so E
    s.update(Uint32Array.from([1, 5]), dests);
    expect(names(run(s, dests, 1))).toBe('E');
    // delete E: its predecessor A stays and is the only dest left
    s.update(Uint32Array.from([1]), dests);
    expect(names(run(s, dests, 2))).toBe('AA');
  });

  it('deleting the head-most chosen dest puts the walk back at the list head', () => {
    const s = new RoundRobin();
    const { dests, ids } = makeDests([1, 1, 1]);
    s.update(ids, dests);
    expect(names(run(s, dests, 1))).toBe('A');
    s.update(Uint32Array.from([2, 3]), dests);
    expect(names(run(s, dests, 3))).toBe('BCB');
  });
});
