// LVS-TUN with GUE and GRE end to end (root): the DR lab with `network = tunnel`
// and every server given `tunnel_type = gue` (UDP port 6080, remote checksum
// offload) or `tunnel_type = gre` (with its checksum). Each real server runs the
// userspace decapsulator in that mode (helpers/ipip-decap.py: a UDP socket on the
// tunnel port, whose kernel checks the UDP checksum, or a raw socket for protocol
// 47 that checks GRE's) feeding a TUN device; curl through the VIP reaches every
// server and a 2 MB download and upload arrive intact. Offloads on, so the router also sees
// checksums still to be filled in (the lco_csum and remcsum paths).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabProcess } from '../../src/lab/index.js';
import { download, expectedSha, requests, ROOT, setScheduler, startDecapsulators, upload, upWithRouter, type Running } from './harness.js';

const MB2 = 2 * 1024 * 1024;

const CASES = [
  { type: 'gue', keys: ['tunnel_type = gue', 'tunnel_port = 6080', 'tunnel_csum = remcsum'], decap: ['gue', '6080'] },
  { type: 'gre', keys: ['tunnel_type = gre', 'tunnel_csum = csum'], decap: ['gre'] },
];

for (const c of CASES) {
describe.skipIf(!ROOT)(`tsvs start, LVS-TUN over ${c.type} through a userspace decapsulator${ROOT ? '' : ' [skipped: needs root]'}`, () => {
  let r: Running;
  let decaps: LabProcess[] = [];

  beforeAll(async () => {
    const edit = (cf: string) => setScheduler('rr')(cf.replace('network = direct', 'network = tunnel'))
      .replace(/(\n(\s*)server \S+ \{)/g, (_m, head: string, ind: string) => `${head}${c.keys.map((k) => `\n${ind}    ${k}`).join('')}`);
    r = await upWithRouter({ mode: 'dr', backend: 'native', offloads: true, edit, waitServing: false });
    decaps = await startDecapsulators(r.lab, 90, c.decap);
  }, 90_000);
  afterAll(async () => {
    for (const p of decaps) await p.stop(2000);
    await r?.lab.down();
  }, 60_000);

  it(`reaches every real server in rr order through ${c.type}, and carries a 2 MB download and a 2 MB upload intact`, async () => {
    expect(await requests(r.lab, 6)).toEqual({ rs1: 2, rs2: 2, rs3: 2 });
    expect(await download(r.lab, MB2)).toBe(expectedSha(MB2));
    // The upload's TSO super-frames are cut by the router into segments that fit behind the GUE or GRE header.
    expect(await upload(r.lab, MB2)).toBe(`${expectedSha(MB2)} ${MB2}`);
  }, 120_000);

  it('the decapsulators carried it, and no outer checksum was wrong', async () => {
    for (const p of decaps) await p.stop(3000);
    for (const p of decaps) {
      const m = /decapsulated (\d+) bad (\d+)/.exec(p.log());
      expect(Number(m?.[1] ?? 0)).toBeGreaterThan(0);
      expect(Number(m?.[2] ?? -1)).toBe(0);
    }
  }, 30_000);
});
}
