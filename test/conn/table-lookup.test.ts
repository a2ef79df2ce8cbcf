// Hashing and lookup: one chain per conn keyed by its client endpoint, found from
// either direction, templates apart, capacity, slot reuse.
import { describe, expect, it } from 'vitest';
import { CONN_F_HASHED, CONN_F_INACTIVE, CONN_F_NAT, CONN_F_ONE_PACKET, CONN_F_TEMPLATE } from '../../src/conn/index.js';
import { T0, TCP, UDP, fixture, ip } from './helpers.js';

const C = ip('10.1.2.3'), V = ip('192.168.0.10'), R = ip('172.16.0.5');

describe('lookup', () => {
  it('finds a NAT conn from the client side (dir 0) and from the real server side (dir 1)', () => {
    const { t } = fixture();
    const s = t.add(TCP, C, 40000, V, 80, R, 8080, 1, CONN_F_NAT, 0, T0);
    expect(s).toBeGreaterThan(0);
    expect(t.lookup(TCP, C, 40000, V, 80)).toBe(s * 2);
    expect(t.lookup(TCP, R, 8080, C, 40000)).toBe(s * 2 + 1);
    // not the other way round, nor other ports, protocols or addresses
    expect(t.lookup(TCP, V, 80, C, 40000)).toBe(0);
    expect(t.lookup(TCP, C, 40000, R, 8080)).toBe(0);
    expect(t.lookup(UDP, C, 40000, V, 80)).toBe(0);
    expect(t.lookup(TCP, C, 40001, V, 80)).toBe(0);
    expect(t.lookup(TCP, C, 40000, V, 81)).toBe(0);
    expect(t.lookup(TCP, R, 8080, C, 40001)).toBe(0);
    expect(t.lookup(TCP, C + 1, 40000, V, 80)).toBe(0);
  });

  it('lookupIn and lookupOut find only their own direction', () => {
    const { t } = fixture();
    const s = t.add(TCP, C, 40000, V, 80, R, 8080, 1, CONN_F_NAT, 0, T0);
    expect(t.lookupIn(TCP, C, 40000, V, 80)).toBe(s);
    expect(t.lookupOut(TCP, R, 8080, C, 40000)).toBe(s);
    expect(t.lookupIn(TCP, R, 8080, C, 40000)).toBe(0);
    expect(t.lookupOut(TCP, C, 40000, V, 80)).toBe(0);
  });

  it('conns sharing a client endpoint share a chain and are told apart in both directions', () => {
    // ip_vs_conn_hashkey: one client address and port to two services (and a DR one)
    // hash alike; the rest of the tuple picks the conn.
    const { t } = fixture();
    const R2 = ip('172.16.0.6');
    const a = t.add(TCP, C, 40000, V, 80, R, 8080, 1, CONN_F_NAT, 0, T0);
    const b = t.add(TCP, C, 40000, V, 443, R2, 8443, 2, CONN_F_NAT, 0, T0);
    const d = t.add(TCP, C, 40000, V + 1, 80, R, 8080, 1, 0, 0, T0);
    expect([t.lookup(TCP, C, 40000, V, 80), t.lookup(TCP, C, 40000, V, 443), t.lookup(TCP, C, 40000, V + 1, 80)]).toEqual([2 * a, 2 * b, 2 * d]);
    expect(t.lookup(TCP, R, 8080, C, 40000)).toBe(2 * a + 1); // d is DR: no reply tuple
    expect(t.lookup(TCP, R2, 8443, C, 40000)).toBe(2 * b + 1);
    expect(t.lookup(TCP, R2, 8080, C, 40000)).toBe(0);
    t.expireNow(a);
    expect(t.lookup(TCP, C, 40000, V, 80)).toBe(0);
    expect(t.lookup(TCP, R, 8080, C, 40000)).toBe(0);
    expect([t.lookup(TCP, C, 40000, V, 443), t.lookup(TCP, R2, 8443, C, 40000), t.lookup(TCP, C, 40000, V + 1, 80)]).toEqual([2 * b, 2 * b + 1, 2 * d]);
  });

  it('keeps every field whole in its row: ports up to 65535, addresses above 2^31, u32 timeouts', () => {
    const { t } = fixture();
    const c = ip('255.255.255.254'), v = ip('128.0.0.1'), r = ip('200.0.0.9');
    for (const [cport, vport, dport] of [[65535, 32768, 65535], [32768, 65535, 1], [0, 1, 32768]]) {
      const s = t.add(UDP, c, cport, v, vport, r, dport, 3, CONN_F_NAT, 0, T0);
      expect([t.protoOf(s), t.caddrOf(s), t.cportOf(s), t.vaddrOf(s), t.vportOf(s), t.daddrOf(s), t.dportOf(s), t.destOf(s)])
        .toEqual([UDP, c, cport, v, vport, r, dport, 3]);
      expect(t.lookupIn(UDP, c | 0, cport, v | 0, vport)).toBe(s);
      expect(t.lookupOut(UDP, r, dport, c, cport)).toBe(s);
      t.setTimeout(s, 0xffffffff, T0);
      expect(t.timeoutOf(s)).toBe(0xffffffff);
      expect(t.flagsOf(s) & CONN_F_NAT).toBe(CONN_F_NAT);
      t.expireNow(s);
    }
  });

  it('accepts addresses given as signed int32', () => {
    const { t } = fixture();
    const s = t.add(TCP, ip('200.1.1.1'), 1, ip('192.168.0.1'), 80, ip('172.16.0.1'), 80, 0, CONN_F_NAT, 0, T0);
    expect(t.lookup(TCP, ip('200.1.1.1') | 0, 1, ip('192.168.0.1') | 0, 80)).toBe(2 * s);
    expect(t.lookup(TCP, ip('172.16.0.1') | 0, 80, ip('200.1.1.1') | 0, 1)).toBe(2 * s + 1);
  });

  it('does not hash DR conns by the reply tuple', () => {
    const { t } = fixture();
    const s = t.add(TCP, C, 40000, V, 80, R, 80, 1, 0, 0, T0);
    expect(t.lookup(TCP, C, 40000, V, 80)).toBe(2 * s);
    expect(t.lookup(TCP, R, 80, C, 40000)).toBe(0);
  });

  it('never returns templates; lookupTemplate finds them by (proto, client net, vaddr, vport)', () => {
    const { t, dests } = fixture();
    const snet = C & 0xffffff00;
    const tpl = t.add(TCP, snet, 0, V, 80, R, 80, 2, CONN_F_TEMPLATE, 0, T0);
    expect(dests.persist[2]).toBe(1);
    expect(dests.inactive[2]).toBe(0);
    expect(t.flagsOf(tpl) & CONN_F_INACTIVE).toBe(0);
    expect(t.lookup(TCP, snet, 0, V, 80)).toBe(0);
    expect(t.lookupTemplate(TCP, (C & 0xffffff00) >>> 0, V, 80)).toBe(tpl);
    expect(t.lookupTemplate(TCP, C, V, 80)).toBe(0);
    expect(t.lookupTemplate(UDP, snet, V, 80)).toBe(0);
    expect(t.lookupTemplate(TCP, snet, V, 443)).toBe(0);
    // fwmark services: proto 0 (IPPROTO_IP), vaddr = fwmark, vport 0
    const fw = t.add(0, snet, 0, 7, 0, R, 0, 2, CONN_F_TEMPLATE, 0, T0);
    expect(t.lookupTemplate(0, snet, 7, 0)).toBe(fw);
    expect(t.lookupTemplate(0, snet, 8, 0)).toBe(0);
    // a conn with the same tuple as the template is a different entry
    const c = t.add(TCP, snet, 0, V, 80, R, 80, 2, 0, tpl, T0);
    expect(t.lookup(TCP, snet, 0, V, 80)).toBe(2 * c);
    expect(t.lookupTemplate(TCP, snet, V, 80)).toBe(tpl);
    expect(t.nControl[tpl]).toBe(1);
    expect(t.control[c]).toBe(tpl);
  });

  it('one-packet UDP conns are never hashed (ip_vs_conn_hash skips ONE_PACKET); TCP ones drop the flag', () => {
    const { t, dests } = fixture();
    const u = t.add(UDP, C, 53000, V, 53, R, 53, 1, CONN_F_ONE_PACKET | CONN_F_NAT, 0, T0);
    expect(t.isLive(u)).toBe(true);
    expect(t.flagsOf(u) & CONN_F_HASHED).toBe(0);
    expect(t.lookup(UDP, C, 53000, V, 53)).toBe(0);
    expect(dests.inactive[1]).toBe(1);
    expect(t.expire(T0 + 64)).toBe(1); // "expires right after its packet": within a tick
    expect(dests.inactive[1]).toBe(0);
    const tc = t.add(TCP, C, 53000, V, 53, R, 53, 1, CONN_F_ONE_PACKET, 0, T0);
    expect(t.flagsOf(tc) & CONN_F_ONE_PACKET).toBe(0);
    expect(t.lookup(TCP, C, 53000, V, 53)).toBe(2 * tc);
  });

  it('many conns colliding into one bucket chain are all found, and removal keeps the chain intact', () => {
    const { t } = fixture(64); // 64 buckets for 60 conns
    const slots: number[] = [];
    for (let i = 0; i < 60; i++) slots.push(t.add(TCP, C, 1000 + i, V, 80, R, 80, 0, CONN_F_NAT, 0, T0));
    for (let i = 0; i < 60; i += 3) t.expireNow(slots[i]);
    for (let i = 0; i < 60; i++) {
      const gone = i % 3 === 0;
      expect(t.lookup(TCP, C, 1000 + i, V, 80)).toBe(gone ? 0 : 2 * slots[i]);
      expect(t.lookup(TCP, R, 80, C, 1000 + i)).toBe(gone ? 0 : 2 * slots[i] + 1);
    }
  });
});

