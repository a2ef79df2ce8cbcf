// The FTP helper through the whole engine, as fixtures: input frame, expected
// output frame. The expected frames are built from scratch with full checksums, so
// they check the rewritten text, the lengths, the sequence offsets and the checksums.
import { describe, expect, it } from 'vitest';
import { VERDICT_TX } from '../../../src/frames/batch.js';
import { buildTcp } from '../../../src/packet/build.js';
import { CONN_F_APP } from '../../../src/conn/flags.js';
import { TCP_S_LISTEN } from '../../../src/conn/tcp-states.js';
import { CLIENT, CLIENT_MAC, ETH0_MAC, ETH1_MAC, engine, hex, ip, NAT_ROUTER, rsMac, run, service, table, VIP } from '../helpers.js';
import type { Engine } from '../../../src/engine/engine.js';
import { buildTable, type MarkRule, type Switches } from '../../../src/model/index.js';

const SYN = 0x02, ACK = 0x10, PSH = 0x08;
const text = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const CSEQ = 1000, SSEQ = 5000;

/** A NAT FTP service on port 21 with one real server at `rs`. */
function world(rs: string, switches: Partial<Switches> = {}, forward: 'nat' | 'dr' = 'nat') {
  const e = engine(table([service([{ addr: rs, port: 21 }], { name: 'ftp', port: 21, forward })], {}, switches));
  return { e, RS: ip(rs) };
}

const client = (o: { flags?: number; sport?: number; dport?: number; seq?: number; ack?: number; payload?: string; tcpOptions?: Uint8Array } = {}) =>
  buildTcp({
    srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: o.sport ?? 40000, dport: o.dport ?? 21,
    flags: o.flags ?? (ACK | PSH), seq: o.seq ?? CSEQ, ack: o.ack ?? 0, ...(o.payload ? { payload: text(o.payload) } : {}),
    ...(o.tcpOptions ? { tcpOptions: o.tcpOptions } : {}),
  });
/** What the real server receives for a client segment. */
const toServer = (RS: number, o: { flags?: number; sport?: number; dport?: number; seq?: number; ack?: number; payload?: string; tcpOptions?: Uint8Array } = {}) =>
  buildTcp({
    srcMac: ETH1_MAC, dstMac: rsMac(RS), src: CLIENT, dst: RS, sport: o.sport ?? 40000, dport: o.dport ?? 21,
    flags: o.flags ?? (ACK | PSH), seq: o.seq ?? CSEQ, ack: o.ack ?? 0, ...(o.payload ? { payload: text(o.payload) } : {}),
    ...(o.tcpOptions ? { tcpOptions: o.tcpOptions } : {}),
  });
const server = (RS: number, o: { flags?: number; sport?: number; dport?: number; seq: number; ack?: number; payload?: string; dst?: number }) =>
  buildTcp({
    srcMac: rsMac(RS), dstMac: ETH1_MAC, src: RS, dst: o.dst ?? CLIENT, sport: o.sport ?? 21, dport: o.dport ?? 40000,
    flags: o.flags ?? (ACK | PSH), seq: o.seq, ack: o.ack ?? 0, ttl: 64, ...(o.payload ? { payload: text(o.payload) } : {}),
  });
/** What the client receives for a server segment. */
const toClient = (o: { flags?: number; sport?: number; dport?: number; seq: number; ack?: number; payload?: string; dst?: number }) =>
  buildTcp({
    srcMac: ETH0_MAC, dstMac: CLIENT_MAC, src: VIP, dst: o.dst ?? CLIENT, sport: o.sport ?? 21, dport: o.dport ?? 40000,
    flags: o.flags ?? (ACK | PSH), seq: o.seq, ack: o.ack ?? 0, ttl: 63, ...(o.payload ? { payload: text(o.payload) } : {}),
  });

