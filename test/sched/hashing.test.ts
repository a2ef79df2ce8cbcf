// sh and dh: bucket tables worked out by hand, and hashed lookups computed by
// hand from hash_32 (GOLDEN_RATIO_32 = 0x61c88647, top 8 bits).
//
// saddr 10.0.0.1 = 0x0a000001: 0x0a000001 * 0x61c88647 mod 2^32
//   = 0x61c88647 + ((0x47 * 10) & 0xff) << 24 = 0x61c88647 + 0xc6000000 = 0x27c88647 -> bucket 0x27 = 39
// saddr 10.0.0.2: 0xc3910c8e + 0xc6000000 = 0x89910c8e -> bucket 0x89 = 137
// legacy (x * 2654435761) & 255 keeps the low byte of x * 0xb1: 10.0.0.1 -> 0xb1 = 177
import { describe, expect, it } from 'vitest';
import { DestinationHashing } from '../../src/sched/dh.js';
import { SVC_F_SCHED1, SVC_F_SCHED2 } from '../../src/sched/names.js';
import { createScheduler } from '../../src/sched/registry.js';
import { SourceHashing } from '../../src/sched/sh.js';
import { makeDests, names, setOverload } from './helpers.js';

const IP1 = 0x0a000001, IP2 = 0x0a000002;

describe('sh bucket table', () => {
  it('each dest takes `weight` consecutive buckets, weight 0 takes one, the list repeats', () => {
    const s = new SourceHashing();
    const { dests, ids } = makeDests([2, 1, 0]);
    s.update(ids, dests);
    expect(names([...s.buckets()])).toBe('AABC'.repeat(64));
  });

  it('is rebuilt on a weight edit; a weight above 256 takes the whole table', () => {
    const s = new SourceHashing();
    const { dests, ids } = makeDests([1, 1]);
    s.update(ids, dests);
    expect(names([...s.buckets()].slice(0, 6))).toBe('ABABAB');
    dests.weight[1] = 3;
    s.update(ids, dests);
    const t = [...s.buckets()];
    expect(names(t.slice(0, 8))).toBe('AAABAAAB');
    expect(t.filter((d) => d === 1).length).toBe(192);
    dests.weight[1] = 300;
    s.update(ids, dests);
    expect(new Set(s.buckets())).toEqual(new Set([1]));
  });

  it('is empty for an empty list', () => {
    const s = new SourceHashing();
    const { dests } = makeDests([]);
    s.update(new Uint32Array(0), dests);
    expect(s.buckets().every((d) => d === 0)).toBe(true);
  });
});

