// LVS-TUN with GUE and GRE end to end (root): the DR lab with `network = tunnel`
// and every server given `tunnel_type = gue` (UDP port 6080, remote checksum
// offload) or `tunnel_type = gre` (with its checksum). Each real server runs the
// userspace decapsulator in that mode (helpers/ipip-decap.py: a UDP socket on the
// tunnel port, whose kernel checks the UDP checksum, or a raw socket for protocol
// 47 that checks GRE's) feeding a TUN device; curl through the VIP reaches every
// server and a 2 MB download and upload arrive intact. Offloads on, so the router also sees
// checksums still to be filled in (the lco_csum and remcsum paths).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabProcess } from '../../src/lab/index.js';
import { download, expectedSha, requests, ROOT, setScheduler, sleep, upload, upWithRouter, type Running } from './harness.js';

const DECAP = join(process.cwd(), 'test/e2e/helpers/ipip-decap.py');
const PYTHON = '/usr/bin/python3';
const MB2 = 2 * 1024 * 1024;

const CASES = [
  { type: 'gue', keys: ['tunnel_type = gue', 'tunnel_port = 6080', 'tunnel_csum = remcsum'], decap: ['gue', '6080'] },
  { type: 'gre', keys: ['tunnel_type = gre', 'tunnel_csum = csum'], decap: ['gre'] },
];

for (const c of CASES) {
describe.skipIf(!ROOT)(`tsvs start, LVS-TUN over ${c.type} through a userspace decapsulator${ROOT ? '' : ' [skipped: needs root]'}`, () => {
  let r: Running;
  const decaps: LabProcess[] = [];

  beforeAll(async () => {
    const edit = (cf: string) => setScheduler('rr')(cf.replace('network = direct', 'network = tunnel'))
      .replace(/(\n(\s*)server \S+ \{)/g, (_m, head: string, ind: string) => `${head}${c.keys.map((k) => `\n${ind}    ${k}`).join('')}`);
    r = await upWithRouter({ mode: 'dr', backend: 'native', offloads: true, edit, waitServing: false });
    for (const rs of r.lab.serverNames) {
      await r.lab.exec(rs, ['sysctl', '-q', '-w', 'net.ipv4.conf.default.rp_filter=0'], { check: true });
      const p = r.lab.spawn(rs, [PYTHON, DECAP, 'tun0', '90', ...c.decap], { label: `decap-${rs}` });
      decaps.push(p);
      for (let k = 0; k < 50 && !p.log().includes('ready'); k++) await sleep(100);
      if (!p.log().includes('ready')) throw new Error(`decapsulator in ${rs} did not start: ${p.log()}`);
      await r.lab.exec(rs, ['ip', 'link', 'set', 'tun0', 'up'], { check: true });
    }
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
