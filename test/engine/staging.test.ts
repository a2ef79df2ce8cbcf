// Big table changes reach the data plane in slices (ServiceRuntime.stage)
// followed by the delta that switches the version: the result must be the same
// as applying the delta at once, and nothing staged may be seen before.
import { describe, expect, it } from 'vitest';
import { DEST_F_AVAILABLE } from '../../src/conn/dests.js';
import { ServiceRuntime } from '../../src/engine/services.js';
import { diffTables, sliceDelta } from '../../src/model/diff.js';
import { buildTable, type RealServer, type ServiceTable } from '../../src/model/index.js';

const server = (i: number, weight = 1): RealServer => ({ name: `rs${i}`, address: 0x0a000000 + i, port: 80, weight, forward: 'nat', upperThreshold: 0, lowerThreshold: 0 });
const svc = (servers: RealServer[]) => ({
  name: 'web', protocol: 'tcp' as const, address: 0xc6120010, port: 80, fwmark: 0, scheduler: 'wlc', schedFlags: [], persistence: 0,
  persistMask: 0xffffffff, onePacket: false, servers,
});
const table = (servers: RealServer[]): ServiceTable => buildTable({ services: [svc(servers)] });
const range = (from: number, to: number, weight = 1): RealServer[] => Array.from({ length: to - from }, (_, k) => server(from + k, weight));

/** The list (addresses in IPVS order) and each dest's weight and availability. */
function state(rt: ServiceRuntime): Array<[number, number, boolean]> {
  const e = rt.entryOf('TCP 198.18.0.16:80')!;
  return [...e.ids].map((d) => [rt.destAddr[d] - 0x0a000000, rt.dests.weight[d], (rt.dests.flags[d] & DEST_F_AVAILABLE) !== 0]);
}

/** Applies `next` over `prev` in slices of 100, as the data plane's client sends a big delta. */
function sliced(rt: ServiceRuntime, prev: ServiceTable | null, next: ServiceTable): void {
  const { stages, final } = sliceDelta(diffTables(prev, next), 100);
  for (const s of stages) rt.stage(next.version, s.key, s.servers, s.remove);
  rt.applyDelta(final);
}

describe('staged table changes', () => {
  it('slices only deltas with more servers than a slice, and the sliced result is the delta\'s', () => {
    const t0 = table(range(1, 50));
    expect(sliceDelta(diffTables(null, t0), 100).stages).toEqual([]);
    const t1 = table([...range(1, 50), ...range(50, 400, 2)]);
    const t2 = table([...range(1, 20), ...range(20, 400, 3), ...range(400, 650)]);
    // Most servers leave, others come: removes are staged too.
    const t3 = table([...range(500, 650, 3), ...range(700, 900)]);
    const direct = new ServiceRuntime(2048);
    const staged = new ServiceRuntime(2048);
    for (const [prev, next] of [[null, t0], [t0, t1], [t1, t2], [t2, t3]] as const) {
      direct.applyDelta(diffTables(prev, next));
      sliced(staged, prev, next);
      expect(state(staged)).toEqual(state(direct));
    }
    expect(state(staged)).toHaveLength(350);
  });

  it('keeps staged servers out of the list and unavailable, and their settings unapplied, until the delta', () => {
    const rt = new ServiceRuntime(2048);
    const t0 = table(range(1, 11));
    rt.applyDelta(diffTables(null, t0));
    const before = state(rt);
    const t1 = table([...range(1, 11, 5), ...range(11, 500)]);
    const { stages, final } = sliceDelta(diffTables(t0, t1), 100);
    for (const s of stages) rt.stage(t1.version, s.key, s.servers, s.remove);
    expect(state(rt)).toEqual(before);
    rt.applyDelta(final);
    // The ten that stayed keep their places at the tail (IPVS order: the last added first), with the new weight.
    expect(state(rt).slice(-10)).toEqual(range(1, 11).reverse().map((r) => [r.address - 0x0a000000, 5, true]));
    expect(state(rt)).toHaveLength(499);
  });

  it('drops what was staged for a version that never came: fresh ids are freed, nothing is listed', () => {
    const rt = new ServiceRuntime(1024);
    const t0 = table(range(1, 11));
    rt.applyDelta(diffTables(null, t0));
    const t1 = table(range(1, 900));
    for (const s of sliceDelta(diffTables(t0, t1), 100).stages) rt.stage(t1.version, s.key, s.servers, s.remove);
    // Another version comes instead: the 889 staged dests give their ids back, or this one would not fit.
    const t2 = table([...range(1, 11), ...range(2000, 2900)]);
    sliced(rt, t0, t2);
    expect(state(rt)).toHaveLength(910);
    expect(state(rt).every(([, , up]) => up)).toBe(true);
  });

  it('refuses a delta that names staged servers nobody staged, changing nothing', () => {
    const rt = new ServiceRuntime(64);
    const t0 = table(range(1, 5));
    rt.applyDelta(diffTables(null, t0));
    const d = { ...diffTables(t0, table(range(1, 9))) };
    d.services = d.services.map((s) => ({ ...s, upsert: [], staged: true }));
    expect(() => rt.applyDelta(d)).toThrow(/not staged/);
    expect(state(rt)).toHaveLength(4);
  });
});
