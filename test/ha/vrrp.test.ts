// The VRRP machine stepped rule by rule in virtual time: packets in, actions out.
import { describe, expect, it } from 'vitest';
import type { FailoverAction } from '../../src/ha/machine.js';
import { masterDownMs, skewMs, type VrrpConfig, VrrpConfigError } from '../../src/ha/vrrp-config.js';
import { type Advert, authPassBytes, decodeAdvert, encodeAdvert, encodeIpPacket, VRRP_GROUP } from '../../src/ha/vrrp-wire.js';
import { Vrrp } from '../../src/ha/vrrp.js';
import { parseIPv4 } from '../../src/model/index.js';
import { ipv4SetChecksum } from '../../src/packet/ipv4.js';

const ip = (t: string) => parseIPv4(t)!;
const ME = ip('198.18.0.2');
const HIGHER = ip('198.18.0.3');
const LOWER = ip('198.18.0.1');
const VIP = ip('198.18.0.100');
const cfg = (o: Partial<VrrpConfig> = {}): VrrpConfig => ({ vrid: 51, priority: 100, advertInt: 1000, version: 2, address: ME, virtualAddresses: [VIP], ...o });

const kinds = (a: FailoverAction[]) => a.filter((x) => x.kind !== 'log').map((x) => (x.kind === 'send' ? `send ${x.what}` : `${x.kind}: ${'reason' in x ? x.reason : ''}`));
const logs = (a: FailoverAction[]) => a.filter((x): x is Extract<FailoverAction, { kind: 'log' }> => x.kind === 'log').map((x) => x.msg);
const sends = (a: FailoverAction[]) => a.filter((x): x is Extract<FailoverAction, { kind: 'send' }> => x.kind === 'send');

/** An advertisement from another router, as its daemon puts it on the wire. */
function packet(src: number, o: Partial<Advert> = {}, ip: { dst?: number; ttl?: number } = {}): Uint8Array {
  const dst = ip.dst ?? VRRP_GROUP;
  const a: Advert = { version: 2, vrid: 51, priority: 100, interval: 1, addresses: [VIP], authType: 0, authData: new Uint8Array(8), ...o };
  const p = encodeIpPacket(src, dst, encodeAdvert(a, src, dst));
  if (ip.ttl !== undefined) {
    p[8] = ip.ttl;
    ipv4SetChecksum(p, 0, 20);
  }
  return p;
}
const from = (src: number, priority: number, o: Partial<Advert> = {}) => packet(src, { priority, ...o });

function started(o: Partial<VrrpConfig> = {}, now = 0): Vrrp {
  const v = new Vrrp(cfg(o));
  v.start(now);
  return v;
}

function master(o: Partial<VrrpConfig> = {}): Vrrp {
  const v = started(o);
  v.tick(v.nextDeadline());
  expect(v.state()).toBe('MASTER');
  return v;
}

describe('timers (RFC 3768 6.1, RFC 5798 6.1)', () => {
  it('v2: skew is (256 - priority)/256 s whatever the interval; v3: of Master_Adver_Interval; ms floored', () => {
    expect(skewMs(2, 100, 1000)).toBe(609); // 156/256 s = 609.375 ms
    expect(skewMs(2, 100, 3000)).toBe(609);
    expect(masterDownMs(2, 100, 1000)).toBe(3609);
    expect(masterDownMs(2, 254, 2000)).toBe(6007); // 2/256 s = 7.8 ms
    expect(skewMs(3, 100, 100)).toBe(60); // 156 * 10 cs / 256 = 6.09 cs
    expect(masterDownMs(3, 100, 100)).toBe(360);
    expect(masterDownMs(3, 200, 1000)).toBe(3218);
  });
});

