// The kinds that run a command (MISC_CHECK, nanny's send_program): run here in
// the test's own process, as they touch no network. Commands are /bin/sh
// one-liners; every child they start is checked to be gone afterwards.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProbe } from '../../src/health/probes/index.js';
import type { CheckSpec, NannyCheck } from '../../src/health/types.js';

const target = { address: '198.18.0.2', port: 8080 };
const misc = (command: string, o: { timeout?: number | null; dynamic?: boolean } = {}): CheckSpec =>
  ({ kind: 'misc', command, timeout: o.timeout ?? null, dynamic: o.dynamic ?? false });
const program = (sendProgram: string, expect: string | null, useRegex = false): NannyCheck =>
  ({ kind: 'nanny', protocol: 'tcp', send: null, expect, useRegex, sendProgram });
const verdict = async (spec: CheckSpec, timeoutMs = 2000, signal?: AbortSignal) => {
  const r = await runProbe(spec, target, timeoutMs, signal);
  return r.weight === undefined ? { ok: r.ok, detail: r.detail } : { ok: r.ok, detail: r.detail, weight: r.weight };
};
function alive(pid: number): boolean {
  try {
    return existsSync(`/proc/${pid}`) && !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false; // gone between the two reads
  }
}

/** A SIGKILLed process takes a moment to be gone on a busy machine. */
async function goneWithin(pid: number, ms: number): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await new Promise((r) => setTimeout(r, 20))) if (!alive(pid)) return true;
  return !alive(pid);
}

const dir = mkdtempSync(join(tmpdir(), 'tsvs-probe-shell-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('misc (keepalived MISC_CHECK)', () => {
  it('passes exit 0 and fails exit 1', async () => {
    expect(await verdict(misc('exit 0'))).toEqual({ ok: true, detail: 'exit 0' });
    expect(await verdict(misc('exit 1'))).toEqual({ ok: false, detail: 'exit 1' });
  });

  it('fails every non-zero exit without misc_dynamic', async () => {
    expect(await verdict(misc('exit 2'))).toEqual({ ok: false, detail: 'exit 2' });
    expect(await verdict(misc('exit 255'))).toEqual({ ok: false, detail: 'exit 255' });
  });

  it('with misc_dynamic, passes 2..255 with weight = status - 2, still fails 1, and leaves the weight alone on 0', async () => {
    expect(await verdict(misc('exit 2', { dynamic: true }))).toEqual({ ok: true, detail: 'exit 2', weight: 0 });
    expect(await verdict(misc('exit 7', { dynamic: true }))).toEqual({ ok: true, detail: 'exit 7', weight: 5 });
    expect(await verdict(misc('exit 255', { dynamic: true }))).toEqual({ ok: true, detail: 'exit 255', weight: 253 });
    expect(await verdict(misc('exit 1', { dynamic: true }))).toEqual({ ok: false, detail: 'exit 1' });
    expect(await verdict(misc('exit 0', { dynamic: true }))).toEqual({ ok: true, detail: 'exit 0' });
  });

  it('substitutes %h and %p', async () => {
    expect(await verdict(misc('test "%h:%p" = "198.18.0.2:8080"'))).toEqual({ ok: true, detail: 'exit 0' });
  });

  it('fails a command killed by a signal', async () => {
    expect(await verdict(misc('kill -9 $$'))).toEqual({ ok: false, detail: 'killed by SIGKILL' });
  });

  it('kills the whole process group at misc_timeout, and answers only once it is gone', async () => {
    const pids = join(dir, 'pids1');
    const r = await runProbe(misc(`echo $$ > ${pids}; sleep 30 & echo $! >> ${pids}; wait`, { timeout: 0.3 }), target, 10_000);
    expect({ ok: r.ok, detail: r.detail }).toEqual({ ok: false, detail: 'timed out after 300 ms' });
    expect(r.ms).toBeLessThan(3000);
    const [shell, sleeper] = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    expect(alive(shell)).toBe(false);
    // The grandchild, orphaned by the kill, is a zombie until init reaps it: give that a moment.
    expect(await goneWithin(sleeper, 1000)).toBe(true);
  });

  it('uses the attempt timeout when misc_timeout is not set, and SIGKILLs what ignores SIGTERM after 2 s', async () => {
    const pids = join(dir, 'pids2');
    const r = await runProbe(misc(`trap '' TERM; echo $$ > ${pids}; sleep 30 & echo $! >> ${pids}; while :; do wait; done`), target, 300);
    expect({ ok: r.ok, detail: r.detail }).toEqual({ ok: false, detail: 'timed out after 300 ms' });
    expect(r.ms).toBeGreaterThanOrEqual(2250);
    expect(r.ms).toBeLessThan(6000);
    const [shell, sleeper] = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    expect(alive(shell)).toBe(false);
    expect(await goneWithin(sleeper, 1000)).toBe(true);
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    expect(await verdict(misc('sleep 30'), 10_000, ac.signal)).toEqual({ ok: false, detail: 'aborted' });
    const pre = new AbortController();
    pre.abort();
    expect(await verdict(misc('exit 0'), 1000, pre.signal)).toEqual({ ok: false, detail: 'aborted' });
  });
});

describe('nanny send_program', () => {
  it('compares its output with expect, %h and %p substituted', async () => {
    expect(await verdict(program('echo "up %h %p"', 'up 198.18.0.2 8080'))).toEqual({ ok: true, detail: 'expect matched' });
    expect(await verdict(program('echo down', 'up'))).toEqual({ ok: false, detail: 'expect mismatch: got "do"' });
  });

  it('ignores the exit status when expect is set', async () => {
    expect(await verdict(program('echo up; exit 3', 'up'))).toEqual({ ok: true, detail: 'expect matched' });
  });

  it('tests a regex with use_regex, and "*" takes any output but none', async () => {
    expect(await verdict(program('echo load 0.52', '^load [0-9.]+', true))).toEqual({ ok: true, detail: 'expect matched' });
    expect(await verdict(program('echo load high', '^load [0-9.]+$', true))).toEqual({ ok: false, detail: 'expect regex did not match: got "load high\\n"' });
    expect(await verdict(program('echo x', '*'))).toEqual({ ok: true, detail: 'expect matched' });
    expect(await verdict(program('true', '*'))).toEqual({ ok: false, detail: 'expect mismatch: no output' });
  });

  it('passes on exit 0 when there is no expect', async () => {
    expect(await verdict(program('exit 0', null))).toEqual({ ok: true, detail: 'exit 0' });
    expect(await verdict(program('exit 4', null))).toEqual({ ok: false, detail: 'exit 4' });
  });

  it('fails a bad regex and a program that outlives the timeout', async () => {
    expect(await verdict(program('echo x', '(', true))).toMatchObject({ ok: false, detail: expect.stringMatching(/^bad expect regex: /) });
    expect(await verdict(program('sleep 30', 'x'), 300)).toEqual({ ok: false, detail: 'timed out after 300 ms' });
  });
});
