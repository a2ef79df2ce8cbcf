// IPv6 through the router, end to end (root): a dual-stack lab (lab up --ipv6,
// addresses in 2001:2::/48) with its lvs.cf's v6 virtual service beside the v4
// one. NAT: curl -6 to the v6 VIP reaches every real server with bodies intact,
// a UDP request over IPv6 is answered through NAT, the v6 VIP answers ping6 (the
// router's echo reply, at the router's MAC), and the router's kernel, even with
// IPv6 forwarding on, neither answers nor forwards anything of tsvs's flows (the
// nftables fence's IPv6 sets). DR: curl -6 to the v6 VIP held on the servers' lo.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PcapReader } from '../../src/io/pcap-reader.js';
import { loadNative } from '../../src/io/native.js';
import { labMac, type Lab } from '../../src/lab/index.js';
import { expectedSha, reload, ROOT, sleep, stats, upWithRouter, type Running } from './harness.js';

const nativeBuilt = loadNative().addon !== null;
const run = ROOT && nativeBuilt ? describe : describe.skip;
const why = !ROOT ? ' (skipped: needs root for network namespaces)' : nativeBuilt ? '' : ' (skipped: the native addon is not built)';
const UDP_PORT = 9053;
const ROUTER_ETH0_MAC = labMac(0x02, 0);

/** "198.19.0.11:80" -> 198.19.0.11; "[2001:2:0:2::11]:80" -> 2001:2:0:2::11. */
const hostOf = (a: string): string => /^\[(.+)\](?::\d+)?$/.exec(a)?.[1] ?? (a.includes('.') ? a.split(':')[0] : a);

/** Waits (at most 15 s) until a service of the v6 VIP on `port` lists every one of these addresses. */
async function v6ServersIn(r: Running, port: number, addrs: string[]): Promise<void> {
  const vip = r.lab.v6!.vip;
  for (let k = 0; k < 150; k++) {
    if (!r.router.alive()) throw new Error(`router exited: ${r.router.log().slice(-2000)}`);
    try {
      const svc = stats(r.statsPath).services.find((s) => s.service.includes(vip) && s.service.endsWith(`:${port}`));
      const listed = svc?.dests.map((d) => hostOf(d.address)) ?? [];
      if (addrs.every((a) => listed.includes(a))) return;
    } catch {
      // not written yet
    }
    await sleep(100);
  }
  throw new Error(`the v6 service [${vip}]:${port} does not list ${addrs.join(', ')} within 15 s: ${r.router.log().slice(-1500)}`);
}

/** n sequential curl -6 requests to the v6 VIP; the bodies, in order. */
async function curl6(lab: Lab, n: number, path = '/'): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await lab.exec('client', ['curl', '-6', '-g', '-sS', '-m', '3', `http://[${lab.v6!.vip}]:80${path}`], { timeoutMs: 5000 });
    out.push(r.code === 0 ? r.stdout : `curl exit ${r.code}: ${r.stderr.trim()}`);
  }
  return out;
}

/** What a real server's own body is: "rsN <its IPv4 address>\n" (the lab's httpd names itself). */
const bodies = (lab: Lab): Record<string, string> => Object.fromEntries(lab.serverNames.map((n, k) => [`${n} ${lab.serverAddrs[k]}\n`, n]));

/** A UDP virtual service on the v6 VIP, its servers the v6 real servers (no checks: each serves from the start). */
function addUdp6Service(cf: string): string {
  const v6 = [...cf.matchAll(/^ {8}address = (2001:\S+)$/gm)].map((m) => m[1]);
  const vip = /address = (2001:\S+) eth0:1/.exec(cf)![1];
  const servers = v6.map((a, k) => `    server u${k + 1} {\n        address = ${a}\n        active = 1\n        port = ${UDP_PORT}\n        weight = 1\n    }`);
  return `${cf}\nvirtual udp6 {\n    active = 1\n    address = ${vip} eth0:1\n    port = ${UDP_PORT}\n    scheduler = rr\n    protocol = udp\n    timeout = 6\n    reentry = 15\n${servers.join('\n')}\n}\n`;
}

/**
 * An IPv6 firewall-mark service (ipvsadm -f 60 -6): the client's TCP to [VIP6]:8080 and :8081,
 * marked by an ip6tables-style rule, persistent, to the v6 real servers' port 80.
 */