describe('start-up (RFC 5798 6.4.1)', () => {
  it('a non-owner waits as BACKUP for Master_Down_Interval, then sends an advert and becomes MASTER; adverts every advertInt', () => {
    const v = new Vrrp(cfg());
    expect(v.state()).toBe('INIT');
    const s = v.start(0);
    expect(logs(s)).toContain('Entering BACKUP STATE (init)');
    expect(kinds(s)).toEqual([]);
    expect(v.state()).toBe('BACKUP');
    expect(v.nextDeadline()).toBe(3609);
    expect(kinds(v.tick(3608))).toEqual([]);
    expect(kinds(v.tick(3609))).toEqual(['send ADVERT prio 100', 'activate: Entering MASTER STATE']);
    expect(v.active).toBe(true);
    expect(v.nextDeadline()).toBe(4609);
    expect(kinds(v.tick(4608))).toEqual([]);
    expect(kinds(v.tick(4609))).toEqual(['send ADVERT prio 100']);
    expect(v.stats).toMatchObject({ advert_sent: 2, become_master: 1 });
  });

  it('the address owner (priority 255) is MASTER at once', () => {
    const v = new Vrrp(cfg({ priority: 255 }));
    expect(kinds(v.start(0))).toEqual(['send ADVERT prio 255', 'activate: Entering MASTER STATE']);
    expect(v.state()).toBe('MASTER');
    expect(v.nextDeadline()).toBe(1000);
  });

  it('v3 allows sub-second intervals: 100 ms adverts, down after 360 ms at priority 100', () => {
    const v = started({ version: 3, advertInt: 100 });
    expect(v.nextDeadline()).toBe(360);
    v.tick(360);
    expect(v.nextDeadline()).toBe(460);
    const [send] = sends(v.tick(460));
    const d = decodeAdvert(send.bytes, { src: ME, dst: VRRP_GROUP, ttl: 255 });
    expect(d).toMatchObject({ ok: true, advert: { version: 3, interval: 10, priority: 100, addresses: [VIP] } });
  });

  it('the sent bytes are the VRRP message the daemon wraps: v2 with the password when authPass is set', () => {
    const v = started({ authPass: 'secret' });
    const [send] = sends(v.tick(3609));
    expect(send.to).toBeUndefined();
    expect(decodeAdvert(send.bytes, { src: ME, dst: VRRP_GROUP, ttl: 255 })).toMatchObject({ ok: true, advert: { authType: 1, authData: authPassBytes('secret'), interval: 1 } });
  });
});

describe('BACKUP (RFC 5798 6.4.2)', () => {
  it('follows an advert of higher or equal priority: Master_Down_Timer reset; peer() names the master', () => {
    const v = started();
    v.receive(HIGHER, from(HIGHER, 150), 1000);
    expect(v.nextDeadline()).toBe(4609);
    v.receive(LOWER, from(LOWER, 100), 2000); // equal priority, lower address: a backup follows it too
    expect(v.nextDeadline()).toBe(5609);
    expect(v.peer()).toEqual({ heardAt: 2000, says: 'MASTER 198.18.0.1 prio 100', valid: 2 });
    expect(v.state()).toBe('BACKUP');
  });

  it('preempt: discards a lower-priority advert, so its own timer runs out and it takes over', () => {
    const v = started();
    const r = v.receive(LOWER, from(LOWER, 50), 1000);
    expect(logs(r)).toEqual(['received lower priority (50) advert from 198.18.0.1 - discarding']);
    expect(v.nextDeadline()).toBe(3609);
    expect(kinds(v.tick(3609))).toContain('activate: Entering MASTER STATE');
  });

  it('nopreempt: follows a lower-priority master and never takes over from it', () => {
    const v = started({ preempt: false });
    for (let t = 1000; t <= 60_000; t += 1000) {
      expect(kinds(v.receive(LOWER, from(LOWER, 50), t))).toEqual([]);
      expect(kinds(v.tick(t))).toEqual([]);
    }
    expect(v.state()).toBe('BACKUP');
    expect(v.nextDeadline()).toBe(63_609);
  });

  it('preempt_delay: follows a lower-priority master until the delay is over, then discards it and takes over', () => {
    const v = started({ preemptDelay: 5000 });
    expect(logs(v.receive(LOWER, from(LOWER, 50), 1000))).toEqual(['start preempt delay (5 s)']);
    for (let t = 2000; t < 6000; t += 1000) v.receive(LOWER, from(LOWER, 50), t);
    expect(v.nextDeadline()).toBe(5000 + 3609);
    expect(logs(v.receive(LOWER, from(LOWER, 50), 6000))).toEqual(['received lower priority (50) advert from 198.18.0.1 - discarding']);
    v.receive(LOWER, from(LOWER, 50), 7000);
    expect(kinds(v.tick(8608))).toEqual([]);
    expect(kinds(v.tick(8609))).toContain('activate: Entering MASTER STATE');
  });

  it('preempt_delay stops when a higher-priority master is heard', () => {
    const v = started({ preemptDelay: 5000 });
    v.receive(LOWER, from(LOWER, 50), 1000);
    expect(logs(v.receive(HIGHER, from(HIGHER, 150), 2000))).toEqual(['stop preempt delay']);
    // A lower one again starts a fresh delay.
    expect(logs(v.receive(LOWER, from(LOWER, 50), 3000))).toEqual(['start preempt delay (5 s)']);
  });

  it('priority 0: the master is leaving; Master_Down_Timer = Skew_Time', () => {
    const v = started();
    v.receive(HIGHER, from(HIGHER, 150), 1000);
    const r = v.receive(HIGHER, from(HIGHER, 0), 1500);
    expect(logs(r)).toEqual(['Backup received priority 0 advertisement']);
    expect(v.nextDeadline()).toBe(1500 + 609);
    expect(kinds(v.tick(2109))).toEqual(['send ADVERT prio 100', 'activate: Entering MASTER STATE']);
    expect(v.stats.pri_zero_rcvd).toBe(1);
  });

  it('v3: takes the master\'s advert interval (Master_Adver_Interval) for its down timer', () => {
    const v = started({ version: 3, advertInt: 1000 });
    const r = v.receive(HIGHER, packet(HIGHER, { version: 3, priority: 150, interval: 50, authData: new Uint8Array(0) }), 1000);
    expect(logs(r)).toEqual(['advertisement interval updated from 1000ms to 500ms by master']);
    expect(v.nextDeadline()).toBe(1000 + 1500 + 304); // 156 * 500 / 256 = 304.7
  });
});