describe('sh lookups', () => {
  // table AABC repeated: bucket b -> 'AABC'[b % 4]
  const setup = (bits = 0, legacy = false) => {
    const s = new SourceHashing(bits, legacy);
    const { dests, ids } = makeDests([2, 1, 0]);
    s.update(ids, dests);
    return { s, dests };
  };

  it('hashes the source address: 10.0.0.2 -> bucket 137 -> A; 10.0.0.1 -> bucket 39 -> C (weight 0) -> none', () => {
    const { s, dests } = setup();
    expect(s.schedule(dests, IP2, 5555, 0, 80, 0)).toBe(1);
    expect(s.schedule(dests, IP1, 5555, 0, 80, 0)).toBe(0);
  });

  it('sh-fallback: from bucket 39, offsets k + 39 rehash to (39 + k + 39) & 255 = 78 -> B', () => {
    const { s, dests } = setup(SVC_F_SCHED1);
    expect(s.schedule(dests, IP1, 5555, 0, 80, 0)).toBe(2);
    // B overloaded too: k = 1 -> bucket 79 -> C (weight 0), k = 2 -> 80 -> A
    setOverload(dests, 2, true);
    expect(s.schedule(dests, IP1, 5555, 0, 80, 0)).toBe(1);
  });

  it('without sh-fallback an overloaded bucket dest means no dest', () => {
    const { s, dests } = setup();
    setOverload(dests, 1, true);
    expect(s.schedule(dests, IP2, 5555, 0, 80, 0)).toBe(0);
  });

  it('sh-port adds the source port: 10.0.0.1 port 1 hashes like 10.0.0.2 -> A; without it the port is ignored', () => {
    const withPort = setup(SVC_F_SCHED2);
    expect(withPort.s.schedule(withPort.dests, IP1, 1, 0, 80, 0)).toBe(1);
    expect(withPort.s.schedule(withPort.dests, IP1, 0, 0, 80, 0)).toBe(0);
    const plain = setup();
    expect(plain.s.schedule(plain.dests, IP1, 1, 0, 80, 0)).toBe(0);
  });

  it('flag names map to the kernel bits: flag-1 is sh-fallback, flag-2 is sh-port', () => {
    const { dests, ids } = makeDests([2, 1, 0]);
    const s = createScheduler('sh', ['flag-1', 'flag-2']);
    s.update(ids, dests);
    expect(s.schedule(dests, IP1, 1, 0, 80, 0)).toBe(1); // port: bucket 137 -> A
    expect(s.schedule(dests, IP1, 0, 0, 80, 0)).toBe(2); // fallback: bucket 39 -> C -> 78 -> B
  });

  it('legacy hash: 10.0.0.1 -> bucket 177 -> A', () => {
    const { s, dests } = setup(0, true);
    expect(s.schedule(dests, IP1, 0, 0, 80, 0)).toBe(1);
  });

  it('spreads sources in proportion to the buckets', () => {
    const s = new SourceHashing();
    const { dests, ids } = makeDests([3, 1]);
    s.update(ids, dests);
    const counts = [0, 0, 0];
    for (let k = 0; k < 40_000; k++) counts[s.schedule(dests, (0xc0a80000 + k * 7919) >>> 0, 0, 0, 80, 0)]++;
    expect(counts[1] / counts[2]).toBeGreaterThan(2.7);
    expect(counts[1] / counts[2]).toBeLessThan(3.3);
  });
});

describe('dh', () => {
  it('fills buckets round robin, ignoring weights', () => {
    const s = new DestinationHashing();
    const { dests, ids } = makeDests([5, 1, 1]);
    s.update(ids, dests);
    expect(names([...s.buckets()].slice(0, 7))).toBe('ABCABCA');
    expect(names([...s.buckets()].slice(252))).toBe('ABCA'); // 252 % 3 = 0
  });

  it('hashes the destination address: 10.0.0.1 -> bucket 39 -> 39 % 3 = 0 -> A; 10.0.0.2 -> 137 % 3 = 2 -> C', () => {
    const s = new DestinationHashing();
    const { dests, ids } = makeDests([5, 1, 1]);
    s.update(ids, dests);
    expect(s.schedule(dests, 0, 0, IP1, 80, 0)).toBe(1);
    expect(s.schedule(dests, 0, 0, IP2, 80, 0)).toBe(3);
    expect(s.schedule(dests, IP2, 0, IP1, 80, 0)).toBe(1); // the source does not matter
  });

  it('returns no dest when the bucket dest is overloaded, quiesced or gone from the service; never falls back', () => {
    const s = new DestinationHashing();
    const { dests, ids } = makeDests([1, 1, 1]);
    s.update(ids, dests);
    setOverload(dests, 1, true);
    expect(s.schedule(dests, 0, 0, IP1, 80, 0)).toBe(0);
    setOverload(dests, 1, false);
    dests.weight[1] = 0;
    expect(s.schedule(dests, 0, 0, IP1, 80, 0)).toBe(0);
    dests.weight[1] = 1;
    dests.flags[1] = 0; // not AVAILABLE
    expect(s.schedule(dests, 0, 0, IP1, 80, 0)).toBe(0);
  });

  it('is rebuilt when dests come and go: removing B shifts the round robin', () => {
    const s = new DestinationHashing();
    const { dests, ids } = makeDests([1, 1, 1]);
    s.update(ids, dests);
    s.update(Uint32Array.from([1, 3]), dests);
    expect(names([...s.buckets()].slice(0, 4))).toBe('ACAC');
    // 10.0.0.2 -> bucket 137 -> odd -> C
    expect(s.schedule(dests, 0, 0, IP2, 80, 0)).toBe(3);
  });
});