/** SYN, SYN-ACK, ACK: the control connection ESTABLISHED. */
function handshake(e: Engine, RS: number): void {
  expect(run(e, client({ flags: SYN, seq: CSEQ - 1 }), 0).verdict).toBe(VERDICT_TX);
  expect(run(e, server(RS, { flags: SYN | ACK, seq: SSEQ - 1, ack: CSEQ }), 1).verdict).toBe(VERDICT_TX);
  expect(run(e, client({ flags: ACK, ack: SSEQ }), 0).verdict).toBe(VERDICT_TX);
}

/** A SACK option (kind 5) with blocks, padded with two NOPs in front. */
function sack(blocks: [number, number][]): Uint8Array {
  const o = new Uint8Array(4 + 8 * blocks.length);
  o[0] = 1; o[1] = 1; o[2] = 5; o[3] = 2 + 8 * blocks.length;
  const v = new DataView(o.buffer);
  blocks.forEach(([a, b], k) => { v.setUint32(4 + 8 * k, a >>> 0); v.setUint32(8 + 8 * k, b >>> 0); });
  return o;
}

describe('FTP helper, passive mode (PASV, 227)', () => {
  const reply227 = '227 Entering Passive Mode (198,19,0,7,195,80).\r\n';
  // The VIP 198.18.0.10 is one character longer than the server's 198.19.0.7.
  const rewritten = '227 Entering Passive Mode (198,18,0,10,195,80).\r\n';

  it('rewrites the server address to the VIP, with lengths and checksums right, and offsets later segments both ways', () => {
    const { e, RS } = world('198.19.0.7');
    handshake(e, RS);
    const pasv = run(e, client({ ack: SSEQ, payload: 'PASV\r\n' }), 0);
    expect(hex(pasv.frame)).toBe(hex(toServer(RS, { ack: SSEQ, payload: 'PASV\r\n' })));
    const out = run(e, server(RS, { seq: SSEQ, ack: CSEQ + 6, payload: reply227 }), 1);
    expect(out.verdict).toBe(VERDICT_TX);
    expect(hex(out.frame)).toBe(hex(toClient({ seq: SSEQ, ack: CSEQ + 6, payload: rewritten })));
    // The server's next segment starts one byte later for the client.
    const next = SSEQ + reply227.length;
    const later = run(e, server(RS, { seq: next, ack: CSEQ + 6, payload: '150 Here\r\n' }), 1);
    expect(hex(later.frame)).toBe(hex(toClient({ seq: next + 1, ack: CSEQ + 6, payload: '150 Here\r\n' })));
    // The client's acknowledgement (and SACK blocks) lose that byte again on the way in.
    const acked = next + 1 + 10;
    const opts = sack([[next + 1 + 20, next + 1 + 30]]);
    const ackIn = run(e, client({ flags: ACK, seq: CSEQ + 6, ack: acked, tcpOptions: opts }), 0);
    expect(hex(ackIn.frame)).toBe(hex(toServer(RS, { flags: ACK, seq: CSEQ + 6, ack: acked - 1, tcpOptions: sack([[next + 20, next + 30]]) })));
    // An acknowledgement of the reply's own first bytes (before the change) keeps the previous offset (0).
    const early = run(e, client({ flags: ACK, seq: CSEQ + 6, ack: SSEQ }), 0);
    expect(hex(early.frame)).toBe(hex(toServer(RS, { flags: ACK, seq: CSEQ + 6, ack: SSEQ })));
    expect(e.counters.snapshot()).toMatchObject({ ftp_replies_rewritten: 1 });
  });

  it('sends the client data connection to VIP:port to the server that announced it', () => {
    const { e, RS } = world('198.19.0.7');
    handshake(e, RS);
    run(e, client({ ack: SSEQ, payload: 'PASV\r\n' }), 0);
    run(e, server(RS, { seq: SSEQ, ack: CSEQ + 6, payload: reply227 }), 1);
    const dataPort = 195 * 256 + 80;
    const syn = run(e, client({ flags: SYN, sport: 40001, dport: dataPort, seq: 7000 }), 0);
    expect(syn.verdict).toBe(VERDICT_TX);
    expect(hex(syn.frame)).toBe(hex(toServer(RS, { flags: SYN, sport: 40001, dport: dataPort, seq: 7000 })));
    const synAck = run(e, server(RS, { flags: SYN | ACK, sport: dataPort, dport: 40001, seq: 9000, ack: 7001 }), 1);
    expect(hex(synAck.frame)).toBe(hex(toClient({ flags: SYN | ACK, sport: dataPort, dport: 40001, seq: 9000, ack: 7001 })));
    // The data connection is controlled by the control connection (IPVS's n_control), and has no helper.
    const data = e.conns.lookupIn(6, CLIENT, 40001, VIP, dataPort);
    const ctl = e.conns.lookupIn(6, CLIENT, 40000, VIP, 21);
    expect(e.conns.control[data]).toBe(ctl);
    expect(e.conns.flagsOf(data) & CONN_F_APP).toBe(0);
    expect(e.conns.flagsOf(ctl) & CONN_F_APP).toBe(CONN_F_APP);
    expect(e.counters.snapshot()).toMatchObject({ ftp_data_conns: 1 });
    // Announced once: another client port to the same VIP port is no data connection.
    expect(run(e, client({ flags: SYN, sport: 40002, dport: dataPort }), 0).verdict).not.toBe(VERDICT_TX);
  });

  it('a retransmitted 227 is rewritten again without counting its offset twice', () => {
    const { e, RS } = world('198.19.0.7');
    handshake(e, RS);
    run(e, client({ ack: SSEQ, payload: 'PASV\r\n' }), 0);
    run(e, server(RS, { seq: SSEQ, ack: CSEQ + 6, payload: reply227 }), 1);
    // The client asks again (its PASV was retransmitted) and the server's reply is retransmitted.
    run(e, client({ ack: SSEQ, payload: 'PASV\r\n' }), 0);
    const again = run(e, server(RS, { seq: SSEQ, ack: CSEQ + 6, payload: reply227 }), 1);
    expect(hex(again.frame)).toBe(hex(toClient({ seq: SSEQ, ack: CSEQ + 6, payload: rewritten })));
    const next = SSEQ + reply227.length;
    const later = run(e, server(RS, { seq: next, ack: CSEQ + 6, payload: '150 Here\r\n' }), 1);
    expect(hex(later.frame)).toBe(hex(toClient({ seq: next + 1, ack: CSEQ + 6, payload: '150 Here\r\n' })));
  });

  it('a reply that gets shorter moves the offset the other way, and offsets add up over replies', () => {
    const { e, RS } = world('198.19.100.111');
    handshake(e, RS);
    const long = '227 Entering Passive Mode (198,19,100,111,195,81).\r\n';
    const short = '227 Entering Passive Mode (198,18,0,10,195,81).\r\n';
    run(e, client({ ack: SSEQ, payload: 'PASV\r\n' }), 0);
    const out = run(e, server(RS, { seq: SSEQ, ack: CSEQ + 6, payload: long }), 1);
    expect(hex(out.frame)).toBe(hex(toClient({ seq: SSEQ, ack: CSEQ + 6, payload: short })));
    const s2 = SSEQ + long.length;
    run(e, client({ seq: CSEQ + 6, ack: s2 - 3, payload: 'PASV\r\n' }), 0);
    const out2 = run(e, server(RS, { seq: s2, ack: CSEQ + 12, payload: long }), 1);
    expect(hex(out2.frame)).toBe(hex(toClient({ seq: s2 - 3, ack: CSEQ + 12, payload: short })));
    const s3 = s2 + long.length;
    const later = run(e, server(RS, { seq: s3, ack: CSEQ + 12, payload: '226 Done\r\n' }), 1);
    expect(hex(later.frame)).toBe(hex(toClient({ seq: s3 - 6, ack: CSEQ + 12, payload: '226 Done\r\n' })));
    const ackIn = run(e, client({ flags: ACK, seq: CSEQ + 12, ack: s3 - 6 + 10 }), 0);
    expect(hex(ackIn.frame)).toBe(hex(toServer(RS, { flags: ACK, seq: CSEQ + 12, ack: s3 + 10 })));
  });

  it('leaves a 227 that the segment cuts off, and one the client did not ask for, as they are (IPVS does the same)', () => {
    const { e, RS } = world('198.19.0.7');
    handshake(e, RS);
    const unasked = run(e, server(RS, { seq: SSEQ, payload: reply227 }), 1);
    expect(hex(unasked.frame)).toBe(hex(toClient({ seq: SSEQ, payload: reply227 })));
    run(e, client({ ack: SSEQ, payload: 'PASV\r\n' }), 0);
    const cut = '227 Entering Passive Mode (198,19,0,7,195';
    const s = SSEQ + reply227.length;
    const out = run(e, server(RS, { seq: s, payload: cut }), 1);
    expect(hex(out.frame)).toBe(hex(toClient({ seq: s, payload: cut })));
    expect(e.counters.snapshot()).toMatchObject({ ftp_replies_rewritten: 0, ftp_data_conns: 0 });
  });
});