describe('slots', () => {
  it('add returns 0 when full; a freed slot is reused', () => {
    const { t } = fixture(3);
    const a = t.add(TCP, C, 1, V, 80, R, 80, 1, 0, 0, T0);
    const b = t.add(TCP, C, 2, V, 80, R, 80, 1, 0, 0, T0);
    const c = t.add(TCP, C, 3, V, 80, R, 80, 1, 0, 0, T0);
    expect([a, b, c].sort()).toEqual([1, 2, 3]);
    expect(t.count).toBe(3);
    expect(t.add(TCP, C, 4, V, 80, R, 80, 1, 0, 0, T0)).toBe(0);
    t.expireNow(b);
    expect(t.isLive(b)).toBe(false);
    expect(t.count).toBe(2);
    const d = t.add(TCP, C, 4, V, 80, R, 80, 1, 0, 0, T0);
    expect(d).toBe(b);
    expect(t.lookup(TCP, C, 2, V, 80)).toBe(0);
    expect(t.lookup(TCP, C, 4, V, 80)).toBe(2 * d);
    expect(t.isLive(0)).toBe(false);
    expect(t.isLive(4)).toBe(false);
  });

  it('forEach visits live entries; flush empties the table and the dest counters', () => {
    const { t, dests } = fixture(8);
    const tpl = t.add(TCP, C, 0, V, 80, R, 80, 1, CONN_F_TEMPLATE, 0, T0);
    t.add(TCP, C, 1, V, 80, R, 80, 1, CONN_F_NAT, tpl, T0);
    const x = t.add(TCP, C, 2, V, 80, R, 80, 1, 0, tpl, T0);
    t.expireNow(x);
    const seen: number[] = [];
    t.forEach((s) => seen.push(s));
    expect(seen).toEqual([1, 2]);
    t.flush();
    expect(t.count).toBe(0);
    expect([dests.active[1], dests.inactive[1], dests.persist[1]]).toEqual([0, 0, 0]);
    expect(t.lookup(TCP, C, 1, V, 80)).toBe(0);
    expect(t.lookupTemplate(TCP, C, V, 80)).toBe(0);
    seen.length = 0;
    t.forEach((s) => seen.push(s));
    expect(seen).toEqual([]);
    expect(t.add(TCP, C, 9, V, 80, R, 80, 1, 0, 0, T0)).toBe(1);
    expect(t.expire(T0 + 10_000)).toBe(1);
  });

  it('reports the bytes it holds, under 128 per connection', () => {
    const { t } = fixture(100_000);
    expect(t.bytes / t.capacity).toBeLessThan(128);
    expect(t.bytes / t.capacity).toBeGreaterThan(60);
  });
});