describe('MASTER (RFC 5798 6.4.3)', () => {
  it('a higher-priority advert: deactivate and BACKUP, with a fresh Master_Down_Timer', () => {
    const v = master();
    const r = v.receive(HIGHER, from(HIGHER, 150), 5000);
    expect(logs(r)).toEqual(['Master received advert from 198.18.0.3 with higher priority 150, ours 100']);
    expect(kinds(r)).toEqual(['deactivate: Entering BACKUP STATE']);
    expect(v.state()).toBe('BACKUP');
    expect(v.nextDeadline()).toBe(5000 + 3609);
    expect(v.stats.release_master).toBe(1);
  });

  it('equal priority: the higher primary address wins; the lower is answered at once', () => {
    const v = master();
    const low = v.receive(LOWER, from(LOWER, 100), 4000);
    expect(logs(low)).toEqual(['Received advert from 198.18.0.1 with lower priority 100, ours 100, forcing new election']);
    expect(kinds(low)).toEqual(['send ADVERT prio 100']);
    expect(v.state()).toBe('MASTER');
    const high = v.receive(HIGHER, from(HIGHER, 100), 4100);
    expect(logs(high)).toEqual(['Master received advert from 198.18.0.3 with same priority 100 but higher IP address than ours']);
    expect(kinds(high)).toEqual(['deactivate: Entering BACKUP STATE']);
  });

  it('a lower-priority advert: stays MASTER and answers with an advert (keepalived; the RFC just discards)', () => {
    const v = master();
    expect(kinds(v.receive(LOWER, from(LOWER, 50), 4000))).toEqual(['send ADVERT prio 100']);
    expect(v.nextDeadline()).toBe(4609); // the Adver_Timer is not reset by it
  });

  it('priority 0: stays MASTER, sends an advert at once and resets the Adver_Timer', () => {
    const v = master();
    const r = v.receive(HIGHER, from(HIGHER, 0), 4000);
    expect(logs(r)).toEqual(['Master received priority 0 message']);
    expect(kinds(r)).toEqual(['send ADVERT prio 100']);
    expect(v.nextDeadline()).toBe(5000);
    expect(v.state()).toBe('MASTER');
  });

  it('its own address at equal priority is a warning, nothing more', () => {
    const v = master();
    const r = v.receive(ME, from(ME, 100), 4000);
    expect(logs(r)).toEqual(['WARNING - equal priority advert received from remote host with our IP address.']);
    expect(kinds(r)).toEqual([]);
  });

  it('two address owners: a configuration error; the higher address stays', () => {
    const v = master({ priority: 255 });
    const r = v.receive(HIGHER, from(HIGHER, 255), 100);
    expect(logs(r)[0]).toBe('CONFIGURATION ERROR: local instance and 198.18.0.3 are both configured as address owner, please resolve');
    expect(v.state()).toBe('BACKUP');
  });

  it('stop(): priority 0 advert, deactivate, INIT; a backup just stops', () => {
    const v = master();
    const r = v.stop(5000);
    expect(kinds(r)).toEqual(['send ADVERT prio 0', 'deactivate: Stopping']);
    expect(logs(r)).toEqual(['sent 0 priority']);
    expect(decodeAdvert(sends(r)[0].bytes, { src: ME, dst: VRRP_GROUP, ttl: 255 })).toMatchObject({ ok: true, advert: { priority: 0 } });
    expect(v.state()).toBe('INIT');
    expect(v.nextDeadline()).toBe(Infinity);
    expect(v.stats.pri_zero_sent).toBe(1);
    const b = started();
    expect(b.stop(100)).toEqual([]);
    expect(b.state()).toBe('INIT');
  });
});