function addMark6Service(cf: string): string {
  const v6 = [...new Set([...cf.matchAll(/^ {8}address = (2001:\S+)$/gm)].map((m) => m[1]))];
  const vip = /address = (2001:\S+) eth0:1/.exec(cf)![1];
  const servers = v6.map((a, k) => `    server m${k + 1} {\n        address = ${a}\n        active = 1\n        port = 80\n        weight = 1\n    }`);
  return `fwmark_rule = tcp ${vip} 8080,8081 60\n${cf}\nvirtual mark6 {\n    active = 1\n    address = ${vip} eth0:1\n    fwmark = 60\n    persistent = 60\n    scheduler = rr\n    protocol = tcp\n    timeout = 6\n    reentry = 15\n${servers.join('\n')}\n}\n`;
}

/** A real server's UDP answerer on [::]:PORT: "<name> <request>"; ends by itself. */
const UDP_SERVER = `const [name, port] = process.argv.slice(1);
setTimeout(() => process.exit(0), 120000).unref();
const s = require('node:dgram').createSocket({ type: 'udp6', ipv6Only: true });
s.on('message', (m, from) => s.send(Buffer.from(name + ' ' + m.toString()), from.port, from.address));
s.bind(Number(port), '::', () => console.log('ready'));`;

/** count requests, each from a new socket (a new connection), to [vip]:port; one JSON line per answer. */
const UDP_CLIENT = `const [vip, port, count, pad] = process.argv.slice(1);
const dgram = require('node:dgram');
function one(i) {
  const s = dgram.createSocket('udp6');
  return new Promise((resolve) => {
    const t = setTimeout(() => { s.close(); resolve({ error: 'no answer within 2 s' }); }, 2000);
    s.on('message', (m, from) => { clearTimeout(t); s.close(); resolve({ from: from.address, text: m.toString() }); });
    s.send(Buffer.from('hello ' + i + '.'.repeat(Number(pad ?? 0))), Number(port), vip);
  });
}
(async () => { for (let i = 0; i < Number(count); i++) console.log(JSON.stringify(await one(i))); })();`;

