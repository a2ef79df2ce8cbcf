// The guide's direct-routing figure, end to end: the VIP on the router's public
// eth0, the real servers on its private LAN behind eth1, `network = direct` and
// no nat_router, so lvs.cf names eth0 alone and only the router's routes say
// that eth1 reaches the servers. Then the routes change under the running
// router and it follows them. Root only; the lab is taken down even on failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadNative } from '../../src/io/native.js';
import { download, expectedSha, ROOT, served, sleep, upWithRouter, type Running } from './harness.js';

const MB50 = 50 * 1024 * 1024;
const nativeBuilt = loadNative().addon !== null;
const run = ROOT && nativeBuilt ? describe : describe.skip;
const why = !ROOT ? ' (skipped: needs root for network namespaces)' : nativeBuilt ? '' : ' (skipped: the native addon is not built)';

/** Waits (at most 10 s) for the router to log a line matching re after `from` lines. */
async function logged(r: Running, re: RegExp, from: number): Promise<string> {
  for (let k = 0; k < 100; k++) {
    const line = r.router.log().split('\n').slice(from).find((l) => re.test(l));
    if (line) return line;
    await sleep(100);
  }
  throw new Error(`router did not log ${re} within 10 s: ${r.router.log().slice(-1500)}`);
}

run(`routes decide the egress: the guide's DR figure, servers behind eth1${why}`, () => {
  let r: Running;
  beforeAll(async () => {
    // upWithRouter waits until curl through the VIP gets a real server's answer.
    r = await upWithRouter({ mode: 'dr', backend: 'native', servers: 2, privateLan: true });
  }, 60_000);
  afterAll(async () => {
    await r?.lab.down();
  }, 60_000);

  it('lvs.cf names eth0 alone; the router opens eth1 too, because its route to the servers is there', () => {
    const cf = readFileSync(r.lab.configPath, 'utf8');
    expect(cf).toMatch(/network = direct/);
    expect(cf).not.toMatch(/nat_router|eth1/);
    expect(r.router.log()).toMatch(/router started" devices="eth0=[^"]*,eth1=/);
    expect(r.router.log()).not.toMatch(/real server .*(no interface|not on a directly connected)/);
  });

  it('serves curl and carries a 50 MB download intact', async () => {
    const answers = new Set<string>();
    for (let k = 0; k < 4; k++) answers.add((await r.lab.exec('client', ['curl', '-s', '-m', '2', `http://${r.lab.vip}/`])).stdout.split(' ')[0]);
    expect([...answers].sort()).toEqual(['rs1', 'rs2']);
    expect(await download(r.lab, MB50)).toBe(expectedSha(MB50));
  }, 60_000);

  it('follows a route change while running: a DR server pushed behind the gateway is said, and served again when the route comes back', async () => {
    let from = r.router.log().split('\n').length - 1;
    // Without its address on eth1 the router's kernel reaches the private LAN only by its default route, via the gateway on eth0.
    await r.lab.exec('router', ['ip', 'addr', 'del', '198.19.0.2/24', 'dev', 'eth1'], { check: true });
    try {
      await logged(r, /routes changed/, from);
      expect(await logged(r, /real server 198\.19\.0\.11 \(direct routing\) is not on a directly connected network/, from)).toMatch(/via 198\.18\.0\.1 on eth0/);
      expect(await served(r.lab)).toBe(false);
    } finally {
      from = r.router.log().split('\n').length - 1;
      await r.lab.exec('router', ['ip', 'addr', 'add', '198.19.0.2/24', 'dev', 'eth1'], { check: true });
    }
    await logged(r, /resolved/, from);
    let ok = false;
    for (let k = 0; k < 50 && !ok; k++) {
      ok = await served(r.lab);
      if (!ok) await sleep(100);
    }
    expect(ok).toBe(true);
  }, 40_000);
});