describe('FAULT: links and standby', () => {
  it('a link down: a master says priority 0 and deactivates; FAULT ignores adverts and its timers; links up: BACKUP', () => {
    const v = master();
    const down = v.links(false, 5000);
    expect(kinds(down)).toEqual(['send ADVERT prio 0', 'deactivate: Entering FAULT STATE']);
    expect(v.state()).toBe('FAULT');
    expect(v.nextDeadline()).toBe(Infinity);
    expect(v.receive(LOWER, from(LOWER, 50), 6000)).toEqual([]);
    expect(v.receive(LOWER, from(LOWER, 50, { vrid: 9 }), 6000)).toEqual([]);
    expect(v.receive(LOWER, new Uint8Array(3), 6000)).toEqual([]);
    expect(v.stats.advert_rcvd + v.stats.vrid_err + v.stats.packet_len_err).toBe(0);
    expect(v.tick(60_000)).toEqual([]);
    expect(v.links(false, 60_000)).toEqual([]);
    const up = v.links(true, 60_000);
    expect(logs(up)).toEqual(['monitored links are up again', 'Entering BACKUP STATE']);
    expect(kinds(up)).toEqual([]);
    expect(v.nextDeadline()).toBe(63_609);
  });

  it('a backup whose link goes down enters FAULT without sending; the owner is MASTER again at once when it comes back', () => {
    const b = started();
    const down = b.links(false, 100);
    expect(kinds(down)).toEqual([]);
    expect(logs(down)).toEqual(['a monitored link is down', 'Entering FAULT STATE']);
    expect(b.state()).toBe('FAULT');
    const o = master({ priority: 255 });
    o.links(false, 100);
    expect(kinds(o.links(true, 200))).toEqual(['send ADVERT prio 255', 'activate: Entering MASTER STATE']);
  });

  it('a link down before start: FAULT (init)', () => {
    const v = new Vrrp(cfg());
    v.links(false, 0);
    expect(logs(v.start(0))).toContain('Entering FAULT STATE (init)');
    expect(v.state()).toBe('FAULT');
  });

  it('standby: deactivates and stays in FAULT, even with links up; lifted: BACKUP', () => {
    const v = master();
    expect(kinds(v.setStandby(true, 5000))).toEqual(['send ADVERT prio 0', 'deactivate: Entering FAULT STATE']);
    expect(v.standby).toBe(true);
    expect(v.links(true, 6000)).toEqual([]);
    v.links(false, 6000);
    expect(v.links(true, 7000)).toEqual([]);
    expect(v.tick(60_000)).toEqual([]);
    expect(v.state()).toBe('FAULT');
    const off = v.setStandby(false, 60_000);
    expect(logs(off)).toEqual(['standby off', 'Entering BACKUP STATE']);
    expect(v.state()).toBe('BACKUP');
    expect(v.nextDeadline()).toBe(63_609);
  });

  it('standby lifted while a link is down stays in FAULT', () => {
    const v = started();
    v.setStandby(true, 0);
    v.links(false, 0);
    v.setStandby(false, 100);
    expect(v.state()).toBe('FAULT');
  });
});

