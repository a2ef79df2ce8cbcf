// The router daemon as a step function: fake port, host, nft and clock, the data
// plane inline (its ticks called by hand); frames in, frames and log lines out.
import { EventEmitter } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryPort } from '../../src/io/memory.js';
import { formatIPv4, formatMac, parseIPv4 } from '../../src/model/index.js';
import { buildArp, buildTcp } from '../../src/packet/build.js';
import type { Probe } from '../../src/health/round.js';
import { Router, StartError, type RouterDeps } from '../../src/router/daemon.js';
import { FakeClock, ScriptedProbe } from '../health/helpers.js';
import { InlineDataPlane } from '../../src/router/dataplane.js';
import type { LivePort } from '../../src/frames/port.js';
import { createLogger } from '../../src/router/log.js';
import type { HostInfo } from '../../src/router/preflight.js';

const ip = (s: string) => parseIPv4(s)!;
const MACS: Record<string, Uint8Array> = { eth0: Uint8Array.of(2, 0, 0, 0, 0, 1), eth1: Uint8Array.of(2, 0, 0, 0, 0, 2) };
const rsMac = (n: number) => Uint8Array.of(2, 0x52, 0, 0, 0, n);
const GW = Uint8Array.of(2, 0x67, 0, 0, 0, 1);

class FakePort extends MemoryPort implements LivePort {
  wake: () => void = () => {};
  closed = false;
  onReadable(cb: () => void): void {
    this.wake = cb;
  }
  override close(): void {
    this.closed = true;
  }
}

