// LVS-TUN end to end (root): the DR lab with `network = tunnel`. This kernel has
// no ipip module, so each real server runs a small decapsulator
// (helpers/ipip-decap.py: a raw socket for protocol 4 feeding a TUN device); the
// VIP is on its lo as in DR, and it answers the client directly. curl through the
// router reaches every server, a 5 MB download and a 3 MB upload arrive intact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabProcess } from '../../src/lab/index.js';
import { download, expectedSha, requests, ROOT, setScheduler, sleep, stats, startDecapsulators, upload, upWithRouter, type Running } from './harness.js';

const MB5 = 5 * 1024 * 1024;
const MB3 = 3 * 1024 * 1024;

for (const offloads of [false, true]) {
describe.skipIf(!ROOT)(`tsvs start, LVS-TUN through a userspace decapsulator, offloads ${offloads ? 'on' : 'off'}${ROOT ? '' : ' [skipped: needs root]'}`, () => {
  let r: Running;
  let decaps: LabProcess[] = [];

  beforeAll(async () => {
    // The servers answer health checks on their own addresses, so the router serves
    // before the decapsulators run; they are started right after, before any request.
    r = await upWithRouter({ mode: 'dr', backend: 'native', offloads, edit: (cf) => setScheduler('rr')(cf.replace('network = direct', 'network = tunnel')), waitServing: false });
    decaps = await startDecapsulators(r.lab, 120);
  }, 90_000);
  afterAll(async () => {
    for (const p of decaps) await p.stop(2000);
    await r?.lab.down();
  }, 60_000);

  it('reaches every real server in rr order through IPIP; nothing comes back through the router', async () => {
    expect(await requests(r.lab, 9)).toEqual({ rs1: 3, rs2: 3, rs3: 3 });
    await sleep(1300); // the stats file is rewritten every second
    const dests = stats(r.statsPath).services[0].dests;
    expect(dests.map((d) => d.outPkts)).toEqual([0, 0, 0]);
    expect(dests.every((d) => d.inPkts > 0)).toBe(true);
  }, 90_000);

  it('carries a 5 MB download intact (the client sends only ACKs: the data comes straight from the server)', async () => {
    expect(await download(r.lab, MB5)).toBe(expectedSha(MB5));
  }, 120_000);

  it(`carries a 3 MB upload intact${offloads ? ': the client\'s GSO super-frames cut into segments that fit the tunnel' : ''}`, async () => {
    expect(await upload(r.lab, MB3)).toBe(`${expectedSha(MB3)} ${MB3}`);
    await sleep(1300); // the stats file is rewritten every second
    const c = stats(r.statsPath).counters;
    // With offloads on the client's TSO hands the router 64 KB frames: cut, not dropped.
    if (offloads) expect(c.tunnel_gso_cut).toBeGreaterThan(0);
    expect(c.drop_tunnel_gso ?? 0).toBe(0);
  }, 120_000);

  it('the decapsulators are what carried it: each took packets off its raw socket', async () => {
    for (const p of decaps) await p.stop(3000);
    for (const p of decaps) expect(Number(/decapsulated (\d+)/.exec(p.log())?.[1] ?? 0)).toBeGreaterThan(0);
  }, 30_000);
});
}
