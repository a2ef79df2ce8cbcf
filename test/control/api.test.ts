// The control API end to end in one process: the real router (its data plane
// inline, on a memory port), the HTTP server on a unix socket in a temporary
// directory, and the client tsvs admin uses. What a user relies on: changes
// answered with the version they made, refusals that change nothing, root only,
// one change at a time, reloads that say what they discarded.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientError, ControlClient } from '../../src/control/client.js';
import { ApiRequestError, type Op } from '../../src/control/types.js';
import type { LivePort } from '../../src/frames/port.js';
import { MemoryPort } from '../../src/io/memory.js';
import { parseIPv4 } from '../../src/model/index.js';
import { Router } from '../../src/router/daemon.js';
import { InlineDataPlane } from '../../src/router/dataplane.js';
import { createLogger } from '../../src/router/log.js';
import type { HostInfo } from '../../src/router/preflight.js';

const ip = (s: string) => parseIPv4(s)!;
const MACS: Record<string, Uint8Array> = { eth0: Uint8Array.of(2, 0, 0, 0, 0, 1), eth1: Uint8Array.of(2, 0, 0, 0, 0, 2) };
const WEB = { protocol: 'tcp', address: '198.18.0.10', port: 80 } as const;

class FakePort extends MemoryPort implements LivePort {
  onReadable(): void {}
}

const host: HostInfo = {
  isRoot: () => true,
  hasDevice: (d) => d in MACS,
  macOf: (d) => MACS[d] ?? null,
  kernelAddresses: () => new Map([[ip('198.18.0.2'), 'eth0']]),
};

let dir: string;
let router: Router | null = null;
let logs: string[] = [];
let uid = 0;
let nftFails = false;
/** nft scripts run and data-plane applies, in order. */
let steps: string[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsvs-api-'));
  logs = [];
  uid = 0;
  nftFails = false;
  steps = [];
});
afterEach(async () => {
  await router?.stop();
  router = null;
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<{ client: ControlClient; cfg: string; socket: string }> {
  const cfg = join(dir, 'lvs.cf');
  copyFileSync('test/fixtures/config/nat.cf', cfg);
  const socket = join(dir, 'run', 'tsvs.sock');
  const log = createLogger({ write: (l) => logs.push(l) });
  router = new Router({
    configPath: cfg, log, host, controlSocket: socket, timers: false,
    dataPlane: (spec) => {
      const dp = new InlineDataPlane({ ...spec, log, openPort: () => new FakePort() }, false);
      const apply = dp.apply.bind(dp);
      dp.apply = (d) => {
        steps.push('apply');
        return apply(d);
      };
      return dp;
    },
    nft: (s) => {
      steps.push(s.trim());
      return { ok: s.startsWith('list') ? false : !(nftFails && s.startsWith('add')), error: nftFails ? 'Operation not permitted' : '' };
    },
    peerOf: () => ({ uid, pid: 4242 }),
  });
  await router.start();
  return { client: new ControlClient(socket), cfg, socket };
}

async function refusal(p: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiRequestError) return { status: e.status, code: e.error.code, message: e.error.message };
    throw e;
  }
  throw new Error('not refused');
}

