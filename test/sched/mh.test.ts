// Maglev (mh): the properties the algorithm promises, the kernel's weight and
// last_weight rules, fallback and port flags, and the table size option.
import { describe, expect, it } from 'vitest';
import { hsiphash32 } from '../../src/sched/hash.js';
import { MaglevHashing, MH_KEY1, MH_PRIMES } from '../../src/sched/mh.js';
import { SVC_F_SCHED1, SVC_F_SCHED2 } from '../../src/sched/names.js';
import { makeDests, setOverload } from './helpers.js';

function counts(slots: Uint32Array): Map<number, number> {
  const c = new Map<number, number>();
  for (const d of slots) c.set(d, (c.get(d) ?? 0) + 1);
  return c;
}

describe('mh table', () => {
  it.each([
    [3, 4093], [7, 4093], [10, 4093], [64, 4093], [5, 251], [20, 65521],
  ])('equal weights: %i dests over %i slots differ by at most one slot', (n, m) => {
    const s = new MaglevHashing(0, m);
    const { dests, ids } = makeDests(Array.from({ length: n }, () => 3));
    s.update(ids, dests);
    const c = counts(s.slots());
    expect(c.has(0)).toBe(false);
    expect(c.size).toBe(n);
    expect(Math.max(...c.values()) - Math.min(...c.values())).toBeLessThanOrEqual(1);
  });

  it('removing a dest moves its own slots and only a few others (Maglev is near-minimal, not perfect)', () => {
    for (const n of [3, 10, 20]) {
      const s = new MaglevHashing();
      const { dests, ids } = makeDests(Array.from({ length: n }, () => 1));
      s.update(ids, dests);
      const before = s.slots().slice();
      const gone = ids[n >> 1];
      s.update(ids.filter((d) => d !== gone), dests);
      const after = s.slots();
      let own = 0, others = 0;
      for (let i = 0; i < before.length; i++) {
        if (before[i] === gone) {
          own++;
          expect(after[i]).not.toBe(gone);
        } else if (after[i] !== before[i]) others++;
      }
      expect(own).toBeGreaterThan(0);
      expect(others / before.length).toBeLessThan(0.02);
      expect(others).toBeLessThan(own);
    }
  });

  it('adding a dest takes slots mostly from the others evenly, leaving the rest in place', () => {
    const s = new MaglevHashing();
    const { dests, ids } = makeDests(Array.from({ length: 9 }, () => 1));
    s.update(ids.subarray(1), dests);
    const before = s.slots().slice();
    s.update(ids, dests); // dest 1 added at the head
    const after = s.slots();
    let changed = 0;
    for (let i = 0; i < before.length; i++) if (after[i] !== before[i] && after[i] !== 1) changed++;
    expect(changed / before.length).toBeLessThan(0.02);
    expect(counts(after).get(1)).toBeGreaterThanOrEqual(454);
  });

  it('slot shares follow the weights (turns = weight / gcd)', () => {
    const s = new MaglevHashing();
    const { dests, ids } = makeDests([2, 4, 6, 8]); // gcd 2 -> turns 1, 2, 3, 4
    s.update(ids, dests);
    const c = counts(s.slots());
    [0.1, 0.2, 0.3, 0.4].forEach((share, i) => expect(Math.abs(c.get(i + 1)! / 4093 - share)).toBeLessThan(0.01));
  });

  it('rshift keeps max(weight)/gcd within 6 bits: weights 1 and 1000 get turns 1 and 1000 >> 4 = 62', () => {
    // fls(1000) = 10, IP_VS_MH_TAB_BITS = 12 / 2 = 6, rshift = 4; turns(1) = (1 >> 4) ?: 1 = 1
    const s = new MaglevHashing();
    const { dests, ids } = makeDests([1, 1000]);
    s.update(ids, dests);
    const c = counts(s.slots());
    // round of 63 claims: 1 + 62, repeated until 4093 slots: 4093 = 64 * 63 + 61
    expect(c.get(1)).toBe(65);
    expect(c.get(2)).toBe(4093 - 65);
  });

  it('a dest added with weight 0 gets no slot; all weights 0 leaves the table empty', () => {
    const s = new MaglevHashing();
    const { dests, ids } = makeDests([0, 1, 1]);
    s.update(ids, dests);
    expect(counts(s.slots()).has(1)).toBe(false);
    // dest 2 edited to 0 keeps last_weight 1, so its slots stay (and lookups there find no dest)
    dests.weight[2] = 0;
    s.update(ids, dests);
    expect(counts(s.slots()).has(2)).toBe(true);
    const fresh = new MaglevHashing();
    const z = makeDests([0, 0]);
    fresh.update(z.ids, z.dests);
    expect(fresh.slots().every((d) => d === 0)).toBe(true);
    expect(fresh.schedule(z.dests, 1, 1, 0, 80, 0)).toBe(0);
  });

  it('a dest quiesced to weight 0 keeps its slots (last_weight) and lookups there find no dest', () => {
    const s = new MaglevHashing();
    const { dests, ids } = makeDests([1, 1, 1]);
    s.update(ids, dests);
    const before = s.slots().slice();
    dests.weight[2] = 0;
    s.update(ids, dests);
    expect(s.slots()).toEqual(before);
    let saddr = 0;
    while (before[hsiphash32(saddr, MH_KEY1) % 4093] !== 2) saddr++;
    expect(s.schedule(dests, saddr, 0, 0, 80, 0)).toBe(0);
    // removed and added back with weight 0: an add sets last_weight = 0, so no slots
    s.update(Uint32Array.from([1, 3]), dests);
    s.update(ids, dests);
    expect(counts(s.slots()).has(2)).toBe(false);
  });
});

