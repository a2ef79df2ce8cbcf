// The FTP helper for IPv6 NAT (ftp/helper6.ts) through the whole engine, as
// fixtures: each output frame is compared byte for byte with one built from
// scratch (helpers6.ts, reference checksums), so addresses, ports, hop limits and
// checksums are all checked. EPRT |2| creates the active data connection, a 229
// after EPSV announces the passive one; no text changes over IPv6.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../src/engine/engine.js';
import { N_FTP_DATA_CONNS } from '../../../src/engine/counters.js';
import { CONN_F_APP } from '../../../src/conn/flags.js';
import { TCP_S_LISTEN } from '../../../src/conn/tcp-states.js';
import { VERDICT_PASS, VERDICT_TX } from '../../../src/frames/batch.js';
import { DEFAULT_SWITCHES, type ServiceTable } from '../../../src/model/index.js';
import { ftpCommand6 } from '../../../src/engine/ftp/text6.js';
import { FTP_EPRT, FTP_EPSV, FTP_NONE, FtpMatch } from '../../../src/engine/ftp/text.js';
import { formatIPv6 } from '../../../src/packet/ipv6.js';
import { frame6, icmp6Msg, ndBody, w6 } from '../../packet/helpers6.js';
import { ETH0_MAC, ETH1_MAC, hex, run } from '../helpers.js';

const VIP6 = '2001:2:0:1::10';
const NAT6 = '2001:2:0:2::1';
const CLIENT6 = '2001:2:0:1::100';
const RS6 = '2001:2:0:2::11';
const CLIENT_MAC = [0x02, 0xc1, 0, 0, 0, 0x01];
const RS_MAC = [0x02, 0x52, 0, 0, 0, 1];
const SYN = 0x02, ACK = 0x10, PSH = 0x08;
const CSEQ = 1000, SSEQ = 5000;
const text = (s: string): number[] => [...Buffer.from(s, 'latin1')];

function ftpTable(ftpPorts?: number[]): ServiceTable {
  return {
    version: 1, marks: [], timeouts: { tcp: 0, tcpfin: 0, udp: 0 },
    switches: ftpPorts ? { ...DEFAULT_SWITCHES, ftpPorts } : DEFAULT_SWITCHES,
    services: [{
      name: 'ftp6', protocol: 'tcp', address: 0, address6: VIP6, port: 21, fwmark: 0, scheduler: 'rr', schedFlags: [],
      persistence: 0, persistMask: 0xffffffff, onePacket: false,
      servers: [{ name: 'rs1', address: 0, address6: RS6, port: 21, weight: 1, forward: 'nat', upperThreshold: 0, lowerThreshold: 0 }],
    }],
    addresses: [
      { address: 0, address6: VIP6, prefixLen: 64, device: 'eth0', role: 'vip' },
      { address: 0, address6: NAT6, prefixLen: 64, device: 'eth1', role: 'nat_router' },
    ],
  };
}

/** The engine with the real server's MAC learnt from its advertisement. */
function world(ftpPorts?: number[]): Engine {
  const e = new Engine({ interfaces: [{ name: 'eth0', mac: ETH0_MAC }, { name: 'eth1', mac: ETH1_MAC }], table: ftpTable(ftpPorts), connCapacity: 1024 });
  const na = frame6({ src: RS6, dst: 'ff02::1', hop: 255, proto: 58, srcMac: RS_MAC, dstMac: [0x33, 0x33, 0, 0, 0, 1],
    l4: icmp6Msg(136, 0, ndBody(0x20, RS6, [2, 1, ...RS_MAC])) });
  expect(run(e, na, 1).verdict).toBe(VERDICT_PASS);
  return e;
}

