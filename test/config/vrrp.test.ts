// failover = vrrp in lvs.cf: the VRRP instance's keys (compile-vrrp.ts), their
// defaults as keepalived's, and each mistake at its line.
import { describe, expect, it } from 'vitest';
import { compileLvsCf, parseLvsCf } from '../../src/config/index.js';
import { parseIPv4 } from '../../src/model/index.js';
import { codes, errorsOf } from './helpers.js';

const ip = (s: string) => parseIPv4(s)!;
const compile = (text: string, file = 'lvs.cf') => compileLvsCf(parseLvsCf(text, file));
const PAIR = 'primary = 198.18.0.2\nbackup_active = 1\nbackup = 198.18.0.3\nnetwork = nat\nnat_router = 198.19.0.254 eth1\n';
const VIP = 'virtual web {\n  active = 1\n  address = 198.18.0.10 eth0\n  server a {\n    active = 1\n    address = 198.19.0.1\n  }\n}\n';

describe('lvs.cf failover = vrrp', () => {
  it('defaults to pulse: the VRRP keys are reported as not acted on', () => {
    const r = compile(`${PAIR}vrrp_id = 51\n`);
    expect(r.failover?.vrrp).toBeNull();
    expect(r.notActedOn.map((n) => `${n.line} ${n.key}: ${n.why}`)).toEqual(['6 vrrp_id: failover = pulse: the VRRP keys apply with failover = vrrp only']);
  });

  it('keepalived\'s defaults: version 2, advert_int 1 s, preempt on, no delay, multicast; the adverts list the VIPs and the NAT router address', () => {
    const r = compile(`${PAIR}failover = vrrp\nvrrp_id = 51\n${VIP}`);
    expect(r.failover?.vrrp).toEqual({
      interface: null, vrid: 51, priority: 150, backupPriority: 100, advertInt: 1000, version: 2, preempt: true, preemptDelay: 0,
      unicastPeers: [], srcIp: null, authPass: null, virtualAddresses: [ip('198.19.0.254'), ip('198.18.0.10')],
    });
  });

  it('reads every key; unicast peers repeat; v3 takes centiseconds; pulse\'s deadtime is reported as unused', () => {
    const text = `${PAIR}deadtime = 9\nfailover = vrrp\nvrrp_id = 7\nvrrp_version = 3\nvrrp_priority = 200\nvrrp_backup_priority = 90\nvrrp_advert_int = 0.25\n` +
      'vrrp_preempt = 0\nvrrp_preempt_delay = 30\nvrrp_interface = eth0\nvrrp_src_ip = 198.18.0.2\nvrrp_unicast_peer = 198.18.0.3\nvrrp_unicast_peer = 198.18.0.4\n';
    const r = compile(text);
    expect(r.failover?.vrrp).toEqual({
      interface: 'eth0', vrid: 7, priority: 200, backupPriority: 90, advertInt: 250, version: 3, preempt: false, preemptDelay: 30_000,
      unicastPeers: [ip('198.18.0.3'), ip('198.18.0.4')], srcIp: ip('198.18.0.2'), authPass: null, virtualAddresses: [ip('198.19.0.254')],
    });
    expect(r.notActedOn.map((n) => `${n.line} ${n.key}`)).toEqual(['6 deadtime']);
  });

  it('v2 with auth_type PASS', () => {
    expect(compile(`${PAIR}failover = vrrp\nvrrp_id = 1\nvrrp_auth_pass = s3cret\n`).failover?.vrrp?.authPass).toBe('s3cret');
  });

  it('each mistake at its line: no vrrp_id, a v2 interval in fractions, a password under v3, out-of-range numbers', () => {
    expect(errorsOf(() => compile(`${PAIR}failover = vrrp\n`)).errors.map(String)).toEqual([
      'lvs.cf:6: MISSINGKEY: failover = vrrp needs vrrp_id = the virtual router id (1-255) shared with the partner',
    ]);
    expect(errorsOf(() => compile(`${PAIR}failover = vrrp\nvrrp_id = 1\nvrrp_advert_int = 0.5\n`)).errors.map(String)).toEqual([
      'lvs.cf:8: RANGE: vrrp_advert_int = 0.5: VRRPv2 needs whole seconds, 1-255',
    ]);
    expect(errorsOf(() => compile(`${PAIR}failover = vrrp\nvrrp_id = 1\nvrrp_version = 3\nvrrp_advert_int = 41\n`)).errors.map(String)).toEqual([
      'lvs.cf:9: RANGE: vrrp_advert_int = 41: VRRPv3 needs 0.01-40.95 seconds in steps of 0.01',
    ]);
    expect(codes(errorsOf(() => compile(`${PAIR}failover = vrrp\nvrrp_id = 1\nvrrp_version = 3\nvrrp_auth_pass = x\n`)))).toEqual(['9 CONFLICT']);
    expect(codes(errorsOf(() => compile(`${PAIR}failover = vrrp\nvrrp_id = 256\nvrrp_priority = 0\nvrrp_version = 4\nvrrp_auth_pass = 123456789\n`))))
      .toEqual(['7 RANGE', '8 RANGE', '9 RANGE', '10 RANGE']);
    expect(errorsOf(() => compile('failover = vrrp\nvrrp_id = 1\n')).errors.map(String)).toEqual([
      'lvs.cf:1: MISSINGKEY: failover = vrrp needs backup_active = 1 with primary and backup (the pair VRRP elects from)',
    ]);
  });
});
