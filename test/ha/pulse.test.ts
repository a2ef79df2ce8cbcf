import { describe, expect, it } from 'vitest';
import { heartbeatBytes, HEARTBEAT_RUNNING_MAGIC as RUNNING, HEARTBEAT_STOPPED_MAGIC as STOPPED, Pulse, type PulseAction, type PulseConfig } from '../../src/ha/pulse.js';
import { parseIPv4 } from '../../src/model/index.js';

const PUB = parseIPv4('198.18.0.3')!;
const PRIV = parseIPv4('198.19.0.3')!;
const cfg = (o: Partial<PulseConfig> = {}): PulseConfig => ({ role: 'backup', partner: [PUB, PRIV], keepalive: 2, deadtime: 5, forceActive: false, ...o });
const kinds = (a: PulseAction[]) => a.filter((x) => x.kind !== 'log').map((x) => (x.kind === 'send' ? `send ${x.what}` : `${x.kind}${'reason' in x ? `: ${x.reason}` : ''}`));
const logs = (a: PulseAction[]) => a.filter((x): x is Extract<PulseAction, { kind: 'log' }> => x.kind === 'log').map((x) => x.msg);

describe('pulse', () => {
  it('sends STOPPED every keepalive while inactive; the partner silent for deadtime makes it active; then it sends RUNNING at once', () => {
    const p = new Pulse(cfg(), 0);
    expect(kinds(p.start(0))).toEqual(['send STOPPED']);
    expect(kinds(p.tick(1999))).toEqual([]);
    expect(kinds(p.tick(2000))).toEqual(['send STOPPED']);
    expect(kinds(p.tick(4000))).toEqual(['send STOPPED']);
    const dead = p.tick(5000);
    expect(logs(dead)).toEqual(['partner dead: activating lvs']);
    expect(kinds(dead)).toEqual(['activate: partner dead']);
    expect(kinds(p.tick(5001))).toEqual(['send RUNNING']);
    expect(p.active).toBe(true);
  });

  it('each valid heartbeat from the public or the private address resets the dead time', () => {
    const p = new Pulse(cfg(), 0);
    p.start(0);
    p.heartbeat(PUB, heartbeatBytes(RUNNING), 4000);
    expect(kinds(p.tick(8999)).filter((k) => k.startsWith('activate'))).toEqual([]);
    p.heartbeat(PRIV, heartbeatBytes(RUNNING), 8999);
    expect(p.tick(13_998).some((x) => x.kind === 'activate')).toBe(false);
    expect(p.tick(13_999).some((x) => x.kind === 'activate')).toBe(true);
  });

  it('both running: the backup stops (one last heartbeat), the primary re-sends its ARPs', () => {
    const b = new Pulse(cfg({ role: 'backup', forceActive: true }), 0);
    b.start(0);
    expect(kinds(b.heartbeat(PUB, heartbeatBytes(RUNNING), 100))).toEqual(['deactivate: partner active', 'send STOPPED']);
    expect(b.active).toBe(false);
    const p = new Pulse(cfg({ role: 'primary', forceActive: true }), 0);
    p.start(0);
    const r = p.heartbeat(PUB, heartbeatBytes(RUNNING), 100);
    expect(logs(r)).toEqual(['partner active: resending arps']);
    expect(kinds(r)).toEqual(['rearp: partner active']);
    expect(p.active).toBe(true);
  });

  it('the partner inactive: an inactive primary starts ("backup inactive") at once; an inactive backup ("primary inactive") once the primary kept saying so for half a keepalive', () => {
    const p = new Pulse(cfg({ role: 'primary' }), 0);
    p.start(0);
    expect(kinds(p.heartbeat(PUB, heartbeatBytes(STOPPED), 100))).toEqual(['activate: backup inactive']);
    expect(kinds(p.heartbeat(PUB, heartbeatBytes(STOPPED), 200))).toEqual([]);
    const b = new Pulse(cfg({ role: 'backup' }), 0);
    b.start(0);
    // Public and private copies of one heartbeat arrive together: not yet.
    expect(kinds(b.heartbeat(PUB, heartbeatBytes(STOPPED), 100))).toEqual([]);
    expect(kinds(b.heartbeat(PRIV, heartbeatBytes(STOPPED), 101))).toEqual([]);
    // A RUNNING in between starts the count again.
    expect(kinds(b.heartbeat(PUB, heartbeatBytes(RUNNING), 900))).toEqual([]);
    expect(kinds(b.heartbeat(PUB, heartbeatBytes(STOPPED), 2100))).toEqual([]);
    expect(kinds(b.heartbeat(PRIV, heartbeatBytes(STOPPED), 4100))).toEqual(['activate: primary inactive']);
  });

  it('ignores, and logs, heartbeats from another source, of another size, or with an unknown magic', () => {
    const p = new Pulse(cfg(), 0);
    p.start(0);
    expect(logs(p.heartbeat(parseIPv4('198.18.0.99')!, heartbeatBytes(STOPPED), 10))).toEqual(['heartbeat from an unexpected source ignored']);
    expect(logs(p.heartbeat(PUB, new Uint8Array(5), 10))).toEqual(['bad heartbeat packet']);
    expect(logs(p.heartbeat(PUB, heartbeatBytes(0xdeadbeef), 10))).toEqual(['Incompatible heartbeat received']);
    expect(p.active).toBe(false);
    expect(p.lastHeard).toBe(0); // none of them counted as the partner heard
  });

  it('heartbeats are 4 bytes in x86 host order; a big-endian sender is understood too', () => {
    expect([...heartbeatBytes(RUNNING)]).toEqual([0xda, 0xdb, 0xad, 0xbd]);
    const p = new Pulse(cfg({ role: 'primary' }), 0);
    p.start(0);
    expect(kinds(p.heartbeat(PUB, Uint8Array.of(0xad, 0xbd, 0xda, 0xbd), 10))).toEqual(['activate: backup inactive']);
  });

  it('monitor_links: a link down deactivates and keeps it inactive, whatever the partner says, until the link is back', () => {
    const p = new Pulse(cfg({ role: 'primary', forceActive: true }), 0);
    p.start(0);
    const down = p.links(false);
    expect(logs(down)).toEqual(['Local NIC link failure: Pulse disabled']);
    expect(kinds(down)).toEqual(['deactivate: link failure']);
    expect(kinds(p.heartbeat(PUB, heartbeatBytes(STOPPED), 100))).toEqual([]);
    expect(p.tick(60_000).some((x) => x.kind === 'activate')).toBe(false);
    expect(logs(p.links(true))).toEqual(['Local NIC link(s) restored']);
    expect(kinds(p.heartbeat(PUB, heartbeatBytes(STOPPED), 60_100))).toEqual(['activate: backup inactive']);
  });

  it('standby (maintenance): the router becomes inactive and stays so until it is lifted', () => {
    const p = new Pulse(cfg({ role: 'primary', forceActive: true }), 0);
    p.start(0);
    expect(kinds(p.setStandby(true))).toEqual(['deactivate: standby (operator)']);
    expect(p.tick(60_000).some((x) => x.kind === 'activate')).toBe(false);
    p.setStandby(false);
    expect(p.tick(60_001).some((x) => x.kind === 'activate')).toBe(true);
  });

  it('nextDeadline is the nearer of the next heartbeat and the dead time', () => {
    const p = new Pulse(cfg(), 0);
    p.start(0);
    expect(p.nextDeadline()).toBe(2000);
    p.heartbeat(PUB, heartbeatBytes(RUNNING), 1900);
    p.tick(2000);
    expect(p.nextDeadline()).toBe(4000);
  });
});