describe('rejected packets are logged, counted and change nothing', () => {
  const cases: [string, Partial<VrrpConfig>, Uint8Array, keyof Vrrp['stats'], string][] = [
    ['bad checksum', {}, (() => { const p = from(HIGHER, 150); p[27] ^= 1; return p; })(), 'chk_err', 'Invalid VRRPv2 checksum from 198.18.0.3'],
    ['TTL 254 (routed)', {}, packet(HIGHER, { priority: 150 }, { ttl: 254 }), 'ip_ttl_err', 'invalid TTL/HL from 198.18.0.3. Received 254 and expect 255'],
    ['another VRID', {}, from(HIGHER, 150, { vrid: 52 }), 'vrid_err', 'received VRID mismatch. Received 52, Expected 51'],
    ['a password where none is set', {}, from(HIGHER, 150, { authType: 1, authData: authPassBytes('secret') }), 'authtype_mismatch', 'received a 1 auth from 198.18.0.3, expecting 0!'],
    ['no password where one is set', { authPass: 'secret' }, from(HIGHER, 150), 'authtype_mismatch', 'received a 0 auth from 198.18.0.3, expecting 1!'],
    ['the wrong password', { authPass: 'secret' }, from(HIGHER, 150, { authType: 1, authData: authPassBytes('secreT') }), 'auth_failure', 'received an invalid passwd from 198.18.0.3!'],
    ['another v2 interval', {}, from(HIGHER, 150, { interval: 2 }), 'advert_interval_err', "advertisement interval mismatch with 198.18.0.3 mine=1 sec rcv'd=2 sec"],
    ['version 3 to a v2 instance', {}, packet(HIGHER, { version: 3, priority: 150, interval: 100 }), 'vers_err', 'wrong VRRP version from 198.18.0.3. Received 3 and expect 2'],
    ['a unicast packet to a multicast instance', {}, packet(HIGHER, { priority: 150 }, { dst: ME }), 'addr_list_err', 'Expected multicast packet but received unicast packet from 198.18.0.3'],
    ['a bad IP header', {}, (() => { const p = from(HIGHER, 150); p[10] ^= 1; return p; })(), 'ip_hdr_err', 'bad IPv4 header checksum'],
  ];
  for (const [name, o, bytes, stat, reason] of cases) {
    it(name, () => {
      const v = started(o);
      const r = v.receive(HIGHER, bytes, 1000);
      expect(logs(r)).toEqual([reason]);
      expect(kinds(r)).toEqual([]);
      expect(v.stats[stat]).toBe(1);
      expect(v.stats.advert_rcvd).toBe(0);
      expect(v.nextDeadline()).toBe(3609); // the Master_Down_Timer was not reset
      expect(v.peer()).toEqual({ heardAt: null, says: null, valid: 0 });
    });
  }

  it('the same packets do not move a master either', () => {
    const v = master();
    for (const [, o, bytes] of cases) if (!o.authPass) expect(kinds(v.receive(HIGHER, bytes, 4000))).toEqual([]);
    expect(v.state()).toBe('MASTER');
  });

  it('other virtual addresses are reported and counted, and the advert still counts (keepalived)', () => {
    const v = started();
    const r = v.receive(HIGHER, from(HIGHER, 150, { addresses: [ip('198.18.0.200')] }), 1000);
    expect(logs(r)).toEqual(['ip address associated with VRID 51 not present in advert from 198.18.0.3: 198.18.0.100']);
    expect(logs(v.receive(HIGHER, from(HIGHER, 150, { addresses: [] }), 1100))).toEqual(['expected 1 VIPs but received 0']);
    expect(v.stats).toMatchObject({ addr_list_err: 2, advert_rcvd: 2 });
    expect(v.nextDeadline()).toBe(1100 + 3609);
  });
});

describe('unicast peers', () => {
  const P1 = HIGHER;
  const P2 = ip('198.18.0.4');

  it('one copy per peer, each v3 checksum over its own destination', () => {
    const v = started({ version: 3, unicastPeers: [P1, P2] });
    const out = sends(v.tick(3609));
    expect(out.map((s) => s.to)).toEqual([P1, P2]);
    for (const s of out) expect(decodeAdvert(s.bytes, { src: ME, dst: s.to!, ttl: null }).ok).toBe(true);
    expect(v.stats.advert_sent).toBe(1);
  });

  it('the TTL is not checked; multicast packets and unknown sources are refused', () => {
    const v = started({ unicastPeers: [P1] });
    expect(logs(v.receive(P1, packet(P1, { priority: 150 }, { dst: ME, ttl: 64 }), 1000))).toEqual([]);
    expect(v.nextDeadline()).toBe(4609);
    expect(logs(v.receive(P1, from(P1, 150), 1100))).toEqual(['Expected unicast packet but received multicast packet from 198.18.0.3']);
    expect(logs(v.receive(P2, packet(P2, { priority: 150 }, { dst: ME }), 1200))).toEqual(['unicast source address 198.18.0.4 not a unicast peer']);
    expect(v.stats).toMatchObject({ advert_rcvd: 1, addr_list_err: 1, unicast_src_err: 1 });
  });
});

