// IPv6 conns in the sync wire format against golden bytes written by hand from
// the kernel's struct ip_vs_sync_v6 (ip_vs_sync.c): type bit 0 (STYPE_F_INET6),
// the fields of ip_vs_sync_v4 to the timeout, then caddr, vaddr, daddr as
// 16-byte struct in6_addr; 72 bytes before any option. v0 has no IPv6: a v0
// master leaves such conns out (ip_vs_sync_conn_v0 returns for cp->af != AF_INET).
import { describe, expect, it } from 'vitest';
import { prng } from '../packet/helpers.js';
import * as tcp from '../../src/conn/tcp-states.js';
import { ipv6Words, parseIPv4 } from '../../src/model/index.js';
import { foldWords6 } from '../../src/packet/ipv6.js';
import {
  IP_VS_CONN_F_DROUTE, IP_VS_CONN_F_INACTIVE, IP_VS_CONN_F_MASQ, IP_VS_CONN_F_TEMPLATE, newSyncRxStats, parseSyncMessage,
  SyncWriter, V1_HDR_SIZE, V1_MAX_V6_CONN, type SyncConn,
} from '../../src/sync/wire.js';

const hex = (s: string) => Uint8Array.from(s.replace(/#[^\n]*/g, '').trim().split(/\s+/).map((h) => parseInt(h, 16)));

/** SyncConn.addr6 of client, VIP and server. */
function addr6(c: string, v: string, d: string): Int32Array {
  const a = new Int32Array(12);
  a.set(ipv6Words(c), 0);
  a.set(ipv6Words(v), 4);
  a.set(ipv6Words(d), 8);
  return a;
}

/** An IPv6 conn as the parser hands it: caddr..daddr hold the folds. */
function conn6(a: Int32Array, c: Omit<SyncConn, 'caddr' | 'vaddr' | 'daddr' | 'addr6'>): SyncConn {
  return { ...c, addr6: a, caddr: foldWords6(a, 0), vaddr: foldWords6(a, 4), daddr: foldWords6(a, 8) };
}

/** A plain copy of what the parser hands over (it reuses one record and one address array). */
const copy = (c: SyncConn) => ({ ...c, addr6: c.addr6 && [...c.addr6], inSeq: c.inSeq && { ...c.inSeq }, outSeq: c.outSeq && { ...c.outSeq } });

const A = addr6('2001:2:0:1::10', '2001:2:0:2::1', '2001:2:0:3::2');
const nat6 = conn6(A, {
  protocol: 6, cport: 40000, vport: 80, dport: 8080, flags: IP_VS_CONN_F_MASQ, state: tcp.TCP_S_ESTABLISHED, fwmark: 0, timeout: 900,
});
// The persistence template of the same client and service: no client port, its own state (IP_VS_CTPL_S_NONE).
const tpl6 = conn6(A, { protocol: 6, cport: 0, vport: 80, dport: 8080, flags: IP_VS_CONN_F_TEMPLATE, state: 0, fwmark: 0, timeout: 360 });
const drUdp4: SyncConn = {
  protocol: 17, caddr: parseIPv4('198.18.0.5')!, cport: 5353, vaddr: parseIPv4('198.18.1.2')!, vport: 53, daddr: parseIPv4('198.18.2.3')!,
  dport: 53, flags: IP_VS_CONN_F_DROUTE | IP_VS_CONN_F_INACTIVE, state: 0, fwmark: 0, timeout: 300,
};

const CADDR = '20 01 00 02 00 00 00 01  00 00 00 00 00 00 00 10';
const VADDR = '20 01 00 02 00 00 00 02  00 00 00 00 00 00 00 01';
const DADDR = '20 01 00 02 00 00 00 03  00 00 00 00 00 00 00 02';
const GOLDEN = hex(`
  00 05 00 bc  03 01 00 00       # reserved 0, syncid 5, size 188 | nr_conns 3, version 1, spare 0
  01 06 00 48  00 00 00 00       # type 1 (STYPE_F_INET6), TCP, ver 0 size 72 | flags MASQ
  00 01 9c 40  00 50 1f 90       # state ESTABLISHED, cport 40000 | vport 80, dport 8080
  00 00 00 00  00 00 03 84       # fwmark 0 | timeout 900 s
  ${CADDR}                       # caddr 2001:2:0:1::10
  ${VADDR}                       # vaddr 2001:2:0:2::1
  ${DADDR}                       # daddr 2001:2:0:3::2
  01 06 00 48  00 00 10 00       # type 1, TCP, size 72 | flags TEMPLATE
  00 00 00 00  00 50 1f 90       # state CTPL_S_NONE, cport 0 | vport 80, dport 8080
  00 00 00 00  00 00 01 68       # fwmark 0 | timeout 360 s
  ${CADDR} ${VADDR} ${DADDR}
  00 11 00 24  00 00 01 03       # type 0 (IPv4), UDP, size 36 | flags DROUTE|INACTIVE
  00 00 14 e9  00 35 00 35       # state NORMAL, cport 5353 | vport 53, dport 53
  00 00 00 00  00 00 01 2c       # fwmark 0 | timeout 300 s
  c6 12 00 05  c6 12 01 02  c6 12 02 03   # caddr, vaddr, daddr
`);

function write(conns: SyncConn[], o: { version?: 0 | 1; syncid?: number } = {}) {
  const w = new SyncWriter(new Uint8Array(65535), o);
  for (const c of conns) expect(w.add(c)).toBe(true);
  return { m: w.finish().slice(), w };
}

function parse(m: Uint8Array) {
  const stats = newSyncRxStats();
  const conns: ReturnType<typeof copy>[] = [];
  parseSyncMessage(m, (c) => conns.push(copy(c)), stats);
  return { conns, stats };
}

describe('sync wire: IPv6 conns (struct ip_vs_sync_v6)', () => {
  it('v1: an IPv6 conn, its template and an IPv4 conn, byte for byte', () => {
    expect(GOLDEN.length).toBe(188);
    expect([...write([nat6, tpl6, drUdp4], { syncid: 5 }).m]).toEqual([...GOLDEN]);
  });

  it('v1: a backup reads every field back, the addresses whole and their folds beside them', () => {
    const { conns, stats } = parse(GOLDEN);
    expect(conns).toEqual([copy(nat6), copy(tpl6), copy(drUdp4)]);
    expect(conns[2].addr6).toBeUndefined();
    expect(stats).toMatchObject({ messages: 1, conns: 3, ipv6: 2, malformed: 0, skipped: 0, truncated: 0 });
  });

  it('v1: an IPv6 conn with sequence data has its option after the 72 bytes', () => {
    const c = { ...nat6, outSeq: { initSeq: 0x01020304, delta: 7, previousDelta: 0 } };
    const { m } = write([c]);
    expect(m.length).toBe(8 + 72 + 2 + 24);
    expect([...m.subarray(8, 12)]).toEqual([1, 6, 0, 72 + 26]);
    expect([...m.subarray(80, 82)]).toEqual([1, 24]); // IPVS_OPT_SEQ_DATA, 24
    expect(parse(m).conns[0]).toMatchObject({ addr6: [...A], outSeq: { initSeq: 0x01020304, delta: 7 } });
  });

  it('v1: a message is cut before an IPv6 conn that would pass maxlen', () => {
    const w = new SyncWriter(new Uint8Array(2000), { maxlen: 8 + 72 + 71 });
    expect(w.add(nat6)).toBe(true);
    expect(w.add(nat6)).toBe(false);
    expect(w.size).toBe(80);
  });

  it('the writer needs room for the longest IPv6 conn', () => {
    expect(() => new SyncWriter(new Uint8Array(V1_HDR_SIZE + V1_MAX_V6_CONN - 1), { maxlen: 100 })).toThrow(RangeError);
    expect(() => new SyncWriter(new Uint8Array(V1_HDR_SIZE + V1_MAX_V6_CONN), { maxlen: 100 })).not.toThrow();
  });

  it('v0: IPv6 conns are left out and counted; the IPv4 conn goes as before', () => {
    const { m, w } = write([nat6, drUdp4, tpl6], { version: 0 });
    expect(w.v6Skipped).toBe(2);
    expect(m[0]).toBe(1); // nr_conns
    expect(m.length).toBe(4 + 24);
    expect(parse(m).conns).toMatchObject([{ protocol: 17, caddr: drUdp4.caddr, addr6: undefined }]);
  });

  it('a type with bit 0 and other bits is read as IPv6, as the kernel tests only STYPE_F_INET6', () => {
    const m = GOLDEN.slice();
    m[8] = 3;
    expect(parse(m).stats).toMatchObject({ conns: 3, ipv6: 2, malformed: 0 });
  });
});

describe('sync wire: IPv6 fuzz', () => {
  it('mutations of the IPv6 golden message: no throw, no read outside the datagram, counts add up', () => {
    const rnd = prng(0x6eed);
    for (let i = 0; i < 3000; i++) {
      let m = GOLDEN.slice();
      for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
      if (rnd() < 0.3) m = m.slice(0, Math.floor(rnd() * m.length));
      if (m.length >= 4 && rnd() < 0.8) { m[2] = m.length >> 8; m[3] = m.length & 255; }
      // The same bytes amid random ones: what lies outside the datagram never matters.
      const around = (): Uint8Array => {
        const big = Uint8Array.from({ length: m.length + 64 }, () => Math.floor(rnd() * 256));
        big.set(m, 32);
        return big.subarray(32, 32 + m.length);
      };
      const a = parse(around()), b = parse(around());
      expect(b).toEqual(a);
      const st = a.stats;
      expect(st.messages + st.badLength + st.wrongSyncid).toBe(1);
      expect(st.conns).toBe(a.conns.length);
      expect(st.ipv6).toBeLessThanOrEqual(st.conns);
      expect(st.truncated + st.malformed).toBeLessThanOrEqual(1);
    }
  });
});
