// IPv6 routes decide the egress, end to end (root): a dual-stack NAT lab where
// rs3's IPv6 address is moved to 2001:2:0:4::/64 on a veth of its own behind rs2
// (forwarding IPv6 on, 2001:2:0:4::1), and the router's kernel routes that
// network via rs2. tsvs reads that route at start, resolves rs2 (the gateway) by NDP and
// sends rs3's share of curl -6 there; `tsvs check --routes` on the router says a
// DR server there is not on a directly connected network. The lab is taken down
// even on failure.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../src/io/native.js';
import type { Lab } from '../../src/lab/index.js';
import { MAIN, ROOT, sleep, stats, upWithRouter, type Running } from './harness.js';

const nativeBuilt = loadNative().addon !== null;
const run = ROOT && nativeBuilt ? describe : describe.skip;
const why = !ROOT ? ' (skipped: needs root for network namespaces)' : nativeBuilt ? '' : ' (skipped: the native addon is not built)';

const RS3_NEAR = '2001:2:0:2::13';
const RS3_FAR = '2001:2:0:4::13';
const GW = '2001:2:0:2::12';

/**
 * rs3's IPv6 moves to a link of its own to rs2 (veth b0, 2001:2:0:4::/64; rs2
 * forwards IPv6): on the router's LAN nothing answers for it any more, so only
 * the route via rs2 reaches it. Its IPv4 (and IPv4 service) stays on eth0.
 */
async function behindGateway(lab: Lab): Promise<void> {
  const x = (ns: string, cmd: string[]) => lab.exec(ns, cmd, { check: true });
  const rs3ns = lab.namespaces.servers[2];
  await x('rs2', ['ip', 'link', 'add', 'b0', 'type', 'veth', 'peer', 'name', 'b0', 'netns', rs3ns]);
  await x('rs2', ['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1']);
  await x('rs2', ['ip', '-6', 'addr', 'add', '2001:2:0:4::1/64', 'dev', 'b0', 'nodad']);
  await x('rs2', ['ip', 'link', 'set', 'b0', 'up']);
  await x('rs3', ['ip', '-6', 'addr', 'del', `${RS3_NEAR}/64`, 'dev', 'eth0']);
  await x('rs3', ['ip', '-6', 'addr', 'add', `${RS3_FAR}/64`, 'dev', 'b0', 'nodad']);
  await x('rs3', ['ip', 'link', 'set', 'b0', 'up']);
  await x('rs3', ['ip', '-6', 'route', 'replace', 'default', 'via', '2001:2:0:4::1', 'dev', 'b0']);
  await x('router', ['ip', '-6', 'route', 'add', '2001:2:0:4::/64', 'via', GW, 'dev', 'eth1']);
}

/** Waits (at most 10 s) for the router to log a line matching re after `from` lines. */
async function logged(r: Running, re: RegExp, from: number): Promise<string> {
  for (let k = 0; k < 100; k++) {
    const line = r.router.log().split('\n').slice(from).find((l) => re.test(l));
    if (line) return line;
    await sleep(100);
  }
  throw new Error(`router did not log ${re} within 10 s: ${r.router.log().slice(-1500)}`);
}

/** The real server that answers one curl -6 to the v6 VIP (its name), or the failure. */
async function curl6(lab: Lab): Promise<string> {
  const c = await lab.exec('client', ['curl', '-6', '-g', '-sS', '-m', '3', `http://[${lab.v6!.vip}]:80/`], { timeoutMs: 5000 });
  return c.code === 0 ? c.stdout.split(' ')[0] : `curl exit ${c.code}: ${c.stderr.trim()}`;
}

