// The contract every scheduler keeps, run against each one registered (and
// against the flag and option variants that change its code path).
import { describe, expect, it } from 'vitest';
import { createScheduler, implementedSchedulers } from '../../src/sched/registry.js';
import { DEST_OVERLOAD, usable, type SchedulerOptions } from '../../src/sched/types.js';
import { lcg, makeDests, setOverload } from './helpers.js';

const variants: Array<[string, string[], SchedulerOptions]> = implementedSchedulers().map((n) => [n, [], {}]);
for (const n of ['lc', 'wlc', 'sed', 'nq', 'lblc', 'lblcr']) variants.push([n, [], { indexMin: 0 }]);
variants.push(['sh', ['sh-fallback', 'sh-port'], {}], ['mh', ['mh-fallback', 'mh-port'], {}], ['mh', [], { mhTableSize: 251 }]);
variants.push(['sh', [], { legacyHash: true }], ['dh', [], { legacyHash: true }], ['lblc', [], { legacyHash: true }]);

const label = ([n, f, o]: [string, string[], SchedulerOptions]): string => [n, ...f, ...Object.entries(o).map(([k, v]) => `${k}=${v}`)].join(' ');

it('registers every IPVS scheduler', () => {
  expect(implementedSchedulers().sort()).toEqual(['dh', 'fo', 'lblc', 'lblcr', 'lc', 'mh', 'nq', 'ovf', 'rr', 'sed', 'sh', 'twos', 'wlc', 'wrr']);
});

describe.each(variants.map((v) => [label(v), v] as const))('%s', (_label, [name, flags, opts]) => {
  const make = () => createScheduler(name, flags, opts);

  it('returns 0 for an empty list', () => {
    const s = make();
    const { dests } = makeDests([]);
    s.update(new Uint32Array(0), dests);
    expect(s.schedule(dests, 0x01020304, 1000, 0x05060708, 80, 0)).toBe(0);
  });

  it('returns 0 when every dest is quiesced (weight 0) or overloaded', () => {
    for (const overloaded of [false, true]) {
      const s = make();
      const { dests, ids } = makeDests([1, 2, 3].map((w) => (overloaded ? { w, overloaded } : { w: 0 })));
      s.update(ids, dests);
      for (let k = 0; k < 50; k++) expect(s.schedule(dests, 0x0a000000 + k, 1000 + k, 0xc0a80000 + k, 80, k)).toBe(0);
    }
  });

  it('over random changes returns list members only, never a weight-0 one, an overloaded one only where IPVS does, and is deterministic', () => {
    const runOnce = (): number[] => {
      const rnd = lcg(42);
      const s = make();
      const { dests, ids } = makeDests(Array.from({ length: 40 }, (_, i) => ({ w: i % 5, active: i % 3, inactive: i % 4 })));
      s.update(ids, dests);
      const out: number[] = [];
      for (let step = 0; step < 3000; step++) {
        const d = ids[rnd() % ids.length];
        const op = rnd() % 10;
        if (op === 0) {
          dests.weight[d] = rnd() % 6;
          s.update(ids, dests);
        } else if (op === 1) {
          setOverload(dests, d, (rnd() & 1) === 1);
        } else if (op < 5) {
          dests.active[d] = rnd() % 4;
          dests.inactive[d] = rnd() % 4;
        }
        s.changed?.(d, dests);
        const saddr = 0x0a000000 + (rnd() % 64);
        const daddr = 0xc0a80000 + (rnd() % 16);
        const got = s.schedule(dests, saddr, rnd() & 0xffff, daddr, 80, step * 1000);
        out.push(got);
        const anyUsable = ids.some((x) => usable(dests, x));
        if (got === 0) continue;
        expect(ids.includes(got)).toBe(true);
        expect(dests.weight[got]).toBeGreaterThan(0);
        // lblc uses its cached dest whatever the OVERLOAD flag says (ip_vs_lblc.c checks weight and its own overload rule).
        if (name !== 'lblc') expect(dests.flags[got] & DEST_OVERLOAD).toBe(0);
        if (!anyUsable) expect(name).toBe('lblc');
      }
      return out;
    };
    const a = runOnce();
    expect(a.some((d) => d !== 0)).toBe(true);
    expect(runOnce()).toEqual(a);
  });
});
