// The control plane end to end (root): one NAT lab, the real router started with
// its control socket and /metrics, driven by the built `tsvs admin` and `tsvs top`
// as an operator would, with real clients in the client namespace. Each test
// installs the table it needs with `-R` (clearing first) on a port of its own,
// so none relies on another having run. The lab is taken down even on failure.
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnPage, ServiceView, TableView } from '../../src/control/types.js';
import { loadNative } from '../../src/io/native.js';
import { Admin, cli, parseCounters, service } from './admin.js';
import { expectedSha, LOADGEN, pacedDownload, reload, requests, ROOT, sleep, upWithRouter, type Running } from './harness.js';

const nativeBuilt = ROOT && loadNative().addon !== null;
const run = ROOT && nativeBuilt ? describe : describe.skip;
const why = !ROOT ? 'needs root for network namespaces' : !nativeBuilt ? 'the native addon is not built' : '';
/** Inside the router's namespace: no other process can hold it. */
const METRICS_PORT = 9917;
const MB = 1024 * 1024;

run(`the control plane end to end: tsvs admin, tsvs top and /metrics against tsvs start in a NAT lab${why ? ` (skipped: ${why})` : ''}`, () => {
  let r: Running;
  let admin: Admin;
  let vip: string;
  let servers: string[];
  let original: string;

  beforeAll(async () => {
    r = await upWithRouter({ mode: 'nat', backend: 'native', args: ['--metrics', `127.0.0.1:${METRICS_PORT}`] });
    admin = new Admin(join(r.lab.stateDir, 'tsvs.sock'));
    vip = r.lab.vip;
    servers = r.lab.serverAddrs;
    original = readFileSync(r.lab.configPath, 'utf8');
    // One client address makes thousands of connections here, through several virtual
    // ports that all map to port 80 of the same real servers. A client port it reuses
    // for another virtual port can then meet the server's TIME_WAIT socket of that same
    // 4-tuple: the server answers the SYN with the old connection's ACK, the client
    // resets, and its next SYN finds the router's entry CLOSEd and is scheduled afresh
    // (ip_vs_in's conn_reuse_mode, which tsvs reproduces) - one more connection than
    // requests, and counts off by one. Real servers that keep no TIME_WAIT sockets
    // make every reused port a new connection to them, so the counts are exact.
    for (const rs of r.lab.serverNames) await r.lab.exec(rs, ['sysctl', '-q', '-w', 'net.ipv4.tcp_max_tw_buckets=0'], { check: true });
  }, 60_000);
  afterAll(async () => {
    await r?.lab.down();
  }, 60_000);

  const url = (port: number, path = '/') => `http://${vip}:${port}${path}`;
  const find = (t: TableView, port: number): ServiceView => {
    const s = t.services.find((x) => x.address === vip && x.port === port);
    if (!s) throw new Error(`no service ${vip}:${port} in ${t.services.map((x) => x.id).join(', ')}`);
    return s;
  };
  /** A bounded load from the client namespace; resolves to loadgen's final line. */
  const load = async (target: string, o: { concurrency: number; seconds: number; max: number; keepAlive?: boolean }) => {
    const args = [process.execPath, LOADGEN, '--url', target, '--concurrency', String(o.concurrency), '--duration', String(o.seconds), '--max-requests', String(o.max)];
    const res = await r.lab.exec('client', [...args, ...(o.keepAlive ? ['--keep-alive'] : [])], { timeoutMs: (o.seconds + 15) * 1000 });
    return JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { ok: number; errors: number; seconds: number; byServer: Record<string, number>; errorKinds: Record<string, number> };
  };

  it('adds a service and its real servers while traffic runs; the new service serves from all three in rr proportions', async () => {
    await admin.install(service(vip, 80, servers, 'wlc'));
    // Traffic on the existing service all along: the changes must not disturb it.
    const busy = load(url(80), { concurrency: 2, seconds: 5, max: 5000 });
    await sleep(500);
    await admin.ok(['-A', '-t', `${vip}:8080`, '-s', 'rr']);
    for (const a of servers) await admin.ok(['-a', '-t', `${vip}:8080`, '-r', `${a}:80`, '-m', '-w', '1']);
    const listed = await admin.ok(['-L', '-n', '-t', `${vip}:8080`]);
    expect(listed).toContain(`TCP  ${vip}:8080 rr`);
    for (const a of servers) expect(listed).toMatch(new RegExp(`-> ${a.replace(/\./g, '\\.')}:80\\s+Masq\\s+1\\s`));
    expect(await requests(r.lab, 30, url(8080))).toEqual({ rs1: 10, rs2: 10, rs3: 10 });
    const bg = await busy;
    expect(bg.errors, JSON.stringify(bg.errorKinds)).toBe(0);
    expect(bg.ok).toBeGreaterThan(50);
    expect(Object.keys(bg.byServer).sort()).toEqual(['rs1', 'rs2', 'rs3']);
  }, 30_000);

  it('weight 0 quiesces a server: new connections avoid it, its running download finishes intact; then -d removes it', async () => {
    await admin.install(service(vip, 8082, servers));
    const n = 10 * MB;
    const dl = pacedDownload(r.lab, n, 2 * MB, 8082); // 5 s
    await sleep(1000);
    const busy = find(await admin.table(), 8082).servers.find((s) => s.activeConns > 0);
    expect(busy, 'the download is established to one server').toBeDefined();
    const target = ['-t', `${vip}:8082`, '-r', `${busy!.address}:80`];
    await admin.ok(['-e', ...target, '-m', '-w', '0']);
    const during = find(await admin.table(), 8082).servers.find((s) => s.address === busy!.address)!;
    expect([during.weight, during.activeConns]).toEqual([0, 1]); // quiesced, and its download still running
    const spread = await requests(r.lab, 12, url(8082));
    expect(spread[nameOf(busy!.address)]).toBeUndefined();
    expect(Object.values(spread).reduce((a, b) => a + b, 0)).toBe(12);
    expect(await dl).toBe(expectedSha(n));
    await admin.ok(['-d', ...target]);
    const after = await admin.ok(['-L', '-n']);
    expect(after).not.toContain(`${busy!.address}:80`);
    expect(after.match(/ -> \d/g)).toHaveLength(2);
  }, 30_000);

  it('-L -n --stats: Conns per server are the requests made; packets and bytes are counted and add up to the service line', async () => {
    await admin.install(service(vip, 8083, servers));
    expect(await requests(r.lab, 30, url(8083))).toEqual({ rs1: 10, rs2: 10, rs3: 10 });
    await sleep(300); // the last FIN's ACK
    const [svc] = parseCounters(await admin.ok(['-L', '-n', '--stats', '--exact']));
    expect(svc.name).toBe(`${vip}:8083`);
    expect(svc.servers.map((s) => [s.name, s.values[0]])).toEqual(servers.map((a) => [`${a}:80`, 10]));
    expect(svc.values[0]).toBe(30);
    for (const s of svc.servers) {
      const [conns, inPkts, outPkts, inBytes, outBytes] = s.values;
      // Each request is at least SYN, request, FIN in and SYN-ACK, reply, FIN out; 40 bytes of headers at least.
      expect(inPkts).toBeGreaterThanOrEqual(3 * conns);
      expect(outPkts).toBeGreaterThanOrEqual(3 * conns);
      expect(inBytes).toBeGreaterThanOrEqual(40 * inPkts);
      expect(outBytes).toBeGreaterThanOrEqual(40 * outPkts);
    }
    for (let k = 0; k < 5; k++) expect(svc.values[k], `column ${k}`).toBe(svc.servers.reduce((a, s) => a + s.values[k], 0));
  }, 30_000);

  it('--rate rises under a steady load and decays once it stops (the 2 s estimator, 1/4 smoothing)', async () => {
    await admin.install(service(vip, 8084, servers));
    const samples: Array<{ at: number; cps: number; inPps: number; loading: boolean }> = [];
    let loading = true;
    const started = Date.now();
    const traffic = load(url(8084), { concurrency: 2, seconds: 7, max: 50_000 }).finally(() => (loading = false));
    let stoppedAt = 0;
    // Bounded: the load's 7 s, then 6 s for three estimator periods without traffic.
    while (Date.now() - started < 25_000) {
      const now = loading;
      const [svc] = parseCounters(await admin.ok(['-L', '-n', '--rate', '--exact', '-t', `${vip}:8084`]));
      samples.push({ at: Date.now() - started, cps: svc.values[0], inPps: svc.values[1], loading: now && loading });
      if (!loading && stoppedAt === 0) stoppedAt = Date.now();
      if (stoppedAt && Date.now() - stoppedAt > 6000) break;
      await sleep(300);
    }
    const sent = await traffic;
    expect(sent.errors).toBe(0);
    const during = samples.filter((s) => s.loading);
    const peak = Math.max(...samples.map((s) => s.cps));
    const last = samples.at(-1)!;
    const trace = JSON.stringify(samples.map((s) => [s.at, s.cps, s.loading ? 'load' : '-']));
    expect(Math.max(...during.map((s) => s.cps)), trace).toBeGreaterThan(0);
    expect(Math.max(...during.map((s) => s.inPps)), trace).toBeGreaterThan(0);
    // Three or more full periods of load bring the average within 1 - (3/4)^3 = 58% of the rate; a quarter leaves room for a busy VM.
    expect(peak, trace).toBeGreaterThanOrEqual(0.25 * (sent.ok / sent.seconds));
    expect(last.loading).toBe(false);
    expect(last.cps, trace).toBeLessThan(peak);
  }, 40_000);

  it('-L -n -c lists the live connection of a slow download (client -> VIP -> server), and every entry even past 64 KiB of output', async () => {
    await admin.install(service(vip, 8085, servers));
    // 300 finished connections (TIME_WAIT) make -c some 23 KiB and -c --json some 100 KiB.
    await requests(r.lab, 300, url(8085));
    const n = 10 * MB;
    const dl = pacedDownload(r.lab, n, 2 * MB, 8085); // 5 s
    await sleep(800);
    // Read as a slow `| grep` would: the listings pass a pipe's 64 KiB and must arrive whole.
    const text = await admin.ok(['-L', '-n', '-c'], undefined, { stallMs: 300 });
    const live = text.split('\n').filter((l) => l.includes(`${vip}:8085`) && l.includes('ESTABLISHED'));
    expect(live, text.slice(0, 400)).toHaveLength(1);
    const m = /^TCP (\d\d:\d\d)\s+ESTABLISHED (\S+):(\d+)\s+(\S+)\s+(\S+)$/.exec(live[0]);
    expect(m, live[0]).not.toBeNull();
    expect([m![2], m![4]]).toEqual([r.lab.clientAddr, `${vip}:8085`]);
    const table = await admin.table();
    const busy = find(table, 8085).servers.filter((s) => s.activeConns === 1);
    expect(busy.map((s) => `${s.address}:80`)).toEqual([m![5]]);

    const json = await admin.ok(['-L', '-n', '-c', '--json'], undefined, { stallMs: 300 });
    expect(json.length).toBeGreaterThan(64 * 1024);
    const page = JSON.parse(json) as ConnPage;
    expect(page.conns).toHaveLength(page.total);
    const mine = page.conns.filter((c) => c.virtual === vip && c.virtualPort === 8085);
    // Fewer than 300 when the client picked a port again while its old entry was in
    // TIME_WAIT: conn_reuse_mode then replaces the entry (as IPVS does).
    expect(mine.filter((c) => c.state === 'TIME_WAIT').length).toBeGreaterThan(250);
    expect(mine.filter((c) => c.state === 'ESTABLISHED').map((c) => [c.client, c.clientPort, `${c.dest}:${c.destPort}`, c.forward])).toEqual([
      [r.lab.clientAddr, Number(m![3]), m![5], 'nat'],
    ]);
    // The text listing has every entry too: its lines for this service are the JSON's.
    expect(text.split('\n').filter((l) => l.includes(` ${vip}:8085 `))).toHaveLength(mine.length);
    expect(await dl).toBe(expectedSha(n));
  }, 30_000);

  it('/metrics (parsed as Prometheus text) agrees with --json and --stats: per-backend active, inactive, weight, and the totals', async () => {
    await admin.install([...service(vip, 8086, servers), `-e -t ${vip}:8086 -r ${servers[2]}:80 -m -w 3`]);
    await requests(r.lab, 6, url(8086));
    // A connection held open without traffic: one active, and counters that stand still while we read.
    const held = r.lab.exec('client', ['curl', '-s', '-m', '10', url(8086, '/sleep?ms=4000')]);
    // Wait (bounded) until it is established and nothing else is in flight: two reads 100 ms apart agree.
    let before = await admin.table();
    for (let k = 0; k < 30; k++) {
      await sleep(100);
      const again = await admin.table();
      const quiet = JSON.stringify(again.stats) === JSON.stringify(before.stats);
      before = again;
      if (quiet && find(again, 8086).servers.some((x) => x.activeConns === 1)) break;
    }
    const scraped = await r.lab.exec('router', ['curl', '-s', '-m', '5', `http://127.0.0.1:${METRICS_PORT}/metrics`], { check: true });
    const stats = parseCounters(await admin.ok(['-L', '-n', '--stats', '--exact']));
    const after = await admin.table();
    expect(after.stats, 'nothing moved while reading').toEqual(before.stats);
    const fams = parsePrometheusTextFormat(scraped.stdout);
    const svc = find(after, 8086);
    expect(svc.servers.reduce((a, s) => a + s.activeConns, 0)).toBe(1);
    expect(svc.servers.reduce((a, s) => a + s.inactiveConns, 0)).toBe(6);

    for (const s of svc.servers) {
      const labels = { local_address: vip, local_port: '8086', proto: 'TCP', local_mark: '', remote_address: s.address, remote_port: '80' };
      expect(value(fams, 'node_ipvs_backend_connections_active', labels), s.address).toBe(s.activeConns);
      expect(value(fams, 'node_ipvs_backend_connections_inactive', labels), s.address).toBe(s.inactiveConns);
      expect(value(fams, 'node_ipvs_backend_weight', labels), s.address).toBe(s.weight);
    }
    expect(svc.servers.map((s) => s.weight).sort()).toEqual([1, 1, 3]);
    const totals = after.stats;
    expect(value(fams, 'node_ipvs_connections_total')).toBe(totals.conns);
    expect(value(fams, 'node_ipvs_incoming_packets_total')).toBe(totals.inPkts);
    expect(value(fams, 'node_ipvs_outgoing_packets_total')).toBe(totals.outPkts);
    expect(value(fams, 'node_ipvs_incoming_bytes_total')).toBe(totals.inBytes);
    expect(value(fams, 'node_ipvs_outgoing_bytes_total')).toBe(totals.outBytes);

    // tsvs's own per-server counters are --stats's columns.
    const row = stats.find((x) => x.name === `${vip}:8086`)!;
    const families = ['connections_total', 'incoming_packets_total', 'outgoing_packets_total', 'incoming_bytes_total', 'outgoing_bytes_total'];
    const svcLabels = { service: svc.id, protocol: 'tcp', address: vip, port: '8086', fwmark: '0' };
    families.forEach((f, k) => expect(value(fams, `tsvs_service_${f}`, svcLabels), f).toBe(row.values[k]));
    for (const s of row.servers) {
      const [address, port] = s.name.split(':');
      families.forEach((f, k) => expect(value(fams, `tsvs_real_server_${f}`, { ...svcLabels, server_address: address, server_port: port }), `${s.name} ${f}`).toBe(s.values[k]));
    }
    expect(value(fams, 'tsvs_table_version')).toBe(after.version);
    expect((await held).stdout).toMatch(/^rs\d slept 4000/);
  }, 30_000);

  it('a malformed request, a client that is not root and a bad -R file change nothing (-S -n before and after)', async () => {
    await admin.install(service(vip, 8087, servers.slice(0, 2)));
    const saved = await admin.ok(['-S', '-n']);
    expect(saved.split('\n').filter(Boolean)).toHaveLength(3);

    // Raw HTTP on the socket: a body that is not JSON, a list whose second op is refused, and something that is not HTTP.
    const badJson = await raw(admin.socket, post('/v1/ops', '{"ops": [{"op": "clear"'));
    expect(badJson).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(badJson)).toMatchObject({ error: { code: 'EINVAL', message: expect.stringContaining('not a JSON object') } });
    const addThenBad = JSON.stringify({ ops: [
      { op: 'add-server', service: { protocol: 'tcp', address: vip, port: 8087 }, server: { address: servers[2], port: 80 }, forward: 'nat' },
      { op: 'add-server', service: { protocol: 'tcp', address: vip, port: 9999 }, server: { address: servers[2], port: 80 } },
    ] });
    const refused = await raw(admin.socket, post('/v1/ops', addThenBad));
    expect(refused).toMatch(/^HTTP\/1\.1 404 /);
    expect(bodyOf(refused)).toMatchObject({ error: { code: 'ESRCH', index: 1 } });
    expect(await raw(admin.socket, 'hello, router\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);

    // Not root: the socket is mode 0600 root, so connect() itself is refused.
    const nobody = await admin.run(['-a', '-t', `${vip}:8087`, '-r', `${servers[2]}:80`, '-m'], { asNobody: true });
    expect(nobody.code).toBe(2);
    expect(nobody.err).toContain('Permission denied (you must be root)');
    expect(nobody.out).toBe('');

    // -R is one change: one bad line and nothing of the file is applied.
    const good = `-a -t ${vip}:8087 -r ${servers[2]}:80 -m -w 1\n`;
    const badLine = await admin.run(['-R'], { input: `${good}-a -t ${vip}:8087 -r 198.19.0.99:80 -m -w heavy\n` });
    expect([badLine.code, badLine.err]).toEqual([2, 'illegal weight specified\n']);
    const badOp = await admin.run(['-R'], { input: `${good}-a -t ${vip}:9999 -r 198.19.0.99:80 -m -w 1\n` });
    expect([badOp.code, badOp.err]).toEqual([255, 'Service not defined\n']);

    expect(await admin.ok(['-S', '-n'])).toBe(saved);
    expect(r.router.alive()).toBe(true);
  }, 30_000);

  it('SIGHUP during load loses no established connection, and the log says which runtime change the reload discarded', async () => {
    const rs3Off = (cf: string) => cf.replace(/(server rs3 \{\s*address = \S+\s*active = )1/, '$10');
    const rs3On = (cf: string) => cf.replace(/(server rs3 \{\s*address = \S+\s*active = )0/, '$11');
    writeFileSync(r.lab.configPath, original);
    await reload(r, rs3Off); // lvs.cf's table with rs1 and rs2 only; earlier runtime changes are gone
    await admin.ok(['-A', '-t', `${vip}:8088`, '-s', 'rr']);
    const n = 12 * MB;
    const dl = pacedDownload(r.lab, n, 3 * MB); // 4 s
    const kept = load(url(80), { concurrency: 2, seconds: 4, max: 100_000, keepAlive: true });
    await sleep(1000);
    expect(find(await admin.table(), 80).servers.reduce((a, s) => a + s.activeConns, 0)).toBeGreaterThanOrEqual(3);
    const from = r.router.log().length;
    await reload(r, rs3On);
    const logged = r.router.log().slice(from).split('\n').filter((l) => l.includes('reload discarded a runtime change'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(new RegExp(`added service .*${vip.replace(/\./g, '\\.')}:8088`));
    // rs3 is new to the running table: as with nanny, it serves from its first good check.
    let listed = '';
    for (let k = 0; k < 50 && !listed.includes(`${servers[2]}:80`); k++) {
      listed = await admin.ok(['-L', '-n']);
      if (!listed.includes(`${servers[2]}:80`)) await sleep(100);
    }
    expect(listed).toContain(`${servers[2]}:80`);
    expect(listed).not.toContain(':8088');
    const held = await kept;
    expect(held.errors, JSON.stringify(held.errorKinds)).toBe(0);
    expect(held.ok).toBeGreaterThan(100);
    expect(await dl).toBe(expectedSha(n));
    expect(readFileSync(r.lab.configPath, 'utf8')).toBe(original);
  }, 40_000);

  it('tsvs top --iterations 2 off a terminal prints two plain blocks with the service and its servers, and exits 0', async () => {
    await admin.install(service(vip, 8089, servers));
    await requests(r.lab, 3, url(8089));
    const top = await cli(['top', '--iterations', '2', '--interval', '0.5', '--control-socket', admin.socket]);
    expect(top.err).toBe('');
    expect(top.code).toBe(0);
    expect(top.out).not.toMatch(/\x1b/);
    expect(top.out.match(/^tsvs top - table v\d+/gm)).toHaveLength(2);
    const lines = top.out.split('\n');
    expect(lines.filter((l) => l.startsWith(`TCP  ${vip}:8089`))).toHaveLength(2);
    for (const a of servers) expect(lines.filter((l) => new RegExp(`^  -> ${a.replace(/\./g, '\\.')}:80\\s+1\\s+0\\s+1\\s`).test(l)), a).toHaveLength(2);
  }, 30_000);
});

/** The lab's built-in httpd names itself rsN; its address is 198.19.0.(10+N). */
function nameOf(address: string): string {
  return `rs${Number(address.split('.')[3]) - 10}`;
}

/** One series' value; with no labels, the family's only series. */
function value(fams: ParsedFamily[], name: string, labels?: Record<string, string>): number {
  const f = fams.find((x) => x.name === name);
  if (!f) throw new Error(`no family ${name} in the scrape`);
  const hits = f.metrics.filter((m) => !labels || Object.entries(labels).every(([k, v]) => (m.labels ?? {})[k] === v) && Object.keys(m.labels ?? {}).length === Object.keys(labels).length);
  if (hits.length !== 1) throw new Error(`${name}${JSON.stringify(labels ?? {})}: ${hits.length} series`);
  return Number(hits[0].value);
}

function post(path: string, body: string): string {
  return `POST ${path} HTTP/1.1\r\nHost: tsvs\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** Writes `request` as is on the unix socket; resolves to everything the router answered before closing. */
function raw(socket: string, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(socket);
    let got = '';
    const timer = setTimeout(() => s.destroy(new Error('no answer within 5 s')), 5000);
    s.setEncoding('utf8').on('data', (d: string) => (got += d));
    s.on('error', reject);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.write(request); // not end(): a half-closed request is one the server may drop unanswered
  });
}

function bodyOf(response: string): unknown {
  return JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
}
