// Several data-plane workers seen as one (router/merged-memory.ts,
// router/dataplane-multi.ts), without threads: real engines given the same
// deltas, driven with frames, their counters summed as the control plane reads
// them (control/views.ts rawStats), including when a worker freed a removed
// server's id and gave it to a new one while another worker still holds it.
import { describe, expect, it } from 'vitest';
import { rawStats, statsKey } from '../../src/control/views.js';
import { Engine } from '../../src/engine/engine.js';
import { loopMemory, memoryOf } from '../../src/engine/published.js';
import type { ServiceLayout } from '../../src/engine/services.js';
import { diffTables } from '../../src/model/diff.js';
import { serviceKey, type ServiceTable } from '../../src/model/index.js';
import { buildTcp } from '../../src/packet/build.js';
import { VERDICT_TX } from '../../src/frames/batch.js';
import { MergedMemory } from '../../src/router/merged-memory.js';
import { workersProblem } from '../../src/cli/start.js';
import { deltaForWorker, MultiDataPlane, SYNC_NEEDS_ONE_WORKER, thresholdShare } from '../../src/router/dataplane-multi.js';
import type { WorkerDataPlane } from '../../src/router/dataplane-client.js';
import type { DataPlaneSpec } from '../../src/router/dataplane.js';
import { addNeighbours, ETH0_MAC, ETH1_MAC, ip, run, service, table, VIP } from '../engine/helpers.js';

const SYN = 0x02;
const mem = (e: Engine) => memoryOf(e, loopMemory());

/** Engines given the same tables, as the workers are; layouts kept per worker as MultiDataPlane keeps them. */
function workers(n: number, t0: ServiceTable) {
  const engines = Array.from({ length: n }, () => new Engine({ interfaces: [{ name: 'eth0', mac: ETH0_MAC }, { name: 'eth1', mac: ETH1_MAC }], connCapacity: 1024 }));
  const layouts = engines.map((e) => new Map(e.applyDelta(diffTables(null, t0)).map((l): [string, ServiceLayout] => [l.key, l])));
  for (const e of engines) addNeighbours(e, t0);
  let prev = t0;
  const merged = new MergedMemory(engines.map(mem));
  merged.setLayouts(layouts);
  return {
    engines, merged, layouts,
    apply(next: ServiceTable): void {
      const d = diffTables(prev, next);
      engines.forEach((e, k) => {
        for (const l of e.applyDelta(d)) layouts[k].set(l.key, l);
        addNeighbours(e, next);
      });
      prev = next;
      merged.setLayouts(layouts);
    },
  };
}

/** A SYN from `client` to the VIP through worker `e`: the server it was sent to. */
const connect = (e: Engine, client: string, port: number): number => {
  const out = run(e, buildTcp({ dstMac: ETH0_MAC, src: ip(client), dst: VIP, sport: port, dport: 80, flags: SYN }), 0);
  expect(out.verdict).toBe(VERDICT_TX);
  return (out.frame[30] << 24 | out.frame[31] << 16 | out.frame[32] << 8 | out.frame[33]) >>> 0;
};

