// Connection sync between two data planes, each a real DataPlaneHost on a memory
// port, their sync sockets a memory multicast group. What a user relies on: a
// backup that takes over forwards established flows to the real servers the
// master chose, and NAT replies go back to the client.
import { describe, expect, it, vi } from 'vitest';
import { DataPlaneHost } from '../../src/router/dataplane-host.js';
import type { SyncSettings } from '../../src/router/sync-socket.js';
import { Group } from './sync-group.js';
import { createLogger } from '../../src/router/log.js';
import { MemoryPort } from '../../src/io/memory.js';
import type { LivePort } from '../../src/frames/port.js';
import { diffTables } from '../../src/model/diff.js';
import { buildTable, formatIPv4, type ServiceTable } from '../../src/model/index.js';
import { buildArp, buildTcp, buildUdp } from '../../src/packet/build.js';
import { parseSyncMessage, newSyncRxStats, IP_VS_CONN_F_INACTIVE, IP_VS_CONN_F_TEMPLATE, SyncWriter, type SyncConn } from '../../src/sync/wire.js';
import {
  H_SYNC_AUTH_FORGED, H_SYNC_AUTH_OK, H_SYNC_AUTH_REPLAYED, H_SYNC_AUTH_UNAUTHENTICATED, H_SYNC_CONNS, H_SYNC_MESSAGES, H_SYNC_RESYNCS, H_SYNC_RX_BAD, H_SYNC_RX_CONNS, H_SYNC_RX_SKIPPED,
  H_SYNC_RX_WAITING,
} from '../../src/engine/published.js';
import { AUTH_TRAILER_BYTES } from '../../src/ha/auth.js';
import { TCP_S_CLOSE_WAIT, TCP_S_ESTABLISHED } from '../../src/conn/tcp-states.js';
import { addNeighbours, CLIENT, CLIENT_MAC, ETH0_MAC, ETH1_MAC, hex, ip, NAT_ROUTER, rsMac, service, table, VIP } from '../engine/helpers.js';

const SYN = 0x02, ACK = 0x10, FIN = 0x01;
const MASTER = ip('198.18.0.2');
const BACKUP = ip('198.18.0.3');
const OTHER = ip('198.18.0.9');
const RS1 = ip('198.19.0.11');
const RS2 = ip('198.19.0.12');

class FakePort extends MemoryPort implements LivePort {
  onReadable(): void {}
  override close(): void {}
}

const silent = createLogger({ write: () => {} });

function router(t: ServiceTable, group: Group, clock: { t: number }, connCapacity = 1024): { host: DataPlaneHost; port: FakePort } {
  const port = new FakePort();
  const host = new DataPlaneHost({
    devices: ['eth0', 'eth1'], macs: [ETH0_MAC, ETH1_MAC], connCapacity, openPort: () => port,
    log: silent, shared: false, clock: () => clock.t, openSync: group.open,
  });
  host.start(diffTables(null, t));
  addNeighbours(host.engine, t);
  return { host, port };
}

const natTable = () => table([service([{ addr: '198.19.0.11', port: 8080 }, { addr: '198.19.0.12', port: 8080 }])]);
const fromClient = (flags: number, sport = 40000) =>
  buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport, dport: 80, flags, seq: 100, ack: flags & ACK ? 500 : 0 });
const fromServer = (rs: number, flags: number, sport = 40000) =>
  buildTcp({ srcMac: rsMac(rs), dstMac: ETH1_MAC, src: rs, dst: CLIENT, sport: 8080, dport: sport, flags, seq: 500, ack: 101 });

/** Sends frames through a host, one batch each; returns what went out (interface, frame). */
function send(r: { host: DataPlaneHost; port: FakePort }, frames: Array<[number, Uint8Array]>): Array<[number, Uint8Array]> {
  const out: Array<[number, Uint8Array]> = [];
  for (const [itf, f] of frames) {
    r.port.inject(itf, f);
    r.host.drain();
    // ARP (the neighbours asking for real servers) is not what these tests look at.
    for (const i of [0, 1]) for (const o of r.port.takeSent(i)) if (o[12] !== 0x08 || o[13] !== 0x06) out.push([i, o]);
  }
  return out;
}

const conns = (group: Group): SyncConn[] => group.conns();

