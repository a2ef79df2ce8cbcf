// failover = vrrp in the router: two real Routers from one lvs.cf whose VRRP
// adverts cross a memory network (multicast to every other socket, or unicast),
// time stepped by a fake clock. What a user relies on: exactly one of the two
// answers for the VIP, the master is the higher priority, a stopping master hands
// over at once (priority 0), a dead one after the master-down interval, and the
// takeover is pulse's (active_cmd, addresses claimed, GARPs).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryPort } from '../../src/io/memory.js';
import { formatIPv4, parseIPv4 } from '../../src/model/index.js';
import { buildArp } from '../../src/packet/build.js';
import { decodeIpPacket, encodeIpPacket, VRRP_GROUP } from '../../src/ha/vrrp-wire.js';
import { Router } from '../../src/router/daemon.js';
import { InlineDataPlane } from '../../src/router/dataplane.js';
import type { VrrpSocket } from '../../src/router/vrrp-transport.js';
import type { HeartbeatSocket } from '../../src/router/failover.js';
import type { LivePort } from '../../src/frames/port.js';
import { createLogger } from '../../src/router/log.js';
import { FakeClock, settle } from '../health/helpers.js';

const ip = (s: string) => parseIPv4(s)!;
const PRIMARY = '198.18.0.2';
const BACKUP = '198.18.0.3';
const VIP = '198.18.0.10';

class FakePort extends MemoryPort implements LivePort {
  wake: () => void = () => {};
  onReadable(cb: () => void): void {
    this.wake = cb;
  }
  override close(): void {}
}

/** A LAN for VRRP: a packet to 224.0.0.18 reaches every other open socket, a unicast one its address; a cut address neither sends nor hears. */
class VrrpNet {
  private readonly open = new Map<number, (p: Uint8Array, from: number) => void>();
  private queue: Array<{ to: number; from: number; data: Uint8Array }> = [];
  readonly cut = new Set<string>();
  /** Every packet sent: source > destination and the advert's priority. */
  readonly log: string[] = [];
  /** Every advert's virtual addresses, by sender. */
  readonly addresses: Array<{ from: string; vips: string[] }> = [];

  socket(own: number): VrrpSocket {
    let handler: (p: Uint8Array, from: number) => void = () => {};
    return {
      open: () => void this.open.set(own, (p, f) => handler(p, f)),
      onPacket: (fn) => (handler = fn),
      send: (packet, to, done) => {
        const d = decodeIpPacket(packet);
        this.log.push(`${formatIPv4(own)}>${formatIPv4(to)} prio ${d.ok ? d.payload[2] : '?'}`);
        if (d.ok) this.addresses.push({ from: formatIPv4(own), vips: advertVips(d.payload) });
        this.queue.push({ to, from: own, data: packet.slice() });
        done(null);
      },
      close: () => void this.open.delete(own),
    };
  }

  /** The heartbeat beacon's UDP, on the same LAN (no port: each router binds one). */
  private readonly udpBound = new Map<number, (d: Uint8Array, from: number) => void>();
  private udpQueue: Array<{ to: number; from: number; data: Uint8Array }> = [];

  udp(own: number): HeartbeatSocket {
    let handler: (d: Uint8Array, from: number) => void = () => {};
    return {
      bind: async () => void this.udpBound.set(own, (d, f) => handler(d, f)),
      onMessage: (fn) => (handler = fn),
      send: (data, _port, to, done) => {
        this.udpQueue.push({ to, from: own, data: data.slice() });
        done(null);
      },
      close: () => void this.udpBound.delete(own),
    };
  }

  inject(from: string, packet: Uint8Array): void {
    this.queue.push({ to: VRRP_GROUP, from: ip(from), data: packet });
  }

  deliver(): void {
    const u = this.udpQueue;
    this.udpQueue = [];
    for (const m of u) if (!this.cut.has(formatIPv4(m.from)) && !this.cut.has(formatIPv4(m.to))) this.udpBound.get(m.to)?.(m.data, m.from);
    const q = this.queue;
    this.queue = [];
    for (const m of q) {
      if (this.cut.has(formatIPv4(m.from))) continue;
      for (const [addr, h] of this.open) {
        if (addr !== m.from && !this.cut.has(formatIPv4(addr)) && (m.to === VRRP_GROUP || m.to === addr)) h(m.data, m.from);
      }
    }
  }
}

