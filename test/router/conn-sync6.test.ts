// Connection sync of IPv6 flows between two data planes (DataPlaneHost on memory
// ports, their sync sockets a memory group): the master sends its IPv6 conns and
// templates as v1 entries of type STYPE_F_INET6 (none in v0), and a backup that
// takes over forwards their next packets to the real servers the master chose,
// NAT both ways and DR. Lab addresses: 2001:2::/48 (RFC 5180).
import { describe, expect, it } from 'vitest';
import { DataPlaneHost } from '../../src/router/dataplane-host.js';
import type { SyncSettings } from '../../src/router/sync-socket.js';
import { createLogger } from '../../src/router/log.js';
import { MemoryPort } from '../../src/io/memory.js';
import type { LivePort } from '../../src/frames/port.js';
import { diffTables } from '../../src/model/diff.js';
import { DEFAULT_SWITCHES, formatIPv6Words, ipv6Words, type ForwardMethod, type ServiceTable, type VirtualService } from '../../src/model/index.js';
import { TCP_S_ESTABLISHED } from '../../src/conn/tcp-states.js';
import { IP_VS_CONN_F_DROUTE, IP_VS_CONN_F_FWD_MASK, IP_VS_CONN_F_TEMPLATE, type SyncConn } from '../../src/sync/wire.js';
import { DROP_NO_NEIGH } from '../../src/engine/counters.js';
import { Group } from './sync-group.js';
import { frame6, icmp6Msg, ndBody, tcpSeg, udpSeg } from '../packet/helpers6.js';
import { ETH0_MAC, ETH1_MAC, hex, ip } from '../engine/helpers.js';

const SYN = 0x02, ACK = 0x10;
const MASTER = ip('198.18.0.2');
const BACKUP = ip('198.18.0.3');
const VIP6 = '2001:2:0:1::10';
const NAT6 = '2001:2:0:2::1';
const CLIENT6 = '2001:2:0:1::100';
const RS1 = '2001:2:0:2::11';
const RS2 = '2001:2:0:2::12';
const CLIENT_MAC = [0x02, 0xc1, 0, 0, 0, 0x01];
const RS_MAC = (k: number): number[] => [0x02, 0x52, 0, 0, 0, k];

class FakePort extends MemoryPort implements LivePort {
  onReadable(): void {}
  override close(): void {}
}
const silent = createLogger({ write: () => {} });

function table6(forward: ForwardMethod, o: Partial<VirtualService> = {}, servers = [RS1, RS2]): ServiceTable {
  const svc: VirtualService = {
    name: 'web6', protocol: 'tcp', address: 0, address6: VIP6, port: 80, fwmark: 0, scheduler: 'rr', schedFlags: [],
    persistence: 0, persistMask: 0xffffffff, onePacket: false, ...o,
    servers: servers.map((s) => ({
      name: s, address: 0, address6: s, port: forward === 'nat' ? 8080 : (o.port ?? 80), weight: 1, forward, upperThreshold: 0, lowerThreshold: 0,
    })),
  };
  return {
    version: 1, services: [svc], marks: [], switches: DEFAULT_SWITCHES, timeouts: { tcp: 0, tcpfin: 0, udp: 0 },
    addresses: [
      { address: 0, address6: VIP6, prefixLen: 64, device: 'eth0', role: 'vip' },
      { address: 0, address6: NAT6, prefixLen: 64, device: 'eth1', role: 'nat_router' },
    ],
  };
}

type Router = { host: DataPlaneHost; port: FakePort };

/** A router running table t, its servers' MACs learned from their Neighbor Advertisements. */
function router(t: ServiceTable, group: Group, clock: { t: number }): Router {
  const port = new FakePort();
  const host = new DataPlaneHost({
    devices: ['eth0', 'eth1'], macs: [ETH0_MAC, ETH1_MAC], connCapacity: 1024, openPort: () => port,
    log: silent, shared: false, clock: () => clock.t, openSync: group.open,
  });
  host.start(diffTables(null, t));
  const r = { host, port };
  learn(r, [RS1, RS2]);
  return r;
}