describe('mh lookups', () => {
  const setup = (bits = 0) => {
    const s = new MaglevHashing(bits);
    const { dests, ids } = makeDests([1, 1, 1, 1]);
    s.update(ids, dests);
    return { s, dests, slots: s.slots() };
  };

  it('looks up slot hsiphash(saddr, key1) % M; the source port only with mh-port', () => {
    const { s, dests, slots } = setup();
    for (const saddr of [0x0a000001, 0xc0a80105, 0xffffffff]) {
      expect(s.schedule(dests, saddr, 1234, 0, 80, 0)).toBe(slots[hsiphash32(saddr, MH_KEY1) % 4093]);
    }
    const p = setup(SVC_F_SCHED2);
    expect(p.s.schedule(p.dests, 0x0a000001, 1234, 0, 80, 0)).toBe(p.slots[hsiphash32(0x0a000001 + 1234, MH_KEY1) % 4093]);
  });

  it('an overloaded slot dest means no dest, unless mh-fallback rehashes with offsets ihash, ihash + 1, ...', () => {
    const plain = setup();
    const fb = setup(SVC_F_SCHED1);
    let saddr = 0;
    while (plain.slots[hsiphash32(saddr, MH_KEY1) % 4093] !== 1) saddr++;
    setOverload(plain.dests, 1, true);
    setOverload(fb.dests, 1, true);
    expect(plain.s.schedule(plain.dests, saddr, 0, 0, 80, 0)).toBe(0);
    const ihash = hsiphash32(saddr, MH_KEY1) % 4093;
    let want = 0;
    for (let k = 0; k < 4093 && want === 0; k++) {
      const d = fb.slots[hsiphash32(((k + ihash) % 4093) + saddr, MH_KEY1) % 4093];
      if (d !== 1) want = d;
    }
    expect(want).not.toBe(0);
    expect(fb.s.schedule(fb.dests, saddr, 0, 0, 80, 0)).toBe(want);
  });

  it('depends on dest addresses and ports, not on ids: the same servers under other ids fill the same slots', () => {
    const a = new MaglevHashing();
    const x = makeDests([{ w: 1, addr: 0x0a000001 }, { w: 1, addr: 0x0a000002 }]);
    a.update(x.ids, x.dests);
    const b = new MaglevHashing();
    const y = makeDests([{ w: 1 }, { w: 1 }, { w: 1, addr: 0x0a000001 }, { w: 1, addr: 0x0a000002 }]);
    b.update(y.ids.subarray(2), y.dests);
    expect([...b.slots()].map((d) => d - 2)).toEqual([...a.slots()]);
    y.dests.port[4] = 8080; // another port: another permutation
    b.update(y.ids.subarray(2), y.dests);
    expect([...b.slots()].map((d) => d - 2)).not.toEqual([...a.slots()]);
  });

  it('takes its table size from the kernel prime list and rejects others', () => {
    for (const m of MH_PRIMES) expect(new MaglevHashing(0, m).slots().length).toBe(m);
    expect(() => new MaglevHashing(0, 4096)).toThrow(/one of/);
  });
});
