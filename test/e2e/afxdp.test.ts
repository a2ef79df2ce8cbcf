// tsvs start --backend xdp in the lab, end to end: an XDP program on the router's
// devices steers the VIP's traffic and the real servers' NAT replies to AF_XDP
// sockets, everything else goes to the kernel. Real curl through the VIP. With the
// router's offloads off: XDP sees neither the virtio-net header nor GSO super-frames
// (docs/afxdp.md). Root only; the lab is taken down even on failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { loadXdp, xdpPaths } from '../../src/io/afxdp.js';
import { join } from 'node:path';
import { labUp } from '../../src/lab/index.js';
import { download, expectedSha, labName, MAIN, requests, ROOT, sleep, stats, upWithRouter, type Running } from './harness.js';

const xdp = ROOT ? loadXdp() : null;
const why = !ROOT ? 'needs root for network namespaces' : xdp?.addon ? '' : `AF_XDP not available: ${xdp?.reason}`;
if (why) console.log(`test/e2e/afxdp.test.ts skipped: ${why}`);
const run = why ? describe.skip : describe;
const MB5 = 5 * 1024 * 1024;

run(`tsvs start --backend xdp, LVS-NAT, offloads off${why ? ` (skipped: ${why})` : ''}`, () => {
  let r: Running;
  beforeAll(async () => {
    r = await upWithRouter({ mode: 'nat', backend: 'xdp', offloads: false });
  }, 60_000);
  afterAll(async () => {
    await r?.lab.down();
  }, 60_000);

  it('attaches the XDP program to the router\'s devices and says so', () => {
    expect(r.router.log()).toMatch(/AF_XDP .*: (native|generic)/);
    const links = spawnSync('ip', ['-n', r.lab.namespaces.router, '-d', 'link', 'show'], { encoding: 'utf8' }).stdout;
    expect(links).toMatch(/prog\/xdp .*name tsvs_steer/);
  });

  it('answers curl through the VIP, spread over the real servers, and a download arrives intact', async () => {
    expect(await requests(r.lab, 12)).toEqual({ rs1: 4, rs2: 4, rs3: 4 });
    expect(await download(r.lab, MB5)).toBe(expectedSha(MB5));
    // The stats file is rewritten every second: wait (bounded) for the one that counts these connections.
    let s = stats(r.statsPath);
    for (let i = 0; i < 30 && (s.counters.conns_created ?? 0) < 13; i++) {
      await sleep(200);
      s = stats(r.statsPath);
    }
    expect(s.counters.conns_created).toBeGreaterThanOrEqual(13);
    // The real servers' replies came back through the XSK sockets and were translated (the fence drops them otherwise).
    for (const d of s.services[0].dests) expect(d.outPkts).toBeGreaterThan(0);
    expect(s.counters.backend_ring_drops ?? 0).toBe(0);
  }, 40_000);
});

describe.skipIf(!!why)(`tsvs start --backend xdp where XDP cannot be used${why ? ` (skipped: ${why})` : ''}`, () => {
  it('exits 1 saying why (the device has an XDP program of someone else\'s), and leaves that program alone', async () => {
    const lab = await labUp({ mode: 'nat', servers: 1, name: labName('xb'), offloads: false });
    try {
      await lab.exec('router', ['ip', 'link', 'set', 'dev', 'eth1', 'xdpgeneric', 'obj', xdpPaths().program, 'sec', 'xdp'], { check: true });
      const router = lab.spawn('router', [process.execPath, MAIN, 'start', '-c', lab.configPath, '--backend', 'xdp', '--no-health-checks', '--control-socket', join(lab.stateDir, 'tsvs.sock')], { label: 'router' });
      for (let i = 0; i < 100 && router.alive(); i++) await sleep(100);
      expect(router.alive()).toBe(false);
      expect(router.log()).toMatch(/cannot attach the XDP program to eth1: .*already has an XDP program/);
      const link = await lab.exec('router', ['ip', 'link', 'show', 'eth1']);
      expect(link.stdout).toMatch(/prog\/xdp/);
    } finally {
      await lab.down();
    }
  }, 40_000);
});
