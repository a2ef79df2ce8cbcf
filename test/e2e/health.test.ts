// Health checks end to end (root): NAT labs with the real router (tsvs start) and
// its real servers; the checks run in the router namespace's own stack and the
// tests break and mend real servers as an operator would see it happen: a
// daemon stopped and started again, a /health page that answers 500, a DNS
// server, a script. Each test builds its own lab and takes it down even on failure.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ControlClient } from '../../src/control/client.js';
import type { HealthView, TableView } from '../../src/control/types.js';
import { httpdScript } from '../../src/lab/servers.js';
import { loadNative } from '../../src/io/native.js';
import { cli } from './admin.js';
import { expectedSha, LOADGEN, pacedDownload, reload, ROOT, sleep, upWithRouter, type Running } from './harness.js';

const nativeBuilt = ROOT && loadNative().addon !== null;
const run = ROOT && nativeBuilt ? describe : describe.skip;
const why = !ROOT ? 'needs root for network namespaces' : !nativeBuilt ? 'the native addon is not built' : '';

/** The lab's lvs.cf with its virtual server's checks replaced by `checks` (lines inside `virtual http`). */
const withChecks = (checks: string[]) => (cf: string): string =>
  cf.replace(/    send = .*\n    expect = .*\n/, '').replace(/    timeout = \d+\n    reentry = \d+\n/, checks.map((l) => `    ${l}\n`).join(''));

async function withRouter(checks: string[], test: (r: Running, api: ControlClient) => Promise<void>): Promise<void> {
  const r = await upWithRouter({ mode: 'nat', backend: 'native', edit: withChecks(checks) });
  try {
    await test(r, new ControlClient(join(r.lab.stateDir, 'tsvs.sock')));
  } finally {
    await r.lab.down();
  }
}

const listed = (t: TableView): Record<string, number> =>
  Object.fromEntries(t.services[0].servers.map((s) => [s.address, s.weight]));

/**
 * Polls until cond holds (at most `ms`); returns the seconds it took. `explain`
 * adds what the router says to the error, so a miss on a loaded machine can be told from a bug.
 */
async function until(what: string, ms: number, cond: () => Promise<boolean>, explain?: () => Promise<string>): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await cond()) return (Date.now() - t0) / 1000;
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}${explain ? `\n${await explain()}` : ''}`);
    await sleep(100);
  }
}

/** The PID of a real server's built-in httpd, from the lab's records. */
function httpdPid(r: Running, name: string): number {
  const p = r.lab.processes.find((x) => x.label === `httpd ${name}`);
  if (!p) throw new Error(`no httpd ${name} in ${r.lab.processes.map((x) => x.label).join(', ')}`);
  return p.pid;
}

async function startHttpd(r: Running, k: number): Promise<void> {
  const name = r.lab.serverNames[k];
  const script = await httpdScript(r.lab.stateDir);
  r.lab.spawn(name, [process.execPath, script, '--port', '80', '--name', name, '--addr', r.lab.serverAddrs[k]], { label: `httpd ${name} again` });
}

const setHealth = (r: Running, k: number, code: number) =>
  r.lab.exec(r.lab.serverNames[k], ['curl', '-sS', '--max-time', '3', `http://127.0.0.1/health?set=${code}`], { check: true });

/** n sequential requests through the VIP; per server name, and the failures. */
async function requests(r: Running, n: number): Promise<{ byServer: Record<string, number>; errors: number }> {
  const res = await r.lab.exec('client', [process.execPath, LOADGEN, '--url', `http://${r.lab.vip}/`, '--concurrency', '1', '--max-requests', String(n), '--duration', '30'], { timeoutMs: 40_000 });
  return JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { byServer: Record<string, number>; errors: number };
}

const changes = (h: HealthView) => (h.totals?.wentUp ?? 0) + (h.totals?.wentDown ?? 0);

