// lblc and lblcr: locality, their own overload rule, set growth and shrink.
// Each case runs with the scan and with the index (which keeps the "some dest
// has activeconns * 2 < weight" test as a counter fed by changed()).
import { describe, expect, it } from 'vitest';
import { LocalityLeastConnection } from '../../src/sched/lblc.js';
import { LocalityLeastConnectionReplicated } from '../../src/sched/lblcr.js';
import type { DestView } from '../../src/sched/types.js';
import { makeDests, setOverload, type MutableDests } from './helpers.js';
import { ServiceRuntime } from '../../src/engine/services.js';
import { buildTable, parseIPv4 } from '../../src/model/index.js';

const X = 0xc0a80001, Y = 0xc0a80002;
const paths: Array<[string, number | undefined]> = [['scan', undefined], ['index', 0]];

/** Sets a dest's active count and tells the scheduler, as the engine does. */
function setActive(s: { changed(d: number, v: DestView): void }, dests: MutableDests, d: number, n: number): void {
  dests.active[d] = n;
  s.changed(d, dests);
}

describe.each(paths)('lblc (%s)', (_p, indexMin) => {
  const setup = (specs: number[]) => {
    const s = new LocalityLeastConnection({ indexMin });
    const { dests, ids } = makeDests(specs);
    s.update(ids, dests);
    const go = (daddr: number, now = 0) => s.schedule(dests, 0x0a000001, 1000, daddr, 80, now);
    return { s, dests, ids, go };
  };

  it('sends a destination IP to its cached server even when WLC would pick another', () => {
    const { s, dests, go } = setup([1, 1]);
    expect(go(X)).toBe(1);
    setActive(s, dests, 1, 1); // WLC now prefers B, but 1 > 1 is false: A is not overloaded
    expect(go(X)).toBe(1);
    expect(go(Y)).toBe(2);
  });

  it('reassigns when the cached server has activeconns > weight and some server has activeconns * 2 < weight', () => {
    const { s, dests, go } = setup([1, 4]);
    expect(go(X)).toBe(1);
    setActive(s, dests, 1, 2); // A: 2 > 1
    setActive(s, dests, 2, 2); // B: 2 * 2 < 4 is false: nobody is less loaded, A stays
    expect(go(X)).toBe(1);
    setActive(s, dests, 2, 1); // B: 1 * 2 < 4: A is overloaded, WLC picks B and the cache follows
    expect(go(X)).toBe(2);
    setActive(s, dests, 1, 0);
    expect(go(X)).toBe(2);
  });

  it('ignores the OVERLOAD flag of the cached server (only its own rule counts), but WLC skips it', () => {
    const { s, dests, go } = setup([1, 1]);
    expect(go(X)).toBe(1);
    setOverload(dests, 1, true);
    s.changed(1, dests);
    expect(go(X)).toBe(1);
    expect(go(Y)).toBe(2);
  });

  it('reassigns when the cached server is quiesced or leaves the service', () => {
    const { s, dests, ids, go } = setup([1, 1, 1]);
    expect(go(X)).toBe(1);
    dests.weight[1] = 0;
    s.update(ids, dests);
    expect(go(X)).toBe(2);
    s.update(Uint32Array.from([1, 3]), dests); // B removed
    expect(go(X)).toBe(3);
  });

  it('keeps the entry of a server that left and was added back before the entry was used', () => {
    const { s, dests, ids, go } = setup([1, 1]);
    expect(go(X)).toBe(1);
    s.update(Uint32Array.from([2]), dests);
    s.update(ids, dests);
    setActive(s, dests, 1, 1);
    expect(go(X)).toBe(1);
  });

  it('drops entries unused for lblc_expiration (24 h) at the full check every 30 collector ticks', () => {
    const { s, go } = setup([1, 1]);
    go(X, 0); // first call: the collector's first tick is due at 60 s
    go(Y, 86_399_000); // ticks up to 86,340 s ran; the full checks (every 1,800 s) found X younger than 24 h
    expect(s.table.entries.has(X)).toBe(true);
    go(0xc0a80003, 86_400_000); // tick 1,440 is a full check: 86,400 s - 0 >= 24 h
    expect(s.table.entries.has(X)).toBe(false);
    expect(s.table.entries.has(Y)).toBe(true);
  });

  it('takes lblc_expiration from the options', () => {
    const s = new LocalityLeastConnection({ indexMin, expirationMs: 3_600_000 });
    const { dests, ids } = makeDests([1]);
    s.update(ids, dests);
    s.schedule(dests, 0, 0, X, 80, 0);
    s.schedule(dests, 0, 0, Y, 80, 1_799_000); // tick 30 (1,800 s) not run yet
    s.schedule(dests, 0, 0, Y, 80, 3_599_000); // full check at 1,800 s: X is 30 min old
    expect(s.table.entries.has(X)).toBe(true);
    s.schedule(dests, 0, 0, Y, 80, 3_600_000); // full check at 3,600 s: 1 h old -> dropped
    expect(s.table.entries.has(X)).toBe(false);
  });
});