run(`IPv6 through the router, LVS-NAT${why}`, () => {
  let r: Running | undefined;
  beforeAll(async () => {
    r = await upWithRouter({ mode: 'nat', backend: 'native', ipv6: true, edit: (cf) => addMark6Service(addUdp6Service(cf)) });
    try {
      const lab = r.lab;
      for (const rs of lab.serverNames) {
        const p = lab.spawn(rs, [process.execPath, '-e', UDP_SERVER, rs, String(UDP_PORT)], { label: `udp6-${rs}` });
        for (let k = 0; k < 50 && !p.log().includes('ready'); k++) await sleep(100);
        if (!p.log().includes('ready')) throw new Error(`UDP answerer in ${rs} did not start: ${p.log()}`);
      }
      await v6ServersIn(r, 80, lab.v6!.serverAddrs);
      await v6ServersIn(r, UDP_PORT, lab.v6!.serverAddrs);
    } catch (e) {
      await r.lab.down();
      r = undefined;
      throw e;
    }
  }, 60_000);
  afterAll(async () => {
    await r?.lab.down();
  }, 60_000);

  it('serves curl -6 http://[VIP6]/: every real server answers, bodies intact; a 4 MiB download arrives intact', async () => {
    const lab = r!.lab;
    const got = await curl6(lab, 9);
    const names = bodies(lab);
    for (const b of got) expect(Object.keys(names), b).toContain(b);
    const spread: Record<string, number> = {};
    for (const b of got) spread[names[b]] = (spread[names[b]] ?? 0) + 1;
    // Sequential connections left in TIME_WAIT (inactive): wlc takes turns exactly, as over IPv4.
    expect(spread).toEqual({ rs1: 3, rs2: 3, rs3: 3 });
    const n = 4 * 1024 * 1024;
    const dl = await lab.exec('client', ['sh', '-c', `curl -6 -g -s -m 20 'http://[${lab.v6!.vip}]/bytes?n=${n}' | sha256sum`], { timeoutMs: 25_000 });
    expect(dl.stdout.split(' ')[0]).toBe(expectedSha(n));
  }, 60_000);

  it('answers UDP over IPv6 through NAT: each request reaches a real server and its answer comes back from the v6 VIP', async () => {
    const lab = r!.lab;
    const out = await lab.exec('client', [process.execPath, '-e', UDP_CLIENT, lab.v6!.vip, String(UDP_PORT), '6'], { timeoutMs: 30_000 });
    const answers = out.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { from?: string; text?: string; error?: string });
    expect(answers.map((a) => [a.from, a.error])).toEqual(Array(6).fill([lab.v6!.vip, undefined]));
    expect(answers.map((a, i) => a.text!.endsWith(` hello ${i}`))).toEqual(Array(6).fill(true));
    // rr over three servers, six new connections: two each.
    expect(answers.map((a) => a.text!.split(' ')[0]).sort()).toEqual(['rs1', 'rs1', 'rs2', 'rs2', 'rs3', 'rs3']);
  }, 60_000);

  it('with syn_proxy = 3 the router makes the handshake itself over IPv6 (cookie SYN-ACK) and curl -6 is served through it, a download intact', async () => {
    const lab = r!.lab;
    const before = stats(r!.statsPath).counters.synproxy_conns ?? 0;
    await reload(r!, (cf) => `syn_proxy = 3\n${cf}`);
    try {
      const got = await curl6(lab, 6);
      const names = bodies(lab);
      for (const b of got) expect(Object.keys(names), b).toContain(b);
      const n = 4 * 1024 * 1024;
      const dl = await lab.exec('client', ['sh', '-c', `curl -6 -g -s -m 20 'http://[${lab.v6!.vip}]/bytes?n=${n}' | sha256sum`], { timeoutMs: 25_000 });
      expect(dl.stdout.split(' ')[0]).toBe(expectedSha(n));
      // Seven connections, each opened by a cookie: the stats file shows them within its 1 s period.
      let c = stats(r!.statsPath).counters;
      for (let k = 0; k < 30 && (c.synproxy_conns ?? 0) - before < 7; k++) {
        await sleep(100);
        c = stats(r!.statsPath).counters;
      }
      expect((c.synproxy_conns ?? 0) - before).toBe(7);
    } finally {
      await reload(r!, (cf) => cf.replace(/^syn_proxy = 3\n/, ''));
    }
  }, 60_000);

  it('carries 4 KB UDP datagrams both ways over IPv6: their fragments follow the flow through NAT', async () => {
    const lab = r!.lab;
    const out = await lab.exec('client', [process.execPath, '-e', UDP_CLIENT, lab.v6!.vip, String(UDP_PORT), '3', '4000'], { timeoutMs: 30_000 });
    const answers = out.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { from?: string; text?: string; error?: string });
    expect(answers.map((a) => [a.from, a.error, a.text?.length])).toEqual(Array.from({ length: 3 }, (_, i) => [lab.v6!.vip, undefined, 4 + `hello ${i}`.length + 4000]));
  }, 60_000);

  it('an IPv6 firewall-mark service (-f 60 -6) takes both marked ports and keeps the client on one server (persistence)', async () => {
    const lab = r!.lab;
    const names = bodies(lab);
    const got: string[] = [];
    for (const port of [8080, 8081, 8080, 8081]) {
      const c = await lab.exec('client', ['curl', '-6', '-g', '-sS', '-m', '3', `http://[${lab.v6!.vip}]:${port}/`], { timeoutMs: 5000 });
      got.push(names[c.stdout] ?? `curl exit ${c.code}: ${c.stderr.trim()} ${c.stdout}`);
    }
    expect(new Set(got).size).toBe(1);
    expect(got[0]).toMatch(/^rs\d$/);
  }, 30_000);

  it('answers ping6 of the v6 VIP, from the router (the client finds the VIP at the router\'s MAC by NDP)', async () => {
    const lab = r!.lab;
    await lab.exec('client', ['ip', '-6', 'neigh', 'flush', 'dev', 'eth0']);
    const ping = await lab.exec('client', ['ping', '-6', '-c', '3', '-i', '0.2', '-W', '2', lab.v6!.vip], { timeoutMs: 10_000 });
    expect(ping.stdout).toMatch(/3 packets transmitted, 3 received/);
    const neigh = await lab.exec('client', ['ip', '-6', 'neigh', 'show', lab.v6!.vip], { check: true });
    expect(neigh.stdout).toContain(`lladdr ${ROUTER_ETH0_MAC}`);
  }, 30_000);

  it('the router\'s kernel, even with IPv6 forwarding on, sends the client nothing of tsvs\'s flows: no RST, no redirect, no untranslated reply', async () => {
    const lab = r!.lab;
    await lab.exec('router', ['sysctl', '-q', '-w', 'net.ipv6.conf.all.forwarding=1'], { check: true });
    try {
      const cap = join(lab.stateDir, 'client6.pcap');
      const dump = lab.spawn('client', ['tcpdump', '-i', 'eth0', '-U', '-n', '-w', cap, 'ip6 and (tcp or icmp6)'], { label: 'tcpdump6', log: false });
      await sleep(800);
      expect((await curl6(lab, 4)).every((b) => b.startsWith('rs'))).toBe(true);
      // A SYN to a port of the v6 VIP no service has: tsvs leaves it, and the fence keeps it from the kernel.
      const closed = await lab.exec('client', ['curl', '-6', '-g', '-sS', '-m', '1', `http://[${lab.v6!.vip}]:81/`], { timeoutMs: 5000 });
      expect(closed.stderr).toMatch(/timed out/i);
      await sleep(500);
      await dump.stop();
      const vip = lab.v6!.vip;
      let synAcks = 0;
      let rsts = 0;
      let untranslated = 0;
      let icmpErrors = 0;
      const reader = new PcapReader(cap);
      for (let rec = reader.next(); rec; rec = reader.next()) {
        const f = rec.data;
        if (((f[12] << 8) | f[13]) !== 0x86dd) continue;
        const src = ip6Text(f.subarray(22, 38));
        const next = f[20];
        if (src.startsWith('2001:2:0:2:')) untranslated++;
        if (next === 6 && src === vip) {
          const flags = f[54 + 13];
          if (flags & 0x04) rsts++;
          if ((flags & 0x12) === 0x12) synAcks++;
        }
        // ICMPv6 errors and redirects (types < 128, 137) from anyone but an echo reply: the kernel forwarding or refusing.
        if (next === 58 && (f[54] < 128 || f[54] === 137)) icmpErrors++;
      }
      reader.close();
      expect({ synAcks, rsts, untranslated, icmpErrors }).toEqual({ synAcks: 4, rsts: 0, untranslated: 0, icmpErrors: 0 });
    } finally {
      await lab.exec('router', ['sysctl', '-q', '-w', 'net.ipv6.conf.all.forwarding=0']);
    }
  }, 60_000);
});

