import { describe, expect, it } from 'vitest';
import { IntMap } from '../../src/engine/int-map.js';
import { DestTrash } from '../../src/engine/trash.js';

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('IntMap', () => {
  it('agrees with a Map over random sets and deletes of two-part keys, including keys above 2^32', () => {
    const r = rng(7);
    const m = new IntMap(2000);
    const model = new Map<string, number>();
    // Few distinct keys, so that sets, overwrites and deletes collide in long probe runs.
    const keyOf = (): [number, number] => [Math.floor(r() * 300) * 65536 * 65536 + Math.floor(r() * 3), Math.floor(r() * 3)];
    for (let step = 0; step < 50_000; step++) {
      const [k, tag] = keyOf();
      const name = `${k}/${tag}`;
      if (r() < 0.45) {
        expect(m.delete(k, tag)).toBe(model.delete(name));
      } else {
        const v = Math.floor(r() * 1e9);
        m.set(k, tag, v);
        model.set(name, v);
      }
      if (step % 997 === 0) {
        expect(m.size).toBe(model.size);
        for (const [key, v] of model) {
          const [a, b] = key.split('/').map(Number);
          expect(m.get(a, b)).toBe(v);
        }
      }
    }
    const seen: string[] = [];
    m.forEach((k, tag, v) => seen.push(`${k}/${tag}=${v}`));
    expect(seen.sort()).toEqual([...model].map(([k, v]) => `${k}=${v}`).sort());
  });

  it('answers -1 for a missing key and tells tags apart', () => {
    const m = new IntMap(4);
    m.set(198 * 65536 + 80, 1, 5);
    expect(m.get(198 * 65536 + 80, 1)).toBe(5);
    expect(m.get(198 * 65536 + 80, 2)).toBe(-1);
    expect(m.has(198 * 65536 + 80)).toBe(false);
  });

  it('refuses an entry beyond its capacity with an error, and takes one again after a delete', () => {
    const m = new IntMap(8);
    for (let k = 0; k < m.capacity; k++) m.set(k, 0, k);
    expect(() => m.set(999, 0, 1)).toThrow(/table full/);
    m.set(3, 0, 33); // an existing key still updates
    expect(m.get(3)).toBe(33);
    m.delete(0);
    m.set(999, 0, 1);
    expect(m.get(999)).toBe(1);
    expect(m.size).toBe(m.capacity);
  });
});

describe('DestTrash', () => {
  it('frees only what the callback frees, resuming where the last walk stopped', () => {
    const t = new DestTrash(100);
    for (const id of [5, 6, 7, 8]) t.add(id);
    const inUse = new Set([6, 8]);
    const offered: number[] = [];
    expect(t.walk(100, 100, (id) => (offered.push(id), !inUse.has(id)))).toBe(2);
    expect(offered.sort()).toEqual([5, 6, 7, 8]);
    expect([5, 6, 7, 8].map((id) => t.has(id))).toEqual([false, true, false, true]);
    inUse.clear();
    expect(t.walk(1, 100, () => true)).toBe(1);
    expect(t.walk(1, 100, () => true)).toBe(1);
    expect(t.size).toBe(0);
  });

  it('never offers an id taken back, and keeps one id once however often it is retired and restored', () => {
    const t = new DestTrash(10);
    t.add(3);
    t.restore(3);
    t.add(3);
    t.restore(3);
    t.add(4);
    const offered: number[] = [];
    t.walk(10, 10, (id) => (offered.push(id), true));
    expect(offered).toEqual([4]);
    expect(t.has(3)).toBe(false);
    t.add(3);
    t.add(3);
    expect(t.size).toBe(1);
    expect(t.walk(10, 10, () => true)).toBe(1);
  });

  it('stops at the budget of ids looked at, and at the most freed', () => {
    const t = new DestTrash(100);
    for (let id = 1; id <= 20; id++) t.add(id);
    let looked = 0;
    t.walk(5, 100, () => (looked++, false));
    expect(looked).toBe(5);
    expect(t.walk(100, 3, () => true)).toBe(3);
    expect(t.size).toBe(17);
  });
});
