// The lblc/lblcr collector: the partial collection past 16,384 entries, bucket
// by bucket from the rover, and the lazy catch-up of timer ticks against a
// plain one-tick-at-a-time run.
import { describe, expect, it } from 'vitest';
import { hash32 } from '../../src/sched/hash.js';
import { LocalityLeastConnection } from '../../src/sched/lblc.js';
import { CHECK_EXPIRE_INTERVAL, LOCALITY_MAX_SIZE, LocalityTable, type LocalityEntry } from '../../src/sched/locality-table.js';
import { lcg, makeDests } from './helpers.js';

describe('partial collection', () => {
  it('no new entry once the table holds more than 16 * 1024; past that, idle (>= 6 min) entries go bucket by bucket', () => {
    const s = new LocalityLeastConnection();
    const { dests, ids } = makeDests([1]);
    s.update(ids, dests);
    const base = 0x0a000000;
    for (let k = 0; k < LOCALITY_MAX_SIZE + 10; k++) s.schedule(dests, 0, 0, base + k, 80, 0);
    // "if (atomic_read(&tbl->entries) > tbl->max_size) return NULL": 16,384 is not above, so one more
    expect(s.table.size).toBe(LOCALITY_MAX_SIZE + 1);
    // ticks at 1..5 min: over max_size, goal = (1 * 4) / 3 = 1, but nothing is idle 6 min yet
    s.schedule(dests, 0, 0, base, 80, 5 * 60_000 + 1);
    expect(s.table.size).toBe(LOCALITY_MAX_SIZE + 1);
    // tick at 6 min: everything but `base` (just used) is idle; bucket rover + 1 = 1 is emptied, then goal <= 0
    s.schedule(dests, 0, 0, base, 80, 6 * 60_000);
    let inBucket1 = 0;
    for (let k = 0; k <= LOCALITY_MAX_SIZE; k++) if (hash32(base + k, 10) === 1 && k !== 0) inBucket1++;
    expect(inBucket1).toBeGreaterThan(0);
    expect(s.table.size).toBe(LOCALITY_MAX_SIZE + 1 - inBucket1);
    for (let k = 1; k <= LOCALITY_MAX_SIZE; k++) expect(s.table.entries.has(base + k)).toBe(hash32(base + k, 10) !== 1);
  });
});

describe('lazy ticks', () => {
  it('catching up many ticks at once ends where running each tick in turn does', () => {
    const rnd = lcg(3);
    const lazy = new LocalityTable<LocalityEntry>(3_600_000);
    const stepwise = new LocalityTable<LocalityEntry>(3_600_000);
    let next = -1;
    let now = 0;
    for (let step = 0; step < 2000; step++) {
      now += rnd() % 4 === 0 ? rnd() % 20_000_000 : rnd() % 120_000;
      lazy.tick(now);
      if (next < 0) next = now + CHECK_EXPIRE_INTERVAL;
      while (now >= next) {
        stepwise.checkExpire(next);
        next += CHECK_EXPIRE_INTERVAL;
      }
      const key = rnd() % 300;
      for (const t of [lazy, stepwise]) {
        const en = t.entries.get(key);
        if (en) en.lastuse = now;
        else t.entries.set(key, { lastuse: now });
      }
      expect([...lazy.entries.keys()].sort()).toEqual([...stepwise.entries.keys()].sort());
    }
  });

  it('a clock that starts at the epoch does not run a tick per minute since 1970', () => {
    const t = new LocalityTable<LocalityEntry>();
    const start = Date.UTC(2024, 0, 1);
    t.tick(start);
    t.entries.set(1, { lastuse: start });
    t.tick(start + 365 * 24 * 3_600_000);
    expect(t.size).toBe(0);
  });
});
