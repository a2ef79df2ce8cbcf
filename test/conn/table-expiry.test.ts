// Timeouts and expiry: never early, at most one tick late; touch, shortening, templates.
import { describe, expect, it } from 'vitest';
import { CONN_F_NAT, CONN_F_TEMPLATE } from '../../src/conn/index.js';
import { T0, TCP, UDP, fixture, ip } from './helpers.js';

const SYN = 0x02, ACK = 0x10, RST = 0x04;
const C = ip('10.1.2.3'), V = ip('192.168.0.10'), R = ip('172.16.0.5');
const TICK = 64;

describe('conn timeouts', () => {
  it('SYN_RECV: present at +59.9 s, gone by +60 s + one tick', () => {
    const { t, dests } = fixture();
    const s = t.add(TCP, C, 1, V, 80, R, 80, 1, CONN_F_NAT, 0, T0);
    t.tcpTransition(s, 0, SYN, T0);
    expect(t.expire(T0 + 59_900)).toBe(0);
    expect(t.isLive(s)).toBe(true);
    expect(t.lookup(TCP, C, 1, V, 80)).toBe(2 * s);
    expect(t.remaining(s, T0 + 59_900)).toBeGreaterThanOrEqual(100);
    expect(t.expire(T0 + 60_000 + TICK)).toBe(1);
    expect(t.isLive(s)).toBe(false);
    expect(t.lookup(TCP, C, 1, V, 80)).toBe(0);
    expect(t.lookup(TCP, R, 80, C, 1)).toBe(0);
    expect(dests.inactive[1]).toBe(0);
  });

  it('a new TCP conn that sees no packet goes after NONE\'s 2 s', () => {
    const { t } = fixture();
    const s = t.add(TCP, C, 1, V, 80, R, 80, 1, 0, 0, T0);
    t.expire(T0 + 1_999);
    expect(t.isLive(s)).toBe(true);
    t.expire(T0 + 2_000 + TICK);
    expect(t.isLive(s)).toBe(false);
  });

  it('touch re-arms from now with the current timeout', () => {
    const { t } = fixture();
    const s = t.add(TCP, C, 1, V, 80, R, 80, 1, 0, 0, T0);
    t.tcpTransition(s, 0, SYN, T0);
    t.expire(T0 + 30_000);
    t.touch(s, T0 + 50_000);
    t.expire(T0 + 100_000);
    expect(t.isLive(s)).toBe(true);
    t.expire(T0 + 109_900);
    expect(t.isLive(s)).toBe(true);
    t.expire(T0 + 110_000 + TICK);
    expect(t.isLive(s)).toBe(false);
  });

  it('a state change to CLOSE shortens the timer at once: ~10 s, not 900', () => {
    const { t, dests } = fixture();
    const s = t.add(TCP, C, 1, V, 80, R, 80, 1, 0, 0, T0);
    t.tcpTransition(s, 0, SYN, T0);
    t.tcpTransition(s, 0, ACK, T0); // ESTABLISHED, 900 s
    expect(dests.active[1]).toBe(1);
    t.expire(T0 + 5_000);
    t.tcpTransition(s, 0, RST, T0 + 5_000); // CLOSE, 10 s
    t.expire(T0 + 14_900);
    expect(t.isLive(s)).toBe(true);
    expect(t.expire(T0 + 15_000 + TICK)).toBe(1);
    expect([dests.active[1], dests.inactive[1]]).toEqual([0, 0]);
  });

  it('setTimeout shorter than the current timer is honoured at once', () => {
    const { t } = fixture();
    const s = t.add(UDP, C, 1, V, 53, R, 53, 1, 0, 0, T0);
    t.setTimeout(s, 1_000, T0 + 10);
    t.expire(T0 + 1_000);
    expect(t.isLive(s)).toBe(true);
    t.expire(T0 + 1_010 + TICK);
    expect(t.isLive(s)).toBe(false);
  });

  it('UDP conns live 300 s from their last packet', () => {
    const { t } = fixture();
    const s = t.add(UDP, C, 5353, V, 53, R, 53, 1, 0, 0, T0);
    expect(t.remaining(s, T0)).toBeGreaterThanOrEqual(300_000);
    t.udpTransition(s, T0 + 200_000);
    t.expire(T0 + 499_000);
    expect(t.isLive(s)).toBe(true);
    t.expire(T0 + 500_000 + TICK);
    expect(t.isLive(s)).toBe(false);
  });

  it('ipvsadm --set changes what later transitions use, not timers already running', () => {
    const { t, timeouts } = fixture();
    const a = t.add(TCP, C, 1, V, 80, R, 80, 1, 0, 0, T0);
    t.tcpTransition(a, 0, SYN, T0);
    t.tcpTransition(a, 0, ACK, T0); // 900 s armed
    const u = t.add(UDP, C, 2, V, 53, R, 53, 1, 0, 0, T0);
    timeouts.set(30, 0, 20);
    expect(t.remaining(a, T0)).toBeGreaterThanOrEqual(900_000);
    t.tcpTransition(a, 0, ACK, T0 + 1_000); // next packet: ESTABLISHED now lasts 30 s
    t.udpTransition(u, T0 + 1_000);
    expect(Math.floor(t.remaining(a, T0 + 1_000) / 1000)).toBe(30);
    expect(Math.floor(t.remaining(u, T0 + 1_000) / 1000)).toBe(20);
    t.expire(T0 + 21_000 + TICK);
    expect([t.isLive(a), t.isLive(u)]).toEqual([true, false]);
    t.expire(T0 + 31_000 + TICK);
    expect(t.isLive(a)).toBe(false);
  });

  it('a clock jump far beyond the wheel expires everything that was due', () => {
    const { t } = fixture(64, { wheelSize: 16 });
    const slots = [1, 2, 3, 4, 5].map((p) => t.add(TCP, C, p, V, 80, R, 80, 1, 0, 0, T0));
    t.setTimeout(slots[4], 3_600_000, T0);
    expect(t.expire(T0 + 86_400_000)).toBe(5);
    expect(t.count).toBe(0);
  });
});

