import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { simulate } from '../../src/cli/simulate.js';
import { parseTrace, TraceError } from '../../src/schedbench/trace.js';

async function lines(opts: { trace: string; json?: boolean; config?: string }): Promise<string[]> {
  const out: string[] = [];
  await simulate({ config: opts.config ?? 'test/fixtures/config/nat.cf', trace: opts.trace, json: opts.json, out: (l) => out.push(l) });
  return out;
}

describe('tsvs simulate', () => {
  it('prints the real server the engine chose for each open (wlc, IPVS list order, closes freeing nothing active)', async () => {
    expect(await lines({ trace: 'test/fixtures/sim/three-clients.trace' })).toEqual([
      '198.18.1.1:40001 198.18.0.10:80 -> 198.19.0.13:80',
      '198.18.1.2:40002 198.18.0.10:80 -> 198.19.0.12:80',
      '198.18.1.3:40003 198.18.0.10:80 -> 198.19.0.11:80',
      '198.18.1.4:40004 198.18.0.10:80 -> 198.19.0.13:80',
      // web3 (w2) has one active and one in TIME_WAIT (inactive) after the close:
      // (256+1)/2 = 128.5 beats web2 and web1 at 256 each.
      '198.18.1.5:40005 198.18.0.10:80 -> 198.19.0.13:80',
      '198.18.1.6:40006 198.18.0.10:443 -> none (not_a_virtual_service)',
      '# 6 opens: 198.19.0.13:80 3, 198.19.0.12:80 1, 198.19.0.11:80 1, none (not_a_virtual_service) 1',
    ]);
  });

  it('--json gives one object per open', async () => {
    const out = (await lines({ trace: 'test/fixtures/sim/three-clients.trace', json: true })).map((l) => JSON.parse(l));
    expect(out).toHaveLength(6);
    expect(out[0]).toEqual({ time: 0, proto: 'tcp', client: '198.18.1.1:40001', vip: '198.18.0.10:80', server: '198.19.0.13:80' });
    expect(out[5]).toMatchObject({ server: null, reason: 'not_a_virtual_service' });
  });

  it('rejects a bad trace line with file:line', () => {
    expect(() => parseTrace('0 open tcp 1.2.3.4:5 198.18.0.10:80\n1 opne tcp 1.2.3.4:5 198.18.0.10:80\n', 't.trace')).toThrow(TraceError);
    expect(() => parseTrace('5 open tcp 1.2.3.4:5 198.18.0.10:80\n1 open tcp 1.2.3.4:6 198.18.0.10:80\n', 't.trace')).toThrow(/t.trace:2: time 1 goes back/);
    expect(() => parseTrace('0 open sctp 1.2.3.4:5 198.18.0.10:80', 't')).toThrow(/t:1: protocol "sctp"/);
    expect(() => parseTrace('0 open tcp 1.2.3.4 198.18.0.10:80', 't')).toThrow(/client "1.2.3.4" is not IP:PORT/);
  });

  it('reads the trace from stdin through the tsvs command', () => {
    const r = spawnSync(process.execPath, ['dist/src/cli/main.js', 'simulate', '-c', 'test/fixtures/config/dr.cf'], {
      input: '0 open tcp 198.18.1.1:1 198.18.0.10:80\n0 open tcp 198.18.1.2:1 198.18.0.10:80\n',
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').slice(0, 2)).toEqual(['198.18.1.1:1 198.18.0.10:80 -> 198.18.0.23:80', '198.18.1.2:1 198.18.0.10:80 -> 198.18.0.22:80']);
  });

  it('the tsvs command reports a bad config as file:line and exits non-zero', () => {
    const r = spawnSync(process.execPath, ['dist/src/cli/main.js', 'check', '-c', 'test/fixtures/config/bad/BADNETMASK.cf'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/BADNETMASK\.cf:\d+: BADNETMASK: /);
    const u = spawnSync(process.execPath, ['dist/src/cli/main.js', 'replay'], { encoding: 'utf8' });
    expect(u.status).toBe(2);
    expect(u.stderr).toContain('-c FILE');
  });
});