/** The IPv4 addresses a VRRPv2 advert lists (count at byte 3, from byte 8). */
function advertVips(p: Uint8Array): string[] {
  return Array.from({ length: p[3] }, (_, k) => formatIPv4(new DataView(p.buffer, p.byteOffset + 8 + 4 * k, 4).getUint32(0)));
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsvs-vrrp-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function lvsCf(extra = ''): string {
  const cf = join(dir, 'lvs.cf');
  writeFileSync(cf, readFileSync('test/fixtures/config/nat.cf', 'utf8')
    .replace('backup_active = 0', `backup_active = 1\nbackup = ${BACKUP}\nactive_cmd = "echo active"\ninactive_cmd = "echo inactive"\nfailover = vrrp\nvrrp_id = 51${extra}`));
  return cf;
}

interface Node {
  router: Router;
  port: FakePort;
  cmds: string[];
  logs: string[];
  /** Why the failover component told the daemon its partner came back (the daemon resends the connection table). */
  backs: string[];
  dp(): InlineDataPlane;
}

function node(own: string, cf: string, net: VrrpNet, clock: FakeClock): Node {
  const port = new FakePort();
  const cmds: string[] = [];
  const logs: string[] = [];
  const backs: string[] = [];
  const made: { dp?: InlineDataPlane } = {};
  const mac = (n: number) => Uint8Array.of(2, 0, 0, 0, own === PRIMARY ? 1 : 2, n);
  const router = new Router({
    configPath: cf,
    log: createLogger({ write: (l) => logs.push(l) }),
    host: {
      isRoot: () => true,
      hasDevice: (d) => d === 'eth0' || d === 'eth1',
      macOf: (d) => (d === 'eth0' ? mac(1) : d === 'eth1' ? mac(2) : null),
      kernelAddresses: () => new Map([[ip(own), 'eth0']]),
    },
    dataPlane: (spec) => (made.dp = new InlineDataPlane({ ...spec, log: createLogger({ write: () => {} }), openPort: () => port, clock: () => clock.t }, false)),
    nft: (script) => ({ ok: !script.startsWith('list'), error: 'No such file or directory' }),
    controlSocket: null,
    timers: false,
    failoverDeps: {
      vrrpSocket: (dev, multicast) => {
        expect([dev, multicast]).toEqual(['eth0', true]);
        return net.socket(ip(own));
      },
      socket: () => net.udp(ip(own)),
      partnerBack: (why) => backs.push(why),
      timers: clock,
      now: () => clock.t,
      run: (cmd, what) => cmds.push(`${what}: ${cmd}`),
    },
  });
  return { router, port, cmds, logs, backs, dp: () => made.dp! };
}

/** Steps the clock `ms` in 100 ms steps, delivering adverts and running each data plane's tick (GARPs). */
async function run(net: VrrpNet, clock: FakeClock, nodes: Node[], ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    await clock.advance(100);
    net.deliver();
    await settle();
    for (const n of nodes) if (n.dp()?.host.running) n.dp().host.tick();
  }
}

function answersArp(n: Node, target: string): boolean {
  n.port.takeSent(0);
  n.port.inject(0, buildArp({ srcMac: Uint8Array.of(2, 9, 9, 9, 9, 9), dstMac: new Uint8Array(6).fill(255), op: 1, senderMac: Uint8Array.of(2, 9, 9, 9, 9, 9), senderIp: ip('198.18.1.1'), targetMac: new Uint8Array(6), targetIp: ip(target) }));
  n.port.wake();
  return n.port.takeSent(0).some((f) => f[12] === 8 && f[13] === 6 && f[21] === 2);
}