run(`IPv6 through the router, LVS-DR${why}`, () => {
  let r: Running | undefined;
  beforeAll(async () => {
    r = await upWithRouter({ mode: 'dr', backend: 'native', ipv6: true, servers: 2 });
    try {
      await v6ServersIn(r, 80, r.lab.v6!.serverAddrs);
    } catch (e) {
      await r.lab.down();
      r = undefined;
      throw e;
    }
  }, 60_000);
  afterAll(async () => {
    await r?.lab.down();
  }, 60_000);

  it('serves curl -6 http://[VIP6]/ by direct routing: both real servers answer (from the VIP on their lo), bodies intact', async () => {
    const lab = r!.lab;
    const got = await curl6(lab, 6);
    const names = bodies(lab);
    for (const b of got) expect(Object.keys(names), b).toContain(b);
    const spread: Record<string, number> = {};
    for (const b of got) spread[names[b]] = (spread[names[b]] ?? 0) + 1;
    expect(spread).toEqual({ rs1: 3, rs2: 3 });
    // The gateway found the v6 VIP at the router's MAC: the servers holding it on lo answer no NS for it.
    expect((await lab.exec('gw', ['ip', '-6', 'neigh', 'show', lab.v6!.vip], { check: true })).stdout).toContain(`lladdr ${ROUTER_ETH0_MAC}`);
    const n = 4 * 1024 * 1024;
    const dl = await lab.exec('client', ['sh', '-c', `curl -6 -g -s -m 20 'http://[${lab.v6!.vip}]/bytes?n=${n}' | sha256sum`], { timeoutMs: 25_000 });
    expect(dl.stdout.split(' ')[0]).toBe(expectedSha(n));
  }, 60_000);
});

/** RFC 5952 text of 16 address bytes (the lab's addresses have one run of zero groups at most worth compressing). */
function ip6Text(b: Uint8Array): string {
  const g = Array.from({ length: 8 }, (_, k) => ((b[2 * k] << 8) | b[2 * k + 1]).toString(16));
  let best = -1;
  let len = 0;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && g[j] === '0') j++;
    if (j - i > len && j - i > 1) [best, len] = [i, j - i];
  }
  if (best < 0) return g.join(':');
  return `${g.slice(0, best).join(':')}::${g.slice(best + len).join(':')}`;
}
