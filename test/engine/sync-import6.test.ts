// A backup engine taking IPv6 conns of sync messages (engine/sync-import.ts):
// created with their full addresses and bound to the IPv6 dest the message
// names, forwarded when the client's next packet comes (NAT both ways), updated
// by later messages, replaced when the master moved the tuple to another
// server, and refused (counted) where the engine has no such service.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { IMPORTED, IMPORT_NO_SERVER, IMPORT_SKIPPED, importSyncConn, newSyncImportStats, syncConnInTable } from '../../src/engine/sync-import.js';
import { CONN_F_APP, CONN_F_INACTIVE, CONN_F_NAT, CONN_F_SEQ_ADJUST, CONN_F_SYNC } from '../../src/conn/flags.js';
import { N_FTP_DATA_CONNS } from '../../src/engine/counters.js';
import { A6 } from '../../src/conn/table.js';
import { TCP_S_ESTABLISHED } from '../../src/conn/tcp-states.js';
import { VERDICT_TX } from '../../src/frames/batch.js';
import { DEFAULT_SWITCHES, formatIPv6Words, ipv6Words, type ServiceTable } from '../../src/model/index.js';
import { foldWords6 } from '../../src/packet/ipv6.js';
import { l4ChecksumOk6 } from '../../src/packet/checksum.js';
import { IP_VS_CONN_F_INACTIVE, IP_VS_CONN_F_MASQ, type SyncConn } from '../../src/sync/wire.js';
import { frame6, icmp6Msg, ndBody, tcpSeg } from '../packet/helpers6.js';
import { ETH0_MAC, ETH1_MAC, hex, run, service, table } from './helpers.js';

const VIP6 = '2001:2:0:1::10';
const CLIENT6 = '2001:2:0:1::100';
const RS1 = '2001:2:0:2::11';
const RS2 = '2001:2:0:2::12';
const CLIENT_MAC = [0x02, 0xc1, 0, 0, 0, 0x01];
const RS_MAC = (k: number): number[] => [0x02, 0x52, 0, 0, 0, k];
const ACK = 0x10;

function table6(port = 80, rport = 8080): ServiceTable {
  return {
    version: 1, marks: [], switches: DEFAULT_SWITCHES, timeouts: { tcp: 0, tcpfin: 0, udp: 0 },
    services: [{
      name: 'web6', protocol: 'tcp', address: 0, address6: VIP6, port, fwmark: 0, scheduler: 'rr', schedFlags: [],
      persistence: 0, persistMask: 0xffffffff, onePacket: false,
      servers: [RS1, RS2].map((s) => ({ name: s, address: 0, address6: s, port: rport, weight: 1, forward: 'nat' as const, upperThreshold: 0, lowerThreshold: 0 })),
    }],
    addresses: [
      { address: 0, address6: VIP6, prefixLen: 64, device: 'eth0', role: 'vip' },
      { address: 0, address6: '2001:2:0:2::1', prefixLen: 64, device: 'eth1', role: 'nat_router' },
    ],
  };
}

function backup(t = table6()): Engine {
  const e = new Engine({ interfaces: [{ name: 'eth0', mac: ETH0_MAC }, { name: 'eth1', mac: ETH1_MAC }], table: t, connCapacity: 256 });
  [RS1, RS2].forEach((s, k) => run(e, frame6({ src: s, dst: 'ff02::1', hop: 255, proto: 58, srcMac: RS_MAC(k + 1), dstMac: [0x33, 0x33, 0, 0, 0, 1],
    l4: icmp6Msg(136, 0, ndBody(0x20, s, [2, 1, ...RS_MAC(k + 1)])) }), 1));
  return e;
}

/** A v1 message's IPv6 conn as the parser hands it. */
function conn6(server: string, o: Partial<SyncConn> = {}): SyncConn {
  const a = new Int32Array(12);
  a.set(ipv6Words(CLIENT6), 0);
  a.set(ipv6Words(VIP6), 4);
  a.set(ipv6Words(server), 8);
  return {
    protocol: 6, addr6: a, caddr: foldWords6(a, 0), cport: 40000, vaddr: foldWords6(a, 4), vport: 80, daddr: foldWords6(a, 8), dport: 8080,
    flags: IP_VS_CONN_F_MASQ, state: TCP_S_ESTABLISHED, fwmark: 0, timeout: 900, ...o,
  };
}

