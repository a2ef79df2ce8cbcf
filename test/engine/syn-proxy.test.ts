// The SYN proxy (syn_proxy, engine/syn-proxy.ts and seq-adjust.ts), frame by
// frame through the engine: each frame the router sends is compared byte for
// byte with the one a TCP stack would have built (golden frames from
// packet/build.ts, checksums included), with the cookie secrets fixed.
import { describe, expect, it } from 'vitest';
import { Batch, VERDICT_DROP, VERDICT_TX } from '../../src/frames/batch.js';
import { DROP_SYNPROXY_WAITING } from '../../src/engine/counters.js';
import { SynProxy } from '../../src/engine/syn-proxy.js';
import { SynCookies } from '../../src/engine/syn-cookie.js';
import { buildTcp, type TcpOptions } from '../../src/packet/build.js';
import { CONN_F_SEQ_ADJUST } from '../../src/conn/flags.js';
import { CLIENT, CLIENT_MAC, engine, ETH0_MAC, ETH1_MAC, hex, ip, rsMac, run, service, table, VIP } from './helpers.js';
import type { Engine } from '../../src/engine/engine.js';

const SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;
const RS = ip('198.19.0.11');
const NOW = 120_000;
const CISN = 0x11223344;
const SISN = 0xfedcba98;
const mssOpt = (mss: number) => Uint8Array.from([2, 4, mss >> 8, mss & 255]);
const fromClient = (o: Partial<TcpOptions>) => buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport: 40000, dport: 80, df: true, ...o });
const fromServer = (o: Partial<TcpOptions>) => buildTcp({ srcMac: rsMac(RS), dstMac: ETH1_MAC, src: RS, dst: CLIENT, sport: 80, dport: 40000, df: true, ...o });
const cookies = new SynCookies(1, 2);

function world(mode = 3): Engine {
  const e = engine(table([service([{ addr: '198.19.0.11' }])], {}, { synProxy: mode }), { connCapacity: 64 });
  (e as { synProxy: SynProxy | null }).synProxy = new SynProxy(64, 1, 2);
  return e;
}

/** SYN, cookie SYN-ACK, ACK: returns the cookie. */
function handshake(e: Engine): number {
  const synack = run(e, fromClient({ flags: SYN, seq: CISN, tcpOptions: mssOpt(1460) }), 0, NOW);
  const cookie = cookies.make(CLIENT, 40000, VIP, 80, CISN, NOW, 3);
  expect(synack.verdict).toBe(VERDICT_TX);
  expect(synack.ifOut).toBe(0);
  expect(hex(synack.frame)).toBe(hex(buildTcp({ srcMac: ETH0_MAC, dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, sport: 80, dport: 40000, df: true,
    flags: SYN | ACK, seq: cookie, ack: CISN + 1, tcpOptions: mssOpt(1460) })));
  expect(e.conns.count).toBe(0);
  return cookie;
}

