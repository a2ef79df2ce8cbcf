// The README's main command, `tsvs demo`, end to end (root): it builds the NAT
// lab, forwards real HTTP for a bounded time, shows per-server figures and
// leaves nothing behind.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadNative } from '../../src/io/native.js';
import { MAIN, ROOT } from './harness.js';

const run = ROOT && loadNative().addon ? describe : describe.skip;

run(`tsvs demo${ROOT ? '' : ' (skipped: needs root for network namespaces)'}`, () => {
  it('forwards real HTTP through the router to every real server; the server it stops midway leaves the table and returns; then it tears the lab down', () => {
    const name = `demo${process.pid % 100000}`;
    const r = spawnSync(process.execPath, [MAIN, 'demo', '--duration', '12', '--name', name], { encoding: 'utf8', timeout: 90_000 });
    expect(r.status, r.stdout.slice(-3000) + r.stderr).toBe(0);
    const replies = /replies per real server \(as the client saw them\): (.*)/.exec(r.stdout)?.[1] ?? '';
    for (const rs of ['rs1', 'rs2', 'rs3']) expect(replies).toMatch(new RegExp(`${rs} \\d+`));
    // The outage, as the live view tells it: stopped a third of the way in, out, started at half time, back.
    expect(r.stdout).toMatch(/\d+\.\d s: stopped rs2's web server \(198\.19\.0\.12:80\)/);
    expect(r.stdout).toMatch(/\d+\.\d s: its check took rs2 out of the table/);
    expect(r.stdout).toMatch(/\d+\.\d s: rs2 passed its checks for the reentry time and is back in the table/);
    const summary = /outage of rs2: taken out ([\d.]+) s after its web server stopped, back ([\d.]+) s after its restart; (\d+) requests failed/.exec(r.stdout);
    expect(summary, r.stdout.slice(-2000)).not.toBeNull();
    expect(Number(summary![1])).toBeLessThan(3); // checks every second, 1 s connect timeout
    expect(Number(summary![2])).toBeGreaterThanOrEqual(1.5); // reentry 3 s: back only after passing that long
    // Every failed request was in that moment (the exit status says so too).
    const failed = [...r.stdout.matchAll(/client: \d+ requests answered, (\d+) failed/g)].at(-1)?.[1];
    expect(failed).toBe(summary![3]);
    expect(r.stdout).toContain('lab torn down');
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    expect(left).not.toContain(`tsvs-${name}-`);
  }, 120_000);

  it('--ha: two routers; the primary killed with SIGKILL, the backup takes over, the primary fails back, and a long download survives both', () => {
    const name = `dha${process.pid % 100000}`;
    const r = spawnSync(process.execPath, [MAIN, 'demo', '--ha', '--duration', '15', '--name', name], { encoding: 'utf8', timeout: 110_000 });
    expect(r.status, r.stdout.slice(-3000) + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\d+\.\d s: killed the primary router \(SIGKILL\)/);
    const taken = /takeover after the kill: ([\d.]+) s; failback after the restart: ([\d.]+) s/.exec(r.stdout);
    expect(taken, r.stdout.slice(-2000)).not.toBeNull();
    expect(Number(taken![1])).toBeGreaterThanOrEqual(3); // deadtime 3 s: not before
    expect(r.stdout).toContain('one TCP connection through both changes): intact, checksum matches');
    expect(r.stdout).toContain('lab torn down');
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toContain(`tsvs-${name}-`);
  }, 130_000);
});