function learn(r: Router, servers: string[]): void {
  send(r, servers.map((s, k) => [1, frame6({ src: s, dst: 'ff02::1', hop: 255, proto: 58, srcMac: RS_MAC(k + 1), dstMac: [0x33, 0x33, 0, 0, 0, 1],
    l4: icmp6Msg(136, 0, ndBody(0x20, s, [2, 1, ...RS_MAC(k + 1)])) })]));
}

/** Frames through a host, one batch each; what went out but ICMPv6 (neighbour discovery). */
function send(r: Router, frames: Array<[number, Uint8Array]>): Array<[number, Uint8Array]> {
  const out: Array<[number, Uint8Array]> = [];
  for (const [itf, f] of frames) {
    r.port.inject(itf, f);
    r.host.drain();
    for (const i of [0, 1]) for (const o of r.port.takeSent(i)) if (!(o[12] === 0x86 && o[13] === 0xdd && o[20] === 58)) out.push([i, o]);
  }
  return out;
}

const fromClient = (flags: number, sport = 40000) =>
  frame6({ src: CLIENT6, dst: VIP6, proto: 6, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: tcpSeg(sport, 80, flags, [1, 2, 3]) });
const fromServer = (rs: string, k: number, flags: number, sport = 40000) =>
  frame6({ src: rs, dst: CLIENT6, proto: 6, hop: 64, srcMac: RS_MAC(k), dstMac: [...ETH1_MAC], l4: tcpSeg(8080, sport, flags, [4, 5]) });
const addrAt = (f: Uint8Array, at: number) => formatIPv6Words(Int32Array.from([0, 1, 2, 3], (k) => new DataView(f.buffer, f.byteOffset).getInt32(at + 4 * k)));
const srcOf = (f: Uint8Array) => addrAt(f, 22);
const dstOf = (f: Uint8Array) => addrAt(f, 38);
const words = (c: SyncConn) => [formatIPv6Words(c.addr6!, 0), formatIPv6Words(c.addr6!, 4), formatIPv6Words(c.addr6!, 8)];

/** A master with two established flows from CLIENT6: 40000 on rs2 (rr's first pick: IPVS lists the newest server first), 40001 on rs1. */
function masterWithFlows(t: ServiceTable, group: Group, clock: { t: number }, o: Partial<SyncSettings> = {}, sports = [40000, 40001]): Router {
  const m = router(t, group, clock);
  m.host.setSync({ role: 'master', address: MASTER, ...o });
  for (const sport of sports) send(m, [[0, fromClient(SYN, sport)], [0, fromClient(ACK, sport)], [0, fromClient(ACK, sport)]]);
  m.host.tick();
  return m;
}

describe('IPv6 connection sync: master', () => {
  it('sends an established IPv6 NAT flow with its full addresses, ports, state, flags and timeout', () => {
    const group = new Group(), clock = { t: 1000 };
    const m = masterWithFlows(table6('nat'), group, clock);
    const got = group.conns();
    expect(got.map(words)).toEqual([[CLIENT6, VIP6, RS2], [CLIENT6, VIP6, RS1]]);
    expect(got[0]).toMatchObject({ protocol: 6, cport: 40000, vport: 80, dport: 8080, flags: 0, state: TCP_S_ESTABLISHED, fwmark: 0, timeout: 900 });
    // Type bit 0 on the wire, 72-byte entries.
    const b = group.sent[0].bytes;
    expect([b[8], b[10] << 8 | b[11], b.length]).toEqual([1, 72, 8 + 2 * 72]);
    expect(m.host.syncStats()).toMatchObject({ synced: 2, synced6: 2, v6Skipped: 0 });
  });

  it('sends the persistence template with its conn (client, VIP, server; no client port)', () => {
    const group = new Group(), clock = { t: 1000 };
    masterWithFlows(table6('nat', { persistence: 600 }), group, clock, {}, [40000]);
    const [conn, tpl] = group.conns();
    expect(conn.cport).toBe(40000);
    expect(words(tpl)).toEqual([CLIENT6, VIP6, RS2]);
    expect({ ...tpl, flags: tpl.flags & IP_VS_CONN_F_TEMPLATE }).toMatchObject({ cport: 0, vport: 80, dport: 8080, flags: IP_VS_CONN_F_TEMPLATE, timeout: 600 });
  });

  it('version 0 has no IPv6: the flows are left out and counted', () => {
    const group = new Group(), clock = { t: 1000 };
    const m = masterWithFlows(table6('nat'), group, clock, { version: 0 });
    expect(group.sent).toEqual([]);
    expect(m.host.syncStats()).toMatchObject({ synced: 0, v6Skipped: 2 });
  });

  it('a whole-table send (resync) includes the IPv6 flows', () => {
    const group = new Group(), clock = { t: 1000 };
    const m = masterWithFlows(table6('dr'), group, clock);
    group.sent.length = 0;
    expect(m.host.resync()).toBe(2);
    expect(group.conns().map((c) => [c.cport, words(c)[2], c.flags & IP_VS_CONN_F_FWD_MASK])).toEqual([
      [40000, RS2, IP_VS_CONN_F_DROUTE], [40001, RS1, IP_VS_CONN_F_DROUTE],
    ]);
  });
});