describe('syn_proxy', () => {
  it('answers a SYN with a cookie and keeps nothing; the ACK opens the connection as a SYN to the server; the server\'s SYN-ACK is acked', () => {
    const e = world();
    const cookie = handshake(e);
    const syn = run(e, fromClient({ flags: ACK, seq: CISN + 1, ack: cookie + 1, window: 502 }), 0, NOW + 5);
    expect(syn.verdict).toBe(VERDICT_TX);
    expect(syn.ifOut).toBe(1);
    expect(hex(syn.frame)).toBe(hex(buildTcp({ srcMac: ETH1_MAC, dstMac: rsMac(RS), src: CLIENT, dst: RS, sport: 40000, dport: 80, df: true,
      flags: SYN, seq: CISN, ack: 0, window: 502, tcpOptions: mssOpt(1460) })));
    expect(e.conns.count).toBe(1);
    const slot = e.conns.lookupIn(6, CLIENT, 40000, VIP, 80);
    expect(e.conns.flagsOf(slot) & CONN_F_SEQ_ADJUST).toBe(CONN_F_SEQ_ADJUST);

    // The request that follows the ACK at once: held (one segment); a second one is dropped for the client to send again.
    const request = Uint8Array.from([0x47, 0x45, 0x54, 0x20, 0x2f, 0, 0, 0, 0, 0]);
    const early = run(e, fromClient({ flags: ACK | PSH, seq: CISN + 1, ack: cookie + 1, payload: request }), 0, NOW + 6);
    expect([early.verdict, early.reason]).toEqual([VERDICT_DROP, 0]);
    const more = run(e, fromClient({ flags: ACK | PSH, seq: CISN + 11, ack: cookie + 1, payload: request }), 0, NOW + 6);
    expect([more.verdict, more.reason]).toEqual([VERDICT_DROP, DROP_SYNPROXY_WAITING]);

    // The server's SYN-ACK becomes its ACK, and the held request follows it in the same batch.
    const b = new Batch(4, 1 << 16);
    b.push(fromServer({ flags: SYN | ACK, seq: SISN, ack: CISN + 1, tcpOptions: mssOpt(1400) }), 1);
    expect(e.process(b, NOW + 7)).toBe(2);
    expect(b.count).toBe(2);
    expect([b.verdict[0], b.ifOut[0], b.verdict[1], b.ifOut[1]]).toEqual([VERDICT_TX, 1, VERDICT_TX, 1]);
    expect(hex(b.frame(0))).toBe(hex(buildTcp({ srcMac: ETH1_MAC, dstMac: rsMac(RS), src: CLIENT, dst: RS, sport: 40000, dport: 80, df: true,
      flags: ACK, seq: CISN + 1, ack: SISN + 1, window: 502 })));
    expect(hex(b.frame(1))).toBe(hex(buildTcp({ srcMac: ETH1_MAC, dstMac: rsMac(RS), src: CLIENT, dst: RS, sport: 40000, dport: 80, df: true,
      flags: ACK | PSH, seq: CISN + 1, ack: SISN + 1, payload: request })));

    // From now on the server's numbering is translated both ways.
    const req = run(e, fromClient({ flags: ACK | PSH, seq: CISN + 1, ack: cookie + 1, payload: new Uint8Array(10) }), 0, NOW + 300);
    expect(hex(req.frame)).toBe(hex(buildTcp({ srcMac: ETH1_MAC, dstMac: rsMac(RS), src: CLIENT, dst: RS, sport: 40000, dport: 80, df: true,
      flags: ACK | PSH, seq: CISN + 1, ack: SISN + 1, payload: new Uint8Array(10) })));
    const body = Uint8Array.from([1, 2, 3, 4, 5]);
    const resp = run(e, fromServer({ flags: ACK | PSH, seq: SISN + 1, ack: CISN + 11, payload: body, ttl: 64 }), 1, NOW + 301);
    expect(hex(resp.frame)).toBe(hex(buildTcp({ srcMac: ETH0_MAC, dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, sport: 80, dport: 40000, df: true, ttl: 63,
      flags: ACK | PSH, seq: (cookie + 1) >>> 0, ack: CISN + 11, payload: body })));
    // SACK blocks name server bytes: translated with the ack.
    const sack = (a: number, b: number) => {
      const o = new Uint8Array(12);
      o.set([1, 1, 5, 10]);
      new DataView(o.buffer).setUint32(4, a >>> 0);
      new DataView(o.buffer).setUint32(8, b >>> 0);
      return o;
    };
    const d = (cookie - SISN) | 0;
    const dup = run(e, fromClient({ flags: ACK, seq: CISN + 11, ack: cookie + 1, tcpOptions: sack(cookie + 1001, cookie + 2001) }), 0, NOW + 302);
    expect(hex(dup.frame)).toBe(hex(buildTcp({ srcMac: ETH1_MAC, dstMac: rsMac(RS), src: CLIENT, dst: RS, sport: 40000, dport: 80, df: true,
      flags: ACK, seq: CISN + 11, ack: (cookie + 1 - d) >>> 0, tcpOptions: sack(cookie + 1001 - d, cookie + 2001 - d) })));
    expect((cookie + 1 - d) >>> 0).toBe(SISN + 1);
    const c = e.counters.snapshot();
    expect([c.synproxy_cookies_sent, c.synproxy_acks_valid, c.synproxy_conns, c.synproxy_held, c.drop_synproxy_waiting, c.conns_created]).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('an ACK with no valid cookie opens nothing: counted, and answered as a segment of no connection', () => {
    const e = world();
    const cookie = handshake(e);
    const forged = run(e, fromClient({ flags: ACK, seq: CISN + 1, ack: cookie + 2 }), 0, NOW + 5);
    expect(forged.verdict).toBe(VERDICT_TX); // the reset of issue 15 item 9
    expect(forged.frame[47] & RST).toBe(RST);
    // Another client's copy of the cookie: the tuple is in it.
    const other = buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: ip('198.18.0.101'), dst: VIP, sport: 40000, dport: 80, flags: ACK, seq: CISN + 1, ack: cookie + 1 });
    run(e, other, 0, NOW + 6);
    // Too old: 3 minute-counts later.
    run(e, fromClient({ flags: ACK, seq: CISN + 1, ack: cookie + 1 }), 0, NOW + 3 * 60_000);
    expect(e.conns.count).toBe(0);
    const c = e.counters.snapshot();
    expect([c.synproxy_acks_invalid, c.synproxy_acks_valid ?? 0, c.drop_tcp_no_connection]).toEqual([3, 0, 3]);
  });

  it('a server that refuses: its reset reaches the client in the client\'s numbering', () => {
    const e = world();
    const cookie = handshake(e);
    run(e, fromClient({ flags: ACK, seq: CISN + 1, ack: cookie + 1 }), 0, NOW + 5);
    const rst = run(e, fromServer({ flags: RST | ACK, seq: 0, ack: CISN + 1 }), 1, NOW + 6);
    expect(rst.verdict).toBe(VERDICT_TX);
    expect(hex(rst.frame)).toBe(hex(buildTcp({ srcMac: ETH0_MAC, dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, sport: 80, dport: 40000, df: true, ttl: 63,
      flags: RST | ACK, seq: (cookie + 1) >>> 0, ack: CISN + 1 })));
  });

  it('mode 1 acts only under pressure: with a free table a SYN goes to the server as before', () => {
    const e = world(1);
    const r = run(e, fromClient({ flags: SYN, seq: CISN, tcpOptions: mssOpt(1460) }), 0, NOW);
    expect(r.ifOut).toBe(1);
    expect(e.conns.count).toBe(1);
    expect(e.counters.snapshot().synproxy_cookies_sent ?? 0).toBe(0);
  });

  it('a service with a DR server is not proxied: its SYN goes to a server as before', () => {
    const e = engine(table([service([{ addr: '198.19.0.11' }], { forward: 'dr' })], {}, { synProxy: 3 }), { connCapacity: 64 });
    run(e, fromClient({ flags: SYN, seq: CISN, tcpOptions: mssOpt(1460) }), 0, NOW);
    expect(e.conns.count).toBe(1);
    expect(e.counters.snapshot().synproxy_cookies_sent ?? 0).toBe(0);
  });

  it('a SYN without options (no room for an MSS option in its frame) gets a SYN-ACK without one', () => {
    const e = world();
    const r = run(e, fromClient({ flags: SYN, seq: CISN }), 0, NOW);
    expect(hex(r.frame)).toBe(hex(buildTcp({ srcMac: ETH0_MAC, dstMac: CLIENT_MAC, src: VIP, dst: CLIENT, sport: 80, dport: 40000, df: true,
      flags: SYN | ACK, seq: cookies.make(CLIENT, 40000, VIP, 80, CISN, NOW, 0), ack: CISN + 1 })));
    // Its ACK (54 bytes) grows into the SYN with an MSS option in the batch's tailroom: 536, the cookie's.
    const syn = run(e, fromClient({ flags: ACK, seq: CISN + 1, ack: cookies.make(CLIENT, 40000, VIP, 80, CISN, NOW, 0) + 1 }), 0, NOW + 1);
    expect(syn.verdict).toBe(VERDICT_TX);
    expect(hex(syn.frame)).toBe(hex(buildTcp({ srcMac: ETH1_MAC, dstMac: rsMac(RS), src: CLIENT, dst: RS, sport: 40000, dport: 80, df: true,
      flags: SYN, seq: CISN, ack: 0, tcpOptions: mssOpt(536) })));
  });
});