run(`health checks end to end in a NAT lab${why ? ` (skipped: ${why})` : ''}`, () => {
  it("nanny: a stopped daemon leaves the table within its check time, no request fails after; it returns after reentry; SIGHUP does not flap; forcing works while it passes", async () => {
    // nanny's check of the lab: GET / HTTP/1.0, expect "HTTP", every second; back after 3 s of passing.
    await withRouter(['send = "GET / HTTP/1.0\\r\\n\\r\\n"', 'expect = "HTTP"', 'timeout = 1', 'reentry = 3'], async (r, api) => {
      const [a1, a2, a3] = r.lab.serverAddrs;
      await until('all three checked and up', 5000, async () => (await api.health()).services[0]?.servers.every((s) => s.last?.ok) ?? false);
      process.kill(httpdPid(r, 'rs2'), 'SIGTERM');
      const gone = await until('rs2 out of the table', 5000, async () => !(a2 in listed(await api.table())));
      expect(gone).toBeLessThan(3.5); // one failed round at a 1 s interval (+ the 1 s connect timeout)
      expect(r.router.log()).toContain(`shutting down ${a2}:80 due to connection failure`);
      const listing = await cli(['health', '--control-socket', join(r.lab.stateDir, 'tsvs.sock')]);
      expect(listing.code).toBe(0);
      expect(listing.out).toMatch(new RegExp(`-> ${a2.replace(/\./g, '\\.')}:80\\s+down\\s+no\\s`));
      const after = await requests(r, 30);
      expect(after.errors).toBe(0);
      expect(Object.keys(after.byServer).sort()).toEqual(['rs1', 'rs3']);

      await startHttpd(r, 1);
      const t0 = Date.now();
      await until('rs2 back in the table', 10_000, async () => a2 in listed(await api.table()));
      // reentry 3 s at a 1 s interval: three good rounds in a row.
      expect((Date.now() - t0) / 1000).toBeGreaterThan(1.8);
      expect(r.router.log()).toContain(`making ${a2}:80 available`);

      const before = changes(await api.health());
      await reload(r, (cf) => cf.replace('serial_no = 1', 'serial_no = 2'));
      await sleep(2500);
      expect(changes(await api.health())).toBe(before);
      expect(Object.keys(listed(await api.table())).sort()).toEqual([a1, a2, a3].sort());

      await api.forceHealth({ protocol: 'tcp', address: r.lab.vip, port: 80 }, { address: a1, port: 80 }, 'down');
      expect(a1 in listed(await api.table())).toBe(false);
      await sleep(2000); // its checks pass all along: the force holds
      expect(a1 in listed(await api.table())).toBe(false);
      await api.forceHealth({ protocol: 'tcp', address: r.lab.vip, port: 80 }, { address: a1, port: 80 }, 'auto');
      expect(a1 in listed(await api.table())).toBe(true);
    });
  }, 90_000);

  it('quiesce_server: an HTTP check that gets 500 sets weight 0; the download it serves finishes intact; new connections avoid it', async () => {
    await withRouter(['quiesce_server = 1', 'check http {', '    path = /health', '    delay_loop = 1', '    connect_timeout = 1', '    retry = 0', '}'], async (r, api) => {
      const n = 6 * 1024 * 1024;
      await until('all up', 5000, async () => (await api.health()).services[0]?.servers.every((s) => s.last?.ok) ?? false);
      const dl = pacedDownload(r.lab, n, 2 * 1024 * 1024); // 3 s
      const conns = async () => (await api.connections(0, 100)).conns.filter((c) => c.virtualPort === 80 && c.state === 'ESTABLISHED');
      await until('the download is established', 3000, async () => (await conns()).length > 0);
      const dest = (await conns())[0].dest;
      const k = r.lab.serverAddrs.indexOf(dest);
      await setHealth(r, k, 500);
      await until(`${dest} at weight 0`, 4000, async () => listed(await api.table())[dest] === 0);
      expect(r.router.log()).toMatch(new RegExp(`shutting down ${dest.replace(/\./g, '\\.')}:80 due to connection failure.*status 500`));
      const others = await requests(r, 20);
      expect(others.errors).toBe(0);
      expect(others.byServer[r.lab.serverNames[k]]).toBeUndefined();
      expect(await dl).toBe(expectedSha(n));
    });
  }, 60_000);

  it('sorry server: in when every real server fails, serving the VIP; out again at the first recovery', async () => {
    // rs3 is the sorry server, not one of the virtual's real servers.
    await withRouter(['check http {', '    path = /health', '    delay_loop = 1', '    connect_timeout = 1', '    retry = 0', '}'], async (r, api) => {
      const [a1, a2, a3] = r.lab.serverAddrs;
      writeFileSync(r.lab.configPath, readFileSync(r.lab.configPath, 'utf8').replace(/\n    server rs3 \{[^}]*\}\n/, '\n').replace('    port = 80\n', `    port = 80\n    sorry_server = ${a3}\n`));
      await reload(r, (cf) => cf);
      await until('rs1 and rs2 up', 5000, async () => Object.keys(listed(await api.table())).sort().join() === [a1, a2].join());
      await setHealth(r, 0, 500);
      await setHealth(r, 1, 503);
      await until('the sorry server alone', 5000, async () => JSON.stringify(listed(await api.table())) === JSON.stringify({ [a3]: 1 }));
      expect((await requests(r, 5)).byServer).toEqual({ rs3: 5 });
      await setHealth(r, 1, 200);
      await until('rs2 back, the sorry server out', 5000, async () => JSON.stringify(listed(await api.table())) === JSON.stringify({ [a2]: 1 }));
      expect(r.router.log()).toContain('no real servers up; activating the sorry server');
      expect(r.router.log()).toContain('real servers up again; removing the sorry server');
    });
  }, 60_000);

  it('rise and fall: a server that fails every other round never leaves the table; three failures in a row take it out once', async () => {
    await withRouter(['check http {', '    path = /health', '    delay_loop = 1', '    connect_timeout = 1', '    retry = 0', '    rise = 3', '    fall = 3', '}'], async (r, api) => {
      const a1 = r.lab.serverAddrs[0];
      await until('all up', 5000, async () => (await api.health()).services[0]?.servers.every((s) => s.last?.ok) ?? false);
      const before = changes(await api.health());
      for (let k = 0; k < 4; k++) {
        await setHealth(r, 0, 500);
        await sleep(1000);
        await setHealth(r, 0, 200);
        await sleep(1000);
      }
      expect(changes(await api.health())).toBe(before);
      expect(a1 in listed(await api.table())).toBe(true);
      await setHealth(r, 0, 500);
      await until('rs1 out after three failed rounds', 6000, async () => !(a1 in listed(await api.table())));
      expect(changes(await api.health())).toBe(before + 1);
    });
  }, 60_000);

  it('a DNS check against dnsmasq, a UDP check against an echo server, and a send_program script check', async () => {
    const fast = ['delay_loop = 1', 'connect_timeout = 1', 'retry = 0'];
    const block = (kind: string, keys: string[]) => [`check ${kind} {`, ...[...keys, ...fast].map((k) => `    ${k}`), '}'];
    const udpVirtual = (name: string, port: number, checks: string[], rs: string[]) => [
      '', `virtual ${name} {`, '    active = 1', '    address = 198.18.0.10 eth0:1', `    port = ${port}`, '    protocol = udp', '    scheduler = rr',
      ...checks.map((l) => `    ${l}`),
      ...rs.flatMap((a, k) => [`    server ${name}${k} {`, `        address = ${a}`, '        active = 1', '    }']), '}',
    ].join('\n') + '\n';
    // The http virtual is checked by a script: "OK" when its marker file exists.
    const marker = (r: Running) => join(r.lab.stateDir, 'ok-');
    const r = await upWithRouter({ mode: 'nat', backend: 'native', edit: (cf) => cf });
    const api = new ControlClient(join(r.lab.stateDir, 'tsvs.sock'));
    try {
      const [a1, a2, a3] = r.lab.serverAddrs;
      for (const a of r.lab.serverAddrs) writeFileSync(`${marker(r)}${a}`, '');
      r.lab.spawn('rs1', ['dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', `--listen-address=${a1}`, '--bind-interfaces', '--port=53',
        `--address=/svc.lab/${a1}`, '--pid-file='], { label: 'dnsmasq rs1' });
      r.lab.spawn('rs3', [process.execPath, '-e', "const s=require('dgram').createSocket('udp4');s.on('message',(m,f)=>s.send(m,f.port,f.address));s.bind(7)"], { label: 'udp echo rs3' });
      const servers = r.lab.serverAddrs;
      await reload(r, (cf) => withChecks([`send_program = "/bin/sh -c 'test -e ${marker(r)}%h && echo OK %h:%p'"`, 'expect = "OK"', 'timeout = 1', 'reentry = 2'])(cf) +
        udpVirtual('dns', 53, block('dns', ['type = A', 'name = svc.lab']), servers) +
        udpVirtual('echo', 7, block('udp', ['payload = 74737673', 'require_reply = 74XX7673', 'min_reply_length = 4', 'max_reply_length = 4']), servers));
      const of = async (port: number) => {
        const t = await api.table();
        return t.services.find((s) => s.port === port)?.servers.map((x) => x.address).sort() ?? [];
      };
      await until('dns: only rs1 (dnsmasq) up', 6000, async () => (await of(53)).join() === a1);
      await until('echo: only rs3 (the echo server) up', 6000, async () => (await of(7)).join() === a3);
      await until('http: all three pass their script', 6000, async () => (await of(80)).length === 3);
      const h = await api.health();
      const dnsRs2 = h.services.find((s) => s.service === 'UDP 198.18.0.10:53')!.servers.find((x) => x.address === a2)!;
      expect(dnsRs2.state).toBe('down');
      expect(dnsRs2.last?.detail).toMatch(/unreachable|refused/);

      unlinkSync(`${marker(r)}${a2}`);
      // Its next round (every second) fails; the bound leaves room for a CI machine busy with other labs.
      const rs2 = async () => JSON.stringify(
        (await api.health()).services.find((s) => s.service === 'TCP 198.18.0.10:80')?.servers.find((x) => x.address === a2));
      await until('http: rs2 out by its script', 10_000, async () => !(await of(80)).includes(a2), rs2);
      process.kill(r.lab.processes.find((p) => p.label === 'dnsmasq rs1')!.pid, 'SIGTERM');
      await until('dns: rs1 out once dnsmasq stops', 10_000, async () => (await of(53)).length === 0);
    } finally {
      await r.lab.down();
    }
  }, 90_000);
});
