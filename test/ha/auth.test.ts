import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AUTH_TRAILER_BYTES, counterBase, Opener, Sealer } from '../../src/ha/auth.js';
import { heartbeatBytes, HEARTBEAT_RUNNING_MAGIC } from '../../src/ha/pulse.js';
import { parseIPv4 } from '../../src/model/index.js';

const KEY = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
const OTHER_KEY = new TextEncoder().encode('fedcba9876543210fedcba9876543210');
const PRIMARY = parseIPv4('198.18.0.2')!;
const BACKUP = parseIPv4('198.18.0.3')!;
const BOOT = Date.UTC(2026, 11, 5, 8, 0, 0);
const hb = heartbeatBytes(HEARTBEAT_RUNNING_MAGIC);

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('auth envelope', () => {
  it('golden bytes: the message, then TSVA, the sender, the counter and the first 16 bytes of HMAC-SHA256', () => {
    const s = new Sealer(KEY, 'heartbeat', PRIMARY, BOOT);
    const sealed = s.seal(hb);
    expect(sealed.length).toBe(4 + AUTH_TRAILER_BYTES);
    const counter = (BigInt(BOOT) << 22n).toString(16).padStart(16, '0');
    const head = `dadbadbd` + `54535641` + `c6120002` + counter;
    expect(hex(sealed.subarray(0, 20))).toBe(head);
    // The tag, computed independently: label, message, trailer head.
    const want = createHmac('sha256', KEY).update('tsvs-auth-v1 heartbeat\0').update(hb).update(sealed.subarray(4, 20)).digest().subarray(0, 16);
    expect(hex(sealed.subarray(20))).toBe(want.toString('hex'));
  });

  it('a good message opens to the plain one, with its sender and counter', () => {
    const s = new Sealer(KEY, 'heartbeat', PRIMARY, BOOT);
    const o = new Opener(KEY, 'heartbeat', BACKUP, PRIMARY);
    const r = o.open(s.seal(hb));
    expect(r).toEqual({ ok: true, payload: hb, sender: PRIMARY, counter: counterBase(BOOT) });
    expect(o.stats).toEqual({ ok: 1, unauthenticated: 0, forged: 0, replayed: 0 });
  });

  it('drops and counts: a plain message, a flipped bit anywhere, another key, another purpose, an unexpected sender', () => {
    const s = new Sealer(KEY, 'heartbeat', PRIMARY, BOOT);
    const o = new Opener(KEY, 'heartbeat', BACKUP, PRIMARY);
    expect(o.open(hb)).toEqual({ ok: false, why: 'unauthenticated' });
    expect(o.open(new Uint8Array(40))).toEqual({ ok: false, why: 'unauthenticated' });
    for (const at of [0, 3, 4, 8, 12, 19, 20, 35]) {
      const b = s.seal(hb);
      b[at] ^= 1;
      expect(o.open(b), `bit flipped at ${at}`).toEqual({ ok: false, why: at === 4 ? 'unauthenticated' : 'forged' });
    }
    expect(o.open(new Sealer(OTHER_KEY, 'heartbeat', PRIMARY, BOOT).seal(hb))).toEqual({ ok: false, why: 'forged' });
    expect(o.open(new Sealer(KEY, 'sync', PRIMARY, BOOT).seal(hb))).toEqual({ ok: false, why: 'forged' });
    // A third router with the key, but not the partner pulse expects.
    expect(o.open(new Sealer(KEY, 'heartbeat', parseIPv4('198.18.0.9')!, BOOT).seal(hb))).toEqual({ ok: false, why: 'forged' });
    expect(o.stats).toEqual({ ok: 0, unauthenticated: 3, forged: 10, replayed: 0 });
  });

  it('replay: the same message twice is taken once; our own message sent back to us is refused', () => {
    const s = new Sealer(KEY, 'heartbeat', PRIMARY, BOOT);
    const o = new Opener(KEY, 'heartbeat', BACKUP);
    const m = s.seal(hb);
    expect(o.open(m).ok).toBe(true);
    expect(o.open(m)).toEqual({ ok: false, why: 'replayed' });
    const mine = new Sealer(KEY, 'heartbeat', BACKUP, BOOT).seal(hb);
    expect(o.open(mine)).toEqual({ ok: false, why: 'replayed' });
    expect(o.stats).toMatchObject({ ok: 1, replayed: 2 });
  });

  it('counter window: out of order within 64 is taken once each; older than the window is refused', () => {
    const s = new Sealer(KEY, 'sync', PRIMARY, BOOT);
    const o = new Opener(KEY, 'sync', BACKUP);
    const msgs = Array.from({ length: 70 }, () => s.seal(hb));
    expect(o.open(msgs[69]).ok).toBe(true);
    // 69 - 5 = 64 back: just outside the window; 69 - 6 .. 68 are inside.
    expect(o.open(msgs[5])).toEqual({ ok: false, why: 'replayed' });
    expect(o.open(msgs[6]).ok).toBe(true);
    expect(o.open(msgs[40]).ok).toBe(true);
    expect(o.open(msgs[40])).toEqual({ ok: false, why: 'replayed' });
    expect(o.open(msgs[68]).ok).toBe(true);
    // A jump far ahead forgets the old bitmap: what it covered is now too old.
    const later = Array.from({ length: 200 }, () => s.seal(hb));
    expect(o.open(later[199]).ok).toBe(true);
    expect(o.open(msgs[50])).toEqual({ ok: false, why: 'replayed' });
    expect(o.open(later[150]).ok).toBe(true);
    expect(o.top(PRIMARY)).toBe(counterBase(BOOT) + 269n);
  });

  it('restart epoch: after the sender restarts its counters are higher, so a packet recorded before the restart is still refused', () => {
    const before = new Sealer(KEY, 'heartbeat', PRIMARY, BOOT);
    const o = new Opener(KEY, 'heartbeat', BACKUP, PRIMARY);
    const recorded = before.seal(hb);
    for (let k = 0; k < 1000; k++) expect(o.open(before.seal(hb)).ok).toBe(true);
    // The sender restarts one second later: a naive counter would restart at 0 and force the receiver to forget.
    const after = new Sealer(KEY, 'heartbeat', PRIMARY, BOOT + 1000);
    const first = o.open(after.seal(hb));
    expect(first.ok && first.counter).toBe(counterBase(BOOT + 1000));
    expect(counterBase(BOOT + 1000) > counterBase(BOOT) + 1000n).toBe(true);
    expect(o.open(recorded)).toEqual({ ok: false, why: 'replayed' });
    expect(o.open(after.seal(hb)).ok).toBe(true);
    // A restart within the same millisecond would collide; one ms later is enough.
    expect(counterBase(BOOT + 1) - counterBase(BOOT)).toBe(1n << 22n);
  });
});