describe('FTP helper, extended passive mode (EPSV, 229)', () => {
  it('reads the port, changes nothing, and sends the data connection to the server', () => {
    const { e, RS } = world('198.19.0.7');
    handshake(e, RS);
    run(e, client({ ack: SSEQ, payload: 'EPSV\r\n' }), 0);
    const r = '229 Entering Extended Passive Mode (|||50001|)\r\n';
    const out = run(e, server(RS, { seq: SSEQ, ack: CSEQ + 6, payload: r }), 1);
    expect(hex(out.frame)).toBe(hex(toClient({ seq: SSEQ, ack: CSEQ + 6, payload: r })));
    const syn = run(e, client({ flags: SYN, sport: 40001, dport: 50001, seq: 7000 }), 0);
    expect(hex(syn.frame)).toBe(hex(toServer(RS, { flags: SYN, sport: 40001, dport: 50001, seq: 7000 })));
  });
});

describe('FTP helper, active mode (PORT, EPRT)', () => {
  it('PORT passes unchanged and the server connection from port 20 leaves with the VIP as source', () => {
    const { e, RS } = world('198.19.0.7');
    handshake(e, RS);
    const port = 'PORT 198,18,0,100,156,64\r\n';
    const fwd = run(e, client({ ack: SSEQ, payload: port }), 0);
    expect(hex(fwd.frame)).toBe(hex(toServer(RS, { ack: SSEQ, payload: port })));
    const data = e.conns.lookupIn(6, CLIENT, 40000, VIP, 20);
    expect(data).not.toBe(0);
    expect(e.conns.stateOf(data)).toBe(TCP_S_LISTEN);
    const syn = run(e, server(RS, { flags: SYN, sport: 20, dport: 40000, seq: 9000 }), 1);
    expect(syn.verdict).toBe(VERDICT_TX);
    expect(hex(syn.frame)).toBe(hex(toClient({ flags: SYN, sport: 20, dport: 40000, seq: 9000 })));
    const synAck = run(e, client({ flags: SYN | ACK, sport: 40000, dport: 20, seq: 7000, ack: 9001 }), 0);
    expect(hex(synAck.frame)).toBe(hex(toServer(RS, { flags: SYN | ACK, sport: 40000, dport: 20, seq: 7000, ack: 9001 })));
  });

  it('EPRT does the same', () => {
    const { e, RS } = world('198.19.0.7');
    handshake(e, RS);
    run(e, client({ ack: SSEQ, payload: 'EPRT |1|198.18.0.100|40002|\r\n' }), 0);
    const syn = run(e, server(RS, { flags: SYN, sport: 20, dport: 40002, seq: 9000 }), 1);
    expect(hex(syn.frame)).toBe(hex(toClient({ flags: SYN, sport: 20, dport: 40002, seq: 9000 })));
  });
});