describe('the counters of several workers, summed', () => {
  it('sums per server and per service, across ids that differ between workers', () => {
    const A = { addr: '198.19.0.11' }, B = { addr: '198.19.0.12' }, C = { addr: '198.19.0.13' }, D = { addr: '198.19.0.14' };
    const t0 = table([service([A, B])]);
    const w = workers(2, t0);
    const [e0, e1] = w.engines;
    // Worker 1 holds a connection to A; worker 0 none.
    const held = connect(e1, '198.18.1.1', 1000);
    const Y = held === ip(A.addr) ? B : A;
    // The held server leaves (worker 0 frees its id at once, worker 1 keeps it for its connection), C comes.
    w.apply({ ...table([service([Y, C])]), version: 2 });
    // D comes: worker 0 gives it the old id, worker 1 a new one.
    w.apply({ ...table([service([Y, C, D])]), version: 3 });
    const key = serviceKey(t0.services[0]);
    const d0 = w.layouts[0].get(key)!.ids, d1 = w.layouts[1].get(key)!.ids;
    expect([...d0]).not.toEqual([...d1]);
    // Six connections through each worker: rr over Y, C, D on each.
    for (let i = 0; i < 6; i++) {
      connect(e0, `198.18.2.${i}`, 2000 + i);
      connect(e1, `198.18.3.${i}`, 3000 + i);
    }
    const t3 = { ...table([service([Y, C, D])]), version: 3 };
    const m = w.merged.view;
    const stats = rawStats(t3, w.layouts[0], m);
    for (const s of [Y, C, D]) expect(stats.get(statsKey(key, ip(s.addr), 80))!.conns, s.addr).toBe(4);
    // The service: 12 now plus the one A still holds in worker 1; the total the same.
    expect(stats.get(key)!.conns).toBe(13);
    expect(stats.get('total')!.conns).toBe(13);
    // Active counts per server summed too (SYN_RECV counts as inactive in IPVS; active + inactive = 4).
    for (const d of d0) expect(m.active[d] + m.inactive[d]).toBe(4);
    // The engine's own counters: both workers' frames.
    expect(m.totals[0]).toBe(e0.counters.rxFrames + e1.counters.rxFrames);
    expect(m.totals[0]).toBe(13);
  });
});

describe('MultiDataPlane', () => {
  const spec: DataPlaneSpec = { devices: ['eth0'], macs: [new Uint8Array(6)], connCapacity: 1000, backend: 'native' };
  /** Workers that answer from canned connection pages. */
  const fake = (totals: number[]) => {
    const made: DataPlaneSpec[] = [];
    const fakes: Array<{ started: Array<number[] | undefined> }> = [];
    const order: number[] = [];
    const dp = new MultiDataPlane(spec, totals.length, console as never, (s) => {
      const k = made.push(s) - 1;
      const conns = Array.from({ length: totals[k] }, (_, i) => ({ client: `w${k}`, clientPort: i }));
      const w = {
        fanoutGroups: undefined as number[] | undefined,
        started: [] as Array<number[] | undefined>,
        start: async (_d: unknown, groups?: number[]) => {
          order.push(k);
          w.started.push(groups);
          if (k === 0) w.fanoutGroups = [77, 78];
          return [];
        },
        memory: mem(new Engine({ interfaces: [{ name: 'eth0', mac: ETH0_MAC }], connCapacity: 8 })),
        onArp: () => {}, onFailure: () => {},
        conns: async (offset: number, limit: number) => ({ total: totals[k], offset, conns: conns.slice(offset, offset + limit) }),
      };
      fakes.push(w);
      return w as unknown as WorkerDataPlane;
    });
    return { dp, made, fakes, order };
  };

  it('a worker that refuses a version worker 0 took is a data plane that died: told to onFailure, and the change refused', async () => {
    const { dp, fakes } = fake([0, 0, 0]);
    const applied: number[] = [];
    fakes.forEach((w, k) => Object.assign(w, {
      apply: async () => {
        applied.push(k);
        if (k === 2) throw new Error('too many real servers (capacity 7)');
        return [];
      },
    }));
    const died: string[] = [];
    dp.onFailure((why) => died.push(why));
    await expect(dp.apply({ version: 9, removed: [], services: [], globals: null })).rejects.toThrow('worker 2 refused table version 9 that worker 0 runs: too many real servers (capacity 7)');
    expect(applied.sort()).toEqual([0, 1, 2]);
    expect(died).toEqual(['worker 2 refused table version 9 that worker 0 runs: too many real servers (capacity 7)']);
  });

  it('gives each worker its index and its share of conn_capacity', () => {
    const { made } = fake([0, 0, 0]);
    expect(made.map((s) => s.worker!)).toEqual([0, 1, 2].map((index) => ({ index, count: 3 })));
    expect(made.map((s) => s.connCapacity)).toEqual([334, 334, 334]);
  });

  it('starts the workers one after the other, the first making the fanout groups the others join', async () => {
    const { dp, fakes, order } = fake([0, 0, 0]);
    await dp.start(diffTables(null, table([service([{ addr: '198.19.0.11' }])])));
    expect(order).toEqual([0, 1, 2]);
    expect(fakes.map((f) => f.started)).toEqual([[undefined], [[77, 78]], [[77, 78]]]);
  });

  it('pages the workers\' connections one after the other', async () => {
    const { dp } = fake([3, 5]);
    const all = await dp.conns(0, 100);
    expect(all.total).toBe(8);
    expect(all.conns.map((c) => `${c.client}:${c.clientPort}`)).toEqual(['w0:0', 'w0:1', 'w0:2', 'w1:0', 'w1:1', 'w1:2', 'w1:3', 'w1:4']);
    const page = await dp.conns(2, 3);
    expect(page).toMatchObject({ total: 8, offset: 2 });
    expect(page.conns.map((c) => `${c.client}:${c.clientPort}`)).toEqual(['w0:2', 'w1:0', 'w1:1']);
    expect((await dp.conns(7, 10)).conns.map((c) => `${c.client}:${c.clientPort}`)).toEqual(['w1:4']);
  });

  it('refuses connection sync with a clear error, and stopping sync is fine', async () => {
    const { dp } = fake([0, 0]);
    await expect(dp.setSync({ role: 'master', address: 1, syncid: 0, version: 1 } as never)).rejects.toThrow(SYNC_NEEDS_ONE_WORKER);
    await expect(dp.setSync({ role: null } as never)).resolves.toBeUndefined();
  });
});

