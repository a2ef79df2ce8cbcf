// Health checks of an IPv6 real server, in two namespaces of the test's own
// linked only to each other (2001:db8::1 and 2001:db8::2, documentation
// addresses that never leave them): tcp, http and nanny's send/expect connect
// to the server's IPv6 address, and a half_open tcp check, whose raw SYN is
// IPv4 only, falls back to a connect() with the same verdicts.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ip, ipBatch, nsRun, run } from '../../src/lab/netns.js';
import { endProcesses, firstLine, spawnInNs, type Spawned } from '../../src/lab/procs.js';
import type { ProbeResult } from '../../src/health/types.js';
import { ROOT, ROOT_REASON, RUNNER } from './probe-lab.js';

const SERVER6 = '2001:db8::2';
// A TCP port that accepts and closes, a web server, a greeter for send/expect; nothing on 7999.
const SERVERS = `
const net = require('node:net'), http = require('node:http');
const a = '${SERVER6}';
const ready = [
  new Promise((r) => net.createServer((c) => c.end()).listen(7003, a, r)),
  new Promise((r) => http.createServer((q, s) => s.end(q.headers.host)).listen(8080, a, r)),
  new Promise((r) => net.createServer((c) => c.on('error', () => {}).once('data', () => c.end('pong\\r\\n'))).listen(7010, a, r)),
];
Promise.all(ready).then(() => console.log('ready'));
setTimeout(() => process.exit(0), 120000).unref();
`;

describe.skipIf(!ROOT)(`health checks of an IPv6 server${ROOT_REASON}`, () => {
  const c = `tsvsp6${process.pid}c`;
  const s = `tsvsp6${process.pid}s`;
  let server: Spawned | null = null;

  beforeAll(async () => {
    if (!existsSync(RUNNER)) throw new Error(`${RUNNER} is missing: run npm run build first`);
    await ip(['netns', 'add', c]);
    await ip(['netns', 'add', s]);
    await ip(['link', 'add', 'pc0', 'type', 'veth', 'peer', 'name', 'ps0', 'netns', s], c);
    // nodad: the addresses are usable at once, without duplicate address detection's wait.
    await ipBatch(['link set lo up', 'addr add 2001:db8::1/64 dev pc0 nodad', 'link set pc0 up'], c);
    await ipBatch(['link set lo up', `addr add ${SERVER6}/64 dev ps0 nodad`, 'link set ps0 up'], s);
    server = spawnInNs(s, [process.execPath, '-e', SERVERS], { label: 'v6 servers', pipeStdout: true });
    expect(await firstLine(server.child, 10_000, 'the IPv6 servers')).toBe('ready');
  }, 30_000);

  afterAll(async () => {
    try {
      if (server) await endProcesses([server.record], 1000);
    } finally {
      for (const ns of [c, s]) await run('ip', ['netns', 'del', ns]);
    }
  });

  async function probes(jobs: unknown[]): Promise<Array<Pick<ProbeResult, 'ok' | 'detail'>>> {
    const r = await nsRun(c, [process.execPath, RUNNER, JSON.stringify({ probes: jobs })], { timeoutMs: 15_000 });
    if (r.code !== 0) throw new Error(`probe runner failed (${r.code}): ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim()) as { results: ProbeResult[]; handles: string[] };
    expect(out.handles).toEqual([]);
    return out.results.map((x) => ({ ok: x.ok, detail: x.detail }));
  }

  it('tcp, half_open tcp, http and send/expect reach the server at its IPv6 address', async () => {
    const at = (port: number) => ({ address: SERVER6, port });
    const job = (spec: unknown, port: number) => ({ spec, target: at(port), timeoutMs: 2000 });
    const results = await probes([
      job({ kind: 'tcp', port: null }, 7003),
      job({ kind: 'tcp', port: null }, 7999),
      job({ kind: 'tcp', port: null, halfOpen: true }, 7003),
      job({ kind: 'tcp', port: null, halfOpen: true }, 7999),
      job({ kind: 'http', port: null, path: '/', status: [[200, 299]], digest: null, regex: '^\\[2001:db8::2\\]:8080$', regexNoMatch: false, virtualhost: null, sni: null }, 8080),
      job({ kind: 'nanny', protocol: 'tcp', send: 'ping\r\n', expect: 'pong', useRegex: false, sendProgram: null }, 7010),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true, false, true, true]);
    expect(results[1].detail).toBe('connection refused');
    // The half-open check fell back to a connect(): connect()'s own words.
    expect(results[2].detail).toBe('connected');
    expect(results[3].detail).toBe('connection refused');
  });
});