describe('failover = vrrp: VRRP elects, pulse\'s takeover claims', () => {
  it('the primary (150) becomes master after its master-down interval, the backup (100) follows; a stop hands over at once, a returning primary preempts', async () => {
    const net = new VrrpNet();
    const clock = new FakeClock();
    const cf = lvsCf();
    const p = node(PRIMARY, cf, net, clock);
    const b = node(BACKUP, cf, net, clock);
    await p.router.start();
    await b.router.start();
    try {
      // Master_Down_Interval: 3 s + skew (256-150)/256 s = 3.414 s for the primary, 3.609 s for the backup.
      await run(net, clock, [p, b], 3300);
      expect([p.router.failover().state, b.router.failover().state]).toEqual(['BACKUP', 'BACKUP']);
      await run(net, clock, [p, b], 300);
      expect(p.router.failover()).toMatchObject({ role: 'primary', state: 'MASTER', active: true, reason: 'Entering MASTER STATE' });
      await run(net, clock, [p, b], 2000);
      expect(b.router.failover()).toMatchObject({ role: 'backup', state: 'BACKUP', active: false, partnerSays: `MASTER ${PRIMARY} prio 150` });
      expect(answersArp(p, VIP)).toBe(true);
      expect(answersArp(b, VIP)).toBe(false);
      expect(p.cmds).toEqual(['inactive_cmd: echo inactive', 'active_cmd: echo active']);
      expect(p.router.failover().vrrp).toMatchObject({ version: 2, vrid: 51, priority: 150, advertInt: 1, interface: 'eth0', address: PRIMARY, peers: ['224.0.0.18'], auth: false });
      expect(p.router.failover().vrrp?.stats).toMatchObject({ become_master: 1, advert_sent: 3 });
      expect(b.router.failover().vrrp?.stats).toMatchObject({ advert_rcvd: 3, become_master: 0 });
      // The adverts list the NAT router address and the VIP (keepalived's virtual_ipaddress).
      expect(net.log.filter((l) => l.startsWith(PRIMARY))).toEqual(Array(3).fill(`${PRIMARY}>224.0.0.18 prio 150`));

      // A graceful stop: priority 0, and the backup takes over after its skew (0.609 s), not 3.6 s.
      net.log.length = 0;
      await p.router.stop();
      expect(net.log).toEqual([`${PRIMARY}>224.0.0.18 prio 0`]);
      // Delivered at 5.7 s (the net delivers every 100 ms): master at 5.7 + 0.609 s.
      await run(net, clock, [b], 800);
      expect(b.router.failover()).toMatchObject({ state: 'MASTER', active: true });
      expect(answersArp(b, VIP)).toBe(true);

      // The primary returns: it waits its master-down interval hearing the backup (lower), then preempts.
      const p2 = node(PRIMARY, cf, net, clock);
      await p2.router.start();
      await run(net, clock, [p2, b], 4000);
      expect(p2.router.failover()).toMatchObject({ state: 'MASTER', active: true });
      expect(b.router.failover()).toMatchObject({ state: 'BACKUP', active: false, reason: 'Entering BACKUP STATE' });
      expect(answersArp(b, VIP)).toBe(false);
      expect(answersArp(p2, VIP)).toBe(true);
      await p2.router.stop();
    } finally {
      await p.router.stop();
      await b.router.stop();
    }
  });

  it('a master that dies silently is replaced after the master-down interval; when the split heals the higher priority stays master (preempt off changes only what a backup does)', async () => {
    const net = new VrrpNet();
    const clock = new FakeClock();
    const cf = lvsCf('\nvrrp_preempt = 0');
    const p = node(PRIMARY, cf, net, clock);
    const b = node(BACKUP, cf, net, clock);
    await p.router.start();
    await b.router.start();
    try {
      await run(net, clock, [p, b], 5000);
      expect(p.router.failover().active).toBe(true);
      // The primary's last advert, sent at 4.414 s, arrived at 4.5 s: the backup's Master_Down_Timer runs out at 8.109 s.
      net.cut.add(PRIMARY);
      await run(net, clock, [b], 3100);
      expect(b.router.failover().active).toBe(false);
      await run(net, clock, [b], 100);
      expect(b.router.failover()).toMatchObject({ state: 'MASTER', active: true });
      // The primary, cut off, still thinks it is master: on healing, the higher priority wins and the backup yields.
      net.cut.delete(PRIMARY);
      await run(net, clock, [p, b], 1500);
      expect([p.router.failover().active, b.router.failover().active]).toEqual([true, false]);
    } finally {
      await p.router.stop();
      await b.router.stop();
    }
  });

  it('the heartbeat beacon beside VRRP: a master told that its partner started or came back (to resend the connection table); it decides nothing', async () => {
    const net = new VrrpNet();
    const clock = new FakeClock();
    const cf = lvsCf();
    const p = node(PRIMARY, cf, net, clock);
    let b = node(BACKUP, cf, net, clock);
    await p.router.start();
    await b.router.start();
    try {
      await run(net, clock, [p, b], 5000);
      expect(p.backs).toEqual(['first heard']);
      expect(b.backs).toEqual(['first heard', 'now says RUNNING']);
      expect(p.router.failover().vrrp?.beacon).toMatchObject({ sent: 3, received: 3 });
      // The backup restarts after a silence longer than 1.5 keepalive: the master hears it again.
      await b.router.stop();
      await run(net, clock, [p], 4000);
      b = node(BACKUP, cf, net, clock);
      await b.router.start();
      await run(net, clock, [p, b], 1000);
      expect(p.backs).toEqual(['first heard', 'heard again after 5.1 s']);
      expect([p.router.failover().active, b.router.failover().active]).toEqual([true, false]);
    } finally {
      await p.router.stop();
      await b.router.stop();
    }
  });

  it('a VIP added by a reload is in the next adverts at once, with no restart and no new election; other failover changes still wait for a restart', async () => {
    const net = new VrrpNet();
    const clock = new FakeClock();
    const cf = lvsCf();
    const p = node(PRIMARY, cf, net, clock);
    const b = node(BACKUP, cf, net, clock);
    await p.router.start();
    await b.router.start();
    try {
      await run(net, clock, [p, b], 5000);
      expect(net.addresses.at(-1)).toEqual({ from: PRIMARY, vips: ['198.19.0.1', VIP] });
      const text = readFileSync(cf, 'utf8');
      const second = text.slice(text.indexOf('virtual http {')).replace('virtual http {', 'virtual http2 {').replace('198.18.0.10 eth0:1', '198.18.0.20 eth0:2');
      writeFileSync(cf, text + '\n' + second);
      expect((await p.router.reload('test')).ok).toBe(true);
      expect((await b.router.reload('test')).ok).toBe(true);
      net.addresses.length = 0;
      await run(net, clock, [p, b], 2000);
      expect(net.addresses.map((a) => a.from)).toEqual([PRIMARY, PRIMARY]);
      expect(net.addresses[0].vips).toEqual(['198.19.0.1', VIP, '198.18.0.20']);
      // The backup checks adverts against its own reloaded list: no mismatch logged, nothing rejected; the primary stays master.
      expect(b.logs.filter((l) => l.includes('VIPs but received') || l.includes('not present in advert'))).toEqual([]);
      expect(p.router.failover().vrrp?.stats).toMatchObject({ become_master: 1 });
      expect([p.router.failover().active, b.router.failover().active]).toEqual([true, false]);
      expect(p.logs.some((l) => l.includes('take effect at the next start'))).toBe(false);
      // A change of anything else in the failover settings is still for the next start.
      writeFileSync(cf, readFileSync(cf, 'utf8').replace('vrrp_id = 51', 'vrrp_id = 52'));
      expect((await p.router.reload('test')).ok).toBe(true);
      expect(p.logs.some((l) => l.includes('take effect at the next start'))).toBe(true);
    } finally {
      await p.router.stop();
      await b.router.stop();
    }
  });

  it('adverts of another VRID, with a TTL below 255 or a wrong password are dropped and counted by reason', async () => {
    const net = new VrrpNet();
    const clock = new FakeClock();
    const p = node(PRIMARY, lvsCf('\nvrrp_auth_pass = secret'), net, clock);
    await p.router.start();
    try {
      await run(net, clock, [p], 500);
      const { encodeAdvert } = await import('../../src/ha/vrrp-wire.js');
      const advert = (vrid: number, pass: string) => encodeAdvert({
        version: 2, vrid, priority: 200, interval: 1, addresses: [ip('198.19.0.1'), ip(VIP)], authType: 1,
        authData: Uint8Array.from([...new TextEncoder().encode(pass), 0, 0].slice(0, 8).concat(Array(8).fill(0)).slice(0, 8)),
      }, ip('198.18.0.9'), VRRP_GROUP);
      net.inject('198.18.0.9', encodeIpPacket(ip('198.18.0.9'), VRRP_GROUP, advert(52, 'secret')));
      net.inject('198.18.0.9', encodeIpPacket(ip('198.18.0.9'), VRRP_GROUP, advert(51, 'wrong')));
      const lowTtl = encodeIpPacket(ip('198.18.0.9'), VRRP_GROUP, advert(51, 'secret'));
      lowTtl[8] = 64;
      lowTtl[10] = lowTtl[11] = 0;
      const { ipv4SetChecksum } = await import('../../src/packet/ipv4.js');
      ipv4SetChecksum(lowTtl, 0, 20);
      net.inject('198.18.0.9', lowTtl);
      await run(net, clock, [p], 100);
      expect(p.router.failover().vrrp?.stats).toMatchObject({ vrid_err: 1, auth_failure: 1, ip_ttl_err: 1, advert_rcvd: 0 });
      expect(p.router.failover().state).toBe('BACKUP');
      // A good advert of a higher priority is followed: this router stays backup past its own master-down interval.
      for (let i = 0; i < 5; i++) {
        net.inject('198.18.0.9', encodeIpPacket(ip('198.18.0.9'), VRRP_GROUP, advert(51, 'secret')));
        await run(net, clock, [p], 1000);
      }
      expect(p.router.failover()).toMatchObject({ state: 'BACKUP', active: false, partnerSays: 'MASTER 198.18.0.9 prio 200' });
    } finally {
      await p.router.stop();
    }
  });
});