interface Seg { sport: number; dport: number; flags?: number; seq: number; ack?: number; payload?: string }
function tcp(o: Seg): Uint8Array {
  const p = o.payload ? text(o.payload) : [];
  const b = new Uint8Array(20 + p.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, o.sport); v.setUint16(2, o.dport); v.setUint32(4, o.seq >>> 0); v.setUint32(8, (o.ack ?? 0) >>> 0);
  b[12] = 0x50; b[13] = o.flags ?? (ACK | PSH); v.setUint16(14, 65535);
  b.set(p, 20);
  return b;
}
// Client side (eth0): client <-> VIP. Server side (eth1): client <-> real server.
const fromClient = (o: Seg) => frame6({ src: CLIENT6, dst: VIP6, proto: 6, hop: 64, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: tcp(o) });
const toServer = (o: Seg) => frame6({ src: CLIENT6, dst: RS6, proto: 6, hop: 64, srcMac: [...ETH1_MAC], dstMac: RS_MAC, l4: tcp(o) });
const fromServer = (o: Seg) => frame6({ src: RS6, dst: CLIENT6, proto: 6, hop: 64, srcMac: RS_MAC, dstMac: [...ETH1_MAC], l4: tcp(o) });
const toClient = (o: Seg) => frame6({ src: VIP6, dst: CLIENT6, proto: 6, hop: 63, srcMac: [...ETH0_MAC], dstMac: CLIENT_MAC, l4: tcp(o) });

/** A segment both ways through the engine: what it sent equals the expected frame. */
function inbound(e: Engine, o: Seg): void {
  const out = run(e, fromClient(o), 0);
  expect(out.verdict).toBe(VERDICT_TX);
  expect(out.ifOut).toBe(1);
  expect(hex(out.frame)).toBe(hex(toServer(o)));
}
function outbound(e: Engine, o: Seg): void {
  const out = run(e, fromServer(o), 1);
  expect(out.verdict).toBe(VERDICT_TX);
  expect(out.ifOut).toBe(0);
  expect(hex(out.frame)).toBe(hex(toClient(o)));
}

/** The control connection [CLIENT6]:40000 -> [VIP6]:21, ESTABLISHED. */
function control(e: Engine): number {
  inbound(e, { sport: 40000, dport: 21, flags: SYN, seq: CSEQ - 1 });
  outbound(e, { sport: 21, dport: 40000, flags: SYN | ACK, seq: SSEQ - 1, ack: CSEQ });
  inbound(e, { sport: 40000, dport: 21, flags: ACK, seq: CSEQ, ack: SSEQ });
  return find(e, CLIENT6, 40000, VIP6, 21);
}

/** The connection of client [c]:cport -> [v]:vport, or 0. */
function find(e: Engine, c: string, cport: number, v: string, vport: number): number {
  const a = new Int32Array(8);
  a.set(w6(c), 0);
  a.set(w6(v), 4);
  return e.conns.lookupIn6(6, a, cport, vport);
}

