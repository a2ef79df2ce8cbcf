// The sync wire format against golden bytes written by hand from the kernel's
// structs (ip_vs_sync.c: ip_vs_sync_mesg, ip_vs_sync_v4, ip_vs_sync_mesg_v0,
// ip_vs_sync_conn_v0, ip_vs_sync_conn_options), round trips, full messages,
// the kernel backup's rules for bad input, and a bounded fuzz.
import { describe, expect, it } from 'vitest';
import {
  CONN_F_HASHED, CONN_F_INACTIVE, CONN_F_NAT, CONN_F_NOOUTPUT, CONN_F_ONE_PACKET, CONN_F_SYNC, CONN_F_TEMPLATE,
} from '../../src/conn/flags.js';
import * as tcp from '../../src/conn/tcp-states.js';
import { parseIPv4 } from '../../src/model/index.js';
import { prng } from '../packet/helpers.js';
import {
  IP_VS_CONN_F_BACKUP_MASK, IP_VS_CONN_F_BACKUP_UPD_MASK, IP_VS_CONN_F_DROUTE, IP_VS_CONN_F_HASHED, IP_VS_CONN_F_INACTIVE,
  IP_VS_CONN_F_IN_SEQ, IP_VS_CONN_F_MASQ, IP_VS_CONN_F_NFCT, IP_VS_CONN_F_NOOUTPUT, IP_VS_CONN_F_ONE_PACKET, IP_VS_CONN_F_OUT_SEQ,
  IP_VS_CONN_F_SEQ_MASK, IP_VS_CONN_F_SYNC, IP_VS_CONN_F_TEMPLATE, IP_VS_CONN_F_TUNNEL, kernelFlagsFromTsvs, kernelRxFlags,
  kernelRxUpdateFlags, kernelTxFlags, newSyncRxStats, parseSyncMessage, SYNC_MAXLEN_DEFAULT, syncMaxlen, SyncWriter,
  tsvsFlagsFromKernel, type SyncConn, type SyncParseOptions, type SyncRxStats,
} from '../../src/sync/wire.js';