/** A master with two established NAT flows: port 40000 on rs2 (rr's first pick), 40001 on rs1. */
function masterWithFlows(group: Group, clock: { t: number }, o: Partial<SyncSettings> = {}) {
  const m = router(natTable(), group, clock);
  m.host.setSync({ role: 'master', address: MASTER, ...o });
  for (const sport of [40000, 40001]) send(m, [[0, fromClient(SYN, sport)], [0, fromClient(ACK, sport)], [0, fromClient(ACK, sport)]]);
  m.host.tick();
  return m;
}

describe('connection sync: master', () => {
  it('sends an established NAT flow with its tuple, real server, state, flags and timeout, from the 3rd client packet', () => {
    const group = new Group(), clock = { t: 1000 };
    const m = router(natTable(), group, clock);
    m.host.setSync({ role: 'master', address: MASTER });
    send(m, [[0, fromClient(SYN)], [1, fromServer(RS2, SYN | ACK)], [0, fromClient(ACK)]]);
    m.host.tick();
    expect(group.sent).toEqual([]);
    send(m, [[0, fromClient(ACK)]]);
    m.host.tick();
    expect(group.sent.length).toBe(1);
    expect(group.sent[0].from).toBe(MASTER);
    expect(conns(group)).toEqual([{
      protocol: 6, caddr: CLIENT, cport: 40000, vaddr: VIP, vport: 80, daddr: RS2, dport: 8080,
      flags: 0 /* IP_VS_CONN_F_MASQ, active */, state: TCP_S_ESTABLISHED, fwmark: 0, timeout: 900,
      inSeq: undefined, outSeq: undefined, peData: undefined, peName: undefined,
    }]);
    const h = m.host.memory.host;
    expect([h[H_SYNC_CONNS], h[H_SYNC_MESSAGES]]).toEqual([1, 1]);
  });

  it('syncs a client FIN at once, as CLOSE_WAIT and inactive', () => {
    const group = new Group(), clock = { t: 1000 };
    const m = masterWithFlows(group, clock);
    group.sent.length = 0;
    send(m, [[0, fromClient(FIN | ACK)]]);
    m.host.tick();
    const [c] = conns(group);
    expect([c.cport, c.state, c.flags & IP_VS_CONN_F_INACTIVE]).toEqual([40000, TCP_S_CLOSE_WAIT, IP_VS_CONN_F_INACTIVE]);
  });

  it('sends the persistence template with its conn: client, service, server and persistence timeout', () => {
    const group = new Group(), clock = { t: 1000 };
    const m = router(table([service([{ addr: '198.19.0.11' }], { persistence: 600 })]), group, clock);
    m.host.setSync({ role: 'master', address: MASTER });
    send(m, [[0, fromClient(SYN)], [0, fromClient(ACK)], [0, fromClient(ACK)]]);
    m.host.tick();
    const [conn, tpl] = conns(group);
    expect(conn.cport).toBe(40000);
    expect({ ...tpl, flags: tpl.flags & IP_VS_CONN_F_TEMPLATE }).toMatchObject({
      protocol: 6, caddr: CLIENT, cport: 0, vaddr: VIP, vport: 80, daddr: RS1, dport: 80, flags: IP_VS_CONN_F_TEMPLATE, timeout: 600,
    });
  });

  it('fills a message up to maxlen before sending it, and starts the next', () => {
    const group = new Group(), clock = { t: 1000 };
    const m = router(natTable(), group, clock);
    // Header 8 + 36 per conn: room for 2 conns in 80 bytes.
    m.host.setSync({ role: 'master', address: MASTER, maxlen: 80 });
    for (let k = 0; k < 5; k++) send(m, [[0, fromClient(SYN, 41000 + k)], [0, fromClient(ACK, 41000 + k)], [0, fromClient(ACK, 41000 + k)]]);
    expect(group.sent.map((s) => s.bytes.length)).toEqual([80, 80]);
    m.host.tick();
    expect(group.sent.map((s) => s.bytes.length)).toEqual([80, 80, 44]);
    expect(conns(group).map((c) => c.cport)).toEqual([41000, 41001, 41002, 41003, 41004]);
  });

  it('sends version 0 and the syncid when asked', () => {
    const group = new Group(), clock = { t: 1000 };
    masterWithFlows(group, clock, { version: 0, syncid: 7 });
    const b = group.sent[0].bytes;
    expect([b[0], b[1], b.length]).toEqual([2, 7, 4 + 2 * 24]);
  });

  it('is off by default: no queue on the engine, nothing sent', () => {
    const group = new Group(), clock = { t: 1000 };
    const m = router(natTable(), group, clock);
    expect(m.host.engine.sync).toBeNull();
    send(m, [[0, fromClient(SYN)], [0, fromClient(ACK)], [0, fromClient(ACK)]]);
    m.host.tick();
    expect(group.sent).toEqual([]);
    m.host.setSync({ role: 'master', address: MASTER });
    m.host.setSync({ role: null, address: MASTER });
    expect(m.host.engine.sync).toBeNull();
  });
});

