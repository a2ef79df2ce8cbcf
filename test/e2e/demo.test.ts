// The README's main command, `tsvs demo`, end to end (root): it builds the NAT
// lab, forwards real HTTP for a bounded time, shows per-server figures and
// leaves nothing behind.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadNative } from '../../src/io/native.js';
import { MAIN, ROOT } from './harness.js';

const run = ROOT && loadNative().addon ? describe : describe.skip;

run(`tsvs demo${ROOT ? '' : ' (skipped: needs root for network namespaces)'}`, () => {
  it('forwards real HTTP through the router to every real server, then tears the lab down', () => {
    const name = `demo${process.pid % 100000}`;
    const r = spawnSync(process.execPath, [MAIN, 'demo', '--duration', '3', '--name', name], { encoding: 'utf8', timeout: 90_000 });
    expect(r.status).toBe(0);
    const replies = /replies per real server \(as the client saw them\): (.*)/.exec(r.stdout)?.[1] ?? '';
    for (const rs of ['rs1', 'rs2', 'rs3']) expect(replies).toMatch(new RegExp(`${rs} \\d+`));
    expect(r.stdout).toMatch(/client: [1-9]\d* requests answered, 0 failed/);
    expect(r.stdout).toContain('lab torn down');
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    expect(left).not.toContain(`tsvs-${name}-`);
  }, 120_000);
});
