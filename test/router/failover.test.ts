// Two routers from one lvs.cf with backup_active = 1, as pulse ran them: each a
// real Router with an inline data plane on a memory port, their heartbeats over a
// memory network, time stepped by a fake clock. What a user relies on: one of the
// two answers for the VIP and the NAT router address, never both, and the one
// that takes over announces them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryPort } from '../../src/io/memory.js';
import { formatIPv4, parseIPv4 } from '../../src/model/index.js';
import { buildArp } from '../../src/packet/build.js';
import { heartbeatBytes, HEARTBEAT_RUNNING_MAGIC, HEARTBEAT_STOPPED_MAGIC } from '../../src/ha/pulse.js';
import { Sealer } from '../../src/ha/auth.js';
import { Router, StartError } from '../../src/router/daemon.js';
import { InlineDataPlane } from '../../src/router/dataplane.js';
import type { HeartbeatSocket } from '../../src/router/failover.js';
import type { ConfigSyncTransport } from '../../src/router/config-sync.js';
import type { LivePort } from '../../src/frames/port.js';
import { createLogger } from '../../src/router/log.js';
import { FakeClock, settle } from '../health/helpers.js';
import { buildTcp } from '../../src/packet/build.js';
import { Group } from './sync-group.js';

const ip = (s: string) => parseIPv4(s)!;
const PRIMARY = '198.18.0.2';
const BACKUP = '198.18.0.3';
const VIP = '198.18.0.10';
const NAT_ROUTER = '198.19.0.1';

class FakePort extends MemoryPort implements LivePort {
  wake: () => void = () => {};
  onReadable(cb: () => void): void {
    this.wake = cb;
  }
  override close(): void {}
}

/** UDP between the routers' addresses: sends queue, deliver() hands them over; a cut address gets nothing. */
class Net {
  private readonly bound = new Map<number, (data: Uint8Array, from: number) => void>();
  private queue: Array<{ to: number; from: number; data: Uint8Array }> = [];
  readonly cut = new Set<string>();
  log: string[] = [];
  /** Every datagram sent, as it went on the wire (to replay one). */
  readonly wire: Array<{ to: number; from: number; data: Uint8Array }> = [];

  socket(own: number[]): HeartbeatSocket {
    let handler: (data: Uint8Array, from: number) => void = () => {};
    return {
      bind: async () => {
        for (const a of own) this.bound.set(a, (d, f) => handler(d, f));
      },
      onMessage: (fn) => (handler = fn),
      send: (data, _port, to, done) => {
        this.queue.push({ to, from: own[0], data: data.slice() });
        this.wire.push({ to, from: own[0], data: data.slice() });
        this.log.push(`${formatIPv4(own[0])}>${formatIPv4(to)}`);
        done(null);
      },
      close: () => {
        for (const a of own) this.bound.delete(a);
      },
    };
  }

  /** Sends a datagram as if from `from` (a stranger, a bad packet). */
  inject(to: string, from: string, data: Uint8Array): void {
    this.queue.push({ to: ip(to), from: ip(from), data });
  }

  deliver(): void {
    for (let round = 0; round < 10 && this.queue.length; round++) {
      const q = this.queue;
      this.queue = [];
      for (const m of q) if (!this.cut.has(formatIPv4(m.to)) && !this.cut.has(formatIPv4(m.from))) this.bound.get(m.to)?.(m.data, m.from);
    }
  }
}

/** Config sync's TCP exchanges in memory: one handler per address and port; a missing one refuses. */
class CfgNet {
  private readonly handlers = new Map<string, (body: Uint8Array, from: number) => Promise<Uint8Array | null>>();
  transport(own: number): ConfigSyncTransport {
    const mine: string[] = [];
    return {
      listen: async (addresses, port, h) => {
        for (const a of addresses) {
          this.handlers.set(`${a}:${port}`, h);
          mine.push(`${a}:${port}`);
        }
      },
      request: async (to, port, body) => {
        const h = this.handlers.get(`${to}:${port}`);
        if (!h) throw new Error('ECONNREFUSED');
        const answer = await h(body.slice(), own);
        if (!answer) throw new Error('no answer');
        return answer;
      },
      close: () => {
        for (const k of mine) this.handlers.delete(k);
      },
    };
  }