describe('pulse: failback (tsvs extension)', () => {
  const BACKUP_PUB = parseIPv4('198.18.0.3')!;
  const mk = (failback: boolean) => new Pulse({ role: 'primary', partner: [BACKUP_PUB], keepalive: 2, deadtime: 5, forceActive: false, failback }, 0);
  const running = heartbeatBytes(RUNNING);

  it('a primary that hears the backup active for deadtime takes the addresses back; pulse (off) never does', () => {
    for (const failback of [true, false]) {
      const p = mk(failback);
      p.start(0);
      const acts: string[] = [];
      for (let t = 1000; t <= 12_000; t += 1000) {
        acts.push(...kinds(p.heartbeat(BACKUP_PUB, running, t)), ...kinds(p.tick(t)));
      }
      // Once active, each RUNNING it hears makes it re-announce (the backup, hearing it, stops).
      expect(acts.filter((a) => a.startsWith('activate'))).toEqual(failback ? ['activate: failback'] : []);
      expect(acts.indexOf('activate: failback')).toBe(failback ? acts.findIndex((a) => !a.startsWith('send')) : -1);
      expect(p.active).toBe(failback);
    }
  });

  it('the wait starts again after standby, and a backup that stops being heard is not failed back to', () => {
    const p = mk(true);
    p.start(0);
    p.heartbeat(BACKUP_PUB, running, 1000);
    p.setStandby(true);
    p.heartbeat(BACKUP_PUB, running, 3000);
    p.setStandby(false);
    p.heartbeat(BACKUP_PUB, running, 5000);
    // 5 s after the end of standby, not after the first RUNNING heard.
    expect(kinds(p.tick(9000)).filter((k) => k.startsWith('activate'))).toEqual([]);
    p.heartbeat(BACKUP_PUB, running, 9000);
    expect(kinds(p.tick(10_000)).filter((k) => k.startsWith('activate'))).toEqual(['activate: failback']);
    expect(p.nextDeadline()).toBe(-Infinity);
  });
});
