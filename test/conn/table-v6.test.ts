// IPv6 entries share the table with IPv4 ones: their rows hold address folds,
// their addresses are verified in full, and neither family's lookups find the other's.
import { describe, expect, it } from 'vitest';
import { CONN_F_NAT, CONN_F_TEMPLATE } from '../../src/conn/index.js';
import { wordsOf6 } from '../../src/engine/addr6.js';
import { T0, TCP, UDP, fixture } from './helpers.js';

/** [src(4) dst(4)] as the engine's scratch holds a packet's addresses. */
function pair(src: string, dst: string): Int32Array {
  const a = new Int32Array(8);
  wordsOf6(src, a, 0);
  wordsOf6(dst, a, 4);
  return a;
}

const CLIENT = '2001:2:0:1::100', VIP = '2001:2:0:1::10', SERVER = '2001:2:0:2::2';

function addNat(t: ReturnType<typeof fixture>['t'], client = CLIENT, cport = 40000): number {
  t.enable6();
  const a = pair(client, VIP);
  return t.add6(TCP, a, 0, cport, a, 4, 80, wordsOf6(SERVER, new Int32Array(4)), 0, 8080, 1, CONN_F_NAT, 0, T0);
}

describe('IPv6 entries', () => {
  it('are found from the client side and, for NAT, from the real server side', () => {
    const { t } = fixture();
    const s = addNat(t);
    expect(s).toBeGreaterThan(0);
    expect(t.isV6(s)).toBe(true);
    expect(t.lookupIn6(TCP, pair(CLIENT, VIP), 40000, 80)).toBe(s);
    expect(t.lookupOut6(TCP, pair(SERVER, CLIENT), 8080, 40000)).toBe(s);
    expect(t.lookupIn6(UDP, pair(CLIENT, VIP), 40000, 80)).toBe(0);
    expect(t.lookupIn6(TCP, pair(CLIENT, VIP), 40001, 80)).toBe(0);
    expect(t.lookupOut6(TCP, pair(SERVER, CLIENT), 8081, 40000)).toBe(0);
    expect(t.dportOf(s)).toBe(8080);
  });

  it('tell apart addresses whose XOR folds are equal', () => {
    const { t } = fixture();
    // 2001:2::1 and 2001:2:0:1:: fold alike (the last two 32-bit words swap places).
    const s = addNat(t, '2001:2::1');
    const a = pair('2001:2:0:1::', VIP);
    const b = pair('2001:2::1', VIP);
    expect(a[0] ^ a[1] ^ a[2] ^ a[3]).toBe(b[0] ^ b[1] ^ b[2] ^ b[3]);
    expect(t.lookupIn6(TCP, a, 40000, 80)).toBe(0);
    const s2 = addNat(t, '2001:2:0:1::');
    expect(s2).not.toBe(s);
    expect(t.lookupIn6(TCP, a, 40000, 80)).toBe(s2);
    expect(t.lookupIn6(TCP, pair('2001:2::1', VIP), 40000, 80)).toBe(s);
  });

  it('are never found by IPv4 lookups of their folds, nor IPv4 entries by IPv6 lookups', () => {
    const { t } = fixture();
    const s = addNat(t);
    const c = pair(CLIENT, VIP);
    const cf = c[0] ^ c[1] ^ c[2] ^ c[3], vf = c[4] ^ c[5] ^ c[6] ^ c[7];
    expect(t.lookupIn(TCP, cf, 40000, vf, 80)).toBe(0);
    const v4 = t.add(TCP, cf, 40000, vf, 80, 5, 8080, 1, CONN_F_NAT, 0, T0);
    expect(t.lookupIn(TCP, cf, 40000, vf, 80)).toBe(v4);
    expect(t.lookupIn6(TCP, c, 40000, 80)).toBe(s);
  });

  it('keep persistence templates by client address and VIP', () => {
    const { t } = fixture();
    t.enable6();
    const a = pair(CLIENT, VIP);
    const srv = wordsOf6(SERVER, new Int32Array(4));
    const tpl = t.add6(TCP, a, 0, 0, a, 4, 80, srv, 0, 8080, 1, CONN_F_TEMPLATE, 0, T0);
    expect(t.lookupTemplate6(TCP, a, 0, 80)).toBe(tpl);
    expect(t.lookupTemplate6(TCP, pair('2001:2:0:1::101', VIP), 0, 80)).toBe(0);
    expect(t.lookupIn6(TCP, a, 0, 80)).toBe(0);
  });

  it('give their slot back when they expire', () => {
    const { t } = fixture(4);
    const s = addNat(t);
    t.expireNow(s);
    expect(t.count).toBe(0);
    expect(t.lookupIn6(TCP, pair(CLIENT, VIP), 40000, 80)).toBe(0);
    expect(addNat(t, CLIENT, 40001)).toBe(s);
  });
});
