// LVS-NAT lab end to end (root): namespaces, real servers answering, the router
// namespace's kernel owning neither the VIP nor nat_router, the lvs.cf, and a
// clean `lab down`.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileLvsCf, parseLvsCf } from '../../src/config/index.js';
import { healthy, labDown, labStatus, labUp, netnsList, type Lab } from '../../src/lab/index.js';
import { isAlive } from '../../src/lab/procs.js';
import { formatIPv4 } from '../../src/model/index.js';
import { IS_ROOT, labNamespaces, patternSha256, ROOT_REASON } from './helpers.js';

describe.skipIf(!IS_ROOT)(`NAT lab, 2 real servers${ROOT_REASON}`, () => {
  const name = `t${process.pid}n`;
  let lab: Lab;

  beforeAll(async () => {
    lab = await labUp({ mode: 'nat', servers: 2, name });
  }, 30_000);
  afterAll(async () => {
    await labDown(name);
  }, 30_000);

  it('creates every namespace it lists', async () => {
    const all = await netnsList();
    for (const ns of lab.namespaces.all) expect(all).toContain(ns);
    expect(lab.namespaces.servers).toEqual([`tsvs-${name}-rs1`, `tsvs-${name}-rs2`]);
    expect(lab.vip).toBe('198.18.0.10');
    expect(lab.natRouter).toBe('198.19.0.1');
  });

  it('each real server answers from its own namespace and from the other one on the private LAN', async () => {
    for (const [k, addr] of lab.serverAddrs.entries()) {
      const own = await lab.exec(`rs${k + 1}`, ['curl', '-sS', '--max-time', '3', `http://${addr}/`], { check: true });
      expect(own.stdout).toBe(`rs${k + 1} ${addr}\n`);
      const other = await lab.exec(`rs${2 - k}`, ['curl', '-sS', '--max-time', '3', `http://${addr}/`], { check: true });
      expect(other.stdout).toBe(`rs${k + 1} ${addr}\n`);
    }
  });

  it("the router's kernel reaches the real servers (for health checks); /health?set=N from a server's own namespace makes it answer N", async () => {
    const probe = () => lab.exec('router', ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '3', `http://${lab.serverAddrs[0]}/health`]);
    expect((await probe()).stdout).toBe('200');
    try {
      // Only from loopback: the router may not set it.
      const refused = await lab.exec('router', ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '3', `http://${lab.serverAddrs[0]}/health?set=500`]);
      expect(refused.stdout).toBe('403');
      await lab.exec('rs1', ['curl', '-sS', '--max-time', '3', 'http://127.0.0.1/health?set=500'], { check: true });
      expect((await probe()).stdout).toBe('500');
    } finally {
      await lab.exec('rs1', ['curl', '-sS', '--max-time', '3', 'http://127.0.0.1/health?set=200']);
    }
    expect((await probe()).stdout).toBe('200');
  });

  it('streams 50 MB of /bytes with the checksum the pattern gives, over keep-alive', async () => {
    const n = 50 * 1024 * 1024;
    const url = `http://${lab.serverAddrs[0]}/bytes?n=${n}`;
    const r = await lab.exec('rs2', ['sh', '-c', `curl -sS --max-time 20 '${url}' | sha256sum`], { check: true, timeoutMs: 25_000 });
    expect(r.stdout.split(' ')[0]).toBe(patternSha256(n));
    // Two requests on one connection: curl reports reusing it.
    const ka = await lab.exec('rs2', ['curl', '-sv', '--max-time', '3', `http://${lab.serverAddrs[0]}/`, `http://${lab.serverAddrs[0]}/`], { check: true });
    expect(ka.stderr).toMatch(/Re-using existing connection|Reusing existing/);
  });

  it('real servers route via nat_router; the router namespace owns neither the VIP nor nat_router', async () => {
    const route = await lab.exec('rs1', ['ip', '-4', 'route', 'show', 'default'], { check: true });
    expect(route.stdout).toMatch(/^default via 198\.19\.0\.1 dev eth0/);
    const addrs = await lab.exec('router', ['ip', '-4', '-o', 'addr', 'show'], { check: true });
    expect(addrs.stdout).toMatch(/\beth0\s+inet 198\.18\.0\.2\/24/);
    expect(addrs.stdout).not.toMatch(/198\.18\.0\.10\b/);
    expect(addrs.stdout).not.toMatch(/198\.19\.0\.1\//);
    const links = await lab.exec('router', ['ip', '-o', 'link', 'show'], { check: true });
    expect(links.stdout).toMatch(/: eth0@/);
    expect(links.stdout).toMatch(/: eth1@/);
    const fwd = await lab.exec('router', ['sysctl', '-n', 'net.ipv4.ip_forward'], { check: true });
    expect(fwd.stdout.trim()).toBe('0');
    // Offloads left at the veth defaults.
    const k = await lab.exec('router', ['ethtool', '-k', 'eth0'], { check: true });
    expect(k.stdout).toMatch(/tcp-segmentation-offload: on/);
  });

  it('the switches pass frames unfiltered: bridge-nf-call-* are 0 where br_netfilter is loaded', async () => {
    for (const sw of ['pub', 'priv']) {
      const has = await lab.exec(sw, ['test', '-e', '/proc/sys/net/bridge/bridge-nf-call-iptables']);
      if (has.code !== 0) continue; // no br_netfilter: nothing filters bridged frames
      const v = await lab.exec(sw, ['sysctl', '-n', 'net.bridge.bridge-nf-call-arptables', 'net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables'], { check: true });
      expect(v.stdout.trim().split('\n')).toEqual(['0', '0', '0']);
    }
  });

  it('writes an lvs.cf that parses and compiles to this lab', () => {
    const { table } = compileLvsCf(parseLvsCf(readFileSync(lab.configPath, 'utf8'), lab.configPath));
    expect(table.addresses.map((a) => `${formatIPv4(a.address)} ${a.device} ${a.role}`).sort()).toEqual(['198.18.0.10 eth0 vip', '198.19.0.1 eth1 nat_router']);
    expect(table.services[0].servers.map((s) => formatIPv4(s.address))).toEqual(lab.serverAddrs);
    expect(table.services[0].servers.every((s) => s.forward === 'nat')).toBe(true);
  });

  it('status shows every namespace, process and server healthy', async () => {
    const s = await labStatus(name);
    expect(healthy(s)).toBe(true);
    expect(s.servers.map((x) => x.reply)).toEqual(['rs1 198.19.0.11', 'rs2 198.19.0.12']);
    expect(s.leftovers).toEqual([]);
  });

  it('down ends every recorded process and deletes every namespace', async () => {
    const pids = lab.processes;
    expect(pids).toHaveLength(2);
    const report = await lab.down();
    expect(report.namespaces.sort()).toEqual([...lab.namespaces.all].sort());
    expect(await labNamespaces(name)).toEqual([]);
    for (const p of pids) expect(isAlive(p.pid, p.startTime)).toBe(false);
    expect(existsSync(lab.stateDir)).toBe(false);
  });
});
