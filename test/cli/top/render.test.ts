// The screen of `tsvs top` as text: a golden 80x24 screen worked out from the
// fixture's figures, bars that scale with the width, cutting to the window.
import { describe, expect, it } from 'vitest';
import { bar, human, mmss } from '../../../src/cli/top/format.js';
import { renderTop, type TopSnapshot } from '../../../src/cli/top/render.js';
import { dataplane, service, server } from '../../control/fixtures.js';
import { conn, snapshot } from './fixtures.js';

/** Two refreshes 2 s apart: 4000 more frames in, 6 more tcp_no_connection drops. */
function twoRefreshes(): [TopSnapshot, TopSnapshot] {
  const prev = snapshot(0);
  const cur = snapshot(2000);
  cur.dataplane = { ...cur.dataplane, rxFrames: cur.dataplane.rxFrames + 4000, drops: { ...cur.dataplane.drops, tcp_no_connection: 18 } };
  return [cur, prev];
}

describe('renderTop', () => {
  it('an 80x24 screen (golden)', () => {
    const [cur, prev] = twoRefreshes();
    // Servers in ipvsadm --sort order (10.0.0.2 before 10.0.0.3, whatever the
    // table's order); service rows sum their servers' connections; the share
    // bar is 80 - 74 - 1 = 5 wide: 10/50, 40/50 and 5/5 of the connections.
    // Drops: only the non-zero ones, per second over the 2 s. Connections:
    // idle = timeout - expires (900 - 899, 300 - 295, 900 - 600); the SYN_RECV
    // entry and the template are not listed.
    expect(renderTop(cur, prev, 80, 24).split('\n')).toEqual([
      'tsvs top - table v12, 2 services, 45/65536 conns, rx 2000/s, tx 0/s',
      '',
      'Prot LocalAddress:Port Weight Active InAct   CPS InPPS OutPPS InBPS OutBPS Share',
      '  -> RemoteAddress:Port',
      'TCP  198.18.0.10:80               40    10    50  1200   1100  150K   1.4M wlc',
      '  -> 10.0.0.2:80            1     10     0    13   300    300   40K   400K #....',
      '  -> 10.0.0.3:80            3     30    10    37   900    800  110K   1.0M ####.',
      'FWM  1                             4     1     0     0      0     0      0 rr pe',
      '  -> 10.0.0.4:0             2      4     1     0     0      0     0      0 #####',
      '',
      'Drops                           total   per s',
      '  tcp_no_connection                18     3.0',
      '  malformed_bad_ip_checksum         3     0.0',
      '',
      'Most recently active connections (ESTABLISHED and UDP; first 5 of 45 entries)',
      'pro expire  idle state       source         virtual        destination',
      'TCP 14:59     1 ESTABLISHED 10.9.0.5:51234 198.18.0.10:80 10.0.0.3:80',
      'UDP 04:55     5 UDP         10.9.0.9:5353  198.18.0.10:53 10.0.0.2:53',
      'TCP 10:00   300 ESTABLISHED 10.9.0.7:40001 198.18.0.10:80 10.0.0.3:80',
    ]);
  });

  it('the first refresh has no rates of its own to show', () => {
    const lines = renderTop(snapshot(), null, 80, 24).split('\n');
    expect(lines[0]).toBe('tsvs top - table v12, 2 services, 45/65536 conns, rx -/s, tx -/s');
    expect(lines).toContain('  tcp_no_connection                12       -');
  });

  it('bars grow with the width: 120 columns leave 45 for them', () => {
    const [cur, prev] = twoRefreshes();
    const lines = renderTop(cur, prev, 120, 24).split('\n');
    const barOf = (prefix: string) => lines.find((l) => l.startsWith(prefix))!.slice(75);
    expect(lines[2].slice(75)).toBe('Share of conns');
    expect(barOf('  -> 10.0.0.2:80')).toBe('#'.repeat(9) + '.'.repeat(36)); // 10/50 of 45
    expect(barOf('  -> 10.0.0.3:80')).toBe('#'.repeat(36) + '.'.repeat(9)); // 40/50 of 45
    expect(barOf('  -> 10.0.0.4:0')).toBe('#'.repeat(45));
    expect(barOf('FWM  1')).toBe('rr persistent 300');
  });

  it('a service without connections has empty bars', () => {
    const s = snapshot();
    s.table.services = [service({ id: 'tcp-198.18.0.20-443', address: '198.18.0.20', port: 443, servers: [server('10.0.0.8', 443)] })];
    const line = renderTop(s, null, 100, 24).split('\n').find((l) => l.startsWith('  -> 10.0.0.8'))!;
    expect(line.endsWith(' ' + '.'.repeat(25))).toBe(true);
  });

  it('cuts every line to a narrow window and leaves the share column out', () => {
    const [cur, prev] = twoRefreshes();
    const lines = renderTop(cur, prev, 40, 100).split('\n');
    expect(Math.max(...lines.map((l) => l.length))).toBe(40);
    expect(lines[2]).toBe('Prot LocalAddress:Port Weight Active InA');
    expect(renderTop(cur, prev, 76, 100)).not.toContain('Share');
    expect(renderTop(cur, prev, 78, 100)).toContain(' Sha\n');
  });

  it('cuts to the height and says how much is left out', () => {
    const [cur, prev] = twoRefreshes();
    const lines = renderTop(cur, prev, 80, 10).split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[9]).toBe('... 10 more lines (a taller window shows them)');
    expect(lines[8]).toBe('  -> 10.0.0.4:0             2      4     1     0     0      0     0      0 #####');
  });

  it('is plain text: no escape codes', () => {
    const [cur, prev] = twoRefreshes();
    expect(renderTop(cur, prev, 80, 24)).not.toMatch(/\x1b/);
  });

  it('lists services as ipvsadm --sort does: address services by protocol, address, port, then marks', () => {
    const s = snapshot();
    s.table.services = [
      service({ id: 'fwm-2', fwmark: 2 }),
      service({ id: 'udp-198.18.0.10-53', protocol: 'udp', address: '198.18.0.10', port: 53 }),
      service({ id: 'tcp-198.18.0.10-443', address: '198.18.0.10', port: 443 }),
      service({ id: 'tcp-198.18.0.9-80', address: '198.18.0.9', port: 80 }),
    ];
    const names = renderTop(s, null, 80, 40)
      .split('\n')
      .filter((l) => /^(TCP|UDP|FWM) {2}/.test(l))
      .map((l) => l.slice(0, 22).trimEnd());
    expect(names).toEqual(['TCP  198.18.0.9:80', 'TCP  198.18.0.10:443', 'UDP  198.18.0.10:53', 'FWM  2']);
  });

  it('lists at most --conns connections, and none with 0', () => {
    const s = snapshot();
    s.conns = { total: 3, offset: 0, conns: [conn('10.9.0.1', 1, { expires: 800 }), conn('10.9.0.2', 2, { expires: 900 }), conn('10.9.0.3', 3, { expires: 850 })] };
    const rows = (n: number) => renderTop(s, null, 80, 40, { conns: n }).split('\n').filter((l) => l.startsWith('TCP 1'));
    expect(rows(2)).toEqual([
      'TCP 15:00     0 ESTABLISHED 10.9.0.2:2 198.18.0.10:80 10.0.0.3:80',
      'TCP 14:10    50 ESTABLISHED 10.9.0.3:3 198.18.0.10:80 10.0.0.3:80',
    ]);
    const none = renderTop(s, null, 80, 40, { conns: 0 });
    expect(none).not.toContain('connections');
    expect(none.endsWith('\n')).toBe(false);
  });

  it('lists the backend\'s losses and the answers the rate limit held back with the drops (issue 15 item 7)', () => {
    const [cur, prev] = twoRefreshes();
    prev.dataplane = { ...prev.dataplane, backend: { ring_drops: 100, tx_errors: 0 }, replies: { tcp_resets_sent: 9, tcp_resets_rate_limited: 0 } };
    cur.dataplane = { ...cur.dataplane, backend: { ring_drops: 140, tx_errors: 2, tx_waits: 7 }, replies: { tcp_resets_sent: 11, tcp_resets_rate_limited: 4 } };
    const lines = renderTop(cur, prev, 80, 24).split('\n');
    // A send that waited for room lost nothing: said apart from the drops.
    expect(lines).toContain('Sends that waited for a full queue (not lost): 7');
    expect(lines.some((l) => l.includes('backend_tx_waits'))).toBe(false);
    expect(lines).toContain('  backend_ring_drops              140    20.0');
    expect(lines).toContain('  backend_tx_errors                 2     1.0');
    expect(lines).toContain('  tcp_resets_rate_limited           4     2.0');
    expect(lines.some((l) => l.includes('tcp_resets_sent'))).toBe(false);
  });

  it('says so when nothing is dropped or active', () => {
    const s = snapshot();
    s.dataplane = { ...s.dataplane, drops: { fragment: 0 } };
    s.conns = { total: 0, offset: 0, conns: [] };
    const text = renderTop(s, null, 80, 40);
    expect(text).toContain('\nDrops: none\n');
    expect(text.endsWith('(ESTABLISHED and UDP; 0 entries)\n  none')).toBe(true);
  });
});

