import { describe, expect, it } from 'vitest';
import { formatHealth, healthMain, parseService } from '../../src/cli/health.js';
import { UsageError } from '../../src/cli/registry.js';
import type { HealthServerView, HealthView } from '../../src/control/types.js';
import { FakeApi } from './admin/fake-api.js';

const NOW = 1_000_000;

function rs(o: Partial<HealthServerView>): HealthServerView {
  return {
    service: 'TCP 198.18.0.10:80', address: '198.19.0.11', port: 80, state: 'up', serving: true, force: null, weight: 1, configuredWeight: 1,
    okStreak: 3, failStreak: 0, riseNeeded: 1, fall: 3, checks: ['http GET / 200-299'],
    last: { at: NOW - 2000, ok: true, detail: 'status 200' }, lastChange: { at: NOW - 600_000, to: 'up', reason: 'starts up' }, ...o,
  };
}

function view(): HealthView {
  return {
    services: [{
      service: 'TCP 198.18.0.10:80', quorum: 1, hysteresis: 0, quorumUp: true, sorryServer: '198.19.0.99:80', sorryActive: false,
      servers: [
        rs({}),
        rs({ address: '198.19.0.12', state: 'down', serving: false, weight: 1, okStreak: 1, failStreak: 0, riseNeeded: 3,
          last: { at: NOW - 1000, ok: true, detail: 'status 200' }, lastChange: { at: NOW - 20_000, to: 'down', reason: 'status 500' } }),
        rs({ address: '198.19.0.13', force: 'drain', weight: 0, configuredWeight: 5 }),
      ],
    }],
  };
}

function io() {
  const out: string[] = [];
  return { out, io: { out: (t: string) => void out.push(t), err: () => {} } };
}

describe('tsvs health', () => {
  it('lists each checked server: state, serving, weight, streak against what it needs, last result and last change', () => {
    expect(formatHealth(view(), NOW)).toBe([
      'Prot LocalAddress:Port            Quorum            Sorry server',
      '  -> RemoteAddress:Port           State Serving Weight  Streak    Last result                     Last change',
      'TCP  198.18.0.10:80               up (1)            198.19.0.99:80',
      '  -> 198.19.0.11:80               up    yes     1/1     fail 0/3  ok status 200, 2s ago           up 10m ago: starts up',
      '  -> 198.19.0.12:80               down  no      1/1     ok 1/3    ok status 200, 1s ago           down 20s ago: status 500',
      '  -> 198.19.0.13:80               up*   yes     0/5     fail 0/3  ok status 200, 2s ago           up 10m ago: starts up [forced drain]',
      '',
    ].join('\n'));
  });

  it('says so when nothing is checked', () => {
    expect(formatHealth({ services: [] }, NOW)).toMatch(/^no health checks run/);
  });

  it('forces a server through the API and prints what it does now', async () => {
    const api = new FakeApi();
    api.health_ = view();
    const o = io();
    expect(await healthMain(api, ['down', 'tcp:198.18.0.10:80', '198.19.0.11:80'], false, o.io, NOW)).toBe(0);
    expect(api.forced).toEqual(['TCP 198.18.0.10:80 198.19.0.11:80 down']);
    expect(o.out.join('')).toBe('198.19.0.11:80: serving, weight 1, forced down (checks say up)\n');
  });

  it('refuses a malformed service or server, or an action without them, as a usage error', async () => {
    const api = new FakeApi();
    await expect(healthMain(api, ['up'], false, io().io)).rejects.toThrow(UsageError);
    await expect(healthMain(api, ['up', 'tcp:198.18.0.10', '198.19.0.11:80'], false, io().io)).rejects.toThrow(/tcp:ADDR:PORT, udp:ADDR:PORT or fwm:MARK/);
    await expect(healthMain(api, ['up', 'fwm:7', '198.19.0.300:80'], false, io().io)).rejects.toThrow(/a server is ADDR:PORT/);
    expect(parseService('UDP:198.18.0.10:53')).toEqual({ protocol: 'udp', address: '198.18.0.10', port: 53 });
  });
});