const key = () => { const a = new Int32Array(8); a.set(ipv6Words(CLIENT6), 0); a.set(ipv6Words(VIP6), 4); return a; };
const slotOf = (e: Engine) => e.conns.lookupIn6(6, key(), 40000, 80);
const destOf6 = (e: Engine, slot: number) => formatIPv6Words(e.conns.addr6, slot * A6 + 8);
const addrAt = (f: Uint8Array, at: number) => formatIPv6Words(Int32Array.from([0, 1, 2, 3], (k) => new DataView(f.buffer, f.byteOffset).getInt32(at + 4 * k)));

describe('sync import of IPv6 conns', () => {
  it('creates the conn with its addresses, bound to the named server (not rr\'s pick), and forwards the flow both ways', () => {
    const e = backup();
    const stats = newSyncImportStats();
    // rr would pick rs2 first: the conn says rs1.
    expect(importSyncConn(e, conn6(RS1), 1, stats, 1000)).toBe(IMPORTED);
    expect(stats.created).toBe(1);
    const slot = slotOf(e);
    expect(slot).not.toBe(0);
    expect(destOf6(e, slot)).toBe(RS1);
    expect(e.conns.flagsOf(slot) & (CONN_F_SYNC | CONN_F_NAT)).toBe(CONN_F_SYNC | CONN_F_NAT);
    expect(e.conns.stateOf(slot)).toBe(TCP_S_ESTABLISHED);
    expect(Math.round(e.conns.remaining(slot, 1000) / 1000)).toBe(900);
    expect(e.conns.peer[slot]).toBe(0); // no client MAC in a sync message
    expect(syncConnInTable(e, conn6(RS1), 1)).toBe(true);

    const fwd = run(e, frame6({ src: CLIENT6, dst: VIP6, proto: 6, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: tcpSeg(40000, 80, ACK, [1]) }), 0);
    expect([fwd.verdict, fwd.ifOut, addrAt(fwd.frame, 38)]).toEqual([VERDICT_TX, 1, RS1]);
    expect(hex(fwd.frame.subarray(0, 6))).toBe(hex(Uint8Array.from(RS_MAC(1))));
    const back = run(e, frame6({ src: RS1, dst: CLIENT6, proto: 6, hop: 64, srcMac: RS_MAC(1), dstMac: [...ETH1_MAC], l4: tcpSeg(8080, 40000, ACK, [2]) }), 1);
    expect([back.verdict, back.ifOut, addrAt(back.frame, 22)]).toEqual([VERDICT_TX, 0, VIP6]);
    expect(hex(back.frame.subarray(0, 6))).toBe(hex(Uint8Array.from(CLIENT_MAC)));
  });

  it('a later message updates the conn it finds by its full addresses: activity and the server\'s counts', () => {
    const e = backup();
    const stats = newSyncImportStats();
    importSyncConn(e, conn6(RS1), 1, stats, 1000);
    const slot = slotOf(e), d = e.conns.destOf(slot), dests = e.services.dests;
    expect([dests.active[d], dests.inactive[d]]).toEqual([1, 0]);
    expect(importSyncConn(e, conn6(RS1, { flags: IP_VS_CONN_F_MASQ | IP_VS_CONN_F_INACTIVE, timeout: 120 }), 1, stats, 2000)).toBe(IMPORTED);
    expect(stats).toMatchObject({ created: 1, updated: 1 });
    expect(slotOf(e)).toBe(slot);
    expect(e.conns.flagsOf(slot) & CONN_F_INACTIVE).toBe(CONN_F_INACTIVE);
    expect([dests.active[d], dests.inactive[d]]).toEqual([0, 1]);
  });

  it('the master moved the tuple to another server: the conn is replaced; the old server\'s last (inactive) word is stale', () => {
    const e = backup();
    const stats = newSyncImportStats();
    importSyncConn(e, conn6(RS1), 1, stats, 1000);
    expect(importSyncConn(e, conn6(RS2), 1, stats, 1100)).toBe(IMPORTED);
    expect(destOf6(e, slotOf(e))).toBe(RS2);
    expect(importSyncConn(e, conn6(RS1, { flags: IP_VS_CONN_F_MASQ | IP_VS_CONN_F_INACTIVE }), 1, stats, 1200)).toBe(IMPORT_SKIPPED);
    expect(stats).toMatchObject({ created: 2, stale: 1 });
    expect(destOf6(e, slotOf(e))).toBe(RS2);
  });

  it('waits for a server the table lacks; skips a conn of no service, and any IPv6 conn on an IPv4-only engine', () => {
    const e = backup();
    const stats = newSyncImportStats();
    expect(importSyncConn(e, conn6('2001:2:0:2::99'), 1, stats, 1000)).toBe(IMPORT_NO_SERVER);
    expect(importSyncConn(e, conn6(RS1, { vport: 443 }), 1, stats, 1000)).toBe(IMPORT_SKIPPED);
    expect(stats).toMatchObject({ noServer: 1, noService: 1, created: 0 });
    const e4 = new Engine({ interfaces: [{ name: 'eth0', mac: ETH0_MAC }, { name: 'eth1', mac: ETH1_MAC }], table: table([service([{ addr: '198.19.0.11' }])]), connCapacity: 64 });
    expect(importSyncConn(e4, conn6(RS1), 1, stats, 1000)).toBe(IMPORT_SKIPPED);
    expect(syncConnInTable(e4, conn6(RS1), 1)).toBe(false);
    expect(stats.noService).toBe(2);
  });

  it('an FTP control connection gets IPv6\'s helper on the backup: a client\'s EPRT after the takeover opens the data connection', () => {
    const e = backup(table6(21, 21));
    expect(importSyncConn(e, conn6(RS1, { vport: 21, dport: 21 }), 1, newSyncImportStats(), 1000)).toBe(IMPORTED);
    const a = key();
    const ctl = e.conns.lookupIn6(6, a, 40000, 21);
    expect(e.conns.flagsOf(ctl) & CONN_F_APP).toBe(CONN_F_APP);
    const eprt = [...Buffer.from(`EPRT |2|${CLIENT6}|50123|\r\n`, 'latin1')];
    const out = run(e, frame6({ src: CLIENT6, dst: VIP6, proto: 6, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: tcpSeg(40000, 21, ACK | 0x08, eprt) }), 0);
    expect([out.verdict, addrAt(out.frame, 38)]).toEqual([VERDICT_TX, RS1]);
    expect(e.counters.n[N_FTP_DATA_CONNS]).toBe(1);
    expect(e.conns.lookupIn6(6, a, 50123, 20)).not.toBe(0);
  });

  it('a connection the master\'s SYN proxy opened keeps its sequence offset on a backup with syn_proxy set: acks and seqs translated', () => {
    const e = backup({ ...table6(), switches: { ...DEFAULT_SWITCHES, synProxy: 1 } });
    const delta = 0x12345678;
    expect(importSyncConn(e, conn6(RS1, { outSeq: { initSeq: 0, delta, previousDelta: delta } }), 1, newSyncImportStats(), 1000)).toBe(IMPORTED);
    const slot = slotOf(e);
    expect(e.conns.flagsOf(slot) & CONN_F_SEQ_ADJUST).toBe(CONN_F_SEQ_ADJUST);
    const seg = (sport: number, dport: number, seq: number, ack: number) => {
      const l4 = tcpSeg(sport, dport, ACK | 0x08, [7]);
      new DataView(l4.buffer).setUint32(4, seq >>> 0);
      new DataView(l4.buffer).setUint32(8, ack >>> 0);
      return l4;
    };
    const u32 = (f: Uint8Array, at: number) => new DataView(f.buffer, f.byteOffset).getUint32(at);
    const fwd = run(e, frame6({ src: CLIENT6, dst: VIP6, proto: 6, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: seg(40000, 80, 101, 0x20000000) }), 0);
    expect([fwd.verdict, u32(fwd.frame, 54 + 4), u32(fwd.frame, 54 + 8)]).toEqual([VERDICT_TX, 101, (0x20000000 - delta) >>> 0]);
    const back = run(e, frame6({ src: RS1, dst: CLIENT6, proto: 6, hop: 64, srcMac: RS_MAC(1), dstMac: [...ETH1_MAC], l4: seg(8080, 40000, 5000, 102) }), 1);
    expect([back.verdict, u32(back.frame, 54 + 4), u32(back.frame, 54 + 8)]).toEqual([VERDICT_TX, (5000 + delta) >>> 0, 102]);
    expect(l4ChecksumOk6(back.frame, 14, 54, back.frame.length - 54, 6)).toBe(true);
  });
});