describe('expiry budget', () => {
  it('bounds the expiries per call; the rest go on the next calls', () => {
    const { t } = fixture(1000, { expireBudget: 100 });
    for (let i = 0; i < 250; i++) t.add(UDP, C, i, V, 53, R, 53, 1, 0, 0, T0);
    const now = T0 + 300_000 + TICK;
    expect(t.expire(now)).toBe(100);
    expect(t.count).toBe(150);
    expect(t.expire(now)).toBe(100);
    expect(t.expire(now)).toBe(50);
    expect(t.count).toBe(0);
    expect(t.expire(now)).toBe(0);
  });

  it('examines at most 4x the budget of lazily re-filed entries per call, then resumes', () => {
    const { t } = fixture(1000, { expireBudget: 10 });
    const slots: number[] = [];
    for (let i = 0; i < 100; i++) slots.push(t.add(UDP, C, i, V, 53, R, 53, 1, 0, 0, T0)); // due at 300 s
    for (const s of slots) t.touch(s, T0 + 100_000); // now 400 s: lazily, they stay filed at 300 s
    const at300 = T0 + 300_000 + TICK;
    const tick = Math.floor(at300 / TICK) | 0;
    expect(t.expire(at300)).toBe(0); // 40 re-filed
    expect(t.wheel.cursor).toBeLessThanOrEqual(tick);
    expect(t.expire(at300)).toBe(0); // 80
    expect(t.expire(at300)).toBe(0); // 100: the sweep gets past the slot
    expect(t.wheel.cursor).toBe((tick + 1) | 0);
    expect(t.count).toBe(100);
    const at400 = T0 + 400_000 + TICK;
    const freed: number[] = [];
    while (t.count > 0 && freed.length < 20) freed.push(t.expire(at400));
    expect(freed).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 10]);
  });
});