describe('FTP helper over IPv6, active mode (EPRT |2|)', () => {
  const eprt = `EPRT |2|${CLIENT6}|50123|\r\n`;

  it('creates the data connection from the server port 20 to the announced address, and translates its SYNs both ways', () => {
    const e = world();
    const ctl = control(e);
    expect(ctl).not.toBe(0);
    expect(e.conns.flagsOf(ctl) & CONN_F_APP).toBe(CONN_F_APP);
    // The command goes to the server as it is: IPv6 text is never rewritten.
    inbound(e, { sport: 40000, dport: 21, seq: CSEQ, ack: SSEQ, payload: eprt });
    expect(e.counters.n[N_FTP_DATA_CONNS]).toBe(1);
    const data = find(e, CLIENT6, 50123, VIP6, 20);
    expect(data).not.toBe(0);
    expect(e.conns.stateOf(data)).toBe(TCP_S_LISTEN);
    expect(e.conns.control[data]).toBe(ctl);
    expect(formatIPv6(e.conns.addr6, data * 12 + 8)).toBe(RS6);
    expect(e.conns.dportOf(data)).toBe(20);
    outbound(e, { sport: 21, dport: 40000, seq: SSEQ, ack: CSEQ + eprt.length, payload: '200 EPRT command successful.\r\n' });
    // The server opens it from [RS6]:20; the client sees [VIP6]:20.
    outbound(e, { sport: 20, dport: 50123, flags: SYN, seq: 7000 });
    inbound(e, { sport: 50123, dport: 20, flags: SYN | ACK, seq: 9000, ack: 7001 });
    inbound(e, { sport: 50123, dport: 20, flags: ACK, seq: 9001, ack: 7001 });
    outbound(e, { sport: 20, dport: 50123, seq: 7001, ack: 9001, payload: 'drwxr-xr-x 2 ftp ftp 4096 pub\r\n' });
  });

  it('takes the address in any RFC 4291 text form, and leaves EPRT |1| and PORT alone over IPv6', () => {
    const m = new FtpMatch();
    const at = (s: string): number => {
      const b = Uint8Array.from(text(s));
      return ftpCommand6(b, 0, b.length, m);
    };
    expect(at('EPRT |2|2001:2:0:1:0:0:0:100|50123|\r\n')).toBe(FTP_EPRT);
    expect(formatIPv6(m.addr6)).toBe(CLIENT6);
    expect(at('eprt !2!::ffff:198.18.0.5!21000!\r\n')).toBe(FTP_EPRT);
    expect(formatIPv6(m.addr6)).toBe('::ffff:c612:5');
    expect(m.port).toBe(21000);
    expect(at('EPRT |2|::|1|\r\n')).toBe(FTP_EPRT);
    expect(formatIPv6(m.addr6)).toBe('::');
    for (const bad of ['EPRT |1|198.18.0.5|50123|\r\n', 'PORT 198,18,0,5,195,80\r\n', 'EPRT |2|2001:2::1::5|50123|\r\n',
      'EPRT |2|2001:2:0:1:0:0:0:100:7|50123|\r\n', 'EPRT |2|2001:2::12345|50123|\r\n', 'EPRT |2|fe80::1%eth0|50123|\r\n',
      'EPRT |2|2001:2::1|0|\r\n', 'EPRT |2|2001:2::1|65536|\r\n', 'EPRT |2|2001:2::1|50123', 'PASV\r\n']) expect(at(bad), bad).toBe(FTP_NONE);
    expect(at('EPSV\r\n')).toBe(FTP_EPSV);
    expect(at('EPSV 2\r\n')).toBe(FTP_EPSV);
    expect(at('EPSV 1\r\n')).toBe(FTP_NONE);
  });

  it('creates nothing for an EPRT to a service whose port is not one of the FTP ports', () => {
    const other = world([2121]);
    const ctl = control(other);
    expect(other.conns.flagsOf(ctl) & CONN_F_APP).toBe(0);
    inbound(other, { sport: 40000, dport: 21, seq: CSEQ, ack: SSEQ, payload: `EPRT |2|${CLIENT6}|50123|\r\n` });
    expect(other.counters.n[N_FTP_DATA_CONNS]).toBe(0);
  });
});