/** Waits (at most 20 s) until the v6 service lists all three servers (rs3's check goes through the gateway too). */
async function v6Ready(r: Running): Promise<void> {
  const want = ['2001:2:0:2::11', '2001:2:0:2::12', RS3_FAR];
  let listed: string[] = [];
  for (let k = 0; k < 200; k++) {
    if (!r.router.alive()) throw new Error(`router exited: ${r.router.log().slice(-2000)}`);
    try {
      const svc = stats(r.statsPath).services.find((s) => s.service.includes(r.lab.v6!.vip));
      listed = svc?.dests.map((d) => /^\[(.+)\]/.exec(d.address)?.[1] ?? d.address) ?? [];
      if (want.every((a) => listed.includes(a))) return;
    } catch {
      // not written yet
    }
    await sleep(100);
  }
  throw new Error(`the v6 service lists ${listed.join(', ')}, not all of ${want.join(', ')}: ${r.router.log().slice(-1500)}`);
}

run(`IPv6 routes decide the egress: a NAT real server behind a gateway${why}`, () => {
  let r: Running | undefined;
  beforeAll(async () => {
    r = await upWithRouter({
      mode: 'nat', backend: 'native', ipv6: true,
      edit: (cf) => cf.replace(`address = ${RS3_NEAR}\n`, `address = ${RS3_FAR}\n`),
      beforeStart: behindGateway,
    });
    try {
      await v6Ready(r);
    } catch (e) {
      await r.lab.down();
      r = undefined;
      throw e;
    }
  }, 60_000);
  afterAll(async () => {
    await r?.lab.down();
  }, 60_000);

  it('starts without a problem line for the IPv6 servers and serves curl -6 from all three, rs3 through the gateway rs2', async () => {
    const lab = r!.lab;
    expect(r!.router.log()).not.toMatch(/real server .*(no interface|not on a directly connected)/);
    const seen: Record<string, number> = {};
    for (let i = 0; i < 6; i++) {
      const name = await curl6(lab);
      seen[name] = (seen[name] ?? 0) + 1;
    }
    expect(seen).toEqual({ rs1: 2, rs2: 2, rs3: 2 });
    // rs3 is reached on its own link only, through rs2: its frames came in on b0.
    const rx = await lab.exec('rs3', ['cat', '/sys/class/net/b0/statistics/rx_packets'], { check: true });
    expect(Number(rx.stdout.trim())).toBeGreaterThan(10);
  }, 30_000);

  it('follows the route while running: without it rs3 is said unreachable; with it back rs3 is served again', async () => {
    const lab = r!.lab;
    let from = r!.router.log().split('\n').length - 1;
    await lab.exec('router', ['ip', '-6', 'route', 'del', '2001:2:0:4::/64'], { check: true });
    try {
      await logged(r!, /routes changed/, from);
      await logged(r!, new RegExp(`real server ${RS3_FAR}: no interface of this router reaches it`), from);
    } finally {
      from = r!.router.log().split('\n').length - 1;
      await lab.exec('router', ['ip', '-6', 'route', 'add', '2001:2:0:4::/64', 'via', GW, 'dev', 'eth1'], { check: true });
    }
    await logged(r!, /resolved/, from);
    // Turns reach rs3 again (at most 25 s: should a check have failed in the gap, it comes back after reentry).
    let back = false;
    for (const until = Date.now() + 25_000; !back && Date.now() < until;) {
      back = (await curl6(lab)) === 'rs3';
      if (!back) await sleep(250);
    }
    expect(back).toBe(true);
  }, 60_000);

  it('tsvs check --routes on the router: a DR server behind that gateway is said not to be on a directly connected network', async () => {
    const lab = r!.lab;
    const dr = join(lab.stateDir, 'lvs-dr6.cf');
    const cf = readFileSync(lab.configPath, 'utf8').replace('network = nat', 'network = direct').replace(/^nat_(router|nmask) = .*\n/gm, '');
    writeFileSync(dr, cf);
    const c = await lab.exec('router', [process.execPath, MAIN, 'check', '-c', dr, '--routes'], { timeoutMs: 15_000 });
    expect(c.stdout).toContain(`${RS3_FAR} by eth1 via ${GW}`);
    expect(c.stdout).toContain(`real server ${RS3_FAR} (direct routing) is not on a directly connected network of this router (its route goes via ${GW} on eth1)`);
  }, 20_000);
});