describe('connection thresholds with several workers', () => {
  it('splits each server\'s u_threshold and l_threshold between the workers, the shares summing to it', () => {
    for (const [t, n] of [[100, 2], [7, 3], [3, 2], [64, 4]]) {
      const shares = Array.from({ length: n }, (_, k) => thresholdShare(t, k, n));
      expect(shares.reduce((a, b) => a + b, 0)).toBe(t);
      expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
    }
    expect(thresholdShare(0, 1, 2)).toBe(0); // no limit stays no limit
    expect(thresholdShare(1, 1, 2)).toBe(1); // never 0, which would lift the limit
  });

  it('gives each worker its share in the delta, and the summed view shows the server\'s own', () => {
    const t = table([service([{ addr: '198.19.0.11', upper: 9, lower: 4 }, { addr: '198.19.0.12' }])]);
    const d = diffTables(null, t);
    const [d0, d1] = [deltaForWorker(d, 0, 2), deltaForWorker(d, 1, 2)];
    expect(d0.services[0].upsert.map((r) => [r.upperThreshold, r.lowerThreshold])).toEqual([[5, 2], [0, 0]]);
    expect(d1.services[0].upsert.map((r) => [r.upperThreshold, r.lowerThreshold])).toEqual([[4, 2], [0, 0]]);
    // Engines given their shares: the merged view sums them back.
    const engines = [d0, d1].map((x) => {
      const e = new Engine({ interfaces: [{ name: 'eth0', mac: ETH0_MAC }, { name: 'eth1', mac: ETH1_MAC }], connCapacity: 64 });
      return { e, layouts: new Map(e.applyDelta(x).map((l): [string, ServiceLayout] => [l.key, l])) };
    });
    const merged = new MergedMemory(engines.map((x) => mem(x.e)));
    merged.setLayouts(engines.map((x) => x.layouts));
    const ids = engines[0].layouts.get(serviceKey(t.services[0]))!.ids;
    const byAddr = Object.fromEntries([...ids].map((id) => [merged.view.addr[id], [merged.view.upper[id], merged.view.lower[id]]]));
    expect(byAddr[ip('198.19.0.11')]).toEqual([9, 4]);
    expect(byAddr[ip('198.19.0.12')]).toEqual([0, 0]);
  });
});

describe('tsvs start --workers', () => {
  it('takes 1 to the number of cores, more than 1 only with worker threads on AF_PACKET', () => {
    expect(workersProblem(1, 2, false)).toBeNull();
    expect(workersProblem(2, 2, false)).toBeNull();
    expect(workersProblem(3, 2, false)).toBe('--workers 3: this machine has 2 cores; give 1 to 2');
    expect(workersProblem(2, 2, true)).toMatch(/needs the native AF_PACKET backend/);
    expect(workersProblem(1, 2, true)).toBeNull();
  });
});
