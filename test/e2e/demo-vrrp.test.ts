// `tsvs demo --ha --vrrp` end to end (root): the two-router lab electing by VRRP,
// the primary killed and started again, the long download intact. Its own file so
// that it runs beside the pulse demo rather than after it.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadNative } from '../../src/io/native.js';
import { MAIN, ROOT } from './harness.js';

const run = ROOT && loadNative().addon ? describe : describe.skip;

run(`tsvs demo --ha --vrrp${ROOT ? '' : ' (skipped: needs root for network namespaces)'}`, () => {
  it('the backup becomes VRRP master after the kill, the primary preempts on its return, and a long download survives both', () => {
    const name = `dvr${process.pid % 100000}`;
    const r = spawnSync(process.execPath, [MAIN, 'demo', '--ha', '--vrrp', '--duration', '15', '--name', name], { encoding: 'utf8', timeout: 110_000 });
    expect(r.status, r.stdout.slice(-3000) + r.stderr).toBe(0);
    expect(r.stdout).toContain('two routers (VRRP), LVS-NAT');
    // Each router's line shows its VRRP instance: the lab's VRID 51, priorities 150 and 100.
    expect(r.stdout).toMatch(/primary +ACTIVE +VRRPv2 VRID 51 priority 150: adverts sent [1-9]\d*/);
    expect(r.stdout).toMatch(/backup +ACTIVE +VRRPv2 VRID 51 priority 100: adverts sent [1-9]\d*, received [1-9]\d*, became master [1-9]x/);
    const taken = /takeover after the kill: ([\d.]+) s; failback after the restart: ([\d.]+) s/.exec(r.stdout);
    expect(taken, r.stdout.slice(-2000)).not.toBeNull();
    // Three adverts of 1 s missed plus the skew time ((256 - 100) / 256 s): not before 3.6 s.
    expect(Number(taken![1])).toBeGreaterThanOrEqual(3.6);
    expect(r.stdout).toContain('one TCP connection through both changes): intact, checksum matches');
    expect(r.stdout).toContain('lab torn down');
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toContain(`tsvs-${name}-`);
  }, 130_000);
});
