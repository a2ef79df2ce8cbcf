// A big table change reaches the data plane's loop in steps (DataPlaneHost.stageLater
// and applyLater): servers staged, then each staged service's next list and
// scheduler state prepared, then the switch, with the loop's turns (its batches)
// between every two steps. What a user relies on: between any two steps the running
// table is the old one, whole; after the switch the new one, whole, with a
// scheduler that picks what it would have picked had it been rebuilt at the switch
// (counters that moved meanwhile included); and changes queued behind one another
// come out as if applied one by one.
import { describe, expect, it } from 'vitest';
import { DEST_F_AVAILABLE } from '../../src/conn/dests.js';
import { MemoryPort } from '../../src/io/memory.js';
import { diffTables, sliceDelta } from '../../src/model/diff.js';
import { buildTable, type RealServer, type ServiceTable } from '../../src/model/index.js';
import { DataPlaneHost, observeGc } from '../../src/router/dataplane-host.js';
import { BATCH_MICRO_BOUNDS, H_VERSION } from '../../src/engine/published.js';
import { createLogger } from '../../src/router/log.js';
import { wlcScan } from '../../src/sched/wlc.js';
import type { LivePort } from '../../src/frames/port.js';

const KEY = 'TCP 198.18.0.16:80';
const server = (i: number, weight = 1): RealServer => ({ name: `rs${i}`, address: 0x0a000000 + i, port: 80, weight, forward: 'dr', upperThreshold: 0, lowerThreshold: 0 });
const range = (from: number, to: number, weight = 1): RealServer[] => Array.from({ length: to - from }, (_, k) => server(from + k, weight));
const table = (scheduler: string, servers: RealServer[]): ServiceTable => buildTable({
  services: [{
    name: 'web', protocol: 'tcp', address: 0xc6120010, port: 80, fwmark: 0, scheduler, schedFlags: [], persistence: 0,
    persistMask: 0xffffffff, onePacket: false, servers,
  }],
});

class QuietPort extends MemoryPort implements LivePort {
  onReadable(): void {}
}

/** A host whose clock moves 50 µs a look, so a change of a few thousand servers takes many steps. */
function host(): DataPlaneHost {
  let t = 0;
  const h = new DataPlaneHost({
    devices: ['eth0'], macs: [Uint8Array.of(2, 0, 0, 0, 0, 1)], connCapacity: 4096, shared: false,
    log: createLogger({ write: () => {} }), openPort: () => new QuietPort(), clock: () => (t += 0.05),
  });
  return h;
}

/** The service's list as addresses (server numbers), and whether every listed dest is available. */
function listed(h: DataPlaneHost): { servers: number[]; allAvailable: boolean } {
  const rt = h.engine.services;
  const e = rt.entryOf(KEY)!;
  const ids = [...e.ids];
  return { servers: ids.map((d) => rt.destAddr[d] - 0x0a000000), allAvailable: ids.every((d) => (rt.dests.flags[d] & DEST_F_AVAILABLE) !== 0) };
}

/** Hands a big delta over as the worker's client does, slices then the final, all queued at once; resolves when applied. */
function change(h: DataPlaneHost, prev: ServiceTable, next: ServiceTable): Promise<unknown> {
  const delta = diffTables(prev, next);
  const { stages, final } = sliceDelta(delta);
  return Promise.all([...stages.map((s) => h.stageLater(delta.version, s.key, s.servers, s.remove)), h.applyLater(final)]);
}

