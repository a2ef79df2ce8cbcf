// The SYN proxy for IPv6 NAT services (engine/syn-proxy6.ts), frame by frame
// through the engine, as syn-proxy.test.ts does for IPv4: every frame the router
// writes is compared byte for byte with one built from the RFCs' layouts
// (test/packet/helpers6.ts), checksums over IPv6's pseudo-header included.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { DROP_SYNPROXY_WAITING } from '../../src/engine/counters.js';
import { Batch, VERDICT_DROP, VERDICT_PASS, VERDICT_TX } from '../../src/frames/batch.js';
import { CONN_F_SEQ_ADJUST } from '../../src/conn/flags.js';
import { DEFAULT_SWITCHES, type ServiceTable } from '../../src/model/index.js';
import { frame6, icmp6Msg, ndBody } from '../packet/helpers6.js';
import { ETH0_MAC, ETH1_MAC, hex, run } from './helpers.js';

const VIP6 = '2001:2:0:1::10';
const CLIENT6 = '2001:2:0:1::100';
const RS6 = '2001:2:0:2::11';
const CLIENT_MAC = [0x02, 0xc1, 0, 0, 0, 0x01];
const RS_MAC = [0x02, 0x52, 0, 0, 0, 0x11];
const SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;
const NOW = 120_000;
const CISN = 0x11223344;
const SISN = 0xfedcba98;
const CPORT = 40000;

interface Seg { sport: number; dport: number; seq: number; ack?: number; flags: number; window?: number; mss?: number; payload?: number[] }

/** A TCP header (an MSS option when mss is given) and payload; frame6 fills the checksum. */
function tcp(s: Seg): Uint8Array {
  const opt = s.mss !== undefined ? 4 : 0;
  const b = new Uint8Array(20 + opt + (s.payload?.length ?? 0));
  const v = new DataView(b.buffer);
  v.setUint16(0, s.sport);
  v.setUint16(2, s.dport);
  v.setUint32(4, s.seq >>> 0);
  v.setUint32(8, (s.ack ?? 0) >>> 0);
  b[12] = ((20 + opt) / 4) << 4;
  b[13] = s.flags;
  v.setUint16(14, s.window ?? 65535);
  if (s.mss !== undefined) {
    b.set([2, 4], 20);
    v.setUint16(22, s.mss);
  }
  b.set(s.payload ?? [], 20 + opt);
  return b;
}

const fromClient = (s: Omit<Seg, 'sport' | 'dport'>, hop = 64) =>
  frame6({ src: CLIENT6, dst: VIP6, proto: 6, hop, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC], l4: tcp({ sport: CPORT, dport: 80, ...s }) });
const toServer = (s: Omit<Seg, 'sport' | 'dport'>, hop = 64) =>
  frame6({ src: CLIENT6, dst: RS6, proto: 6, hop, srcMac: [...ETH1_MAC], dstMac: RS_MAC, l4: tcp({ sport: CPORT, dport: 8080, ...s }) });
const fromServer = (s: Omit<Seg, 'sport' | 'dport'>) =>
  frame6({ src: RS6, dst: CLIENT6, proto: 6, hop: 64, srcMac: RS_MAC, dstMac: [...ETH1_MAC], l4: tcp({ sport: 8080, dport: CPORT, ...s }) });
const toClient = (s: Omit<Seg, 'sport' | 'dport'>, hop: number) =>
  frame6({ src: VIP6, dst: CLIENT6, proto: 6, hop, srcMac: [...ETH0_MAC], dstMac: CLIENT_MAC, l4: tcp({ sport: 80, dport: CPORT, ...s }) });

function world(forward: 'nat' | 'dr' = 'nat', synProxy = 3): Engine {
  const t: ServiceTable = {
    version: 1, marks: [], timeouts: { tcp: 0, tcpfin: 0, udp: 0 }, switches: { ...DEFAULT_SWITCHES, synProxy },
    services: [{
      name: 'web6', protocol: 'tcp', address: 0, address6: VIP6, port: 80, fwmark: 0, scheduler: 'rr', schedFlags: [],
      persistence: 0, persistMask: 0xffffffff, onePacket: false,
      servers: [{ name: 'rs1', address: 0, address6: RS6, port: forward === 'nat' ? 8080 : 80, weight: 1, forward, upperThreshold: 0, lowerThreshold: 0 }],
    }],
    addresses: [
      { address: 0, address6: VIP6, prefixLen: 64, device: 'eth0', role: 'vip' },
      { address: 0, address6: '2001:2:0:2::1', prefixLen: 64, device: 'eth1', role: 'nat_router' },
    ],
  };
  const e = new Engine({ interfaces: [{ name: 'eth0', mac: ETH0_MAC }, { name: 'eth1', mac: ETH1_MAC }], table: t, connCapacity: 64 });
  const na = frame6({ src: RS6, dst: 'ff02::1', hop: 255, proto: 58, srcMac: RS_MAC, dstMac: [0x33, 0x33, 0, 0, 0, 1],
    l4: icmp6Msg(136, 0, ndBody(0x20, RS6, [2, 1, ...RS_MAC])) });
  expect(run(e, na, 1, NOW).verdict).toBe(VERDICT_PASS);
  return e;
}

/** SYN, cookie SYN-ACK (MSS 1440: a 1,500-byte link less IPv6's 60 bytes of headers); returns the cookie. */
function handshake(e: Engine): number {
  const synack = run(e, fromClient({ flags: SYN, seq: CISN, mss: 1460 }), 0, NOW);
  expect([synack.verdict, synack.ifOut]).toEqual([VERDICT_TX, 0]);
  const cookie = new DataView(synack.frame.buffer, synack.frame.byteOffset).getUint32(14 + 40 + 4);
  expect(hex(synack.frame)).toBe(hex(toClient({ flags: SYN | ACK, seq: cookie, ack: CISN + 1, mss: 1440 }, 64)));
  expect(e.conns.count).toBe(0);
  return cookie;
}