describe('FTP helper over IPv6, passive mode (EPSV, 229)', () => {
  const reply229 = '229 Entering Extended Passive Mode (|||41000|)\r\n';

  it('expects the client at [VIP6]:port after a 229 and opens that data connection to the server on its SYN', () => {
    const e = world();
    const ctl = control(e);
    inbound(e, { sport: 40000, dport: 21, seq: CSEQ, ack: SSEQ, payload: 'EPSV\r\n' });
    // The reply goes out as it came (with the VIP as source): nothing in it to rewrite.
    outbound(e, { sport: 21, dport: 40000, seq: SSEQ, ack: CSEQ + 6, payload: reply229 });
    expect(e.ftp.expects6.waiting).toBe(1);
    inbound(e, { sport: 50200, dport: 41000, flags: SYN, seq: 9000 });
    expect(e.ftp.expects6.waiting).toBe(0);
    expect(e.counters.n[N_FTP_DATA_CONNS]).toBe(1);
    const data = find(e, CLIENT6, 50200, VIP6, 41000);
    expect(data).not.toBe(0);
    expect(e.conns.control[data]).toBe(ctl);
    outbound(e, { sport: 41000, dport: 50200, flags: SYN | ACK, seq: 7000, ack: 9001 });
    inbound(e, { sport: 50200, dport: 41000, flags: ACK, seq: 9001, ack: 7001 });
    outbound(e, { sport: 41000, dport: 50200, seq: 7001, ack: 9001, payload: 'some file bytes' });
  });

  it('lets no other client take the announced port, and announces nothing for a 229 that no EPSV asked for', () => {
    const e = world();
    control(e);
    outbound(e, { sport: 21, dport: 40000, seq: SSEQ, ack: CSEQ, payload: reply229 });
    expect(e.ftp.expects6.waiting).toBe(0);
    inbound(e, { sport: 40000, dport: 21, seq: CSEQ, ack: SSEQ + reply229.length, payload: 'EPSV\r\n' });
    outbound(e, { sport: 21, dport: 40000, seq: SSEQ + reply229.length, ack: CSEQ + 6, payload: reply229 });
    expect(e.ftp.expects6.waiting).toBe(1);
    const stranger = frame6({ src: '2001:2:0:1::200', dst: VIP6, proto: 6, hop: 64, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC],
      l4: tcp({ sport: 50200, dport: 41000, flags: SYN, seq: 9000 }) });
    expect(run(e, stranger, 0).verdict).toBe(VERDICT_PASS);
    expect(e.ftp.expects6.waiting).toBe(1);
    expect(e.counters.n[N_FTP_DATA_CONNS]).toBe(0);
  });

  it('forgets an announcement that lapsed (the LISTEN timeout) and leaves IPv4\'s table alone', () => {
    const e = world();
    control(e);
    inbound(e, { sport: 40000, dport: 21, seq: CSEQ, ack: SSEQ, payload: 'EPSV\r\n' });
    outbound(e, { sport: 21, dport: 40000, seq: SSEQ, ack: CSEQ + 6, payload: reply229 });
    expect(e.ftp.expects.waiting).toBe(0);
    const late = run(e, fromClient({ sport: 50200, dport: 41000, flags: SYN, seq: 9000 }), 0, 1000 + 3 * 60_000);
    expect(late.verdict).toBe(VERDICT_PASS);
    expect(e.counters.n[N_FTP_DATA_CONNS]).toBe(0);
  });
});

describe('FTP helper over IPv6, bad text', () => {
  /** A seeded LCG, so a failure replays. */
  const lcg = (seed: number) => () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const ALPHABET = '0123456789abcdefABCDEF:.|!2 \r\n%x';

  it('reads mangled EPRT commands without reading past the segment, and forwards each segment as it came', () => {
    const r = lcg(13);
    const m = new FtpMatch();
    const e = world();
    control(e);
    let seq = CSEQ;
    for (let k = 0; k < 2000; k++) {
      const n = 1 + Math.floor(r() * 60);
      let s = 'EPRT |2|';
      for (let j = 0; j < n; j++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
      // The text sits inside a bigger buffer: the parser must stop at `end`, not at the buffer's end.
      const b = Uint8Array.from(text(s + '|50000|\r\n'));
      const kind = ftpCommand6(b, 0, s.length, m);
      if (kind === FTP_EPRT) expect(m.end).toBeLessThanOrEqual(s.length);
      if (k % 20 === 0) {
        inbound(e, { sport: 40000, dport: 21, seq, ack: SSEQ, payload: s });
        seq += s.length;
      }
    }
    // Whatever the fuzz made of the data connections, the control connection is still served.
    inbound(e, { sport: 40000, dport: 21, seq, ack: SSEQ, payload: 'NOOP\r\n' });
  });
});
