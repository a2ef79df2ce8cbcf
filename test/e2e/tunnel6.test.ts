// LVS-TUN over IPv6 end to end (root): the dual-stack DR lab with `network =
// tunnel`. This kernel has no ip6_tunnel module, so each real server runs the
// userspace decapsulator in its IPv6 mode (helpers/ipip-decap.py v6: a raw IPv6
// socket for next header 41 feeding a TUN device); the v6 VIP is on its lo as in
// DR and it answers the client directly. curl -6 through the router reaches every
// server; a download and, with offloads on, an upload whose GSO super-frames the
// router cuts arrive intact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, LabProcess } from '../../src/lab/index.js';
import { loadNative } from '../../src/io/native.js';
import { expectedSha, ROOT, setScheduler, sleep, stats, startDecapsulators, upload, upWithRouter, type Running } from './harness.js';

const nativeBuilt = loadNative() !== null;
const MB3 = 3 * 1024 * 1024;

async function curl6(lab: Lab, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await lab.exec('client', ['curl', '-6', '-g', '-sS', '-m', '3', `http://[${lab.v6!.vip}]:80/`], { timeoutMs: 5000 });
    out.push(r.code === 0 ? r.stdout : `curl exit ${r.code}: ${r.stderr.trim()}`);
  }
  return out;
}

// Offloads on: the upload's GSO super-frames take the cutting path (offloads off is IPv4's tunnel.test.ts case).
for (const offloads of [true]) {
describe.skipIf(!ROOT || !nativeBuilt)(`LVS-TUN over IPv6 through a userspace decapsulator, offloads ${offloads ? 'on' : 'off'}${ROOT ? '' : ' [skipped: needs root]'}`, () => {
  let r: Running;
  let decaps: LabProcess[] = [];

  beforeAll(async () => {
    r = await upWithRouter({
      mode: 'dr', backend: 'native', offloads, ipv6: true, servers: 2, waitServing: false,
      edit: (cf) => setScheduler('rr')(cf.replace('network = direct', 'network = tunnel')),
    });
    decaps = await startDecapsulators(r.lab, 120, ['ipip', 'v6']);
  }, 90_000);
  afterAll(async () => {
    for (const p of decaps) await p.stop(2000);
    await r?.lab.down();
  }, 60_000);

  it('reaches both real servers through IPv6-in-IPv6, each answering from the VIP; nothing comes back through the router', async () => {
    const lab = r.lab;
    // The health checks mark the servers available within a few seconds of the start.
    let got: string[] = [];
    for (let k = 0; k < 20; k++) {
      got = await curl6(lab, 4);
      if (got.every((b) => b.startsWith('rs'))) break;
      await sleep(500);
    }
    const names = got.map((b) => b.split(' ')[0]).sort();
    expect(names).toEqual(['rs1', 'rs1', 'rs2', 'rs2']);
    await sleep(1300); // the stats file is rewritten every second
    const svc = stats(r.statsPath).services.find((s) => s.service.includes(lab.v6!.vip))!;
    expect(svc.dests.map((d) => d.outPkts)).toEqual([0, 0]);
    expect(svc.dests.every((d) => d.inPkts > 0)).toBe(true);
  }, 60_000);

  it('carries a 4 MiB download intact', async () => {
    const n = 4 * 1024 * 1024;
    const dl = await r.lab.exec('client', ['sh', '-c', `curl -6 -g -s -m 30 'http://[${r.lab.v6!.vip}]/bytes?n=${n}' | sha256sum`], { timeoutMs: 35_000 });
    expect(dl.stdout.split(' ')[0]).toBe(expectedSha(n));
  }, 60_000);

  it(`carries a 3 MB upload intact${offloads ? ': the client\'s GSO super-frames cut into segments that fit the tunnel' : ''}`, async () => {
    expect(await upload(r.lab, MB3, 80, r.lab.v6!.vip)).toBe(`${expectedSha(MB3)} ${MB3}`);
    await sleep(1300);
    const c = stats(r.statsPath).counters;
    if (offloads) expect(c.tunnel_gso_cut).toBeGreaterThan(0);
    expect(c.drop_tunnel_gso ?? 0).toBe(0);
  }, 120_000);

  it('the decapsulators are what carried it: each took packets off its raw IPv6 socket', async () => {
    for (const p of decaps) await p.stop(3000);
    for (const p of decaps) expect(Number(/decapsulated (\d+)/.exec(p.log())?.[1] ?? 0)).toBeGreaterThan(0);
  }, 30_000);
});
}

// GUE (its UDP checksum always summed over IPv6) and GRE (protocol 0x86dd, with its checksum), offloads on.
const TYPES = [
  { type: 'gue', keys: ['tunnel_type = gue', 'tunnel_port = 6080', 'tunnel_csum = csum'], decap: ['gue', '6080', 'v6'] },
  { type: 'gre', keys: ['tunnel_type = gre', 'tunnel_csum = csum'], decap: ['gre', 'v6'] },
];

for (const c of TYPES) {
describe.skipIf(!ROOT || !nativeBuilt)(`LVS-TUN over IPv6 with ${c.type}${ROOT ? '' : ' [skipped: needs root]'}`, () => {
  let r: Running;
  let decaps: LabProcess[] = [];

  beforeAll(async () => {
    const edit = (cf: string) => setScheduler('rr')(cf.replace('network = direct', 'network = tunnel'))
      .replace(/(\n(\s*)server \S+ \{)/g, (_m, head: string, ind: string) => `${head}${c.keys.map((k) => `\n${ind}    ${k}`).join('')}`);
    r = await upWithRouter({ mode: 'dr', backend: 'native', offloads: true, ipv6: true, servers: 2, edit, waitServing: false });
    decaps = await startDecapsulators(r.lab, 90, c.decap);
  }, 90_000);
  afterAll(async () => {
    for (const p of decaps) await p.stop(2000);
    await r?.lab.down();
  }, 60_000);

  it(`reaches both servers through ${c.type} over IPv6 and carries a 2 MB upload intact; no outer checksum was wrong`, async () => {
    let got: string[] = [];
    for (let k = 0; k < 20; k++) {
      got = await curl6(r.lab, 4);
      if (got.every((b) => b.startsWith('rs'))) break;
      await sleep(500);
    }
    expect(got.map((b) => b.split(' ')[0]).sort()).toEqual(['rs1', 'rs1', 'rs2', 'rs2']);
    const MB2 = 2 * 1024 * 1024;
    expect(await upload(r.lab, MB2, 80, r.lab.v6!.vip)).toBe(`${expectedSha(MB2)} ${MB2}`);
    for (const p of decaps) await p.stop(3000);
    for (const p of decaps) {
      const m = /decapsulated (\d+) bad (\d+)/.exec(p.log());
      expect(Number(m?.[1] ?? 0)).toBeGreaterThan(0);
      expect(Number(m?.[2] ?? -1)).toBe(0);
    }
  }, 120_000);
});
}