describe('syn_proxy over IPv6', () => {
  it('answers a SYN with a cookie and keeps nothing; the ACK opens the connection as a SYN to the server; the server\'s SYN-ACK is acked and the held request follows', () => {
    const e = world();
    const cookie = handshake(e);
    const syn = run(e, fromClient({ flags: ACK, seq: CISN + 1, ack: cookie + 1, window: 502 }), 0, NOW + 5);
    expect([syn.verdict, syn.ifOut]).toEqual([VERDICT_TX, 1]);
    // The client's MSS class (1460) and window go on to the server; its hop limit is kept, as IPVS's input path keeps it.
    expect(hex(syn.frame)).toBe(hex(toServer({ flags: SYN, seq: CISN, window: 502, mss: 1460 }, 64)));
    expect(e.conns.count).toBe(1);
    const slot = e.v6.lastConn;
    expect(e.conns.flagsOf(slot) & CONN_F_SEQ_ADJUST).toBe(CONN_F_SEQ_ADJUST);

    const request = [0x47, 0x45, 0x54, 0x20, 0x2f, 0, 0, 0, 0, 0];
    const early = run(e, fromClient({ flags: ACK | PSH, seq: CISN + 1, ack: cookie + 1, payload: request }), 0, NOW + 6);
    expect([early.verdict, early.reason]).toEqual([VERDICT_DROP, 0]);
    const more = run(e, fromClient({ flags: ACK | PSH, seq: CISN + 11, ack: cookie + 1, payload: request }), 0, NOW + 6);
    expect([more.verdict, more.reason]).toEqual([VERDICT_DROP, DROP_SYNPROXY_WAITING]);

    const b = new Batch(4, 1 << 16);
    b.push(fromServer({ flags: SYN | ACK, seq: SISN, ack: CISN + 1, mss: 1400 }), 1);
    expect(e.process(b, NOW + 7)).toBe(2);
    expect([b.count, b.verdict[0], b.ifOut[0], b.verdict[1], b.ifOut[1]]).toEqual([2, VERDICT_TX, 1, VERDICT_TX, 1]);
    expect(hex(b.frame(0))).toBe(hex(toServer({ flags: ACK, seq: CISN + 1, ack: SISN + 1, window: 502 }, 64)));
    expect(hex(b.frame(1))).toBe(hex(toServer({ flags: ACK | PSH, seq: CISN + 1, ack: SISN + 1, payload: request }, 64)));

    // From now on the server's numbering is translated both ways, checksums kept right.
    const req = run(e, fromClient({ flags: ACK | PSH, seq: CISN + 1, ack: cookie + 1, payload: request }), 0, NOW + 300);
    expect(hex(req.frame)).toBe(hex(toServer({ flags: ACK | PSH, seq: CISN + 1, ack: SISN + 1, payload: request }, 64)));
    const body = [1, 2, 3, 4, 5];
    const resp = run(e, fromServer({ flags: ACK | PSH, seq: SISN + 1, ack: CISN + 11, payload: body }), 1, NOW + 301);
    expect(hex(resp.frame)).toBe(hex(toClient({ flags: ACK | PSH, seq: cookie + 1, ack: CISN + 11, payload: body }, 63)));
    const c = e.counters.snapshot();
    expect([c.synproxy_cookies_sent, c.synproxy_acks_valid, c.synproxy_conns, c.synproxy_held, c.drop_synproxy_waiting, c.conns_created]).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('an ACK whose cookie is wrong, or made for another client, opens nothing', () => {
    const e = world();
    const cookie = handshake(e);
    run(e, fromClient({ flags: ACK, seq: CISN + 1, ack: cookie + 2 }), 0, NOW + 5);
    const other = frame6({ src: '2001:2:0:1::101', dst: VIP6, proto: 6, srcMac: CLIENT_MAC, dstMac: [...ETH0_MAC],
      l4: tcp({ sport: CPORT, dport: 80, flags: ACK, seq: CISN + 1, ack: cookie + 1 }) });
    run(e, other, 0, NOW + 6);
    run(e, fromClient({ flags: ACK, seq: CISN + 1, ack: cookie + 1 }), 0, NOW + 3 * 60_000);
    expect(e.conns.count).toBe(0);
    const c = e.counters.snapshot();
    expect([c.synproxy_acks_invalid, c.synproxy_acks_valid ?? 0]).toEqual([3, 0]);
  });

  it('a server that refuses: its reset reaches the client in the client\'s numbering', () => {
    const e = world();
    const cookie = handshake(e);
    run(e, fromClient({ flags: ACK, seq: CISN + 1, ack: cookie + 1 }), 0, NOW + 5);
    const rst = run(e, fromServer({ flags: RST | ACK, seq: 0, ack: CISN + 1, window: 0 }), 1, NOW + 6);
    expect(rst.verdict).toBe(VERDICT_TX);
    expect(hex(rst.frame)).toBe(hex(toClient({ flags: RST | ACK, seq: cookie + 1, ack: CISN + 1, window: 0 }, 63)));
  });

  it('a DR service is not proxied, nor is any service while mode 1 sees no pressure: the SYN goes to the server', () => {
    for (const e of [world('dr'), world('nat', 1)]) {
      const r = run(e, fromClient({ flags: SYN, seq: CISN, mss: 1460 }), 0, NOW);
      expect([r.verdict, r.ifOut]).toEqual([VERDICT_TX, 1]);
      expect(e.conns.count).toBe(1);
      expect(e.counters.snapshot().synproxy_cookies_sent ?? 0).toBe(0);
    }
  });
});