describe('persistence templates', () => {
  function persist() {
    const f = fixture();
    const snet = C & 0xffffff00;
    const tpl = f.t.add(TCP, snet, 0, V, 80, R, 80, 2, CONN_F_TEMPLATE, 0, T0);
    f.t.setTimeout(tpl, 300_000, T0);
    return { ...f, tpl, snet };
  }

  it('a template controlling nobody expires after its timeout', () => {
    const { t, tpl, snet, dests } = persist();
    t.expire(T0 + 299_000);
    expect(t.lookupTemplate(TCP, snet, V, 80)).toBe(tpl);
    expect(t.expire(T0 + 300_000 + TICK)).toBe(1);
    expect(t.lookupTemplate(TCP, snet, V, 80)).toBe(0);
    expect(dests.persist[2]).toBe(0);
  });

  it('outlives its timeout while it controls conns, then goes within 60 s of the last one', () => {
    const { t, tpl, snet, dests } = persist();
    const a = t.add(TCP, C, 1, V, 80, R, 80, 2, 0, tpl, T0);
    const b = t.add(TCP, C, 2, V, 80, R, 80, 2, 0, tpl, T0);
    expect(t.nControl[tpl]).toBe(2);
    for (const s of [a, b]) {
      t.tcpTransition(s, 0, SYN, T0);
      t.tcpTransition(s, 0, ACK, T0); // 900 s
    }
    t.touch(b, T0 + 200_000); // b lasts until 1100 s
    expect(dests.active[2]).toBe(2);
    expect(dests.persist[2]).toBe(1);
    t.expire(T0 + 400_000);
    expect(t.lookupTemplate(TCP, snet, V, 80)).toBe(tpl); // re-armed, 60 s at a time
    t.expire(T0 + 900_000 + TICK);
    expect(t.isLive(a)).toBe(false);
    expect(t.nControl[tpl]).toBe(1);
    expect(t.isLive(tpl)).toBe(true);
    t.expire(T0 + 1_100_000 + TICK);
    expect(t.isLive(b)).toBe(false);
    expect(t.nControl[tpl]).toBe(0);
    t.expire(T0 + 1_160_000 + 2 * TICK);
    expect(t.isLive(tpl)).toBe(false);
    expect([dests.active[2], dests.inactive[2], dests.persist[2]]).toEqual([0, 0, 0]);
  });

  it('expireNow on a non-template that controls conns (FTP control conn) re-arms it for 60 s at the next sweep', () => {
    const { t } = fixture();
    const ctl = t.add(TCP, C, 21000, V, 21, R, 21, 1, 0, 0, T0);
    t.setTimeout(ctl, 900_000, T0);
    const data = t.add(TCP, C, 21001, V, 20, R, 20, 1, 0, ctl, T0);
    t.setTimeout(data, 900_000, T0);
    t.expireNow(ctl);
    expect(t.lookup(TCP, C, 21000, V, 21)).toBe(2 * ctl); // still findable
    t.expire(T0 + TICK);
    expect(t.isLive(ctl)).toBe(true);
    expect(t.timeoutOf(ctl)).toBe(60_000);
    expect(t.remaining(ctl, T0 + TICK)).toBeLessThanOrEqual(60_000 + TICK);
    t.expireNow(data);
    t.expire(T0 + 60_000 + 3 * TICK);
    expect(t.isLive(ctl)).toBe(false);
  });

  it('expireNow: frees a template controlling nobody; one still in control is only unhashed', () => {
    const { t, tpl, snet } = persist();
    const c = t.add(TCP, C, 1, V, 80, R, 80, 2, 0, tpl, T0);
    t.expireNow(tpl);
    expect(t.isLive(tpl)).toBe(true);
    expect(t.lookupTemplate(TCP, snet, V, 80)).toBe(0); // invalidated: no new conn finds it
    const tpl2 = t.add(TCP, snet, 0, V, 80, R, 80, 3, CONN_F_TEMPLATE, 0, T0);
    expect(t.lookupTemplate(TCP, snet, V, 80)).toBe(tpl2);
    t.expireNow(c);
    expect(t.nControl[tpl]).toBe(0);
    t.expire(T0 + 300_000 + TICK);
    expect(t.isLive(tpl)).toBe(false);
    expect(t.lookupTemplate(TCP, snet, V, 80)).toBe(0);
  });
});