describe('configuration', () => {
  it('refuses what keepalived or the wire cannot carry, naming every problem', () => {
    const err = (o: Partial<VrrpConfig>) => {
      try {
        new Vrrp(cfg(o));
      } catch (e) {
        expect(e).toBeInstanceOf(VrrpConfigError);
        return (e as VrrpConfigError).problems;
      }
      return [];
    };
    expect(err({ vrid: 0, priority: 0 })).toEqual(['vrid 0: must be 1-255', 'priority 0: must be 1-255']);
    expect(err({ advertInt: 1500 })).toEqual(['advertInt 1500 ms: VRRPv2 needs whole seconds, 1-255']);
    expect(err({ version: 3, advertInt: 5 })).toEqual(['advertInt 5 ms: VRRPv3 needs centiseconds, 10 ms-40.95 s']);
    expect(err({ version: 3, advertInt: 100, authPass: 'x' })).toEqual(['authPass: VRRPv3 has no authentication']);
    expect(err({ authPass: '123456789' })).toEqual(['authPass: 1-8 bytes (got 9; keepalived truncates to 8)']);
    expect(err({ unicastPeers: [ME] })).toEqual(["unicastPeers: 198.18.0.2 is this router's own address"]);
    expect(err({ preemptDelay: 1001_000 })).toEqual(['preemptDelay 1001000 ms: must be 0-1000 s']);
    expect(err({})).toEqual([]);
  });
});

/**
 * Routers on one LAN in virtual time: each step runs every router's timers, then
 * carries every advert sent (wrapped in its IPv4 header as the daemon would) to
 * the others, and their answers, until the wire is quiet. Packets sent in one
 * step cross in flight, as they do on a real LAN.
 */
class Lan {
  readonly nodes: { v: Vrrp; addr: number; up: boolean }[];

  constructor(...configs: Partial<VrrpConfig>[]) {
    this.nodes = configs.map((o) => ({ v: new Vrrp(cfg(o)), addr: o.address ?? ME, up: false }));
  }

  node(addr: number) {
    return this.nodes.find((n) => n.addr === addr)!;
  }

  start(addr: number, now: number): void {
    const n = this.node(addr);
    n.up = true;
    this.carry([{ src: addr, acts: n.v.start(now) }], now);
  }

  /** A crash: no more adverts, no last words. */
  crash(addr: number): void {
    this.node(addr).up = false;
  }

  /** A clean stop: the priority-0 advert goes out, then silence. */
  stop(addr: number, now: number): void {
    const n = this.node(addr);
    this.carry([{ src: addr, acts: n.v.stop(now) }], now);
    n.up = false;
  }

  step(now: number): void {
    this.carry(this.nodes.filter((n) => n.up).map((n) => ({ src: n.addr, acts: n.v.tick(now) })), now);
  }

  /** Steps from..to (inclusive) every `every` ms, calling `check` after each. */
  run(from: number, to: number, every: number, check: (t: number) => void = () => {}): void {
    for (let t = from; t <= to; t += every) {
      this.step(t);
      check(t);
    }
  }

  masters(): number[] {
    return this.nodes.filter((n) => n.up && n.v.active).map((n) => n.addr);
  }

  private carry(batch: { src: number; acts: FailoverAction[] }[], now: number): void {
    while (batch.length) {
      const next: typeof batch = [];
      for (const { src, acts } of batch) {
        for (const s of sends(acts)) {
          const pkt = encodeIpPacket(src, s.to ?? VRRP_GROUP, s.bytes);
          for (const n of this.nodes) {
            if (n.up && n.addr !== src && (s.to === undefined || s.to === n.addr)) next.push({ src: n.addr, acts: n.v.receive(src, pkt, now) });
          }
        }
      }
      batch = next;
    }
  }
}