describe('IPv6 connection sync: backup takes over', () => {
  it('NAT: forwards a mid-flow ACK to the server the master chose, and the reply back from the VIP to the client', () => {
    const group = new Group(), clock = { t: 1000 };
    const b = router(table6('nat'), group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    masterWithFlows(table6('nat'), group, clock);
    group.deliver();
    expect(b.host.syncStats()!.imported).toMatchObject({ created: 2, noService: 0, noServer: 0 });
    expect(b.host.syncStats()!.rx.ipv6).toBe(2);

    // Flow 40001 went to rs1 on the master; rr on the backup would pick rs2 first.
    const [[itf, fwd]] = send(b, [[0, fromClient(ACK, 40001)]]);
    expect([itf, dstOf(fwd), srcOf(fwd), fwd[54 + 2] << 8 | fwd[54 + 3]]).toEqual([1, RS1, CLIENT6, 8080]);
    expect(hex(fwd.subarray(0, 6))).toBe(hex(Uint8Array.from(RS_MAC(1))));

    const [[itf2, back]] = send(b, [[1, fromServer(RS1, 1, ACK, 40001)]]);
    expect([itf2, srcOf(back), dstOf(back), back[54] << 8 | back[55]]).toEqual([0, VIP6, CLIENT6, 80]);
    expect(hex(back.subarray(0, 12))).toBe(hex(Uint8Array.from(CLIENT_MAC)) + hex(ETH0_MAC));
  });

  it('NAT: a reply before the client\'s next packet is dropped (no client MAC yet), and goes once the client has sent', () => {
    const group = new Group(), clock = { t: 1000 };
    const b = router(table6('nat'), group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    masterWithFlows(table6('nat'), group, clock);
    group.deliver();
    expect(send(b, [[1, fromServer(RS2, 2, ACK, 40000)]])).toEqual([]);
    expect(b.host.engine.counters.drops[DROP_NO_NEIGH]).toBe(1);
    send(b, [[0, fromClient(ACK, 40000)]]);
    const [[itf, back]] = send(b, [[1, fromServer(RS2, 2, ACK, 40000)]]);
    expect([itf, srcOf(back)]).toEqual([0, VIP6]);
  });

  it('NAT: a download\'s client that only listens is asked for by NDP, and replies go to it once it answers', () => {
    const group = new Group(), clock = { t: 1000 };
    const b = router(table6('nat'), group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    masterWithFlows(table6('nat'), group, clock);
    group.deliver();
    b.port.inject(1, fromServer(RS2, 2, ACK, 40000));
    b.host.drain();
    // The reply is dropped (no client MAC yet) and the client solicited on the VIP's side.
    const ns = b.port.takeSent(0).filter((o) => o[12] === 0x86 && o[13] === 0xdd && o[20] === 58 && o[54] === 135);
    expect(ns.map((o) => addrAt(o, 54 + 8))).toEqual([CLIENT6]);
    expect(b.port.takeSent(1)).toEqual([]);
    // The client answers; the server's next segment goes to it, without the client having sent anything.
    send(b, [[0, frame6({ src: CLIENT6, dst: 'fe80::ff:fe00:1', hop: 255, proto: 58, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC],
      l4: icmp6Msg(136, 0, ndBody(0x60, CLIENT6, [2, 1, ...CLIENT_MAC])) })]]);
    const [[itf, back]] = send(b, [[1, fromServer(RS2, 2, ACK, 40000)]]);
    expect([itf, srcOf(back), dstOf(back)]).toEqual([0, VIP6, CLIENT6]);
    expect(hex(back.subarray(0, 12))).toBe(hex(Uint8Array.from(CLIENT_MAC)) + hex(ETH0_MAC));
  });

  it('DR: the flow goes on to the master\'s server, its addresses unchanged', () => {
    const group = new Group(), clock = { t: 1000 };
    const b = router(table6('dr'), group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    masterWithFlows(table6('dr'), group, clock);
    group.deliver();
    const sent = fromClient(ACK, 40001);
    const [[itf, fwd]] = send(b, [[0, sent]]);
    expect(itf).toBe(1);
    expect(hex(fwd.subarray(0, 6))).toBe(hex(Uint8Array.from(RS_MAC(1))));
    expect(hex(fwd.subarray(14))).toBe(hex(sent.subarray(14)));
  });

  it('keeps persistence: a new conn of the synced client goes to the server its template names', () => {
    const group = new Group(), clock = { t: 1000 };
    const t = table6('nat', { persistence: 600 });
    const b = router(t, group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    const m = router(t, group, clock);
    m.host.setSync({ role: 'master', address: MASTER });
    // Another client takes rs2 (rr's first pick); this one lands on rs1 and is synced with its template.
    const other = frame6({ src: '2001:2:0:1::200', dst: VIP6, proto: 6, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: tcpSeg(1000, 80, SYN) });
    send(m, [[0, other], [0, fromClient(SYN)], [0, fromClient(ACK)], [0, fromClient(ACK)]]);
    m.host.tick();
    group.deliver();
    const [[, f]] = send(b, [[0, fromClient(SYN, 40100)]]);
    expect(dstOf(f)).toBe(RS1);
    const a = new Int32Array(8);
    a.set(ipv6Words(CLIENT6), 0);
    a.set(ipv6Words(VIP6), 4);
    const tpl = b.host.engine.conns.lookupTemplate6(6, a, 0, 80);
    expect(tpl).not.toBe(0);
    expect(Math.round(b.host.engine.conns.remaining(tpl, clock.t) / 1000)).toBe(600);
  });

  it('persistence by prefix (-M 64): the template names the client network, and another client of it follows on the backup', () => {
    const group = new Group(), clock = { t: 1000 };
    const t = table6('nat', { persistence: 600, persistMask: 64 });
    const b = router(t, group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    const m = router(t, group, clock);
    m.host.setSync({ role: 'master', address: MASTER });
    // A client of another network takes rs2 (rr's first pick); CLIENT6's network lands on rs1.
    const other = frame6({ src: '2001:2:0:9::200', dst: VIP6, proto: 6, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: tcpSeg(1000, 80, SYN) });
    send(m, [[0, other], [0, fromClient(SYN)], [0, fromClient(ACK)], [0, fromClient(ACK)]]);
    m.host.tick();
    const [, tpl] = group.conns();
    expect(words(tpl)).toEqual(['2001:2:0:1::', VIP6, RS1]);
    group.deliver();
    const neighbour = frame6({ src: '2001:2:0:1::177', dst: VIP6, proto: 6, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: tcpSeg(2000, 80, SYN) });
    const [[, f]] = send(b, [[0, neighbour]]);
    expect(dstOf(f)).toBe(RS1);
  });

  it('a UDP flow follows too', () => {
    const group = new Group(), clock = { t: 1000 };
    const t = table6('nat', { protocol: 'udp', port: 53 });
    const b = router(t, group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    const m = router(t, group, clock);
    m.host.setSync({ role: 'master', address: MASTER });
    const q = (sport: number) => frame6({ src: CLIENT6, dst: VIP6, proto: 17, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: udpSeg(sport, 53, [1, 2, 3, 4]) });
    send(m, [[0, q(5000)], [0, q(5001)], [0, q(5001)], [0, q(5001)]]);
    m.host.tick();
    expect(group.conns().map((c) => [c.protocol, c.cport, words(c)[2], c.timeout])).toEqual([[17, 5001, RS1, 300]]);
    group.deliver();
    const [[, f]] = send(b, [[0, q(5001)]]);
    expect(dstOf(f)).toBe(RS1);
  });

  it('a firewall-mark service of IPv6: conn and template carry the mark, and the backup finds the service by it', () => {
    const group = new Group(), clock = { t: 1000 };
    const rule = (port: number) => ({ protocol: 'tcp' as const, address: 0, address6: '2001:2:0:1::', prefixLen: 64, portLo: port, portHi: port, mark: 7, origin: 'test' });
    const t = { ...table6('nat', { name: 'fwm6', address6: undefined, port: 0, fwmark: 7, family6: true, persistence: 300 }), marks: [rule(80), rule(443)] };
    const b = router(t, group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    const m = router(t, group, clock);
    m.host.setSync({ role: 'master', address: MASTER });
    const to443 = (flags: number, sport: number) => frame6({ src: CLIENT6, dst: VIP6, proto: 6, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: tcpSeg(sport, 443, flags, [1]) });
    // Another client takes rs2 (rr's first pick, on the backup too); this one lands on rs1.
    const other = frame6({ src: '2001:2:0:1::200', dst: VIP6, proto: 6, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: tcpSeg(1000, 443, SYN) });
    send(m, [[0, other], [0, to443(SYN, 40000)], [0, to443(ACK, 40000)], [0, to443(ACK, 40000)]]);
    m.host.tick();
    const [conn, tpl] = group.conns();
    expect(conn).toMatchObject({ protocol: 6, cport: 40000, vport: 443, fwmark: 7 });
    expect(words(conn).slice(0, 2)).toEqual([CLIENT6, VIP6]);
    expect(tpl).toMatchObject({ protocol: 0, cport: 0, vport: 0, fwmark: 7 });
    const server = words(conn)[2];
    expect(server).toBe(RS1);
    group.deliver();
    expect(b.host.syncStats()!.imported).toMatchObject({ created: 2, noService: 0, noServer: 0 });
    // The synced flow goes on to its server; a new port of the same client follows the template.
    const [[, f]] = send(b, [[0, to443(ACK, 40000)]]);
    expect(dstOf(f)).toBe(server);
    const [[, g]] = send(b, [[0, frame6({ src: CLIENT6, dst: VIP6, proto: 6, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: tcpSeg(40001, 80, SYN) })]]);
    expect(dstOf(g)).toBe(server);
  });

  it('a conn to a server the table lacks yet waits, and binds when a new version brings the server', () => {
    const group = new Group(), clock = { t: 1000 };
    const onlyRs1 = table6('nat', {}, [RS1]);
    const b = router(onlyRs1, group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    masterWithFlows(table6('nat'), group, clock);
    group.deliver();
    expect(b.host.syncStats()!.waiting).toMatchObject({ now: 1, bound: 0 });
    expect(b.host.syncStats()!.imported).toMatchObject({ created: 1, noServer: 1 });
    clock.t += 2000;
    b.host.apply(diffTables(onlyRs1, table6('nat')));
    expect(b.host.syncStats()!.waiting).toMatchObject({ now: 0, bound: 1 });
    learn(b, [RS1, RS2]);
    const [[itf, f]] = send(b, [[0, fromClient(ACK, 40000)]]);
    expect([itf, dstOf(f)]).toEqual([1, RS2]);
  });

  it('an IPv6 conn for a service the backup lacks is skipped and counted', () => {
    const group = new Group(), clock = { t: 1000 };
    const b = router(table6('nat', { port: 443 }), group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    masterWithFlows(table6('nat'), group, clock);
    group.deliver();
    expect(b.host.syncStats()!.imported).toMatchObject({ created: 0, noService: 2 });
    expect(b.host.engine.conns.count).toBe(0);
  });
});