function host(over: Partial<HostInfo> = {}): HostInfo {
  return {
    isRoot: () => true,
    hasDevice: (d) => d in MACS,
    macOf: (d) => MACS[d] ?? null,
    kernelAddresses: () => new Map([[ip('198.18.0.2'), 'eth0']]),
    ...over,
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsvs-router-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function setup(o: { host?: HostInfo; signals?: NodeJS.Process; probe?: Probe; healthDeps?: RouterDeps['healthDeps']; workers?: number } = {}) {
  const cfg = join(dir, 'lvs.cf');
  copyFileSync('test/fixtures/config/nat.cf', cfg);
  const logs: string[] = [];
  const scripts: string[] = [];
  const port = new FakePort();
  let now = 1000;
  let installed = false;
  const log = createLogger({ write: (l) => logs.push(l) });
  const made: { dp?: InlineDataPlane } = {};
  const router = new Router({
    configPath: cfg,
    log,
    host: o.host ?? host(),
    dataPlane: (spec) => (made.dp = new InlineDataPlane({ ...spec, log, openPort: () => port, clock: () => now }, false)),
    nft: (script) => {
      scripts.push(script);
      if (script.startsWith('list')) return { ok: installed, error: 'No such file or directory' };
      installed = !script.startsWith('delete');
      return { ok: true, error: '' };
    },
    controlSocket: null,
    timers: false,
    signals: o.signals,
    probe: o.probe,
    healthDeps: o.healthDeps,
    workers: o.workers,
  });
  const tick = (): void => made.dp!.host.tick();
  const engine = () => made.dp!.host.engine;
  return { router, port, logs, scripts, cfg, tick, engine, advance: (ms: number) => (now += ms) };
}

const arpTargets = (frames: Uint8Array[]) => frames.filter((f) => f[12] === 8 && f[13] === 6).map((f) => `${f[21]}:${formatIPv4(((f[38] << 24) | (f[39] << 16) | (f[40] << 8) | f[41]) >>> 0)}`);

describe('router daemon', () => {
  it('starts: fences the kernel, announces its addresses by gratuitous ARP, asks for the real servers', async () => {
    const { router, port, scripts, logs } = setup();
    await router.start();
    const fence = scripts.find((s) => s.includes('table netdev tsvs {'))!;
    // One transaction: the table is created if missing, deleted and defined anew.
    expect(fence.startsWith('add table netdev tsvs\ndelete table netdev tsvs\ntable netdev tsvs {')).toBe(true);
    expect(fence).toContain('type filter hook ingress device "eth0"');
    expect(fence).toContain('set owned { type ipv4_addr; elements = { 198.18.0.10, 198.19.0.1 } }');
    expect(fence).toContain('set local { type ipv4_addr; elements = { 198.18.0.2 } }');
    expect(fence).toContain('set nat_tcp { type ipv4_addr . inet_service; elements = { 198.19.0.11 . 80, 198.19.0.12 . 80, 198.19.0.13 . 80 } }');
    expect(fence).toContain('arp operation request arp daddr ip @owned drop');
    expect(fence).toContain('ip daddr != @local ip saddr . tcp sport @nat_tcp drop');
    expect(arpTargets(port.takeSent(0))).toEqual(['1:198.18.0.10']);
    // Gratuitous for the NAT address (op 1, target = itself), then who-has for each real server.
    expect(arpTargets(port.takeSent(1))).toEqual(['1:198.19.0.1', '1:198.19.0.11', '1:198.19.0.12', '1:198.19.0.13']);
    expect(logs.some((l) => l.includes('msg="router started"'))).toBe(true);
  });

  it('fills the fence\'s local6 set with the kernel\'s IPv6 addresses (its replies to them are not NAT replies); no v6 elsewhere in an IPv4 table', async () => {
    const { router, scripts } = setup({ host: host({ kernelAddresses6: () => ['2001:2:0:1::2', 'fe80::6c:61ff:fe62:200', '2001:2:0:1::2'] }) });
    await router.start();
    const fence = scripts.find((s) => s.includes('table netdev tsvs {'))!;
    expect(fence).toContain('set local6 { type ipv6_addr; elements = { 2001:2:0:1::2, fe80::6c:61ff:fe62:200 } }');
    expect(fence).toContain('set owned6 { type ipv6_addr; }');
    expect(fence).toContain('ip6 daddr != @local6 ip6 saddr . tcp sport @nat6_tcp drop');
  });

  it('reads each device\'s MTU at start and holds forwarded datagrams to it (issue 15 item 7)', async () => {
    const { router, engine, logs } = setup({ host: host({ mtuOf: (d) => (d === 'eth0' ? 9000 : 1500) }) });
    await router.start();
    const l2 = engine().l2;
    expect([l2.ifMtu[l2.ifIndex('eth0')], l2.ifMtu[l2.ifIndex('eth1')]]).toEqual([9000, 1500]);
    expect(logs.find((l) => l.includes('msg="router started"'))).toContain('mtu 9000');
    await router.stop();
  });

  it('sends five gratuitous ARPs one second apart, as pulse does', async () => {
    const { router, port, advance, tick } = setup();
    await router.start();
    let garps = arpTargets(port.takeSent(0)).length;
    for (let s = 0; s < 8; s++) {
      advance(1000);
      tick();
      garps += arpTargets(port.takeSent(0)).length;
    }
    expect(garps).toBe(5);
  });

  it('forwards once the real servers answered ARP; a bad reload keeps the table; a good one keeps connections', async () => {
    const { router, port, logs, cfg } = setup();
    await router.start();
    port.takeSent(1);
    for (const n of [11, 12, 13]) {
      port.inject(1, buildArp({ srcMac: rsMac(n), dstMac: MACS.eth1, op: 2, senderMac: rsMac(n), senderIp: ip(`198.19.0.${n}`), targetMac: MACS.eth1, targetIp: ip('198.19.0.1') }));
    }
    const syn = (sport: number) => buildTcp({ srcMac: GW, dstMac: MACS.eth0, src: ip('198.18.1.1'), dst: ip('198.18.0.10'), sport, dport: 80, flags: 2 });
    port.inject(0, syn(1000));
    port.wake();
    const [fwd] = port.takeSent(1);
    expect(formatMac(fwd, 0)).toBe('02:52:00:00:00:0d');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('scheduler = wlc', 'scheduler = nosuch'));
    expect((await router.reload('test')).ok).toBe(false);
    expect(logs.some((l) => l.includes('reload failed') && l.includes('nosuch'))).toBe(true);
    writeFileSync(cfg, readFileSync('test/fixtures/config/nat.cf', 'utf8').replace(/weight = 2/, 'weight = 0'));
    expect((await router.reload('test')).ok).toBe(true);
    // The running flow stays on its (now quiesced) server; the next one avoids it.
    port.inject(0, buildTcp({ srcMac: GW, dstMac: MACS.eth0, src: ip('198.18.1.1'), dst: ip('198.18.0.10'), sport: 1000, dport: 80, flags: 0x10 }));
    port.inject(0, syn(2000));
    port.wake();
    const sent = port.takeSent(1).filter((f) => f[12] === 8 && f[13] === 0);
    expect(sent.map((f) => f[33])).toEqual([13, 12]);
  });

  it('sizes the connection table from lvs.cf conn_capacity; a changed value at reload waits for a restart, and says so', async () => {
    const { router, logs, cfg, engine } = setup();
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('service = lvs', 'service = lvs\nconn_capacity = 4096'));
    await router.start();
    expect(engine().conns.capacity).toBe(4096);
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('conn_capacity = 4096', 'conn_capacity = 8192'));
    expect((await router.reload('test')).ok).toBe(true);
    expect(engine().conns.capacity).toBe(4096);
    expect(logs.some((l) => l.includes('conn_capacity changed') && l.includes('8192'))).toBe(true);
    await router.stop();
  });

  it('neighbour timeouts: a real server that stops answering ARP is not used after 90 s, and is again once it answers', async () => {
    const { router, port, advance, tick, engine } = setup();
    await router.start();
    const answer = (n: number) =>
      port.inject(1, buildArp({ srcMac: rsMac(n), dstMac: MACS.eth1, op: 2, senderMac: rsMac(n), senderIp: ip(`198.19.0.${n}`), targetMac: MACS.eth1, targetIp: ip('198.19.0.1') }));
    [11, 12, 13].forEach(answer);
    port.wake();
    // Only .11 and .12 keep answering the 30 s refreshes; .13 went away. At the
    // 120 s refresh it has been unconfirmed for more than 90 s.
    for (let s = 0; s < 125; s++) {
      advance(1000);
      tick();
      if (s % 30 === 29) {
        answer(11);
        answer(12);
        port.wake();
      }
    }
    // Asked at start, at the refreshes 30, 60 and 90 s after it answered, then, failed at 91 s,
    // at once and again after 1, 2, 4, 8 and 16 s, backing off (at 91, 92, 94, 98, 106 and 122 s).
    const asking = arpTargets(port.takeSent(1));
    expect(asking.filter((t) => t === '1:198.19.0.13').length).toBe(10);
    const syn = (sport: number) => buildTcp({ srcMac: GW, dstMac: MACS.eth0, src: ip('198.18.1.9'), dst: ip('198.18.0.10'), sport, dport: 80, flags: 2 });
    // wlc's list head is .13: its frame waits (next hop failed), not sent to the old MAC.
    port.inject(0, syn(7000));
    port.wake();
    expect(port.takeSent(1).filter((f) => f[12] === 8 && f[13] === 0)).toHaveLength(0);
    expect(engine().counters.snapshot()).toMatchObject({ next_hop_frames_held: 1 });
    // .13 answers: the held SYN goes to its new MAC at once, and the client's retransmission after it.
    answer(13);
    port.wake();
    port.inject(0, syn(7000));
    port.wake();
    const fwd = port.takeSent(1).filter((f) => f[12] === 8 && f[13] === 0);
    expect(fwd.map((f) => formatMac(f, 0))).toEqual(['02:52:00:00:00:0d', '02:52:00:00:00:0d']);
    expect(engine().counters.snapshot()).toMatchObject({ next_hop_held_sent: 1 });
    expect(engine().counters.snapshot().drop_next_hop_unknown).toBeUndefined();
  });

  it('owns its signals: SIGHUP reloads lvs.cf, SIGTERM stops it cleanly and it ends with status 0', async () => {
    const signals = new EventEmitter() as unknown as NodeJS.Process;
    const { router, port, logs, cfg, scripts } = setup({ signals });
    await router.start();
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('scheduler = wlc', 'scheduler = rr'));
    signals.emit('SIGHUP');
    await new Promise((r) => setTimeout(r, 10));
    expect(logs.some((l) => l.includes('msg="reloaded lvs.cf" trigger=SIGHUP'))).toBe(true);
    signals.emit('SIGTERM');
    expect(await router.done).toBe(0);
    expect(port.closed).toBe(true);
    expect(scripts.at(-1)).toBe('delete table netdev tsvs\n');
    expect((signals as unknown as EventEmitter).listenerCount('SIGHUP')).toBe(0);
  });

  it('stops cleanly: port closed, fence removed', async () => {
    const { router, port, scripts } = setup();
    await router.start();
    await router.stop();
    expect(port.closed).toBe(true);
    expect(scripts.at(-1)).toBe('delete table netdev tsvs\n');
  });

  it('refuses to start with one clear line per problem', async () => {
    const { router } = setup({
      host: host({ isRoot: () => false, hasDevice: (d) => d === 'eth0', kernelAddresses: () => new Map([[ip('198.18.0.10'), 'eth0']]) }),
    });
    let err: unknown;
    try {
      await router.start();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StartError);
    expect((err as Error).message.split('\n')).toEqual([
      'tsvs start needs root (CAP_NET_RAW for AF_PACKET sockets, CAP_NET_ADMIN for the nftables fence)',
      'lvs.cf puts addresses on device eth1, which this host does not have (see: ip link)',
      '198.18.0.10 (a VIP) is configured on eth0 by the kernel; tsvs answers for it itself: remove it first (ip addr del 198.18.0.10/32 dev eth0)',
    ]);
  });

  it('refuses connection sync with several data-plane workers (tsvs start --workers 2), saying why', async () => {
    const { router, cfg } = setup({ workers: 2 });
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('service = lvs', 'service = lvs\nsyncdaemon = 1\nsyncd_iface = eth0'));
    const err = await router.start().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StartError);
    expect((err as Error).message).toMatch(/^connection sync \(syncdaemon = 1\) works with one data-plane worker only: .*run with --workers 1$/);
  });

  describe('with health checks', () => {
    const servers = (r: Router) => r.table().services[0].servers.map((x) => `${x.address}:${x.weight}`).sort();
    function checked() {
      const clock = new FakeClock();
      const probe = new ScriptedProbe();
      const t = setup({ probe: probe.probe, healthDeps: { now: () => clock.t, timers: { set: clock.set, clear: clock.clear }, sleep: clock.sleep, random: () => 0.5, run: () => {} } });
      return { ...t, clock, probe };
    }

    it("nanny's check (the fixture's send/expect, every 6 s): a failing server leaves the table, returns after reentry (15 s), and a reload does not flap it", async () => {
      const { router, clock, probe, logs, cfg } = checked();
      await router.start();
      try {
        await clock.advance(1000); // first rounds (jitter up to 1 s): nanny adds each server at its first pass,
        // with its slow start: weight max(1, weight >> 5), doubled every max(interval, 20 s) (at the round after).
        expect(servers(router)).toEqual(['198.19.0.11:1', '198.19.0.12:1', '198.19.0.13:1']);
        probe.results.set('198.19.0.12:80', false);
        await clock.advance(6000);
        expect(servers(router)).toEqual(['198.19.0.11:1', '198.19.0.13:1']);
        await clock.advance(18_000);
        expect(servers(router)).toEqual(['198.19.0.11:1', '198.19.0.13:2']);
        expect(logs.some((l) => l.includes('shutting down 198.19.0.12:80 due to connection failure'))).toBe(true);
        writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('serial_no = 1', 'serial_no = 2'));
        expect((await router.reload('test')).ok).toBe(true);
        expect(servers(router)).toEqual(['198.19.0.11:1', '198.19.0.13:2']);
        probe.results.set('198.19.0.12:80', true);
        await clock.advance(6000);
        expect(servers(router)).toEqual(['198.19.0.11:1', '198.19.0.13:2']);
        await clock.advance(6000); // two good rounds: 15 / 6 = 2 (nanny's countThresh)
        expect(servers(router)).toEqual(['198.19.0.11:1', '198.19.0.12:1', '198.19.0.13:2']);
      } finally {
        await router.stop();
      }
    });

    it('hard_shutdown = 1: a checker that breaks stops the router with status 1 and removes the fence', async () => {
      const clock = new FakeClock();
      const t = setup({ probe: () => Promise.reject(new Error('boom')), healthDeps: { now: () => clock.t, timers: { set: clock.set, clear: clock.clear }, sleep: clock.sleep, random: () => 0.5 } });
      await t.router.start();
      await clock.advance(1000);
      expect(await t.router.done).toBe(1);
      expect(t.logs.some((l) => l.includes('hard_shutdown: the health checks broke; stopping the router'))).toBe(true);
      expect(t.scripts.at(-1)).toMatch(/^delete table netdev tsvs/);
    });
  });
});