describe('table changes in steps between batches', () => {
  for (const sched of ['wlc', 'rr']) {
    it(`${sched}: every step leaves the old table whole, the switch puts in the new one whole, picking as a rebuilt scheduler would`, async () => {
      const h = host();
      const t0 = table(sched, range(1, 3001));
      h.start(diffTables(null, t0));
      try {
        const before = listed(h);
        // A thousand servers leave, 1,500 come (quiesced: weight 0), 2,000 stay, one of them with a new weight.
        const t1 = table(sched, [...range(1001, 3000), server(3000, 3), ...range(3001, 4501, 0)]);
        const after = [...range(3001, 4501)].reverse().map((r) => r.address - 0x0a000000).concat(before.servers.filter((a) => a > 1000));
        const dests = h.engine.services.dests;
        const steps: string[] = [];
        let switched = false;
        let moved = 0;
        h.onStep = (what) => {
          steps.push(what);
          if (what === 'switch') switched = true;
          const now = listed(h);
          expect(now.allAvailable).toBe(true);
          expect(now.servers).toEqual(switched ? after : before.servers);
          if (switched) return;
          // Connections come to the servers that stay, head first, while the change is under way:
          // the scheduler state prepared for the next list must count them.
          const e = h.engine.services.entryOf(KEY)!;
          for (let k = 0; k < 5; k++) {
            const d = e.ids[moved++];
            dests.active[d] += 1;
            dests.onChange?.(d);
          }
        };
        await change(h, t0, t1);
        expect(steps.filter((s) => s === 'stage').length).toBeGreaterThan(2);
        expect(steps.filter((s) => s === 'prepare').length).toBeGreaterThan(1);
        expect(steps.filter((s) => s === 'switch')).toHaveLength(1);
        const e = h.engine.services.entryOf(KEY)!;
        const picked = e.scheduler.schedule(dests, 1, 1, 1, 1, 0);
        // wlc: the first server that stays and got no connection (what a scan of the list finds);
        // rr: nothing scheduled yet, the first usable one from the head.
        if (sched === 'wlc') {
          expect(picked).toBe(wlcScan(e.ids, dests));
          expect(dests.active[picked]).toBe(0);
        } else expect(h.engine.services.destAddr[picked] - 0x0a000000).toBe(3000);
        expect(dests.weight[e.ids[1500]]).toBe(3);
        // The servers that left are out of service: a synced connection to one finds no dest.
        expect(h.engine.services.findDest(e.id, server(1).address, 80)).toBe(0);
        expect(h.engine.services.findDest(e.id, server(1001).address, 80)).toBeGreaterThan(0);
      } finally {
        h.stop();
      }
    });
  }

  for (const sched of ['wlc', 'rr']) it(`${sched}: changes queued while one is staging come out as if applied one after the other`, async () => {
    const h = host();
    const t0 = table(sched, range(1, 2001));
    h.start(diffTables(null, t0));
    try {
      const t1 = table(sched, range(1000, 3500));
      const t2 = table(sched, [...range(1000, 3500, 2), ...range(5000, 5010)]);
      const t3 = table(sched, range(1000, 1100));
      // Not awaited: the second and third queue behind the first, whose steps are still running.
      const all = [change(h, t0, t1), change(h, t1, t2), change(h, t2, t3)];
      await Promise.all(all);
      expect(listed(h)).toEqual({ servers: range(1000, 1100).reverse().map((r) => r.address - 0x0a000000), allAvailable: true });
      const rt = h.engine.services;
      const e = rt.entryOf(KEY)!;
      expect([...e.ids].every((d) => rt.dests.weight[d] === 1)).toBe(true);
      // The last list, and positions in it right (rr's walk, wlc's index) after three prepared switches in a row.
      for (let k = 0; k < 150; k++) {
        const d = e.scheduler.schedule(rt.dests, 1, 1, 1, 1, 0);
        if (sched === 'wlc') expect(d).toBe(wlcScan(e.ids, rt.dests));
        else expect(d).toBe(e.ids[k % e.ids.length]);
        rt.dests.active[d] += 1;
        rt.dests.onChange?.(d);
      }
    } finally {
      h.stop();
    }
  });

  it('a staged change that cannot be applied is refused whole, and the next one runs', async () => {
    const h = host();
    const t0 = table('rr', range(1, 11));
    h.start(diffTables(null, t0));
    try {
      const bad = { ...diffTables(t0, table('rr', range(1, 5))) };
      bad.services = bad.services.map((s) => ({ ...s, remove: [], staged: true, key: 'TCP 198.18.0.99:80' }));
      await expect(h.applyLater(bad)).rejects.toThrow(/not (staged|running)/);
      expect(listed(h).servers).toHaveLength(10);
      const t1 = table('rr', range(1, 2001));
      await change(h, t0, t1);
      expect(listed(h).servers).toHaveLength(2000);
    } finally {
      h.stop();
    }
  });

  /** A table of `n` services of `per` servers each, server numbers from `base`. */
  const many = (n: number, per: number, base: number): ServiceTable => buildTable({
    services: Array.from({ length: n }, (_, k) => ({
      name: `s${k}`, protocol: 'tcp' as const, address: 0xc6120000 + k, port: 80, fwmark: 0, scheduler: 'rr', schedFlags: [], persistence: 0,
      persistMask: 0xffffffff, onePacket: false, servers: range(base + k * per, base + (k + 1) * per),
    })),
  });

  it('a change to a thousand services is switched in parts of a step each, every service whole at every step, the version published after the last', async () => {
    const h = host();
    const t0 = many(1000, 3, 1);
    h.start(diffTables(null, t0));
    try {
      const t1 = many(1000, 3, 100_000);
      const rt = h.engine.services;
      const serversOf = (k: number): number[] => [...rt.entryOf(`TCP ${198}.${18}.${(k >> 8) & 255}.${k & 255}:80`)!.ids].map((d) => rt.destAddr[d]).sort((a, b) => a - b);
      const oldOf = (k: number) => range(1 + 3 * k, 4 + 3 * k).map((r) => r.address);
      const newOf = (k: number) => range(100_000 + 3 * k, 100_003 + 3 * k).map((r) => r.address);
      let switches = 0;
      let versionDuring = -1;
      h.onStep = (what) => {
        if (what !== 'switch') return;
        switches++;
        versionDuring = Math.max(versionDuring, h.memory.host[H_VERSION]);
        // Each service is the old one whole or the new one whole, never a mix.
        for (const k of [0, 311, 512, 999]) expect([oldOf(k), newOf(k)]).toContainEqual(serversOf(k));
      };
      await change(h, t0, t1);
      expect(switches).toBeGreaterThan(2);
      for (const k of [0, 311, 512, 999]) expect(serversOf(k)).toEqual(newOf(k));
      expect(h.memory.host[H_VERSION]).toBe(t1.version);
      expect(versionDuring).toBeLessThan(t1.version);
    } finally {
      h.stop();
    }
  });

  it('a many-service change that cannot run is refused before its first part', async () => {
    const h = host();
    const t0 = many(300, 1, 1);
    h.start(diffTables(null, t0));
    try {
      const delta = diffTables(t0, many(300, 2, 1));
      // The last service names a scheduler that does not exist: nothing of the version may go in.
      const bad = { ...delta, services: delta.services.map((d, i) => (i === delta.services.length - 1 ? { ...d, settings: { ...t0.services[0], scheduler: 'nope' } } : d)) };
      await expect(h.applyLater(bad)).rejects.toThrow(/nope/);
      expect(h.engine.services.entryOf('TCP 198.18.0.0:80')!.ids).toHaveLength(1);
    } finally {
      h.stop();
    }
  });
});

