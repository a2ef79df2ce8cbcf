// The timer wheel alone, against a model of its guarantee: an entry fires on the first
// sweep whose tick reaches ceil(deadline / tick), whatever the re-arming in between.
import { describe, expect, it } from 'vitest';
import { TimerWheel, type WheelOwner } from '../../src/conn/index.js';
import { T0, prng } from './helpers.js';

const TICK = 64;

describe('TimerWheel', () => {
  it('fires at the deadline tick, not before; a later re-arm is lazy, an earlier one immediate', () => {
    const w = new TimerWheel(8, TICK, 16);
    const fired: number[] = [];
    const owner: WheelOwner = { fire: (s) => (fired.push(s), 1) };
    w.start(T0);
    w.insert(1, w.deadline(T0, 1_000));
    w.insert(2, w.deadline(T0, 1_000));
    w.insert(3, w.deadline(T0, 100_000)); // far beyond 16 ticks: parked in a nearer slot
    w.reschedule(1, w.deadline(T0, 5_000)); // later: only `expires` moves
    w.reschedule(3, w.deadline(T0, 200)); // earlier: re-filed now
    expect(w.sweep(T0 + 199, 100, owner)).toBe(0);
    expect(w.sweep(T0 + 200 + TICK, 100, owner)).toBe(1);
    expect(fired).toEqual([3]);
    w.sweep(T0 + 1_000 + TICK, 100, owner);
    expect(fired).toEqual([3, 2]);
    w.sweep(T0 + 4_999, 100, owner);
    expect(fired).toEqual([3, 2]);
    w.sweep(T0 + 5_000 + TICK, 100, owner);
    expect(fired).toEqual([3, 2, 1]);
    expect(w.remaining(1, T0 + 5_000 + TICK)).toBe(0);
  });

  for (const size of [4, 64]) {
    it(`random timers on a ${size}-slot wheel fire exactly on the first sweep past their deadline`, () => {
      const rnd = prng(size);
      const int = (n: number): number => Math.floor(rnd() * n);
      const N = 500;
      const w = new TimerWheel(N, TICK, size);
      const deadline = new Float64Array(N + 1).fill(-1); // ms, -1 = not armed
      let now = T0 + 17;
      let bad = 0;
      const owner: WheelOwner = {
        fire(s, at) {
          const due = Math.ceil(deadline[s] / TICK);
          if (deadline[s] < 0 || Math.floor(at / TICK) < due) bad++; // early, or not armed
          if (rnd() < 0.2) { // re-arm from inside the callback, like a template in control
            deadline[s] = at + 1 + int(20_000);
            w.insert(s, w.deadline(at, deadline[s] - at));
            return 0;
          }
          deadline[s] = -1;
          return 1;
        },
      };
      w.start(now);
      for (let step = 0; step < 20_000; step++) {
        const s = 1 + int(N);
        const r = rnd();
        if (r < 0.5) {
          const ms = int(rnd() < 0.9 ? 5_000 : 200_000);
          if (deadline[s] < 0) w.insert(s, w.deadline(now, ms));
          else w.reschedule(s, w.deadline(now, ms));
          deadline[s] = now + ms;
        } else {
          now += rnd() < 0.95 ? int(300) : int(1_000_000);
          w.sweep(now, 1_000_000, owner);
          const tick = Math.floor(now / TICK);
          for (let i = 1; i <= N; i++) {
            if (deadline[i] >= 0 && tick >= Math.ceil(deadline[i] / TICK)) bad++; // late: should have fired
          }
        }
      }
      expect(bad).toBe(0);
    });
  }

  it('rejects a wheel size that is not a power of two, and a non-positive tick', () => {
    expect(() => new TimerWheel(4, TICK, 12)).toThrow(RangeError);
    expect(() => new TimerWheel(4, 0, 16)).toThrow(RangeError);
  });
});