describe('FTP helper, where it does not act', () => {
  const reply227 = '227 Entering Passive Mode (198,19,0,7,195,80).\r\n';
  it('on a port outside ftp_ports, with ftp_ports empty, and on direct routing', () => {
    for (const sw of [{ ftpPorts: [2121] }, { ftpPorts: [] }]) {
      const { e, RS } = world('198.19.0.7', sw);
      handshake(e, RS);
      expect(e.conns.flagsOf(e.conns.lookupIn(6, CLIENT, 40000, VIP, 21)) & CONN_F_APP).toBe(0);
      run(e, client({ ack: SSEQ, payload: 'PASV\r\n' }), 0);
      const out = run(e, server(RS, { seq: SSEQ, payload: reply227 }), 1);
      expect(hex(out.frame)).toBe(hex(toClient({ seq: SSEQ, payload: reply227 })));
    }
    const { e } = world('198.19.0.7', {}, 'dr');
    run(e, client({ flags: SYN }), 0);
    expect(e.conns.flagsOf(e.conns.lookupIn(6, CLIENT, 40000, VIP, 21)) & CONN_F_APP).toBe(0);
  });

  it('a server data SYN from port 20 without a PORT is not forwarded as a NAT reply', () => {
    const { e, RS } = world('198.19.0.7');
    handshake(e, RS);
    const out = run(e, server(RS, { flags: SYN, sport: 20, dport: 40000, seq: 9000 }), 1);
    expect(out.verdict).not.toBe(VERDICT_TX);
  });
});