describe('renderTop: health', () => {
  const rs = (address: string, o: object) => ({
    service: 'TCP 198.18.0.10:80', address, port: 80, state: 'up' as const, serving: true, force: null, weight: 1, configuredWeight: 1,
    okStreak: 1, failStreak: 0, riseNeeded: 1, fall: 1, checks: ['tcp'], last: null, lastChange: null, ...o,
  });
  const withHealth = (servers: ReturnType<typeof rs>[], o: object = {}): TopSnapshot => ({
    ...snapshot(),
    health: { services: [{ service: 'TCP 198.18.0.10:80', quorum: 1, hysteresis: 0, quorumUp: true, sorryServer: null, sorryActive: false, servers, ...o }] },
  });

  it('one line when every checked server serves as configured', () => {
    expect(renderTop(withHealth([rs('10.0.0.2', {}), rs('10.0.0.3', {})]), null, 100, 40)).toContain('\nHealth: all 2 checked servers up\n');
  });

  it('a line per server out of service, forced or drained, and a lost quorum with its sorry server', () => {
    const snap = withHealth([
      rs('10.0.0.2', { state: 'down', serving: false, lastChange: { at: 0, to: 'down', reason: 'status 500' } }),
      rs('10.0.0.3', { force: 'drain', weight: 0 }),
      rs('10.0.0.4', {}),
    ], { quorumUp: false, sorryServer: '10.0.0.9:80', sorryActive: true });
    const text = renderTop(snap, null, 100, 40);
    expect(text).toContain([
      'Health: 1 of 3 checked servers serving as configured',
      '  TCP 198.18.0.10:80: quorum lost, sorry server 10.0.0.9:80 serving',
      '  -> 10.0.0.2:80 (TCP 198.18.0.10:80) out, down: status 500',
      '  -> 10.0.0.3:80 (TCP 198.18.0.10:80) serving, forced drain',
    ].join('\n'));
  });
});