  /** A connection from `from` to `to`: what the handler answered (null: closed). */
  async send(to: string, port: number, from: string, body: Uint8Array): Promise<Uint8Array | null> {
    return this.handlers.get(`${ip(to)}:${port}`)!(body, ip(from));
  }
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsvs-failover-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function lvsCf(extra = ''): string {
  const cf = join(dir, 'lvs.cf');
  writeFileSync(cf, readFileSync('test/fixtures/config/nat.cf', 'utf8')
    .replace('backup_active = 0', `backup_active = 1\nbackup = ${BACKUP}\nkeepalive = 2\ndeadtime = 5\nactive_cmd = "echo active"\ninactive_cmd = "echo inactive"${extra}`)
    .replace('heartbeat = 0', 'heartbeat = 1'));
  return cf;
}

interface Node {
  router: Router;
  port: FakePort;
  logs: string[];
  cmds: string[];
  links: { up: boolean };
  dp(): InlineDataPlane;
}

function node(name: string, own: string, cf: string, net: Net, clock: FakeClock, o: { forceActive?: boolean; sync?: Group; cfgNet?: CfgNet } = {}): Node {
  const port = new FakePort();
  const logs: string[] = [];
  const cmds: string[] = [];
  const links = { up: true };
  const made: { dp?: InlineDataPlane } = {};
  const mac = (n: number) => Uint8Array.of(2, 0, 0, 0, own === PRIMARY ? 1 : 2, n);
  const router = new Router({
    configPath: cf,
    log: createLogger({ write: (l) => logs.push(`${name} ${l}`) }),
    host: {
      isRoot: () => true,
      hasDevice: (d) => d === 'eth0' || d === 'eth1',
      macOf: (d) => (d === 'eth0' ? mac(1) : d === 'eth1' ? mac(2) : null),
      kernelAddresses: () => new Map([[ip(own), 'eth0']]),
    },
    dataPlane: (spec) => (made.dp = new InlineDataPlane({ ...spec, log: createLogger({ write: () => {} }), openPort: () => port, clock: () => clock.t, openSync: o.sync?.open }, false)),
    nft: (script) => ({ ok: !script.startsWith('list'), error: 'No such file or directory' }),
    controlSocket: null,
    timers: false,
    forceActive: o.forceActive,
    failoverDeps: {
      socket: () => net.socket([ip(own)]),
      timers: clock,
      now: () => clock.t,
      run: (cmd, what) => cmds.push(`${what}: ${cmd}`),
      linkUp: () => links.up,
    },
    configSyncDeps: o.cfgNet ? { transport: o.cfgNet.transport(ip(own)), timers: clock } : undefined,
  });
  return { router, port, logs, cmds, links, dp: () => made.dp! };
}

/** Steps the clock a second at a time, delivering heartbeats (and sync messages) and running each data plane's tick (GARPs). */
async function run(net: Net, clock: FakeClock, nodes: Node[], seconds: number, sync?: Group): Promise<void> {
  for (let s = 0; s < seconds; s++) {
    await clock.advance(1000);
    net.deliver();
    await settle();
    for (const n of nodes) if (n.dp()?.host.running) n.dp().host.tick();
    sync?.deliver();
  }
}

/** Who-has VIP from a client on eth0: whether this router answers. */
function answersArp(n: Node, target: string): boolean {
  n.port.takeSent(0);
  n.port.inject(0, buildArp({ srcMac: Uint8Array.of(2, 9, 9, 9, 9, 9), dstMac: new Uint8Array(6).fill(255), op: 1, senderMac: Uint8Array.of(2, 9, 9, 9, 9, 9), senderIp: ip('198.18.1.1'), targetMac: new Uint8Array(6), targetIp: ip(target) }));
  n.port.wake();
  return n.port.takeSent(0).some((f) => f[12] === 8 && f[13] === 6 && f[21] === 2);
}

/** Gratuitous ARPs (op 1, sender = target) for `addr` sent on `dev` since the last call. */
function garps(n: Node, dev: number, addr: string): number {
  const a = ip(addr);
  return n.port.takeSent(dev).filter((f) => f[12] === 8 && f[13] === 6 && f[21] === 1 && ((f[28] << 24) | (f[29] << 16) | (f[30] << 8) | f[31]) >>> 0 === a && ((f[38] << 24) | (f[39] << 16) | (f[40] << 8) | f[41]) >>> 0 === a).length;
}

describe('failover: pulse in the router', () => {
  it('primary and backup from one lvs.cf: exactly one answers for the VIP; the backup takes over after deadtime and gives back on failback', async () => {
    const net = new Net();
    const clock = new FakeClock();
    const cf = lvsCf();
    const p = node('primary', PRIMARY, cf, net, clock);
    const b = node('backup', BACKUP, cf, net, clock);
    await p.router.start();
    await b.router.start();
    try {
      // Neither active at start: both send STOPPED; the primary starts on hearing the backup's.
      await run(net, clock, [p, b], 3);
      expect(p.router.failover()).toMatchObject({ role: 'primary', active: true, reason: 'backup inactive', partner: [BACKUP] });
      expect(b.router.failover()).toMatchObject({ role: 'backup', active: false, partnerSays: 'RUNNING' });
      expect(answersArp(p, VIP)).toBe(true);
      expect(answersArp(b, VIP)).toBe(false);
      expect(answersArp(b, NAT_ROUTER)).toBe(false);
      expect(p.cmds).toEqual(['inactive_cmd: echo inactive', 'active_cmd: echo active']);
      expect(b.cmds).toEqual(['inactive_cmd: echo inactive']);

      // The primary dies (no more heartbeats): the backup activates after deadtime, announcing both addresses 5 times.
      p.port.takeSent(0);
      net.cut.add(PRIMARY);
      b.port.takeSent(0);
      b.port.takeSent(1);
      await run(net, clock, [b], 4);
      expect(b.router.failover().active).toBe(false);
      await run(net, clock, [b], 8);
      expect(b.router.failover()).toMatchObject({ active: true, reason: 'partner dead', transitions: 1 });
      expect(b.logs.some((l) => l.includes('partner dead: activating lvs'))).toBe(true);
      expect(garps(b, 0, VIP)).toBe(5);
      expect(garps(b, 1, NAT_ROUTER)).toBe(5);
      expect(answersArp(b, VIP)).toBe(true);

      // The primary comes back (it never stopped here, so both are active): the backup steps down, the primary re-ARPs.
      net.cut.delete(PRIMARY);
      p.port.takeSent(0);
      await run(net, clock, [p, b], 3);
      expect(b.router.failover()).toMatchObject({ active: false, reason: 'partner active', transitions: 2 });
      expect(answersArp(b, VIP)).toBe(false);
      expect(p.router.failover().active).toBe(true);
      expect(p.logs.some((l) => l.includes('partner active: resending arps'))).toBe(true);
      expect(garps(p, 0, VIP)).toBeGreaterThanOrEqual(1);
      expect(b.cmds.at(-1)).toBe('inactive_cmd: echo inactive');
    } finally {
      await p.router.stop();
      await b.router.stop();
    }
  });

  it('connection sync: a backup that restarts learns the flows of the active router at once, though no packet of theirs passes', async () => {
    const net = new Net();
    const clock = new FakeClock();
    const group = new Group();
    const cf = lvsCf('\nsyncdaemon = 1\nsyncd_iface = eth0');
    writeFileSync(cf, readFileSync(cf, 'utf8').replace('scheduler = wlc', 'scheduler = wlc\n    checks = none'));
    const p = node('primary', PRIMARY, cf, net, clock, { sync: group });
    let b = node('backup', BACKUP, cf, net, clock, { sync: group });
    await p.router.start();
    await b.router.start();
    try {
      await run(net, clock, [p, b], 3, group);
      expect(p.router.failover().active).toBe(true);
      // A client's flow through the primary, then silence (a download waiting on its window, an idle keep-alive).
      for (const rs of ['198.19.0.11', '198.19.0.12', '198.19.0.13']) p.dp().host.engine.neigh.setStatic(ip(rs), Uint8Array.of(2, 0xee, 0, 0, 0, 1), 0, 1);
      const client = Uint8Array.of(2, 9, 9, 9, 9, 9), eth0 = Uint8Array.of(2, 0, 0, 0, 1, 1);
      for (const flags of [0x02, 0x10, 0x10]) {
        p.port.inject(0, buildTcp({ srcMac: client, dstMac: eth0, src: ip('198.18.1.1'), dst: ip(VIP), sport: 45000, dport: 80, flags, seq: 1, ack: flags === 0x10 ? 1 : 0 }));
        p.port.wake();
      }
      await run(net, clock, [p, b], 1, group);
      const known = async (n: Node) => (await n.dp().host.conns(0, 10)).conns.map((c) => `${c.client}:${c.clientPort} ${c.state}`);
      expect(await known(b)).toEqual(['198.18.1.1:45000 ESTABLISHED']);

      // The backup restarts (3 s: heartbeats missed, less than deadtime): it knows nothing, and no packet of the flow passes.
      await b.router.stop();
      await run(net, clock, [p], 3, group);
      b = node('backup', BACKUP, cf, net, clock, { sync: group });
      await b.router.start();
      expect(await known(b)).toEqual([]);
      await run(net, clock, [p, b], 2, group);
      expect(await known(b)).toEqual(['198.18.1.1:45000 ESTABLISHED']);
      expect(p.logs.some((l) => l.includes('sync daemon: sending the whole connection table to the partner') && l.includes('heard again after'))).toBe(true);
      expect(p.router.status().sync?.sent.resyncs).toBe(1);
    } finally {
      await p.router.stop();
      await b.router.stop();
    }
  });

  it('the inactive router keeps the whole table and the fence; status and the API say which role and state', async () => {
    const net = new Net();
    const clock = new FakeClock();
    const b = node('backup', BACKUP, lvsCf(), net, clock);
    await b.router.start();
    try {
      expect(b.router.table().services).toHaveLength(1);
      // It still resolves the real servers on the private LAN, asking from 0.0.0.0 so that they
      // do not learn its MAC for the NAT router address; it announces nothing.
      const asked = b.port.takeSent(1).filter((f) => f[12] === 8 && f[13] === 6).map((f) => `${f.slice(28, 32).join('.')} asks ${f.slice(38, 42).join('.')}`);
      expect(asked).toEqual(['0.0.0.0 asks 198.19.0.11', '0.0.0.0 asks 198.19.0.12', '0.0.0.0 asks 198.19.0.13']);
      expect(garps(b, 0, VIP)).toBe(0);
      expect(b.router.status().failover).toMatchObject({ role: 'backup', state: 'backup inactive', active: false, port: 539, keepalive: 2, deadtime: 5, lastHeard: null });
      await run(net, clock, [b], 2);
      // Heartbeats go to the primary's address every keepalive, saying STOPPED.
      expect(net.log.filter((l) => l === `${BACKUP}>${PRIMARY}`).length).toBe(2);
      expect(b.router.failover().heartbeats.sent).toBe(2);
    } finally {
      await b.router.stop();
    }
  });

  it('heartbeats from a stranger, of the wrong size or with an unknown magic are logged and ignored', async () => {
    const net = new Net();
    const clock = new FakeClock();
    const b = node('backup', BACKUP, lvsCf(), net, clock);
    await b.router.start();
    try {
      net.inject(BACKUP, '198.18.0.99', heartbeatBytes(HEARTBEAT_RUNNING_MAGIC));
      net.inject(BACKUP, PRIMARY, Uint8Array.of(1, 2, 3));
      net.inject(BACKUP, PRIMARY, heartbeatBytes(0xdeadbeef));
      net.deliver();
      const v = b.router.failover();
      expect(v.heartbeats).toMatchObject({ received: 0, ignored: 3 });
      expect(v.lastHeard).toBeNull();
      expect(b.logs.filter((l) => /unexpected source|bad heartbeat packet|Incompatible heartbeat/.test(l))).toHaveLength(3);
      // The primary still counts as silent: the backup activates at deadtime.
      await run(net, clock, [b], 6);
      expect(b.router.failover().active).toBe(true);
    } finally {
      await b.router.stop();
    }
  });

  it('monitor_links: a link down releases the addresses so the partner takes over; back up, the router may run again', async () => {
    const net = new Net();
    const clock = new FakeClock();
    const b = node('backup', BACKUP, lvsCf('\nmonitor_links = 1'), net, clock, { forceActive: true });
    await b.router.start();
    try {
      expect(b.router.failover().active).toBe(true);
      expect(answersArp(b, VIP)).toBe(true);
      b.links.up = false;
      await run(net, clock, [b], 2);
      expect(b.router.failover()).toMatchObject({ active: false, state: 'backup inactive (link failure)', links: { eth0: false } });
      expect(answersArp(b, VIP)).toBe(false);
      expect(b.logs.some((l) => l.includes('Local NIC link failure: Pulse disabled'))).toBe(true);
      // Still no partner, but a failed link never activates.
      await run(net, clock, [b], 10);
      expect(b.router.failover().active).toBe(false);
      b.links.up = true;
      await run(net, clock, [b], 2);
      expect(b.logs.some((l) => l.includes('Local NIC link(s) restored'))).toBe(true);
      expect(b.router.failover().active).toBe(true);
    } finally {
      await b.router.stop();
    }
  });

  it('standby: the operator releases an active router and it stays inactive until standby ends', async () => {
    const net = new Net();
    const clock = new FakeClock();
    const b = node('backup', BACKUP, lvsCf(), net, clock, { forceActive: true });
    await b.router.start();
    try {
      expect((await b.router.standby(true, 'uid 0')).active).toBe(false);
      expect(answersArp(b, VIP)).toBe(false);
      await run(net, clock, [b], 10);
      expect(b.router.failover()).toMatchObject({ active: false, standby: true });
      expect((await b.router.standby(false, 'uid 0')).standby).toBe(false);
      await run(net, clock, [b], 1);
      expect(b.router.failover().active).toBe(true);
    } finally {
      await b.router.stop();
    }
  });

  it('a router with neither address refuses to start, saying why; without backup_active it is always active', async () => {
    const net = new Net();
    const clock = new FakeClock();
    const stranger = node('x', '198.18.0.7', lvsCf(), net, clock);
    const refused = await stranger.router.start().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StartError);
    expect((refused as Error).message).toMatch(/neither the primary \(198\.18\.0\.2\) nor the backup \(198\.18\.0\.3\) address/);
    const cf = join(dir, 'alone.cf');
    writeFileSync(cf, readFileSync('test/fixtures/config/nat.cf', 'utf8'));
    const alone = node('alone', PRIMARY, cf, net, clock);
    await alone.router.start();
    try {
      expect(alone.router.status().failover).toBeNull();
      expect(() => alone.router.failover()).toThrow(/without a backup router/);
      expect(answersArp(alone, VIP)).toBe(true);
    } finally {
      await alone.router.stop();
    }
  });
});