describe("the guide's firewall-mark + persistence way still works beside the helper", () => {
  // Port 21 and the passive range under mark 21, persistent: no helper (a mark
  // service's port is 0, as in IPVS), the 227 passes as the server wrote it, and the
  // client's data connection reaches the same server through the persistence template.
  const rule = (lo: number, hi: number): MarkRule => ({ protocol: 'tcp', address: VIP, prefixLen: 32, portLo: lo, portHi: hi, mark: 21, origin: 'test' });
  const t = buildTable({
    services: [service([{ addr: '198.19.0.11', port: 0 }, { addr: '198.19.0.12', port: 0 }, { addr: '198.19.0.13', port: 0 }], { address: 0, port: 0, fwmark: 21, persistence: 300 })],
    addresses: [{ address: VIP, prefixLen: 24, device: 'eth0', role: 'vip' }, { address: NAT_ROUTER, prefixLen: 24, device: 'eth1', role: 'nat_router' }],
    marks: [rule(21, 21), rule(10000, 20000)],
  });

  it('control and data connections of one client go to one server; nothing is rewritten', () => {
    const e = engine(t);
    const ctl = run(e, client({ flags: SYN, seq: CSEQ - 1 }), 0);
    expect(ctl.verdict).toBe(VERDICT_TX);
    const rs = ip(`198.19.0.${ctl.frame[33]}`);
    expect(e.conns.flagsOf(e.conns.lookupIn(6, CLIENT, 40000, VIP, 21)) & CONN_F_APP).toBe(0);
    run(e, server(rs, { flags: SYN | ACK, seq: SSEQ - 1, ack: CSEQ }), 1);
    run(e, client({ flags: ACK, ack: SSEQ }), 0);
    run(e, client({ ack: SSEQ, payload: 'PASV\r\n' }), 0);
    const r227 = `227 Entering Passive Mode (198,19,0,${ctl.frame[33]},39,16).\r\n`;
    const out = run(e, server(rs, { seq: SSEQ, ack: CSEQ + 6, payload: r227 }), 1);
    expect(hex(out.frame)).toBe(hex(toClient({ seq: SSEQ, ack: CSEQ + 6, payload: r227 })));
    const data = run(e, client({ flags: SYN, sport: 40001, dport: 10000, seq: 7000 }), 0);
    expect(data.verdict).toBe(VERDICT_TX);
    expect(data.frame[33]).toBe(ctl.frame[33]);
    expect(e.counters.snapshot()).toMatchObject({ ftp_replies_rewritten: 0, ftp_data_conns: 0 });
  });
});