describe('format', () => {
  it('human: exact below 10000, then 4 characters with a unit', () => {
    expect([0, 999, 9999, 10_000, 12_345, 999_499, 999_500, 1_000_000, 9_949_999, 12_500_000_000].map(human)).toEqual([
      '0',
      '999',
      '9999',
      '10K',
      '12K',
      '999K',
      '1.0M',
      '1.0M',
      '9.9M',
      '13G',
    ]);
  });
  it('bar and mmss', () => {
    expect(bar(0.5, 4)).toBe('##..');
    expect(bar(1.5, 3)).toBe('###');
    expect(mmss(899)).toBe('14:59');
    expect(mmss(5)).toBe('00:05');
  });
});

describe('renderTop: failover', () => {
  it('a line under the title gives each data-plane worker\'s frames per second and connections, with several', () => {
    const dp = (a: number, b: number) => dataplane({ workers: [{ rxFrames: a, txFrames: 0, connsCreated: 0, conns: 3 }, { rxFrames: b, txFrames: 0, connsCreated: 0, conns: 5 }] });
    const prev = snapshot(1000, { dataplane: dp(100, 200) });
    const cur = snapshot(3000, { dataplane: dp(300, 1200) });
    expect(renderTop(cur, prev, 100, 40).split('\n')[1]).toBe('workers: #0 rx 100/s 3 conns, #1 rx 500/s 5 conns');
    expect(renderTop(cur, null, 100, 40).split('\n')[1]).toBe('workers: #0 rx -/s 3 conns, #1 rx -/s 5 conns');
    expect(renderTop(snapshot(), null, 100, 40)).not.toContain('workers:');
  });

  it('a line under the title says which router of the pair this is, whether active and why, and what the partner says', () => {
    const s: TopSnapshot = {
      ...snapshot(),
      failover: {
        role: 'backup', state: 'backup active', active: true, partner: ['198.18.0.2'], port: 539, keepalive: 2, deadtime: 5, lastHeard: 12.34,
        partnerSays: 'RUNNING', standby: false, links: {}, transitions: 1, since: 0, reason: 'partner dead', heartbeats: { sent: 1, received: 1, ignored: 0, sendErrors: 0 }, auth: null,
      },
    };
    expect(renderTop(s, null, 100, 40).split('\n')[1]).toBe('failover: backup ACTIVE since partner dead, partner RUNNING 12.3s ago');
    expect(renderTop(snapshot(), null, 100, 40)).not.toContain('failover:');
    // With ha_key_file, dropped heartbeats join the line once there are any.
    const keyed = { ...s, failover: { ...s.failover!, auth: { ok: 9, unauthenticated: 0, forged: 0, replayed: 0 } } };
    expect(renderTop(keyed, null, 100, 40).split('\n')[1]).toBe('failover: backup ACTIVE since partner dead, partner RUNNING 12.3s ago');
    const hit = { ...s, failover: { ...s.failover!, auth: { ok: 9, unauthenticated: 1, forged: 3, replayed: 2 } } };
    expect(renderTop(hit, null, 140, 40).split('\n')[1]).toBe('failover: backup ACTIVE since partner dead, partner RUNNING 12.3s ago, heartbeats dropped: 3 forged, 2 replayed, 1 unauthenticated');
    // failover = vrrp: the VRID and this router's priority lead, the state is VRRP's, the partner is the master heard.
    const vrrp = { version: 2 as const, vrid: 51, priority: 100, advertInt: 1, preempt: true, preemptDelay: 0, interface: 'eth0', address: '198.18.0.3', peers: ['224.0.0.18'], auth: false, stats: {}, beacon: { sent: 0, received: 0, lastHeard: null } };
    const v = { ...s, failover: { ...s.failover!, state: 'BACKUP', active: false, reason: 'Entering BACKUP STATE', partnerSays: 'MASTER 198.18.0.2 prio 150', lastHeard: 0.4, vrrp } };
    expect(renderTop(v, null, 140, 40).split('\n')[1]).toBe('failover: VRRP VRID 51 prio 100 BACKUP since Entering BACKUP STATE, partner MASTER 198.18.0.2 prio 150 0.4s ago');
  });
});