const ip = (s: string) => parseIPv4(s)!;
const hex = (s: string) => Uint8Array.from(s.replace(/#[^\n]*/g, '').trim().split(/\s+/).map((h) => parseInt(h, 16)));
const deep = (c: SyncConn): SyncConn => JSON.parse(JSON.stringify({ ...c, peData: c.peData && [...c.peData], peName: c.peName && [...c.peName] }));

/** Parses b and returns copies of the conns (the parser reuses one record). */
function parse(b: Uint8Array, opts?: SyncParseOptions, stats: SyncRxStats = newSyncRxStats()) {
  const conns: SyncConn[] = [];
  const versions: number[] = [];
  const n = parseSyncMessage(b, (c, v) => { conns.push(deep(c)); versions.push(v); }, stats, opts);
  return { n, conns, versions, stats };
}

function write(conns: SyncConn[], o: { version?: 0 | 1; syncid?: number; maxlen?: number } = {}): Uint8Array {
  const w = new SyncWriter(new Uint8Array(65535), o);
  for (const c of conns) expect(w.add(c)).toBe(true);
  return w.finish().slice();
}

// A NAT conn that has its TCP sequence numbers adjusted (FTP), and a DR UDP conn of a fwmark service.
const natFtp: SyncConn = {
  protocol: 6, caddr: ip('192.0.2.10'), cport: 40000, vaddr: ip('198.51.100.1'), vport: 80, daddr: ip('10.0.0.2'), dport: 8080,
  flags: IP_VS_CONN_F_MASQ | IP_VS_CONN_F_SEQ_MASK, state: tcp.TCP_S_ESTABLISHED, fwmark: 0, timeout: 900,
  inSeq: { initSeq: 0x11223344, delta: 5, previousDelta: 0 }, outSeq: { initSeq: 0xa0b0c0d0, delta: -3, previousDelta: 2 },
};
const drUdp: SyncConn = {
  protocol: 17, caddr: ip('203.0.113.5'), cport: 5353, vaddr: ip('198.51.100.2'), vport: 53, daddr: ip('10.0.0.3'), dport: 53,
  flags: IP_VS_CONN_F_DROUTE | IP_VS_CONN_F_INACTIVE, state: tcp.UDP_S_NORMAL, fwmark: 16, timeout: 300,
};

const GOLDEN_V1 = hex(`
  00 07 00 6c  02 01 00 00       # reserved 0, syncid 7, size 108 | nr_conns 2, version 1, spare 0
  00 06 00 3e  00 00 06 00       # type 0 (IPv4), TCP, ver 0 size 62 | flags MASQ|IN_SEQ|OUT_SEQ
  00 01 9c 40  00 50 1f 90       # state ESTABLISHED, cport 40000 | vport 80, dport 8080
  00 00 00 00  00 00 03 84       # fwmark 0 | timeout 900 s
  c0 00 02 0a  c6 33 64 01  0a 00 00 02   # caddr, vaddr, daddr
  01 18                          # option SEQ_DATA, length 24
  11 22 33 44  00 00 00 05  00 00 00 00   # in_seq: init_seq, delta 5, previous_delta 0
  a0 b0 c0 d0  ff ff ff fd  00 00 00 02   # out_seq: init_seq, delta -3, previous_delta 2
  00 00                          # pad to 32 bits before the next conn
  00 11 00 24  00 00 01 03       # type 0, UDP, size 36 | flags DROUTE|INACTIVE
  00 00 14 e9  00 35 00 35       # state NORMAL, cport 5353 | vport 53, dport 53
  00 00 00 10  00 00 01 2c       # fwmark 16 | timeout 300 s
  cb 00 71 05  c6 33 64 02  0a 00 00 03   # caddr, vaddr, daddr (the last conn is not padded)
`);

const ftpV0: SyncConn = { ...natFtp, vport: 21, dport: 21, fwmark: 0, timeout: 0 };
const GOLDEN_V0 = hex(`
  01 03 00 34                    # nr_conns 1, syncid 3, size 52
  00 06 9c 40  00 15 00 15       # reserved, TCP, cport 40000 | vport 21, dport 21
  c0 00 02 0a  c6 33 64 01  0a 00 00 02   # caddr, vaddr, daddr
  06 00 00 01                    # flags MASQ|IN_SEQ|OUT_SEQ (be16), state ESTABLISHED (be16)
  44 33 22 11  05 00 00 00  00 00 00 00   # in_seq, memcpy'd in host order (x86: little-endian)
  d0 c0 b0 a0  fd ff ff ff  02 00 00 00   # out_seq
`);

describe('sync wire: golden messages', () => {
  it('v1: two conns, the first with the SEQ option and 2 bytes of padding after it, byte for byte', () => {
    expect([...write([natFtp, drUdp], { syncid: 7 })]).toEqual([...GOLDEN_V1]);
  });

  it('v1: a backup reads back every field of both conns', () => {
    const { n, conns, versions, stats } = parse(GOLDEN_V1);
    expect(n).toBe(2);
    expect(versions).toEqual([1, 1]);
    expect(conns).toEqual([deep(natFtp), deep(drUdp)]);
    expect(stats).toMatchObject({ messages: 1, conns: 2, truncated: 0, malformed: 0, skipped: 0 });
  });

  it('v0: one conn with its sequence block, byte for byte, and read back (no fwmark, no timeout in v0)', () => {
    expect([...write([ftpV0], { version: 0, syncid: 3 })]).toEqual([...GOLDEN_V0]);
    const { conns, versions } = parse(GOLDEN_V0);
    expect(versions).toEqual([0]);
    expect(conns).toEqual([deep(ftpV0)]);
  });

  it('v0: the sequence block can be read and written big-endian, for a big-endian master', () => {
    const w = new SyncWriter(new Uint8Array(2000), { version: 0, v0SeqLittleEndian: false });
    w.add(ftpV0);
    const m = w.finish();
    expect([...m.subarray(28, 32)]).toEqual([0x11, 0x22, 0x33, 0x44]);
    expect(parse(m, { v0SeqLittleEndian: false }).conns[0].inSeq).toEqual(ftpV0.inSeq);
  });

  it('hands over one reused record, so a caller must copy what it keeps', () => {
    const seen: SyncConn[] = [];
    parseSyncMessage(GOLDEN_V1, (c) => seen.push(c), newSyncRxStats());
    expect(seen[0]).toBe(seen[1]);
  });
});

describe('sync wire: writer', () => {
  it('round trips random IPv4 conns in v1 (all fields) and v0 (fwmark and timeout become 0)', () => {
    const rnd = prng(7);
    const u32 = () => Math.floor(rnd() * 2 ** 32);
    const u16 = () => Math.floor(rnd() * 65536);
    const seq = () => ({ initSeq: u32(), delta: u32() | 0, previousDelta: u32() | 0 });
    for (let i = 0; i < 200; i++) {
      const withSeq = rnd() < 0.5;
      const c: SyncConn = {
        protocol: rnd() < 0.5 ? 6 : 17, caddr: u32(), cport: u16(), vaddr: u32(), vport: u16(), daddr: u32(), dport: u16(),
        flags: (rnd() < 0.5 ? IP_VS_CONN_F_MASQ : IP_VS_CONN_F_DROUTE) | (rnd() < 0.5 ? IP_VS_CONN_F_INACTIVE : 0) | (withSeq ? IP_VS_CONN_F_SEQ_MASK : 0),
        state: 0, fwmark: u32(), timeout: u32(), ...(withSeq ? { inSeq: seq(), outSeq: seq() } : {}),
      };
      expect(parse(write([c])).conns).toEqual([deep(c)]);
      expect(parse(write([c], { version: 0 })).conns).toEqual([deep({ ...c, fwmark: 0, timeout: 0 })]);
    }
  });

  it('stops at maxlen: 40 plain v1 conns fill 1472 bytes (1448 used); after reset the refused conn starts the next message', () => {
    const buf = new Uint8Array(SYNC_MAXLEN_DEFAULT);
    const w = new SyncWriter(buf);
    let n = 0;
    while (w.add(drUdp)) n++;
    expect(n).toBe(40);
    const m = w.finish();
    expect(m.length).toBe(8 + 40 * 36);
    expect([m.buffer, m.byteOffset]).toEqual([buf.buffer, 0]); // a view of the caller's buffer, not a copy
    expect(parse(m).n).toBe(40);
    w.reset();
    expect(w.add(drUdp)).toBe(true);
    expect(parse(w.finish()).conns).toEqual([deep(drUdp)]);
  });

  it('counts padding: 22 SEQ conns (62 bytes + 2 of pad) fit in 1472, ending at 1414; v0 fits 61 plain conns', () => {
    const w = new SyncWriter(new Uint8Array(SYNC_MAXLEN_DEFAULT));
    let n = 0;
    while (w.add(natFtp)) n++;
    expect([n, w.size]).toEqual([22, 8 + 21 * 64 + 62]);
    expect(parse(w.finish()).n).toBe(22);
    const w0 = new SyncWriter(new Uint8Array(SYNC_MAXLEN_DEFAULT), { version: 0 });
    n = 0;
    while (w0.add(drUdp)) n++;
    expect([n, w0.size]).toEqual([61, 4 + 61 * 24]);
  });

  it('stops at 255 conns (nr_conns is a byte) even when maxlen allows more', () => {
    const w = new SyncWriter(new Uint8Array(65507), { maxlen: 65507 });
    let n = 0;
    while (w.add(drUdp)) n++;
    expect(n).toBe(255);
    expect(parse(w.finish()).n).toBe(255);
  });

  it('puts one conn in a message even when sync_maxlen is below its size, as the kernel sizes its buffer', () => {
    const w = new SyncWriter(new Uint8Array(400), { maxlen: 40 });
    expect(w.add(natFtp)).toBe(true);
    expect(w.add(drUdp)).toBe(false);
    expect(w.finish().length).toBe(70);
  });

  it('refuses a buffer smaller than maxlen or than the largest conn', () => {
    expect(() => new SyncWriter(new Uint8Array(1000))).toThrow(RangeError);
    expect(() => new SyncWriter(new Uint8Array(300), { maxlen: 300 })).toThrow(RangeError);
    expect(() => new SyncWriter(new Uint8Array(2000), { syncid: 256 })).toThrow(RangeError);
  });

  it('never sends HASHED; v0 sends 16 flag bits, v1 all 32 (NFCT included, for the backup to mask)', () => {
    const c = { ...drUdp, flags: IP_VS_CONN_F_DROUTE | IP_VS_CONN_F_HASHED | IP_VS_CONN_F_NFCT };
    expect(parse(write([c])).conns[0].flags).toBe(IP_VS_CONN_F_DROUTE | IP_VS_CONN_F_NFCT);
    expect(parse(write([c], { version: 0 })).conns[0].flags).toBe(IP_VS_CONN_F_DROUTE);
  });

  it('sets the SEQ bit of each seq given without it, so a v0 backup finds the block (the other side is zeros)', () => {
    const c = { ...drUdp, protocol: 6, state: 1, flags: IP_VS_CONN_F_MASQ, inSeq: { initSeq: 9, delta: 1, previousDelta: 0 } };
    for (const version of [0, 1] as const) {
      const got = parse(write([c], { version })).conns[0];
      expect(got.flags & IP_VS_CONN_F_SEQ_MASK).toBe(IP_VS_CONN_F_IN_SEQ);
      expect(got.inSeq).toEqual(c.inSeq);
      expect(got.outSeq).toEqual({ initSeq: 0, delta: 0, previousDelta: 0 });
    }
  });

  it('writes PE data then PE name (names cut at 16 bytes) and reads them back; PE data without a name is left out', () => {
    const peData = new TextEncoder().encode('call-id-1234');
    const c = { ...drUdp, flags: drUdp.flags | IP_VS_CONN_F_TEMPLATE, peData, peName: new TextEncoder().encode('sip') };
    const m = write([c]);
    expect([...m.subarray(8 + 36, 8 + 36 + 2)]).toEqual([2, 12]);
    expect([...m.subarray(8 + 36 + 14, 8 + 36 + 16)]).toEqual([3, 3]);
    expect(parse(m).conns).toEqual([deep(c)]);
    const long = { ...c, peName: new Uint8Array(20).fill(0x61) };
    expect(parse(write([long])).conns[0].peName).toEqual([...new Uint8Array(16).fill(0x61)]);
    expect(write([{ ...c, peName: undefined }]).length).toBe(8 + 36);
  });
});

/** Builds a v1 message by hand from conn entries (each padded to 4 bytes but the last). */
function v1(entries: Uint8Array[], nr = entries.length, syncid = 0): Uint8Array {
  const parts: number[] = [0, syncid, 0, 0, nr, 1, 0, 0];
  entries.forEach((e, i) => {
    parts.push(...e);
    if (i < entries.length - 1) while (parts.length % 4) parts.push(0);
  });
  const m = Uint8Array.from(parts);
  m[2] = m.length >> 8;
  m[3] = m.length & 255;
  return m;
}

/** The UDP conn of GOLDEN_V1, with extra option bytes and its size field set to match. */
function entry(opts: number[] = [], patch: (e: Uint8Array) => void = () => {}): Uint8Array {
  const e = Uint8Array.from([...GOLDEN_V1.subarray(72, 108), ...opts]);
  e[2] = e.length >> 8;
  e[3] = e.length & 255;
  patch(e);
  return e;
}

describe('sync wire: a backup reading bad or foreign input', () => {
  it('drops a datagram whose size field is not its length, or shorter than a header', () => {
    expect(parse(GOLDEN_V1.subarray(0, 100)).stats).toMatchObject({ badLength: 1, messages: 0, conns: 0 });
    expect(parse(GOLDEN_V1.subarray(0, 3)).stats.badLength).toBe(1);
    expect(parse(new Uint8Array(0)).stats.badLength).toBe(1);
  });

  it('filters on syncid: 7 takes syncid 7, drops 3; 0 takes everything', () => {
    expect(parse(GOLDEN_V1, { syncid: 7 }).n).toBe(2);
    expect(parse(GOLDEN_V0, { syncid: 7 }).stats).toMatchObject({ wrongSyncid: 1, conns: 0 });
    expect(parse(GOLDEN_V0, { syncid: 0 }).n).toBe(1);
  });

  it('a v0-only receiver reads a v1 message as nr_conns 0 and takes nothing (the first byte is 0 on purpose)', () => {
    const { n, stats } = parse(GOLDEN_V1, { v1: false });
    expect(n).toBe(0);
    expect(stats).toMatchObject({ messages: 1, truncated: 0, malformed: 0 });
  });

  it('reads a version-1 header with non-zero spare or reserved as v0, as the kernel does', () => {
    const m = GOLDEN_V1.slice();
    m[7] = 1;
    expect(parse(m)).toMatchObject({ n: 0, versions: [] });
  });

  it('an nr_conns larger than the conns present: the conns there are taken, the message counted truncated', () => {
    const m = GOLDEN_V1.slice();
    m[4] = 200;
    expect(parse(m)).toMatchObject({ n: 2, stats: { truncated: 1 } });
    const m0 = GOLDEN_V0.slice();
    m0[0] = 9;
    expect(parse(m0)).toMatchObject({ n: 1, stats: { truncated: 1 } });
  });

  it('a v0 conn whose SEQ flags promise a block the datagram lacks is truncated', () => {
    const m = Uint8Array.from([1, 0, 0, 28, ...GOLDEN_V0.subarray(4, 28)]);
    expect(parse(m)).toMatchObject({ n: 0, stats: { truncated: 1 } });
  });

  it('reads an IPv6 conn (type bit 0, 72 bytes) and the IPv4 conn after it; one too short for its addresses stops the message', () => {
    const v6 = new Uint8Array(72);
    v6.set([1, 6, 0, 72]);
    const { conns, stats } = parse(v1([v6, entry()]));
    expect(conns[1]).toEqual(deep(drUdp));
    expect(conns[0].addr6).toBeDefined();
    expect(stats).toMatchObject({ ipv6: 1, conns: 2, malformed: 0 });
    v6[3] = 40; // too short for IPv6 addresses: the message stops
    expect(parse(v1([v6, entry()])).stats).toMatchObject({ malformed: 1, conns: 0, ipv6: 0 });
  });

  it('ignores an unknown optional option (bit 0x40); an unknown mandatory one drops its conn only', () => {
    expect(parse(v1([entry([0x45, 2, 9, 9])]))).toMatchObject({ n: 1, stats: { unknownOptions: 1, skipped: 0 } });
    const { n, stats } = parse(v1([entry([5, 2, 9, 9]), entry()]));
    expect(n).toBe(1);
    expect(stats).toMatchObject({ unknownOptions: 1, skipped: 1, malformed: 0 });
  });

  it('stops the message at a malformed conn: unknown version, unknown type, bad option TLVs', () => {
    const bad: [string, Uint8Array][] = [
      ['conn version 1', entry([], (e) => { e[2] |= 0x10; })],
      ['type 2', entry([], (e) => { e[0] = 2; })],
      ['size below 36', entry([], (e) => { e[3] = 20; })],
      ['zero-length option', entry([0x41, 0])],
      ['option past the conn', entry([2, 9, 1])],
      ['half an option header', entry([2])],
      ['SEQ_DATA of 12 bytes', entry([1, 12, ...new Array(12).fill(0)])],
      ['SEQ_DATA twice', entry([1, 24, ...new Array(24).fill(0), 1, 24, ...new Array(24).fill(0)])],
      ['PE name of 17 bytes', entry([3, 17, ...new Array(17).fill(0x61)])],
    ];
    for (const [why, e] of bad) {
      const { n, stats } = parse(v1([entry(), e, entry()]));
      expect([why, n, stats.malformed]).toEqual([why, 1, 1]);
    }
  });

  it('skips conns a backup cannot take: TCP state past SYNACK, UDP state 1, SCTP, PE data without a name', () => {
    const skip = [
      entry([], (e) => { e[1] = 6; e[9] = tcp.TCP_S_LAST; }),
      entry([], (e) => { e[9] = 1; }),
      entry([], (e) => { e[1] = 132; }),
      entry([2, 3, 1, 2, 3]),
    ];
    const { n, stats } = parse(v1([...skip, entry()]));
    expect([n, stats.skipped, stats.malformed]).toEqual([1, 4, 0]);
  });

  it('takes templates whatever their state, and of protocol 0 (fwmark persistence)', () => {
    const e = entry([], (x) => { x[1] = 0; x[6] |= 0x10; x[9] = 7; });
    expect(parse(v1([e])).conns[0]).toMatchObject({ protocol: 0, state: 7, flags: IP_VS_CONN_F_TEMPLATE | drUdp.flags });
  });

  it('v0: a conn with an unsupported state is skipped, the next one taken', () => {
    const c = GOLDEN_V0.subarray(4);
    const m = Uint8Array.from([2, 0, 0, 100, ...c, ...c]);
    m[4 + 23] = 99;
    expect(parse(m)).toMatchObject({ n: 1, stats: { skipped: 1, truncated: 0 } });
  });
});

describe('sync wire: fuzz', () => {
  it('a few thousand mutations of the golden messages: no throw, no read outside the datagram, counts add up', () => {
    const rnd = prng(0x5eed);
    for (let i = 0; i < 4000; i++) {
      const golden = i % 2 ? GOLDEN_V1 : GOLDEN_V0;
      const m = mutate(rnd, golden);
      const a = inSurroundings(rnd, m), b = inSurroundings(rnd, m);
      const ra = parse(a), rb = parse(b);
      expect(rb).toEqual(ra); // the bytes around the datagram never matter
      const s = ra.stats;
      expect(s.messages + s.badLength + s.wrongSyncid).toBe(1);
      expect(s.conns).toBe(ra.n);
      expect(ra.n).toBeLessThanOrEqual(255);
      expect(s.truncated + s.malformed).toBeLessThanOrEqual(1);
    }
  });

  it('random datagrams never throw', () => {
    const rnd = prng(99);
    for (let i = 0; i < 2000; i++) {
      const m = Uint8Array.from({ length: Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256));
      if (m.length >= 4 && rnd() < 0.7) { m[2] = m.length >> 8; m[3] = m.length & 255; }
      expect(() => parse(m, { syncid: rnd() < 0.1 ? m[1] : 0 })).not.toThrow();
    }
  });
});

describe('sync wire: kernel flags and states', () => {
  it("tsvs's TCP, UDP and template states are the kernel's numbers (include/net/ip_vs.h)", () => {
    // enum { IP_VS_TCP_S_NONE = 0, ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT, TIME_WAIT, CLOSE,
    //        CLOSE_WAIT, LAST_ACK, LISTEN, SYNACK, IP_VS_TCP_S_LAST };
    expect([tcp.TCP_S_NONE, tcp.TCP_S_ESTABLISHED, tcp.TCP_S_SYN_SENT, tcp.TCP_S_SYN_RECV, tcp.TCP_S_FIN_WAIT, tcp.TCP_S_TIME_WAIT,
      tcp.TCP_S_CLOSE, tcp.TCP_S_CLOSE_WAIT, tcp.TCP_S_LAST_ACK, tcp.TCP_S_LISTEN, tcp.TCP_S_SYNACK, tcp.TCP_S_LAST])
      .toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(tcp.UDP_S_NORMAL).toBe(0); // IP_VS_UDP_S_NORMAL
    expect(tcp.TEMPLATE_STATE_NAMES).toEqual(['NONE', 'ASSURED']); // IP_VS_CTPL_S_NONE 0, ASSURED 1
  });

  it('maps tsvs flags to the kernel bits and back, bit by bit (their numbering differs)', () => {
    const pairs: [number, number][] = [
      [CONN_F_TEMPLATE, 0x1000], [CONN_F_INACTIVE, 0x0100], [CONN_F_NOOUTPUT, 0x0080],
      [CONN_F_ONE_PACKET, 0x2000], [CONN_F_SYNC, 0x0020], [CONN_F_HASHED, 0x0040],
    ];
    for (const [t, k] of pairs) {
      expect(kernelFlagsFromTsvs(t | CONN_F_NAT)).toBe(k); // NAT is IP_VS_CONN_F_MASQ, 0
      expect(kernelFlagsFromTsvs(t)).toBe(k | IP_VS_CONN_F_DROUTE);
      expect(tsvsFlagsFromKernel(k | IP_VS_CONN_F_DROUTE)).toBe(t);
    }
    expect(tsvsFlagsFromKernel(IP_VS_CONN_F_MASQ)).toBe(CONN_F_NAT);
    expect(tsvsFlagsFromKernel(IP_VS_CONN_F_TUNNEL | IP_VS_CONN_F_SEQ_MASK | IP_VS_CONN_F_NFCT)).toBe(0);
    const all = CONN_F_NAT | CONN_F_TEMPLATE | CONN_F_INACTIVE | CONN_F_NOOUTPUT | CONN_F_ONE_PACKET | CONN_F_SYNC | CONN_F_HASHED;
    expect(tsvsFlagsFromKernel(kernelFlagsFromTsvs(all))).toBe(all);
  });

  it('the kernel masks: BACKUP_MASK 0x1f87, BACKUP_UPD_MASK 0x0700', () => {
    expect(IP_VS_CONN_F_BACKUP_MASK).toBe(0x1f87);
    expect(IP_VS_CONN_F_BACKUP_UPD_MASK).toBe(0x0700);
  });

  it('what a kernel backup keeps: v1 masks with BACKUP_MASK, v0 keeps all but HASHED; both add SYNC', () => {
    const wire = IP_VS_CONN_F_DROUTE | IP_VS_CONN_F_ONE_PACKET | IP_VS_CONN_F_HASHED | IP_VS_CONN_F_NOOUTPUT | IP_VS_CONN_F_NFCT;
    expect(kernelRxFlags(wire, 1)).toBe(IP_VS_CONN_F_DROUTE | IP_VS_CONN_F_NOOUTPUT | IP_VS_CONN_F_SYNC);
    expect(kernelRxFlags(wire & 0xffff, 0)).toBe(IP_VS_CONN_F_DROUTE | IP_VS_CONN_F_ONE_PACKET | IP_VS_CONN_F_NOOUTPUT | IP_VS_CONN_F_SYNC);
    // An update of a known conn changes INACTIVE and the SEQ bits only.
    expect(kernelRxUpdateFlags(IP_VS_CONN_F_MASQ | IP_VS_CONN_F_INACTIVE | IP_VS_CONN_F_SYNC, IP_VS_CONN_F_DROUTE | IP_VS_CONN_F_OUT_SEQ))
      .toBe(IP_VS_CONN_F_MASQ | IP_VS_CONN_F_SYNC | IP_VS_CONN_F_OUT_SEQ);
    expect(kernelTxFlags(IP_VS_CONN_F_HASHED | IP_VS_CONN_F_NFCT | IP_VS_CONN_F_INACTIVE, 0)).toBe(IP_VS_CONN_F_INACTIVE);
  });

  it('sync_maxlen as start_sync_thread computes it', () => {
    expect(syncMaxlen('master', 9000)).toBe(1472); // the master assumes 1500 whatever the MTU
    expect(syncMaxlen('backup', 9000)).toBe(8972);
    expect(syncMaxlen('backup', 1400)).toBe(1472);
    expect(syncMaxlen('backup', 1500, 100)).toBe(1024);
    expect(syncMaxlen('master', 1500, 100)).toBe(100);
    expect(syncMaxlen('master', 1500, 70000)).toBe(65507);
  });
});

/** Truncations, bit flips, byte sets; often with the size field repaired so the mutation reaches the conns. */
function mutate(rnd: () => number, g: Uint8Array): Uint8Array {
  const m = g.slice(0, rnd() < 0.3 ? Math.floor(rnd() * (g.length + 1)) : g.length);
  const edits = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < edits && m.length > 0; i++) {
    const at = Math.floor(rnd() * m.length);
    if (rnd() < 0.5) m[at] ^= 1 << Math.floor(rnd() * 8);
    else m[at] = Math.floor(rnd() * 256);
  }
  if (m.length >= 4 && rnd() < 0.8) { m[2] = m.length >> 8; m[3] = m.length & 255; }
  return m;
}

/** The datagram as a view into a larger buffer of random bytes. */
function inSurroundings(rnd: () => number, m: Uint8Array): Uint8Array {
  const pre = Math.floor(rnd() * 8), big = new Uint8Array(pre + m.length + 64);
  for (let i = 0; i < big.length; i++) big[i] = Math.floor(rnd() * 256);
  big.set(m, pre);
  return big.subarray(pre, pre + m.length);
}