/** A raw HTTP request on the socket (what a client other than ours might send). */
function raw(socket: string, method: string, path: string, body: string): Promise<{ status: number; json: { error?: { code: string; message: string } } }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('control API', () => {
  it('listens on a socket only root can use, and shows the running table and the daemon', async () => {
    const { client, socket } = await start();
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    const t = await client.table();
    expect(t.services.map((s) => [s.id, s.scheduler, s.servers.map((r) => `${r.address}:${r.port} w${r.weight} ${r.forward}`)])).toEqual([
      // IPVS list order: lvsd added them in file order, each at the head.
      ['tcp-198.18.0.10-80', 'wlc', ['198.19.0.13:80 w2 nat', '198.19.0.12:80 w1 nat', '198.19.0.11:80 w1 nat']],
    ]);
    const st = await client.status();
    expect(st.components).toEqual({ fence: 'running', dataplane: 'running', 'control-api': 'running' });
    expect(st.version).toBe(t.version);
    expect(await client.timeouts()).toEqual({ tcp: 900, tcpfin: 120, udp: 300 });
  });

  it('applies a list of ops as one version and answers with it; the log says who did what', async () => {
    const { client } = await start();
    const v0 = (await client.status()).version;
    const r = await client.change([
      { op: 'add-service', service: { ...WEB, port: 8080 }, scheduler: 'rr' },
      { op: 'add-server', service: { ...WEB, port: 8080 }, server: { address: '198.19.0.11', port: 80 }, forward: 'nat', weight: 3 },
    ]);
    expect(r.version).toBeGreaterThan(v0);
    expect(r.done).toEqual(['added service TCP 198.18.0.10:8080 (rr)', 'added real server 198.19.0.11:80 to TCP 198.18.0.10:8080 (nat, weight 3)']);
    const t = await client.table();
    expect(t.version).toBe(r.version);
    expect(t.services[1].servers.map((s) => [s.address, s.weight])).toEqual([['198.19.0.11', 3]]);
    expect(logs.filter((l) => l.includes('msg=change')).every((l) => l.includes('who="uid 0 pid 4242"'))).toBe(true);
  });

  it('refuses a bad change with a 4xx and a clear message, changing nothing', async () => {
    const { client, socket } = await start();
    const before = await client.table();
    expect(await refusal(client.change([{ op: 'add-service', service: WEB }]))).toEqual({ status: 409, code: 'EEXIST', message: 'service TCP 198.18.0.10:80 already exists' });
    expect(await refusal(client.change([
      { op: 'edit-server', service: WEB, server: { address: '198.19.0.11', port: 80 }, weight: 5 },
      { op: 'delete-server', service: WEB, server: { address: '198.19.0.99', port: 80 } },
    ]))).toMatchObject({ status: 404, code: 'ENOENT' });
    expect((await raw(socket, 'POST', '/v1/ops', '{"ops": [')).json.error?.code).toBe('EINVAL');
    expect((await raw(socket, 'POST', '/v1/ops', '{"ops": [')).status).toBe(400);
    expect((await raw(socket, 'POST', '/v1/ops', '{"ops": [{"op": "explode"}]}')).json.error).toEqual({ code: 'EINVAL', message: 'unknown op "explode"', index: 0 });
    expect((await raw(socket, 'GET', '/v1/nothing', '')).status).toBe(404);
    expect(await client.table()).toEqual(before);
  });

  it('only root may change the router; anyone who can open the socket may read', async () => {
    const { client } = await start();
    uid = 1000;
    const before = await client.table();
    expect(await refusal(client.change([{ op: 'clear' }]))).toEqual({ status: 403, code: 'EPERM', message: 'only root may change the router' });
    expect(await refusal(client.reload())).toMatchObject({ status: 403 });
    expect(await client.table()).toEqual(before);
    expect(logs.some((l) => l.includes('change refused, client is not root') && l.includes('uid=1000'))).toBe(true);
  });

  it('serializes concurrent clients: each change sees the one before it', async () => {
    const { client } = await start();
    const adds: Array<Promise<unknown>> = [];
    for (let k = 0; k < 20; k++) {
      adds.push(client.change([{ op: 'add-server', service: WEB, server: { address: `198.19.0.${100 + k}`, port: 80 }, forward: 'nat' }]));
    }
    const versions = ((await Promise.all(adds)) as Array<{ version: number }>).map((r) => r.version);
    expect(new Set(versions).size).toBe(20);
    expect((await client.table()).services[0].servers).toHaveLength(23);
  });

  it('a reload re-applies lvs.cf and says which runtime changes it discarded; a bad file changes nothing', async () => {
    const { client, cfg } = await start();
    await client.change([{ op: 'edit-server', service: WEB, server: { address: '198.19.0.12', port: 80 }, weight: 0 }]);
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('scheduler = wlc', 'scheduler = nosuch'));
    const bad = await client.reload();
    expect(bad.ok).toBe(false);
    expect(bad.errors[0]).toContain('nosuch');
    expect((await client.table()).services[0].servers.find((s) => s.address === '198.19.0.12')!.weight).toBe(0);
    writeFileSync(cfg, readFileSync('test/fixtures/config/nat.cf', 'utf8').replace('scheduler = wlc', 'scheduler = rr'));
    const good = await client.reload();
    expect(good.ok).toBe(true);
    expect(good.discarded).toEqual(['edited real server 198.19.0.12:80 of TCP 198.18.0.10:80 (nat, weight 0) (uid 0 pid 4242)']);
    const t = await client.table();
    expect([t.services[0].scheduler, t.services[0].servers.find((s) => s.address === '198.19.0.12')!.weight]).toEqual(['rr', 1]);
    expect(logs.some((l) => l.includes('reload discarded a runtime change'))).toBe(true);
    expect((await client.status()).reloads).toMatchObject({ ok: 1, failed: 1 });
  });

  it('a change whose fence cannot be installed is refused and the running table stays', async () => {
    const { client } = await start();
    const before = await client.table();
    nftFails = true;
    const r = await refusal(client.change([{ op: 'add-service', service: { ...WEB, address: '198.18.0.20' } }]));
    expect(r.message).toContain('cannot update the nftables fence');
    expect(await client.table()).toEqual(before);
  });

  it('fences what a change adds before the data plane serves it, and unfences what it removes after, as set elements', async () => {
    const { client } = await start();
    steps = [];
    await client.change([
      { op: 'add-service', service: { ...WEB, address: '198.18.0.20' } },
      { op: 'add-server', service: { ...WEB, address: '198.18.0.20' }, server: { address: '198.19.0.14', port: 80 }, forward: 'nat' },
      { op: 'delete-server', service: WEB, server: { address: '198.19.0.11', port: 80 } },
    ]);
    expect(steps).toEqual([
      'add element netdev tsvs owned { 198.18.0.20 }\nadd element netdev tsvs nat_tcp { 198.19.0.14 . 80 }',
      'apply',
      'delete element netdev tsvs nat_tcp { 198.19.0.11 . 80 }',
    ]);
    // A change that touches no fenced address runs no nft at all.
    steps = [];
    await client.change([{ op: 'edit-server', service: WEB, server: { address: '198.19.0.12', port: 80 }, weight: 7 }]);
    expect(steps).toEqual(['apply']);
  });

  it('zeroes the counters of one service or all (ipvsadm -Z)', async () => {
    const { client } = await start();
    const r = await client.change([{ op: 'zero' } as Op]);
    expect(r.done).toEqual(['zeroed every counter']);
    expect((await client.table()).stats).toEqual({ conns: 0, inPkts: 0, outPkts: 0, inBytes: 0, outBytes: 0 });
  });

  it('a client finds no router with a clear message', async () => {
    const c = new ControlClient(join(dir, 'none.sock'));
    await expect(c.table()).rejects.toBeInstanceOf(ClientError);
    await expect(c.table()).rejects.toThrow(/tsvs is not running: nothing answers on .*none\.sock/);
  });
});
