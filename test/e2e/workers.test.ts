// tsvs start --workers 2 end to end (root): one NAT lab, clients from 16 source
// addresses, every request through the VIP. Each worker has its own engine and
// AF_PACKET rings in a PACKET_FANOUT_CBPF group whose program hashes the client
// address (router/fanout-bpf.ts): a request that reached one worker and its reply
// another would find no connection and fail, so every request answered is both
// directions on one worker. The control plane shows one data plane: sums.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnPage } from '../../src/control/types.js';
import { loadNative } from '../../src/io/native.js';
import { ipv4Addr } from '../../src/packet/build.js';
import { clientHash } from '../../src/router/fanout-bpf.js';
import type { StatsSnapshot } from '../../src/router/stats.js';
import { Admin, parseCounters, service } from './admin.js';
import { ROOT, sleep, stats, upWithRouter, type Running } from './harness.js';

const nativeBuilt = ROOT && loadNative().addon !== null;
const run = ROOT && nativeBuilt ? describe : describe.skip;
const why = !ROOT ? 'needs root for network namespaces' : !nativeBuilt ? 'the native addon is not built' : '';
const CLIENTS = Array.from({ length: 16 }, (_, i) => `198.18.0.${101 + i}`);
const workerOf = (addr: string): number => clientHash(ipv4Addr(addr), 0xffffffff) % 2;

run(`tsvs start --workers 2 in a NAT lab${why ? ` (skipped: ${why})` : ''}`, () => {
  let r: Running;
  let admin: Admin;
  let vip: string;

  beforeAll(async () => {
    r = await upWithRouter({ mode: 'nat', backend: 'native', args: ['--workers', '2'] });
    admin = new Admin(join(r.lab.stateDir, 'tsvs.sock'));
    vip = r.lab.vip;
    // Exact counts: a server keeping no TIME_WAIT makes every request one new connection.
    for (const rs of r.lab.serverNames) await r.lab.exec(rs, ['sysctl', '-q', '-w', 'net.ipv4.tcp_max_tw_buckets=0'], { check: true });
    for (const a of CLIENTS) await r.lab.exec('client', ['ip', 'addr', 'add', `${a}/24`, 'dev', 'eth0'], { check: true });
  }, 60_000);
  afterAll(async () => {
    await r?.lab.down();
  }, 60_000);

  /** `n` requests from `from`, one after the other; the names of the servers that answered. */
  const fetchFrom = async (from: string, port: number, n: number): Promise<string[]> => {
    const script = `for i in $(seq ${n}); do curl -s -m 2 --interface ${from} http://${vip}:${port}/ | cut -d' ' -f1; done`;
    const res = await r.lab.exec('client', ['sh', '-c', script], { timeoutMs: 10_000 * n });
    return res.stdout.split('\n').filter(Boolean);
  };
  /** The stats file once it has been written again (every second). */
  const freshStats = async (): Promise<StatsSnapshot> => {
    await sleep(1300);
    return stats(r.statsPath);
  };

  it('serves clients of 16 addresses through NAT, each on the worker its address hashes to; --stats and the stats file sum the workers', async () => {
    await admin.install(service(vip, 8081, r.lab.serverAddrs));
    const before = await freshStats();
    expect(before.workers).toHaveLength(2);
    // A new client address is a new neighbour: the reply waits for worker 0 to hear its ARP reply and relay it.
    for (const c of CLIENTS) expect(await fetchFrom(c, 8081, 3), c).toEqual([expect.stringMatching(/^rs\d$/), expect.stringMatching(/^rs\d$/), expect.stringMatching(/^rs\d$/)]);
    const after = await freshStats();
    const made = after.workers!.map((w, k) => w.connsCreated - before.workers![k].connsCreated);
    const want = [0, 1].map((k) => 3 * CLIENTS.filter((c) => workerOf(c) === k).length);
    // Both workers forward, and each made exactly its clients' connections.
    expect(want[0]).toBeGreaterThan(0);
    expect(want[1]).toBeGreaterThan(0);
    expect(made).toEqual(want);
    for (const w of after.workers!) expect(w.rxFrames).toBeGreaterThan(0);
    expect(after.counters.conns_created).toBe(after.workers!.reduce((a, w) => a + w.connsCreated, 0));
    expect(after.counters.rx_frames).toBe(after.workers!.reduce((a, w) => a + w.rxFrames, 0));
    const [svc] = parseCounters(await admin.ok(['-L', '-n', '--stats', '--exact', '-t', `${vip}:8081`]));
    expect(svc.values[0]).toBe(48);
    for (let k = 0; k < 5; k++) expect(svc.values[k], `column ${k}`).toBe(svc.servers.reduce((a, s) => a + s.values[k], 0));
    // rr per worker: each worker takes turns over the 3 servers on its own.
    for (const s of svc.servers) expect(s.values[0]).toBeGreaterThanOrEqual(12);
  }, 50_000);

  it('keeps persistence: every client stays on one server; -L -c lists the templates of both workers', async () => {
    await admin.install([`-A -t ${vip}:8082 -s rr -p 60`, ...r.lab.serverAddrs.map((a) => `-a -t ${vip}:8082 -r ${a}:80 -m -w 1`)]);
    const chosen = new Map<string, string>();
    for (const c of CLIENTS) {
      const got = await fetchFrom(c, 8082, 3);
      expect(got).toHaveLength(3);
      expect(new Set(got).size, `${c}: ${got.join(',')}`).toBe(1);
      chosen.set(c, got[0]);
    }
    expect(new Set(chosen.values()).size).toBeGreaterThan(1);
    const page = JSON.parse(await admin.ok(['-L', '-n', '-c', '--json'])) as ConnPage;
    expect(page.conns).toHaveLength(page.total);
    const templates = page.conns.filter((c) => c.template && c.virtualPort === 8082);
    expect(templates.map((t) => t.client).sort()).toEqual([...CLIENTS].sort());
    for (const t of templates) expect(`rs${Number(t.dest.split('.')[3]) - 10}`).toBe(chosen.get(t.client));
  }, 50_000);
});