describe('two routers exchanging their adverts', () => {
  const A = ME; // priority 100
  const B = HIGHER; // priority 150
  const pair = (a: Partial<VrrpConfig> = {}, b: Partial<VrrpConfig> = {}) => {
    const lan = new Lan({ address: A, ...a }, { address: B, priority: 150, ...b });
    lan.start(A, 0);
    lan.start(B, 0);
    return lan;
  };
  /** Converged: exactly one master, and it is `who`. */
  const onlyMaster = (lan: Lan, who: number) => expect(lan.masters()).toEqual([who]);

  it('converge on the higher priority, then exactly one master at every step', () => {
    const lan = pair();
    lan.run(10, 60_000, 10, (t) => {
      // B's Master_Down_Interval is 3000 + 106/256 s = 3414 ms; none is master before.
      if (t < 3414) expect(lan.masters()).toEqual([]);
      else onlyMaster(lan, B);
    });
    expect(lan.node(A).v.peer().says).toBe('MASTER 198.18.0.3 prio 150');
    expect(lan.node(A).v.stats.advert_rcvd).toBeGreaterThan(55);
  });

  it('the master crashes: the backup takes over within its Master_Down_Interval of the last advert', () => {
    const lan = pair();
    lan.run(10, 20_000, 10);
    lan.crash(B);
    const lastHeard = lan.node(A).v.peer().heardAt!;
    let tookOver = Infinity;
    lan.run(20_010, 40_000, 10, (t) => {
      if (lan.masters().length && tookOver === Infinity) tookOver = t;
      if (t >= tookOver) onlyMaster(lan, A);
    });
    expect(tookOver - lastHeard).toBeGreaterThanOrEqual(3609);
    expect(tookOver - lastHeard).toBeLessThan(3609 + 10);
  });

  it('the master stops cleanly: priority 0, and the backup takes over after its Skew_Time only', () => {
    const lan = pair();
    lan.run(10, 20_000, 10);
    lan.stop(B, 20_005);
    expect(lan.node(A).v.nextDeadline()).toBe(20_005 + 609);
    lan.run(20_010, 20_610, 10, () => expect(lan.masters()).toEqual([]));
    lan.step(20_620);
    onlyMaster(lan, A);
  });

  it('preemption: the higher priority comes back and takes over from the lower one; one master throughout after', () => {
    const lan = pair();
    lan.run(10, 10_000, 10);
    lan.crash(B);
    lan.run(10_010, 20_000, 10);
    onlyMaster(lan, A);
    lan.node(B).v.stop(20_000);
    lan.start(B, 20_005);
    // B discards A's lower-priority adverts, so its own timer (3414 ms) runs out.
    lan.run(20_010, 23_410, 10, () => onlyMaster(lan, A));
    lan.run(23_420, 60_000, 10, () => onlyMaster(lan, B));
    expect(lan.node(A).v.state()).toBe('BACKUP');
  });

  it('nopreempt: the higher priority comes back as BACKUP and stays there', () => {
    const lan = pair({}, { preempt: false });
    lan.run(10, 10_000, 10);
    lan.crash(B);
    lan.run(10_010, 20_000, 10);
    lan.node(B).v.stop(20_000);
    lan.start(B, 20_005);
    lan.run(20_010, 80_000, 10, () => onlyMaster(lan, A));
    expect(lan.node(B).v.state()).toBe('BACKUP');
  });

  it('equal priority, started together: both time out at once, the higher address stays master', () => {
    const lan = pair({}, { priority: 100 });
    lan.run(10, 3600, 10, () => expect(lan.masters()).toEqual([]));
    lan.run(3610, 60_000, 10, () => onlyMaster(lan, B));
    expect(lan.node(A).v.stats).toMatchObject({ become_master: 1, release_master: 1 });
  });

  it('v3 at 100 ms: failover within 360 ms of the last advert', () => {
    const lan = pair({ version: 3, advertInt: 100 }, { version: 3, advertInt: 100 });
    lan.run(10, 5000, 10, (t) => {
      if (t >= 400) onlyMaster(lan, B);
    });
    lan.crash(B);
    const lastHeard = lan.node(A).v.peer().heardAt!;
    let tookOver = Infinity;
    lan.run(5010, 6000, 10, (t) => {
      if (lan.masters().length && tookOver === Infinity) tookOver = t;
    });
    onlyMaster(lan, A);
    expect(tookOver - lastHeard).toBeGreaterThanOrEqual(360);
    expect(tookOver - lastHeard).toBeLessThan(370);
  });

  it('unicast peers converge the same way', () => {
    const lan = pair({ unicastPeers: [B], version: 3, advertInt: 1000 }, { unicastPeers: [A], version: 3, advertInt: 1000 });
    lan.run(10, 30_000, 10, (t) => {
      if (t >= 3420) onlyMaster(lan, B);
    });
    expect(lan.node(A).v.stats.chk_err).toBe(0);
  });
});
