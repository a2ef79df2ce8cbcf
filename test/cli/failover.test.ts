import { describe, expect, it } from 'vitest';
import { failoverMain, formatFailover } from '../../src/cli/failover.js';
import { UsageError } from '../../src/cli/registry.js';
import { ApiRequestError, type FailoverView } from '../../src/control/types.js';
import { FakeApi } from './admin/fake-api.js';

const NOW = 1_000_000;

function view(o: Partial<FailoverView> = {}): FailoverView {
  return {
    role: 'backup', state: 'backup active', active: true, partner: ['198.18.0.2', '198.19.0.2'], port: 539, keepalive: 2, deadtime: 5,
    lastHeard: 0.4, partnerSays: 'STOPPED', standby: false, links: { eth0: true, eth1: false }, transitions: 1, since: NOW - 95_000,
    reason: 'partner dead', heartbeats: { sent: 120, received: 80, ignored: 2, sendErrors: 0 }, auth: null, ...o,
  };
}

function io() {
  const out: string[] = [];
  return { out, io: { out: (t: string) => void out.push(t), err: () => {} } };
}

describe('tsvs failover', () => {
  it('shows the role, whether active and why, the partner\'s heartbeat and the monitored links', () => {
    expect(formatFailover(view(), NOW)).toBe([
      'backup ACTIVE',
      '  since      1m35s ago: partner dead (1 change since start)',
      '  partner    198.18.0.2, 198.19.0.2: STOPPED 0.4s ago',
      '  heartbeat  UDP 539, every 2s, partner dead after 5s; sent 120, received 80, ignored 2',
      '  links      eth0 up, eth1 DOWN (monitor_links)',
      '',
    ].join('\n'));
    expect(formatFailover(view({ lastHeard: null, partnerSays: null, links: {}, active: false, state: 'backup inactive', transitions: 0 }), NOW))
      .toContain('198.18.0.2, 198.19.0.2: never heard');
    expect(formatFailover(view({ auth: { ok: 78, unauthenticated: 0, forged: 2, replayed: 1 } }), NOW).split('\n')[4])
      .toBe('  auth       ha_key_file: 78 taken; dropped 0 unauthenticated, 2 forged, 1 replayed');
  });

  it('failover = vrrp: the VRRP state, the master heard, the instance, its adverts and the errors that were counted', () => {
    const vrrp = { version: 3 as const, vrid: 51, priority: 150, advertInt: 1, preempt: true, preemptDelay: 30, interface: 'eth0', address: '198.18.0.2', peers: ['198.18.0.3'], auth: false, beacon: { sent: 40, received: 38, lastHeard: 0.7 },
      stats: { advert_rcvd: 12, advert_sent: 3, become_master: 1, release_master: 0, pri_zero_rcvd: 1, pri_zero_sent: 0, packet_len_err: 0, advert_interval_err: 0, ip_ttl_err: 2, invalid_type_rcvd: 0, addr_list_err: 0, invalid_authtype: 0, authtype_mismatch: 0, auth_failure: 1, chk_err: 0, vers_err: 0, vrid_err: 0, ip_hdr_err: 0, unicast_src_err: 0 } };
    const text = formatFailover(view({ role: 'primary', state: 'BACKUP', active: false, partner: ['198.18.0.3'], partnerSays: 'MASTER 198.18.0.3 prio 100', links: {}, reason: 'Entering BACKUP STATE', vrrp }), NOW);
    expect(text).toBe([
      'BACKUP',
      '  since      1m35s ago: Entering BACKUP STATE (1 change since start)',
      '  partner    198.18.0.3: MASTER 198.18.0.3 prio 100 0.4s ago',
      '  vrrp       VRRPv3 VRID 51 priority 150 on eth0 from 198.18.0.2 to 198.18.0.3, advert every 1s, preempt after 30s',
      '  adverts    sent 3 (priority 0: 0), received 12 (priority 0: 1), became master 1, released 0',
      '  errors     ip_ttl_err 2, auth_failure 1 (dropped; addr_list_err only logged)',
      '  beacon     heartbeat UDP 539 every 2s, presence only: sent 40, received 38, partner heard 0.7s ago',
      '',
    ].join('\n'));
  });

  it('standby releases the router and says so; resume hands it back; status by default', async () => {
    const api = new FakeApi();
    api.failover_ = view();
    const a = io();
    expect(await failoverMain(api, 'standby', false, a.io, NOW)).toBe(0);
    expect(a.out.join('')).toMatch(/^backup inactive \(standby\)\n/);
    const b = io();
    await failoverMain(api, 'resume', true, b.io, NOW);
    expect(JSON.parse(b.out.join(''))).toMatchObject({ standby: false });
    await expect(failoverMain(api, 'flip', false, io().io, NOW)).rejects.toThrow(UsageError);
  });

  it('a router without a backup: the API\'s error reaches the user', async () => {
    const err = await failoverMain(new FakeApi(), 'status', false, io().io, NOW).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiRequestError);
    expect((err as Error).message).toBe('this router runs without a backup router (lvs.cf backup_active = 0): no failover');
  });
});
