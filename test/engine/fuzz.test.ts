// The engine fuzzer in CI (issue 15): a million seeded, mutated frames through
// one engine (bench/engine/fuzz.ts builds and mutates them). Nothing may throw,
// every frame gets one of the three verdicts and is counted as received, and the
// engine still forwards a clean SYN afterwards. `npm run bench -- fuzz` runs
// ten million and prints the rate.
import { describe, expect, it } from 'vitest';
import { Batch, VERDICT_TX } from '../../src/frames/batch.js';
import { buildTcp } from '../../src/packet/build.js';
import { FUZZ_VIP, fuzzEngine, runFuzz } from '../../bench/engine/fuzz.js';

describe('engine fuzzer', () => {
  it('a million mutated frames: no exception, every one a verdict and counted, and the engine still forwards', () => {
    const e = fuzzEngine();
    const r = runFuzz(0x7357, 1_000_000, e);
    expect(r.other).toBe(0);
    expect(r.tx + r.drop + r.pass).toBe(1_000_000);
    expect(r.rxCounted).toBe(1_000_000);
    // The mix reaches the paths it is meant to: forwarded, malformed, fragments, ARP.
    expect(r.tx).toBeGreaterThan(10_000);
    expect(Object.keys(r.counters).filter((k) => k.startsWith('drop_malformed_')).length).toBeGreaterThanOrEqual(3);
    expect(r.counters.arp_replies).toBeGreaterThan(0);

    const b = new Batch(4, 8192);
    b.push(buildTcp({ srcMac: Uint8Array.from([2, 0xc1, 0, 0, 0, 1]), dstMac: Uint8Array.from([2, 0, 0, 0, 0, 1]), src: 0xc6120263, dst: FUZZ_VIP, sport: 55555, dport: 443, flags: 0x02 }), 0);
    e.process(b, 10_000_000);
    expect(b.verdict[0]).toBe(VERDICT_TX);
    expect([...b.frame(0).subarray(0, 6)]).toEqual([2, 0x52, 0, 0, 0, 21]); // DR: the server's MAC
  });
});