describe('failover: authenticated heartbeats (ha_key_file)', () => {
  const KEY = 'a-shared-secret-of-the-two-routers';
  function keyed(name = 'lvs.cf', key = KEY): string {
    writeFileSync(join(dir, `${name}.key`), `${key}\n`, { mode: 0o600 });
    const cf = lvsCf(`\nha_key_file = ${name}.key`);
    const to = join(dir, name);
    if (to !== cf) writeFileSync(to, readFileSync(cf));
    return to;
  }

  it('with a key on both: heartbeats are 36 bytes and flow; a forged, a replayed and a plain one are dropped and counted', async () => {
    const net = new Net();
    const clock = new FakeClock();
    const cf = keyed();
    const p = node('primary', PRIMARY, cf, net, clock);
    const b = node('backup', BACKUP, cf, net, clock);
    await p.router.start();
    await b.router.start();
    try {
      await run(net, clock, [p, b], 3);
      expect(p.router.failover()).toMatchObject({ active: true, reason: 'backup inactive' });
      expect(b.router.failover()).toMatchObject({ active: false, partnerSays: 'RUNNING' });
      expect(new Set(net.wire.map((w) => w.data.length))).toEqual(new Set([36]));
      const heard = b.router.failover().heartbeats.received;
      expect(b.router.failover().auth).toEqual({ ok: heard, unauthenticated: 0, forged: 0, replayed: 0 });

      // An attacker without the key says "primary STOPPED" to make the backup take over.
      net.inject(BACKUP, PRIMARY, new Sealer(new TextEncoder().encode('not-the-key-of-these-routers'), 'heartbeat', ip(PRIMARY)).seal(heartbeatBytes(HEARTBEAT_STOPPED_MAGIC)));
      // A recorded heartbeat of the primary, sent again; and pulse's plain 4 bytes.
      const recorded = net.wire.filter((w) => w.from === ip(PRIMARY)).at(-1)!.data;
      net.inject(BACKUP, PRIMARY, recorded);
      net.inject(BACKUP, PRIMARY, heartbeatBytes(HEARTBEAT_STOPPED_MAGIC));
      net.deliver();
      const v = b.router.failover();
      expect(v.auth).toEqual({ ok: heard, unauthenticated: 1, forged: 1, replayed: 1 });
      expect(v.heartbeats.received).toBe(heard);
      expect(b.logs.filter((l) => /(forged|replayed|unauthenticated) heartbeat dropped/.test(l))).toHaveLength(3);
      await run(net, clock, [p, b], 3);
      expect(b.router.failover().active).toBe(false);
      expect(answersArp(b, VIP)).toBe(false);
      expect(b.router.status().failover?.auth?.forged).toBe(1);
    } finally {
      await p.router.stop();
      await b.router.stop();
    }
  });

  it('with a key on one side only (or different keys), each sees its partner as dead', async () => {
    const net = new Net();
    const clock = new FakeClock();
    const p = node('primary', PRIMARY, keyed('primary.cf'), net, clock);
    const b = node('backup', BACKUP, lvsCf(), net, clock);
    await p.router.start();
    await b.router.start();
    try {
      await run(net, clock, [p, b], 8);
      // The keyed primary drops the plain heartbeats; the plain backup finds 36 bytes a bad pulse packet.
      expect(p.router.failover()).toMatchObject({ lastHeard: null, reason: 'partner dead' });
      expect(p.router.failover().auth?.unauthenticated).toBeGreaterThanOrEqual(3);
      expect(b.router.failover()).toMatchObject({ lastHeard: null, reason: 'partner dead' });
      expect(b.logs.some((l) => l.includes('bad heartbeat packet'))).toBe(true);
    } finally {
      await p.router.stop();
      await b.router.stop();
    }
    const q = node('primary', PRIMARY, keyed('one.cf', 'the-first-key-of-a-pair'), net, clock);
    const c = node('backup', BACKUP, keyed('two.cf', 'the-second-key-of-a-pair'), net, clock);
    await q.router.start();
    await c.router.start();
    try {
      await run(net, clock, [q, c], 8);
      expect(q.router.failover()).toMatchObject({ lastHeard: null, reason: 'partner dead' });
      expect(c.router.failover().auth).toMatchObject({ ok: 0, unauthenticated: 0 });
      expect(c.router.failover().auth!.forged).toBeGreaterThanOrEqual(3);
    } finally {
      await q.router.stop();
      await c.router.stop();
    }
  });
});