describe('connection sync: the whole table to a partner that came back (resync)', () => {
  it('a backup started after the flows learns every established flow and template at once, without a packet passing', async () => {
    const group = new Group(), clock = { t: 1000 };
    const m = router(table([service([{ addr: '198.19.0.11', port: 8080 }], { persistence: 600 })]), group, clock);
    m.host.setSync({ role: 'master', address: MASTER });
    // Two established flows (synced at their 3rd packet) and one half-open: SYN only, which the kernel never syncs.
    for (const sport of [40000, 40001]) send(m, [[0, fromClient(SYN, sport)], [0, fromClient(ACK, sport)], [0, fromClient(ACK, sport)]]);
    send(m, [[0, fromClient(SYN, 40002)]]);
    m.host.tick();
    group.sent.length = 0; // said before the backup was there
    const b = router(table([service([{ addr: '198.19.0.11', port: 8080 }], { persistence: 600 })]), group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });

    expect(b.host.resync()).toBeNull(); // a backup has nothing to send
    expect(m.host.resync()).toBe(4); // the table: three conns and the template
    expect(conns(group).map((c) => [c.cport, c.state, (c.flags & IP_VS_CONN_F_TEMPLATE) !== 0]).sort())
      .toEqual([[0, 0, true], [40000, TCP_S_ESTABLISHED, false], [40001, TCP_S_ESTABLISHED, false]]);
    group.deliver();
    const page = await b.host.conns(0, 10);
    expect(page.conns.map((c) => `${c.protocol} ${c.client}:${c.clientPort} ${c.dest}:${c.destPort} ${c.state}`).sort()).toEqual([
      'TCP 198.18.0.100:0 198.19.0.11:8080 NONE', 'TCP 198.18.0.100:40000 198.19.0.11:8080 ESTABLISHED', 'TCP 198.18.0.100:40001 198.19.0.11:8080 ESTABLISHED',
    ]);
    expect(m.host.memory.host[H_SYNC_RESYNCS]).toBe(1);
  });

  it('a table bigger than a slice goes out a slice every few ms, all of it, and the loop forwards in between', () => {
    vi.useFakeTimers();
    try {
      const group = new Group(), clock = { t: 1000 };
      const m = router(natTable(), group, clock, 4096);
      m.host.setSync({ role: 'master', address: MASTER });
      for (let k = 0; k < 3000; k++) send(m, [[0, fromClient(SYN, 20000 + k)], [0, fromClient(ACK, 20000 + k)]]);
      m.host.tick();
      group.sent.length = 0;
      m.host.resync();
      const first = conns(group).length;
      expect(first).toBeLessThan(3000);
      expect(first).toBeGreaterThan(0);
      // Between slices a client's packet is forwarded as ever.
      expect(send(m, [[0, fromClient(ACK, 20000)]])).toHaveLength(1);
      vi.advanceTimersByTime(100);
      const ports = new Set(conns(group).filter((c) => c.cport >= 20000).map((c) => c.cport));
      expect(ports.size).toBe(3000);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('connection sync: backup takes over', () => {
  it('forwards an established flow (ACK, no SYN) to the real server the master chose, and NATs the reply back', () => {
    const group = new Group(), clock = { t: 1000 };
    const b = router(natTable(), group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    // Without sync, the backup has no conn for a mid-flow ACK: reset, as the kernel's stack does for IPVS (TCP flags RST).
    expect(send(b, [[0, fromClient(ACK, 40001)]]).map(([i, f]) => [i, f[14 + 20 + 13]])).toEqual([[0, 0x04]]);
    masterWithFlows(group, clock);
    group.deliver();
    expect(b.host.syncStats()!.imported).toMatchObject({ created: 2, noService: 0, noServer: 0 });

    // Flow 40001 went to rs1 on the master; rr on the backup would pick rs2 first.
    const [[itf, fwd]] = send(b, [[0, fromClient(ACK, 40001)]]);
    const want = buildTcp({ srcMac: ETH1_MAC, dstMac: rsMac(RS1), src: CLIENT, dst: RS1, sport: 40001, dport: 8080, flags: ACK, seq: 100, ack: 500 });
    expect([itf, hex(fwd)]).toEqual([1, hex(want)]);

    const [[itf2, back]] = send(b, [[1, fromServer(RS1, ACK, 40001)]]);
    const reply = buildTcp({ srcMac: ETH0_MAC, dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, sport: 80, dport: 40001, flags: ACK, seq: 500, ack: 101, ttl: 63 });
    expect([itf2, hex(back)]).toEqual([0, hex(reply)]);
  });

  it('a download whose client only listens: the first reply asks ARP for the client, and once it answers the replies reach it', () => {
    const group = new Group(), clock = { t: 1000 };
    const b = router(natTable(), group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    masterWithFlows(group, clock);
    group.deliver();
    // The server sends first after the takeover: no client MAC yet. Dropped, and the client asked for on eth0.
    b.port.takeSent(0);
    clock.t += 1000;
    b.port.inject(1, fromServer(RS1, ACK, 40001));
    b.host.drain();
    expect(b.port.takeSent(0).filter((f) => f[12] === 8 && f[13] === 6 && f[21] === 1).map((f) => f.slice(38, 42).join('.'))).toEqual([formatIPv4(CLIENT)]);
    expect(b.host.engine.counters.snapshot().drop_next_hop_unknown).toBe(1);
    // The client answers; the server's retransmission goes through to the client's MAC.
    b.port.inject(0, buildArp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, op: 2, senderMac: CLIENT_MAC, senderIp: CLIENT, targetMac: ETH0_MAC, targetIp: VIP }));
    const [[itf, back]] = send(b, [[1, fromServer(RS1, ACK, 40001)]]);
    const reply = buildTcp({ srcMac: ETH0_MAC, dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, sport: 80, dport: 40001, flags: ACK, seq: 500, ack: 101, ttl: 63 });
    expect([itf, hex(back)]).toEqual([0, hex(reply)]);
  });

  it('counts synced established conns as ActiveConn of their server, with the master timeout', () => {
    const group = new Group(), clock = { t: 1000 };
    const b = router(natTable(), group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    masterWithFlows(group, clock);
    group.deliver();
    const e = b.host.engine, d = e.services.dests;
    const slot = e.conns.lookupIn(6, CLIENT, 40000, VIP, 80);
    const dest = e.conns.destOf(slot);
    expect([d.addr[dest], d.active[dest], d.inactive[dest]]).toEqual([RS2, 1, 0]);
    expect(e.conns.stateOf(slot)).toBe(TCP_S_ESTABLISHED);
    expect(Math.round(e.conns.remaining(slot, clock.t) / 1000)).toBe(900);
    expect(b.host.memory.host[H_SYNC_RX_CONNS]).toBe(2);
  });

  it('updates a conn it has: a FIN on the master moves it to InActConn on the backup', () => {
    const group = new Group(), clock = { t: 1000 };
    const b = router(natTable(), group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    const m = masterWithFlows(group, clock);
    group.deliver();
    send(m, [[0, fromClient(FIN | ACK)]]);
    m.host.tick();
    group.deliver();
    const e = b.host.engine, d = e.services.dests;
    const slot = e.conns.lookupIn(6, CLIENT, 40000, VIP, 80);
    expect(e.conns.stateOf(slot)).toBe(TCP_S_CLOSE_WAIT);
    expect([d.active[e.conns.destOf(slot)], d.inactive[e.conns.destOf(slot)]]).toEqual([0, 1]);
    expect(b.host.syncStats()!.imported.updated).toBe(1);
  });

  it('takes version 0 with the state timeout, and filters on its syncid', () => {
    const group = new Group(), clock = { t: 1000 };
    const b = router(natTable(), group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP, syncid: 7 });
    masterWithFlows(group, clock, { version: 0, syncid: 8 });
    group.deliver();
    expect(b.host.syncStats()!.rx.wrongSyncid).toBe(1);
    expect(b.host.engine.conns.count).toBe(0);
    masterWithFlows(group, clock, { version: 0, syncid: 7 });
    group.deliver();
    const e = b.host.engine, slot = e.conns.lookupIn(6, CLIENT, 40000, VIP, 80);
    expect(Math.round(e.conns.remaining(slot, clock.t) / 1000)).toBe(900);
  });

  it('ignores its own messages (both roles on one router)', () => {
    const group = new Group(), clock = { t: 1000 };
    masterWithFlows(group, clock, { role: 'both' });
    const m = router(natTable(), group, clock);
    m.host.setSync({ role: 'both', address: MASTER });
    group.deliver();
    expect(m.host.syncStats()!.own).toBe(1);
    expect(m.host.engine.conns.count).toBe(0);
  });

  it('keeps persistence: a new conn of a synced client goes to the server its template names', () => {
    const group = new Group(), clock = { t: 1000 };
    const t = table([service([{ addr: '198.19.0.11' }, { addr: '198.19.0.12' }], { persistence: 600 })]);
    const m = router(t, group, clock), b = router(t, group, clock);
    m.host.setSync({ role: 'master', address: MASTER });
    b.host.setSync({ role: 'backup', address: BACKUP });
    const other = buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: ip('198.18.0.200'), dst: VIP, sport: 1000, dport: 80, flags: SYN });
    // Another client takes rs2 (rr's first pick); this one lands on rs1 and is synced.
    send(m, [[0, other], [0, fromClient(SYN)], [0, fromClient(ACK)], [0, fromClient(ACK)]]);
    m.host.tick();
    group.deliver();
    const [[, f]] = send(b, [[0, fromClient(SYN, 40100)]]);
    expect(f.subarray(30, 34)).toEqual(Uint8Array.from([198, 19, 0, 11]));
    const tpl = b.host.engine.conns.lookupTemplate(6, CLIENT, VIP, 80);
    expect(Math.round(b.host.engine.conns.remaining(tpl, clock.t) / 1000)).toBe(600);
  });

  it('a firewall-mark service: conn and template carry the mark, and the backup finds the service by it', () => {
    const group = new Group(), clock = { t: 1000 };
    const t = buildTable({
      services: [service([{ addr: '198.19.0.11', port: 0 }, { addr: '198.19.0.12', port: 0 }], { address: 0, port: 0, fwmark: 80, persistence: 300 })],
      addresses: [{ address: VIP, prefixLen: 24, device: 'eth0', role: 'vip' }, { address: NAT_ROUTER, prefixLen: 24, device: 'eth1', role: 'nat_router' }],
      marks: [443, 80].map((port) => ({ protocol: 'tcp' as const, address: VIP, prefixLen: 32, portLo: port, portHi: port, mark: 80, origin: 'test' })),
    });
    const to443 = (flags: number, sport: number) => buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport, dport: 443, flags });
    const m = router(t, group, clock), b = router(t, group, clock);
    m.host.setSync({ role: 'master', address: MASTER });
    b.host.setSync({ role: 'backup', address: BACKUP });
    const other = buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: ip('198.18.0.200'), dst: VIP, sport: 1000, dport: 443, flags: SYN });
    send(m, [[0, other], [0, to443(SYN, 40000)], [0, to443(ACK, 40000)], [0, to443(ACK, 40000)]]);
    m.host.tick();
    const [conn, tpl] = conns(group);
    expect([conn.fwmark, conn.daddr, conn.dport, tpl.fwmark, tpl.protocol, tpl.vaddr]).toEqual([80, RS1, 443, 80, 0, 80]);
    group.deliver();
    expect(b.host.syncStats()!.imported.created).toBe(2);
    const [[, f]] = send(b, [[0, to443(ACK, 40000)]]);
    expect(f.subarray(30, 34)).toEqual(Uint8Array.from([198, 19, 0, 11]));
  });

  it('a UDP flow follows too', () => {
    const group = new Group(), clock = { t: 1000 };
    const t = table([service([{ addr: '198.19.0.11', port: 53 }, { addr: '198.19.0.12', port: 53 }], { protocol: 'udp', port: 53 })]);
    const dns = (sport: number) => buildUdp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport, dport: 53 });
    const m = router(t, group, clock), b = router(t, group, clock);
    m.host.setSync({ role: 'master', address: MASTER });
    b.host.setSync({ role: 'backup', address: BACKUP });
    send(m, [[0, dns(5000)], [0, dns(5001)], [0, dns(5001)], [0, dns(5001)]]);
    m.host.tick();
    group.deliver();
    const [[, f]] = send(b, [[0, dns(5001)]]);
    expect(f.subarray(30, 34)).toEqual(Uint8Array.from([198, 19, 0, 11]));
  });
});