describe('FTP helper on a backup router', () => {
  it('a synced control connection of an FTP port gets the helper (ip_vs_conn_new binds the app there too)', async () => {
    const { importSyncConn, newSyncImportStats } = await import('../../../src/engine/sync-import.js');
    const { e, RS } = world('198.19.0.7');
    const conn = { protocol: 6, caddr: CLIENT, cport: 40000, vaddr: VIP, vport: 21, daddr: RS, dport: 21, flags: 0, state: 1, fwmark: 0, timeout: 900 };
    importSyncConn(e, conn, 1, newSyncImportStats(), 1000);
    const slot = e.conns.lookupIn(6, CLIENT, 40000, VIP, 21);
    expect(e.conns.flagsOf(slot) & CONN_F_APP).toBe(CONN_F_APP);
    // It acts from the next PASV on.
    run(e, client({ ack: SSEQ, payload: 'PASV\r\n' }), 0);
    const out = run(e, server(RS, { seq: SSEQ, ack: CSEQ + 6, payload: '227 Entering Passive Mode (198,19,0,7,195,80).\r\n' }), 1);
    expect(hex(out.frame)).toBe(hex(toClient({ seq: SSEQ, ack: CSEQ + 6, payload: '227 Entering Passive Mode (198,18,0,10,195,80).\r\n' })));
  });
});

describe('FTP helper offsets through connection sync', () => {
  it("the master's out_seq goes in the sync record and the backup carries the session on from it", async () => {
    const { importSyncConn, newSyncImportStats } = await import('../../../src/engine/sync-import.js');
    const reply227 = '227 Entering Passive Mode (198,19,0,7,195,80).\r\n';
    const m = world('198.19.0.7');
    handshake(m.e, m.RS);
    run(m.e, client({ ack: SSEQ, payload: 'PASV\r\n' }), 0);
    run(m.e, server(m.RS, { seq: SSEQ, ack: CSEQ + 6, payload: reply227 }), 1);
    const slot = m.e.conns.lookupIn(6, CLIENT, 40000, VIP, 21);
    const seq = { initSeq: 0, delta: 0, previousDelta: 0 };
    expect(m.e.ftp.exportSeq(m.e.conns, slot, seq)).toBe(true);
    expect(seq).toEqual({ initSeq: SSEQ, delta: 1, previousDelta: 0 });
    const b = world('198.19.0.7');
    const conn = { protocol: 6, caddr: CLIENT, cport: 40000, vaddr: VIP, vport: 21, daddr: b.RS, dport: 21, flags: 0, state: 1, fwmark: 0, timeout: 900, outSeq: seq };
    importSyncConn(b.e, conn, 1, newSyncImportStats(), 1000);
    const next = SSEQ + reply227.length;
    // The client's acknowledgement of the rewritten reply (its first packet through the backup: its MAC too).
    const ackIn = run(b.e, client({ flags: ACK, seq: CSEQ + 6, ack: next + 1 }), 0);
    expect(hex(ackIn.frame)).toBe(hex(toServer(b.RS, { flags: ACK, seq: CSEQ + 6, ack: next })));
    const later = run(b.e, server(b.RS, { seq: next, ack: CSEQ + 6, payload: '150 Here\r\n' }), 1);
    expect(hex(later.frame)).toBe(hex(toClient({ seq: next + 1, ack: CSEQ + 6, payload: '150 Here\r\n' })));
  });
});