describe('config sync (config_sync = 1)', () => {
  const KEY = 'the-shared-key-of-both-routers';
  /** Each router's own directory: its lvs.cf and its copy of the key. */
  function routerDir(name: string, extra = ''): string {
    const d = join(dir, name);
    mkdirSync(d);
    writeFileSync(join(d, 'ha.key'), KEY, { mode: 0o600 });
    writeFileSync(join(d, 'lvs.cf'), readFileSync(lvsCf(`\nha_key_file = ha.key\nconfig_sync = 1${extra}`)));
    return join(d, 'lvs.cf');
  }
  const web3 = (n: Node) => n.router.table().services[0].servers.find((r) => r.address === '198.19.0.13')!.weight;

  it('the active router sends lvs.cf when serial_no grows; the backup installs it and reloads; an invalid or forged one is refused and counted', async () => {
    const net = new Net();
    const cfgNet = new CfgNet();
    const clock = new FakeClock();
    const pcf = routerDir('primary');
    const bcf = routerDir('backup');
    const p = node('primary', PRIMARY, pcf, net, clock, { cfgNet });
    const b = node('backup', BACKUP, bcf, net, clock, { cfgNet });
    await p.router.start();
    await b.router.start();
    try {
      // The primary becomes active and offers serial_no 1: the backup has it already.
      await run(net, clock, [p, b], 3);
      expect(p.router.failover().active).toBe(true);
      expect(p.router.status().configSync).toMatchObject({ port: 540, partnerSerial: 1, pending: false, sent: { offers: 1, current: 1 } });
      expect(b.router.status().configSync).toMatchObject({ received: { current: 1, applied: 0 }, auth: { ok: 1, forged: 0 } });

      // The operator raises serial_no on the primary, gives web3 weight 5 and reloads it.
      expect(web3(b)).toBe(2);
      const next = readFileSync(pcf, 'utf8').replace('serial_no = 1', 'serial_no = 2').replace('weight = 2', 'weight = 5');
      writeFileSync(pcf, next);
      expect((await p.router.reload('SIGHUP')).ok).toBe(true);
      await run(net, clock, [p, b], 1);
      expect(readFileSync(bcf, 'utf8')).toBe(next);
      expect(web3(b)).toBe(5);
      expect(b.router.status().reloads.last).toMatchObject({ ok: true, trigger: 'config sync from 198.18.0.2 (serial_no 1 -> 2)' });
      expect(p.router.status().configSync).toMatchObject({ partnerSerial: 2, sent: { offers: 2, applied: 1 } });

      // A file that is valid on the primary but not on the backup (a rules file only the primary has): the backup keeps its own.
      writeFileSync(join(dir, 'primary', 'marks.save'), '*mangle\nCOMMIT\n');
      const bad = next.replace('serial_no = 2', 'serial_no = 3') + 'fwmark_rules_from = marks.save\n';
      writeFileSync(pcf, bad);
      expect((await p.router.reload('SIGHUP')).ok).toBe(true);
      await run(net, clock, [p, b], 1);
      expect(readFileSync(bcf, 'utf8')).toBe(next);
      expect(b.router.status().configSync?.received).toMatchObject({ applied: 1, invalid: 1 });
      expect(b.logs.some((l) => l.includes("partner's lvs.cf was not installed (invalid)") && l.includes(`${bcf}:`) && l.includes('READ: fwmark_rules_from'))).toBe(true);
      expect(p.router.status().configSync).toMatchObject({ partnerSerial: 2, sent: { invalid: 1 } });
      expect(p.logs.some((l) => l.includes('the partner refused lvs.cf (invalid)'))).toBe(true);

      // Someone without the key offers a file with a huge serial_no from the primary's address; a stranger connects.
      const forged = new Sealer(new TextEncoder().encode('a-key-the-routers-do-not-share'), 'config', ip(PRIMARY)).seal(new TextEncoder().encode(next.replace('serial_no = 2', 'serial_no = 99')));
      expect(await cfgNet.send(BACKUP, 540, PRIMARY, forged)).toBeNull();
      expect(await cfgNet.send(BACKUP, 540, '198.18.0.99', forged)).toBeNull();
      expect(readFileSync(bcf, 'utf8')).toBe(next);
      expect(b.router.status().configSync).toMatchObject({ received: { stranger: 1 }, auth: { forged: 1 } });
    } finally {
      await p.router.stop();
      await b.router.stop();
    }
  });

  it('an offer the partner does not answer is tried again every 10 s until it is', async () => {
    const net = new Net();
    const cfgNet = new CfgNet();
    const clock = new FakeClock();
    const pcf = routerDir('primary');
    const p = node('primary', PRIMARY, pcf, net, clock, { cfgNet, forceActive: true });
    await p.router.start();
    try {
      await run(net, clock, [p], 1);
      expect(p.router.status().configSync).toMatchObject({ pending: true, sent: { offers: 1, unanswered: 1 } });
      expect(p.logs.filter((l) => l.includes('the partner did not answer'))).toHaveLength(1);
      await run(net, clock, [p], 20);
      expect(p.router.status().configSync).toMatchObject({ pending: true, sent: { offers: 3, unanswered: 3 } });
      // The backup comes up with an older file: the next try installs the primary's.
      const bcf = routerDir('backup');
      writeFileSync(bcf, readFileSync(bcf, 'utf8').replace('serial_no = 1', 'serial_no = 0'));
      const b = node('backup', BACKUP, bcf, net, clock, { cfgNet });
      await b.router.start();
      try {
        await run(net, clock, [p, b], 10);
        expect(p.router.status().configSync).toMatchObject({ pending: false, partnerSerial: 1, sent: { applied: 1 } });
        expect(readFileSync(bcf, 'utf8')).toBe(readFileSync(pcf, 'utf8'));
      } finally {
        await b.router.stop();
      }
    } finally {
      await p.router.stop();
    }
  });
});