describe('what a change and the thread cost forwarding, published', () => {
  it('every step of a change is counted in stepMicros (tsvs_dataplane_change_step_duration_seconds), its time in µs', async () => {
    const h = host();
    const t0 = table('wlc', range(1, 2001));
    h.start(diffTables(null, t0));
    try {
      const took: number[] = [];
      h.onStep = (_what, ms) => took.push(ms);
      await change(h, t0, table('wlc', range(1500, 4000)));
      const m = h.memory.stepMicros;
      const n = BATCH_MICRO_BOUNDS.length;
      expect(took.length).toBeGreaterThan(3);
      expect(m[n + 1]).toBe(took.length);
      expect(m[n + 2]).toBeCloseTo(took.reduce((a, b) => a + b, 0) * 1000, 3);
      // Each step in the bucket its time falls in (bounds inclusive, as Prometheus's le).
      const expected = new Array(n + 1).fill(0);
      for (const ms of took) expected[BATCH_MICRO_BOUNDS.findIndex((b) => ms * 1000 <= b)]++;
      expect([...m.subarray(0, n + 1)]).toEqual(expected);
    } finally {
      h.stop();
    }
  });

  it("the thread's garbage collection pauses are counted in gcMicros once observed, and no longer after the undo", async () => {
    const h = host();
    const undo = observeGc(h);
    const n = BATCH_MICRO_BOUNDS.length;
    const churn = (): number => {
      let keep = 0;
      for (let k = 0; k < 200_000; k++) keep += new Array(16).fill(k).length;
      return keep;
    };
    try {
      expect(churn()).toBe(3_200_000);
      // The observer hears of a pause after it, on a later turn of the loop.
      for (let k = 0; k < 50 && h.memory.gcMicros[n + 1] === 0; k++) await new Promise((r) => setTimeout(r, 10));
      expect(h.memory.gcMicros[n + 1]).toBeGreaterThan(0);
      expect(h.memory.gcMicros.subarray(0, n + 1).reduce((a, b) => a + b, 0)).toBe(h.memory.gcMicros[n + 1]);
    } finally {
      undo();
    }
    const seen = h.memory.gcMicros[n + 1];
    churn();
    await new Promise((r) => setTimeout(r, 50));
    expect(h.memory.gcMicros[n + 1]).toBe(seen);
  });
});