describe.each(paths)('lblcr (%s)', (_p, indexMin) => {
  const setup = (specs: number[], expirationMs?: number) => {
    const s = new LocalityLeastConnectionReplicated({ indexMin, expirationMs });
    const { dests, ids } = makeDests(specs);
    s.update(ids, dests);
    const go = (daddr: number, now = 0) => s.schedule(dests, 0x0a000001, 1000, daddr, 80, now);
    const set = (daddr: number) => s.table.entries.get(daddr)?.set;
    return { s, dests, ids, go, set };
  };

  it('starts a set with the WLC pick and keeps using its least loaded member', () => {
    const { s, dests, go, set } = setup([1, 1]);
    expect(go(X)).toBe(1);
    expect(set(X)).toEqual([1]);
    setActive(s, dests, 1, 1);
    expect(go(X)).toBe(1);
  });

  it('grows the set with the WLC pick when its least member is overloaded by the lblc rule', () => {
    const { s, dests, go, set } = setup([1, 4, 4]);
    expect(go(X)).toBe(1);
    setActive(s, dests, 1, 2); // 2 > 1, and B: 0 * 2 < 4
    setActive(s, dests, 2, 1); // WLC: A 512/1, B 256/4, C 0/4 -> C
    expect(go(X)).toBe(3);
    expect(set(X)).toEqual([3, 1]); // newest first
    // now the set's least loaded member is C (0 conns)
    setActive(s, dests, 3, 1); // C 256/4 vs A 512/1: C
    expect(go(X)).toBe(3);
  });

  it('skips members that are overloaded (flag), quiesced or gone; none left -> WLC pick joins the set', () => {
    const { s, dests, ids, go, set } = setup([1, 1, 1]);
    expect(go(X)).toBe(1);
    setOverload(dests, 1, true);
    s.changed(1, dests);
    expect(go(X)).toBe(2);
    expect(set(X)).toEqual([2, 1]);
    setOverload(dests, 1, false);
    s.changed(1, dests);
    s.update(Uint32Array.from([1, 3]), dests); // B leaves the service, stays in the set
    setActive(s, dests, 1, 0);
    expect(go(X)).toBe(1);
    expect(set(X)).toEqual([2, 1]);
    dests.weight[1] = 0;
    s.update(Uint32Array.from([1, 3]), dests);
    expect(go(X)).toBe(3);
    expect(set(X)).toEqual([3, 2, 1]);
    void ids;
  });

  it('after lblcr_expiration without change, drops the most loaded member (the chosen one is still used)', () => {
    const { s, dests, go, set } = setup([1, 4, 4], 10_000);
    expect(go(X, 0)).toBe(1);
    setActive(s, dests, 1, 2);
    setActive(s, dests, 2, 1);
    expect(go(X, 1000)).toBe(3); // set [C, A], lastmod 1 s
    setActive(s, dests, 1, 0);
    expect(go(X, 11_000)).toBe(3); // C and A both idle: C, first in the set; 11 s is not after 1 s + 10 s: no shrink
    expect(set(X)).toEqual([3, 1]);
    setActive(s, dests, 3, 3); // C 768/4 = 192 vs A 0/1: A is the least, C the most loaded
    expect(go(X, 11_001)).toBe(1);
    expect(set(X)).toEqual([1]);
  });

  it('the shrink can drop the member just chosen, which is still returned', () => {
    const { s, dests, go, set } = setup([1, 4, 4], 10_000);
    expect(go(X, 0)).toBe(1);
    setActive(s, dests, 1, 2);
    setActive(s, dests, 2, 1);
    expect(go(X, 1000)).toBe(3); // set [C, A]
    setActive(s, dests, 1, 0);
    setOverload(dests, 1, true); // set_min skips A; set_max does not look at the flag
    s.changed(1, dests);
    setActive(s, dests, 3, 2); // C 512/4 = 128 > A 0/1: C is the least usable and the most loaded
    expect(go(X, 20_000)).toBe(3);
    expect(set(X)).toEqual([1]);
  });
});

// A real server that left and whose dest id was freed: its id may go to a server
// added later. The kernel's locality entries hold the old (dead) dest, so the
// newcomer inherits nothing; tsvs drops the entries when the id is freed.
describe.each([['lblc'], ['lblcr']])('%s: a freed dest id carries no locality entry to the server that reuses it', (scheduler) => {
  it('the destination IP is scheduled afresh (WLC), not sent to the newcomer', () => {
    const rt = new ServiceRuntime(64);
    const table = (servers: Array<[string, number]>) => buildTable({
      services: [{
        name: 'cache', protocol: 'tcp', address: parseIPv4('198.18.0.10')!, port: 80, fwmark: 0, scheduler, schedFlags: [],
        persistence: 0, persistMask: 0xffffffff, onePacket: false,
        servers: servers.map(([a, weight], i) => ({ name: `s${i}`, address: parseIPv4(a)!, port: 80, weight, forward: 'dr', upperThreshold: 0, lowerThreshold: 0 })),
      }],
    });
    const idOf = (addr: string) => [...rt.services[1].ids].find((d) => rt.destAddr[d] === parseIPv4(addr))!;
    const go = () => rt.destAddr[rt.services[1].scheduler.schedule(rt.dests, 0x0a000001, 1000, X, 80, 0)];
    rt.apply(table([['198.18.0.22', 10], ['198.18.0.21', 1]])); // IPVS order: the last added first
    const old = idOf('198.18.0.21');
    // Both idle: X goes to .21, first in the list, and its locality entry says so.
    expect(go()).toBe(parseIPv4('198.18.0.21'));
    rt.apply(table([['198.18.0.22', 10]])); // .21 leaves with no connection: its id is freed
    rt.apply(table([['198.18.0.23', 1], ['198.18.0.22', 10]])); // .23 gets that id
    const reused = idOf('198.18.0.23');
    expect(reused).toBe(old);
    // .23 is busier per weight than .22, so WLC picks .22; a stale entry would say .23.
    rt.dests.bind(reused, 0);
    expect(go()).toBe(parseIPv4('198.18.0.22'));
  });
});
