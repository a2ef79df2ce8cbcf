// Thousands of random conns inserted, looked up, touched and expired, checked step by
// step against a plain Map model (seeded PRNG, so a failure replays exactly).
import { describe, expect, it } from 'vitest';
import { CONN_F_NAT, CONN_F_TEMPLATE } from '../../src/conn/index.js';
import { T0, TCP, UDP, fixture, prng } from './helpers.js';

interface Model {
  slot: number;
  proto: number;
  c: number; cp: number; v: number; vp: number; d: number; dp: number;
  nat: boolean;
  dest: number;
  deadline: number; // ms
  at: number; // index in `all`
}

const TICK = 64;

for (const seed of [1, 2, 3]) {
  describe(`random workload, seed ${seed}`, () => {
    it('matches the model on every lookup, expiry and counter', () => {
      const rnd = prng(seed);
      const int = (n: number): number => Math.floor(rnd() * n);
      const cap = 3000;
      const { t, dests, timeouts } = fixture(cap, { wheelSize: 1024 });
      const live = new Map<string, Model>();
      const bySlot = new Map<number, Model>();
      const all: Model[] = [];
      const key = (p: number, a: number, ap: number, b: number, bp: number): string => `${p}/${a}:${ap}>${b}:${bp}`;
      // A few templates that never match lookup() and never expire in this run.
      for (let i = 0; i < 20; i++) {
        const s = t.add(TCP, 0x0a000000 + i, 0, 0xc0a80000 + (i % 4), 80, 0xac100000, 80, 0, CONN_F_TEMPLATE, 0, T0);
        t.setTimeout(s, 4_000_000_000, T0);
      }
      let now = T0;
      for (let step = 0; step < 20_000; step++) {
        const op = rnd();
        if (op < 0.45) {
          // add: small address pools so that tuples and hash chains collide
          const proto = rnd() < 0.7 ? TCP : UDP;
          const c = (0x0a000000 + int(50)) >>> 0, cp = 1024 + int(40);
          const v = (0xc0a80000 + int(4)) >>> 0, vp = rnd() < 0.5 ? 80 : 0;
          const d = (0xac100000 + int(8)) >>> 0, dp = 8000 + int(4);
          const k = key(proto, c, cp, v, vp);
          if (live.has(k) || t.lookup(proto, c, cp, v, vp) !== 0) { expect(live.has(k)).toBe(t.lookup(proto, c, cp, v, vp) !== 0); continue; }
          const nat = rnd() < 0.6;
          if (nat && live.has(key(proto, d, dp, c, cp))) continue; // the engine never creates a duplicate reply tuple
          const dest = 1 + int(8);
          const s = t.add(proto, c, cp, v, vp, d, dp, dest, nat ? CONN_F_NAT : 0, 0, now);
          if (live.size + 20 >= cap) { expect(s).toBe(0); continue; }
          expect(s).toBeGreaterThan(0);
          expect(bySlot.has(s)).toBe(false);
          const m: Model = { slot: s, proto, c, cp, v, vp, d, dp, nat, dest, deadline: now + (proto === UDP ? timeouts.udp() : 2_000), at: all.length };
          all.push(m);
          if (proto === TCP && rnd() < 0.5) { t.setTimeout(s, 1_000 + int(600_000), now); m.deadline = now + t.timeoutOf(s); }
          live.set(k, m);
          if (nat) live.set(key(proto, d, dp, c, cp), m);
          bySlot.set(s, m);
        } else if (op < 0.75) {
          // lookup a known tuple from either side, or a random miss
          if (all.length > 0 && rnd() < 0.8) {
            const m = all[int(all.length)];
            expect(t.lookup(m.proto, m.c, m.cp, m.v, m.vp)).toBe(2 * m.slot);
            // the reply tuple finds m when m is NAT, else whichever NAT conn has that reply tuple
            const r = live.get(key(m.proto, m.d, m.dp, m.c, m.cp));
            if (m.nat) expect(r).toBe(m);
            expect(t.lookup(m.proto, m.d, m.dp, m.c, m.cp)).toBe(r ? 2 * r.slot + 1 : 0);
          } else {
            const p = rnd() < 0.5 ? TCP : UDP, c = (0x0a000000 + int(60)) >>> 0, cp = 1024 + int(50), v = (0xc0a80000 + int(5)) >>> 0, vp = 80;
            const m = live.get(key(p, c, cp, v, vp));
            expect(t.lookup(p, c, cp, v, vp)).toBe(m ? 2 * m.slot + (m.c === c && m.cp === cp ? 0 : 1) : 0);
          }
        } else if (op < 0.85) {
          if (all.length === 0) continue;
          const m = all[int(all.length)];
          t.touch(m.slot, now);
          m.deadline = now + t.timeoutOf(m.slot);
        } else if (op < 0.87) {
          if (all.length === 0) continue;
          const m = all[int(all.length)];
          t.expireNow(m.slot);
          drop(m);
        } else {
          now += int(rnd() < 0.9 ? 2_000 : 400_000);
          t.expire(now);
          const tick = Math.floor(now / TICK);
          for (let i = all.length - 1; i >= 0; i--) {
            const m = all[i];
            const gone = tick >= Math.ceil(m.deadline / TICK); // never early, at most one tick late
            if (t.isLive(m.slot) === gone) expect({ slot: m.slot, live: t.isLive(m.slot), now, deadline: m.deadline }).toBe('consistent');
            if (gone) drop(m);
          }
        }
        if (t.count !== bySlot.size + 20) expect(t.count).toBe(bySlot.size + 20);
      }
      // every conn is inactive (no TCP transitions here), so InActConn = live conns per dest
      const perDest = new Array(16).fill(0);
      for (const m of bySlot.values()) perDest[m.dest]++;
      for (let d = 1; d < 16; d++) expect([dests.active[d], dests.inactive[d]]).toEqual([0, perDest[d]]);
      now += 1_000_000;
      t.expire(now);
      expect(t.count).toBe(20);
      for (let d = 1; d < 16; d++) expect(dests.inactive[d]).toBe(0);

      function drop(m: Model): void {
        live.delete(key(m.proto, m.c, m.cp, m.v, m.vp));
        if (m.nat) live.delete(key(m.proto, m.d, m.dp, m.c, m.cp));
        bySlot.delete(m.slot);
        const last = all.pop()!;
        if (last !== m) {
          all[m.at] = last;
          last.at = m.at;
        }
      }
    });
  });
}