describe('connection sync: what the backup refuses', () => {
  it('skips and counts conns of an unknown service or real server', () => {
    const group = new Group(), clock = { t: 1000 };
    const other = table([service([{ addr: '198.19.0.11', port: 8080 }], { port: 8080 })]);
    const b = router(other, group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    masterWithFlows(group, clock);
    group.deliver();
    expect(b.host.syncStats()!.imported).toMatchObject({ created: 0, noService: 2 });

    const c = router(table([service([{ addr: '198.19.0.11', port: 8080 }])]), group, clock);
    c.host.setSync({ role: 'backup', address: BACKUP });
    masterWithFlows(group, clock);
    group.deliver();
    // 40001 is on rs1, which c has; 40000 is on rs2, which it does not.
    expect(c.host.syncStats()!.imported).toMatchObject({ created: 1, noServer: 1 });
    // The unknown service is given up at once; the unknown server may be one the checks have not admitted yet.
    expect([c.host.memory.host[H_SYNC_RX_SKIPPED], c.host.memory.host[H_SYNC_RX_WAITING]]).toEqual([0, 1]);
  });

  it('a conn to a server the table lacks yet waits, and binds when a new version brings the server (a restarted router whose checks pass after the resync)', () => {
    const group = new Group(), clock = { t: 1000 };
    const onlyRs1 = table([service([{ addr: '198.19.0.11', port: 8080 }])]);
    const b = router(onlyRs1, group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    masterWithFlows(group, clock);
    group.deliver();
    expect(b.host.syncStats()!.waiting).toMatchObject({ now: 1, bound: 0 });
    // The flow on rs2 is unknown here: a mid-flow ACK is reset.
    expect(send(b, [[0, fromClient(ACK, 40000)]]).map(([, f]) => f[14 + 20 + 13])).toEqual([0x04]);

    clock.t += 2000;
    b.host.apply(diffTables(onlyRs1, natTable()));
    expect(b.host.syncStats()!.waiting).toMatchObject({ now: 0, bound: 1 });
    expect(b.host.memory.host[H_SYNC_RX_CONNS]).toBe(2);
    // Its timeout is the master's, less the time it waited (900 s sent, 2 s waited).
    const slot = b.host.engine.conns.lookupIn(6, CLIENT, 40000, VIP, 80);
    expect(b.host.engine.conns.timeoutOf(slot)).toBe(898_000);
    addNeighbours(b.host.engine, natTable());
    // Taken over, the flow goes on to rs2, as the master had it.
    const [[itf, f]] = send(b, [[0, fromClient(ACK, 40000)]]);
    expect([itf, formatIPv4((f[30] << 24 | f[31] << 16 | f[32] << 8 | f[33]) >>> 0)]).toEqual([1, '198.19.0.12']);
  });

  it('a waiting conn whose server never comes is given up after its timeout, and counted as skipped', () => {
    const group = new Group(), clock = { t: 1000 };
    const b = router(table([service([{ addr: '198.19.0.11', port: 8080 }])]), group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    masterWithFlows(group, clock);
    group.deliver();
    clock.t += 899_000;
    b.host.tick();
    expect(b.host.syncStats()!.waiting).toMatchObject({ now: 1, expired: 0 });
    clock.t += 2000;
    b.host.tick();
    expect(b.host.syncStats()!.waiting).toMatchObject({ now: 0, expired: 1 });
    expect([b.host.memory.host[H_SYNC_RX_SKIPPED], b.host.memory.host[H_SYNC_RX_WAITING]]).toEqual([1, 0]);
  });

  it('a waiting message older than the conn the table has by now does not overwrite it', () => {
    const group = new Group(), clock = { t: 1000 };
    const onlyRs1 = table([service([{ addr: '198.19.0.11', port: 8080 }])]);
    const b = router(onlyRs1, group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    masterWithFlows(group, clock);
    group.deliver();
    // The partner's newer word on the flow (the client closed) waits beside the older one; the newer binds first.
    const c: SyncConn = { protocol: 6, caddr: CLIENT, cport: 40000, vaddr: VIP, vport: 80, daddr: RS2, dport: 8080, flags: IP_VS_CONN_F_INACTIVE, state: TCP_S_CLOSE_WAIT, fwmark: 0, timeout: 60 };
    const w = new SyncWriter(new Uint8Array(2000));
    w.add(c);
    b.host.receiveSync(w.finish(), MASTER);
    expect(b.host.syncStats()!.waiting.now).toBe(2);
    b.host.apply(diffTables(onlyRs1, natTable()));
    expect(b.host.syncStats()!.waiting.now).toBe(0);
    const slot = b.host.engine.conns.lookupIn(6, CLIENT, 40000, VIP, 80);
    expect(b.host.engine.conns.stateOf(slot)).toBe(TCP_S_CLOSE_WAIT);
  });

  it('counts garbage and truncated messages, never throws, and keeps what came before a bad conn', () => {
    const group = new Group(), clock = { t: 1000 };
    const b = router(natTable(), group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    b.host.receiveSync(Uint8Array.from([1, 2, 3]), OTHER);
    b.host.receiveSync(new Uint8Array(200).fill(0xff), OTHER);
    const w = new SyncWriter(new Uint8Array(2000));
    const c: SyncConn = { protocol: 6, caddr: CLIENT, cport: 40000, vaddr: VIP, vport: 80, daddr: RS1, dport: 8080, flags: 0, state: 1, fwmark: 0, timeout: 900 };
    w.add(c);
    w.add({ ...c, cport: 40001 });
    const msg = w.finish().slice();
    msg[8 + 36] = 0xee; // the second conn's type byte: malformed
    b.host.receiveSync(msg, OTHER);
    const rx = b.host.syncStats()!.rx;
    expect([rx.badLength, rx.malformed]).toEqual([2, 1]);
    expect(b.host.memory.host[H_SYNC_RX_BAD]).toBe(3);
    expect(b.host.engine.conns.lookupIn(6, CLIENT, 40000, VIP, 80)).not.toBe(0);
    expect(b.host.engine.conns.lookupIn(6, CLIENT, 40001, VIP, 80)).toBe(0);
  });
});

describe('connection sync: authenticated (ha_key_file)', () => {
  const key = new TextEncoder().encode('the-routers-shared-sync-secret');
  const auth = { key };

  it('a keyed master seals each message (IPVS message + 32 bytes); a keyed backup opens it and creates the conns', () => {
    const group = new Group(), clock = { t: 1000 };
    const b = router(natTable(), group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP, auth });
    masterWithFlows(group, clock, { auth });
    const [{ bytes }] = group.sent;
    // The IPVS message in front is intact: its size field says where the trailer starts.
    expect(bytes.length).toBe(((bytes[2] << 8) | bytes[3]) + AUTH_TRAILER_BYTES);
    expect(bytes.subarray(bytes.length - 32, bytes.length - 28)).toEqual(Uint8Array.of(0x54, 0x53, 0x56, 0x41));
    group.deliver();
    expect(b.host.syncStats()!.imported).toMatchObject({ created: 2 });
    const h = b.host.memory.host;
    expect([h[H_SYNC_AUTH_OK], h[H_SYNC_AUTH_UNAUTHENTICATED], h[H_SYNC_AUTH_FORGED], h[H_SYNC_AUTH_REPLAYED]]).toEqual([1, 0, 0, 0]);
  });

  it('drops and counts a plain IPVS message, a forged one and a replayed one; none of their conns is created', () => {
    const group = new Group(), clock = { t: 1000 };
    const b = router(natTable(), group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP, auth });
    // A plain (kernel or unkeyed tsvs) master.
    masterWithFlows(group, clock);
    // A master with another key.
    masterWithFlows(group, clock, { auth: { key: new TextEncoder().encode('somebody-elses-sync-secret') } });
    group.deliver();
    expect(b.host.engine.conns.count).toBe(0);
    // A good message, then the same bytes again (recorded and replayed).
    masterWithFlows(group, clock, { auth });
    const good = group.sent[0].bytes.slice();
    group.deliver();
    expect(b.host.engine.conns.count).toBe(2);
    b.host.receiveSync(good, MASTER);
    const h = b.host.memory.host;
    expect([h[H_SYNC_AUTH_OK], h[H_SYNC_AUTH_UNAUTHENTICATED], h[H_SYNC_AUTH_FORGED], h[H_SYNC_AUTH_REPLAYED]]).toEqual([1, 1, 1, 1]);
    expect(b.host.syncStats()!.imported.created).toBe(2);
  });

  it('a backup without the key drops sealed messages as IPVS does: the size field does not match the datagram', () => {
    const group = new Group(), clock = { t: 1000 };
    const b = router(natTable(), group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    masterWithFlows(group, clock, { auth });
    group.deliver();
    expect(b.host.syncStats()!.rx.badLength).toBe(1);
    expect(b.host.engine.conns.count).toBe(0);
  });

  it('keeps its counter and windows across role changes: a message heard as backup is still a replay after becoming master and back', () => {
    const group = new Group(), clock = { t: 1000 };
    const b = router(natTable(), group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP, auth });
    masterWithFlows(group, clock, { auth });
    const good = group.sent[0].bytes.slice();
    group.deliver();
    b.host.setSync({ role: 'master', address: BACKUP, auth });
    b.host.setSync({ role: 'backup', address: BACKUP, auth });
    b.host.receiveSync(good, MASTER);
    expect(b.host.memory.host[H_SYNC_AUTH_REPLAYED]).toBe(1);
  });
});

describe('connection sync: SYN-proxied connections', () => {
  const proxyTable = () => table([service([{ addr: '198.19.0.11', port: 8080 }])], {}, { synProxy: 3 });
  const SERVER_ISN = 0x70000000;
  const tcpField = (f: Uint8Array, at: number) => ((f[34 + at] << 24) | (f[34 + at + 1] << 16) | (f[34 + at + 2] << 8) | f[34 + at + 3]) >>> 0;
  const client = (flags: number, seq: number, ack: number, payload?: Uint8Array) =>
    buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 40000, dport: 80, flags, seq, ack, payload });
  const server = (flags: number, seq: number, ack: number) =>
    buildTcp({ srcMac: rsMac(RS1), dstMac: ETH1_MAC, src: RS1, dst: CLIENT, sport: 8080, dport: 40000, flags, seq, ack });

  /** A master whose proxy completed a handshake with the client (cookie) and the server (SERVER_ISN); returns the cookie. */
  function proxied(group: Group, clock: { t: number }) {
    const m = router(proxyTable(), group, clock);
    m.host.setSync({ role: 'master', address: MASTER });
    const [[, synack]] = send(m, [[0, client(SYN, 100, 0)]]);
    const cookie = tcpField(synack, 4);
    send(m, [[0, client(ACK, 101, cookie + 1)]]); // the cookie checks: a SYN goes to the server
    send(m, [[1, server(SYN | ACK, SERVER_ISN, 101)]]); // its SYN-ACK becomes the router's ACK
    for (let k = 0; k < 3; k++) send(m, [[0, client(ACK, 101, cookie + 1)]]);
    m.host.tick();
    return { m, cookie };
  }

  it("a backup that takes over translates the proxied connection's sequence numbers as the master did", () => {
    const group = new Group(), clock = { t: 1000 };
    const b = router(proxyTable(), group, clock);
    b.host.setSync({ role: 'backup', address: BACKUP });
    const { m, cookie } = proxied(group, clock);
    expect(m.host.engine.counters.snapshot().synproxy_conns).toBe(1);
    const sent = conns(group).filter((c) => c.cport === 40000);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.at(-1)!.outSeq).toEqual({ initSeq: 0, delta: (cookie - SERVER_ISN) | 0, previousDelta: (cookie - SERVER_ISN) | 0 });
    group.deliver();

    // The client's ACK (in the cookie's numbering) reaches the server in its own; the server's data comes back in the cookie's.
    const [[itf, toServer]] = send(b, [[0, client(ACK, 101, cookie + 1)]]);
    expect([itf, tcpField(toServer, 8)]).toEqual([1, SERVER_ISN + 1]);
    const [[itf2, toClient]] = send(b, [[1, server(ACK | 0x08, SERVER_ISN + 1, 101)]]);
    expect([itf2, tcpField(toClient, 4)]).toEqual([0, (cookie + 1) >>> 0]);
  });

  it('sends no offset for a connection whose server has not answered yet (the delta is still the cookie)', () => {
    const group = new Group(), clock = { t: 1000 };
    const m = router(proxyTable(), group, clock);
    m.host.setSync({ role: 'master', address: MASTER });
    const [[, synack]] = send(m, [[0, client(SYN, 100, 0)]]);
    const cookie = tcpField(synack, 4);
    for (let k = 0; k < 3; k++) send(m, [[0, client(ACK, 101, cookie + 1)]]);
    m.host.tick();
    const sent = conns(group).filter((c) => c.cport === 40000);
    expect(sent.every((c) => c.outSeq === undefined)).toBe(true);
  });
});
