// The desired state: lvs.cf's table, runtime changes and health verdicts kept
// apart and joined into the table the data plane runs.
import { describe, expect, it } from 'vitest';
import { DesiredState } from '../../src/control/desired.js';
import { diffTables } from '../../src/model/diff.js';
import { buildTable, formatIPv4, parseIPv4, type RealServer, type ServiceTable } from '../../src/model/index.js';

const ip = (s: string): number => parseIPv4(s)!;
const WEB = { protocol: 'tcp', address: '198.18.0.10', port: 80 } as const;
const KEY = 'TCP 198.18.0.10:80';

function lvscf(weights: number[]): ServiceTable {
  const servers: RealServer[] = weights.map((weight, i) => ({
    name: `rs${i + 1}`, address: ip(`198.19.0.${11 + i}`), port: 80, weight, forward: 'nat', upperThreshold: 0, lowerThreshold: 0,
  }));
  return buildTable({
    addresses: [{ address: ip('198.18.0.10'), prefixLen: 32, device: 'eth0', role: 'vip' }],
    services: [{ name: 'web', protocol: 'tcp', address: ip('198.18.0.10'), port: 80, fwmark: 0, scheduler: 'wlc', schedFlags: [], persistence: 0, persistMask: 0xffffffff, onePacket: false, servers }],
  });
}

const weights = (t: ServiceTable): Array<[string, number]> => t.services[0].servers.map((r) => [formatIPv4(r.address), r.weight]);

describe('desired state', () => {
  it('a change makes a new version that shares what it did not touch', () => {
    const d = new DesiredState(lvscf([1, 1]), ['eth0']);
    const before = d.configured;
    const c = d.plan([{ op: 'add-server', service: WEB, server: { address: '198.19.0.13', port: 80 }, forward: 'nat' }]);
    d.commit(c, 'uid 0');
    expect(d.configured.version).toBeGreaterThan(before.version);
    expect(d.configured.services[0].servers[0]).toBe(before.services[0].servers[0]);
    expect(diffTables(before, d.configured).services).toEqual([{ key: KEY, settings: null, upsert: [d.configured.services[0].servers[2]], remove: [] }]);
  });

  it('a reload replaces lvs.cf\'s table and the runtime changes, and says which it discarded', () => {
    const d = new DesiredState(lvscf([1, 1]), ['eth0']);
    d.commit(d.plan([{ op: 'edit-server', service: WEB, server: { address: '198.19.0.11', port: 80 }, weight: 0 }]), 'uid 0 pid 7');
    expect(weights(d.effective())).toEqual([['198.19.0.11', 0], ['198.19.0.12', 1]]);
    const discarded = d.reload(lvscf([2, 2]));
    expect(discarded).toEqual(['edited real server 198.19.0.11:80 of TCP 198.18.0.10:80 (nat, weight 0) (uid 0 pid 7)']);
    expect(weights(d.effective())).toEqual([['198.19.0.11', 2], ['198.19.0.12', 2]]);
    expect(d.runtimeChanges).toEqual([]);
  });

  it('a failed verdict takes a server out, or quiesces it; a weight verdict replaces the configured weight', () => {
    const d = new DesiredState(lvscf([3, 3, 3]), ['eth0']);
    d.setVerdict(KEY, ip('198.19.0.11'), 80, { up: false });
    d.setVerdict(KEY, ip('198.19.0.12'), 80, { up: false, quiesce: true });
    d.setVerdict(KEY, ip('198.19.0.13'), 80, { up: true, weight: 1 });
    expect(weights(d.effective())).toEqual([['198.19.0.12', 0], ['198.19.0.13', 1]]);
    // Asking again with nothing changed gives the same version, not a new one.
    expect(d.effective()).toBe(d.effective());
    d.setVerdict(KEY, ip('198.19.0.11'), 80, null);
    expect(weights(d.effective())).toEqual([['198.19.0.11', 3], ['198.19.0.12', 0], ['198.19.0.13', 1]]);
  });

  it('verdicts outlive a reload for servers still there, and are forgotten for those gone', () => {
    const d = new DesiredState(lvscf([1, 1]), ['eth0']);
    d.setVerdict(KEY, ip('198.19.0.11'), 80, { up: false });
    d.setVerdict(KEY, ip('198.19.0.12'), 80, { up: false });
    d.reload(lvscf([5]));
    d.prune();
    expect(d.verdictOf(KEY, ip('198.19.0.11'), 80)).toEqual({ up: false });
    expect(d.verdictOf(KEY, ip('198.19.0.12'), 80)).toBeUndefined();
    expect(weights(d.effective())).toEqual([]);
  });

  it('a plan that is not committed changes nothing; restore undoes a reload', () => {
    const d = new DesiredState(lvscf([1]), ['eth0']);
    const before = d.configured;
    d.plan([{ op: 'clear' }]);
    expect(d.configured).toBe(before);
    const snap = d.snapshot();
    d.reload(lvscf([9]));
    d.restore(snap.base, snap.configured, snap.edits);
    expect(d.configured).toBe(before);
  });

  it('a service overlay from the health checks: the sorry server (weight 1) runs instead of the real servers, and leaves with the overlay', () => {
    const d = new DesiredState(lvscf([3, 2]), ['eth0']);
    d.setOverlay(KEY, { sorry: { address: ip('198.19.0.99'), port: 80 }, suspended: true });
    const t = d.effective();
    expect(weights(t)).toEqual([['198.19.0.99', 1]]);
    expect(t.services[0].servers[0]).toMatchObject({ name: 'sorry_server', forward: 'nat', port: 80 });
    d.setOverlay(KEY, null);
    expect(weights(d.effective())).toEqual([['198.19.0.11', 3], ['198.19.0.12', 2]]);
  });

  it('quorum lost without a sorry server leaves the service with no real server', () => {
    const d = new DesiredState(lvscf([1, 1]), ['eth0']);
    d.setOverlay(KEY, { sorry: null, suspended: true });
    expect(weights(d.effective())).toEqual([]);
  });
});
