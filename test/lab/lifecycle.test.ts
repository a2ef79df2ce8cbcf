// Lab lifecycle (root): down after the processes died, after a crashed run that
// left only namespaces, two labs side by side, spawn/exec, and the CLI.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { runCli } from '../../src/cli/run.js';
import { healthy, labDown, labStatus, labUp, LabError, openLab, run } from '../../src/lab/index.js';
import { isAlive } from '../../src/lab/procs.js';
import { findNginx, NGINX_MISSING } from '../../src/lab/servers.js';
import { IS_ROOT, labNamespaces, ROOT_REASON, uniqueName } from './helpers.js';

const made: string[] = [];
function name(tag: string): string {
  const n = uniqueName(tag);
  made.push(n);
  return n;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!IS_ROOT)(`lab lifecycle${ROOT_REASON}`, () => {
  afterAll(async () => {
    for (const n of made) await labDown(n).catch(() => {});
  }, 60_000);

  it('down still cleans up when the lab processes already died', async () => {
    const n = name('a');
    const lab = await labUp({ mode: 'nat', servers: 1, name: n });
    const procs = lab.processes;
    for (const p of procs) process.kill(p.pid, 'SIGKILL');
    for (let i = 0; i < 100 && procs.some((p) => isAlive(p.pid, p.startTime)); i++) await sleep(20);
    const st = await labStatus(n);
    expect(st.processes.every((p) => !p.alive)).toBe(true);
    expect(st.servers[0].answers).toBe(false);
    expect(healthy(st)).toBe(false);
    await labDown(n);
    expect(await labNamespaces(n)).toEqual([]);
    expect((await labStatus(n)).exists).toBe(false);
    // Idempotent.
    expect(await labDown(n)).toEqual({ name: n, namespaces: [], processes: [] });
  }, 30_000);

  it('two labs with different names coexist; taking one down leaves the other working', async () => {
    const [a, b] = [name('b'), name('b')];
    const [la, lb] = await Promise.all([labUp({ mode: 'nat', servers: 1, name: a }), labUp({ mode: 'dr', servers: 1, name: b })]);
    expect(healthy(await labStatus(a))).toBe(true);
    expect(healthy(await labStatus(b))).toBe(true);
    await la.down();
    expect(await labNamespaces(a)).toEqual([]);
    expect((await labNamespaces(b)).sort()).toEqual([...lb.namespaces.all].sort());
    const r = await lb.exec('client', ['curl', '-sS', '--max-time', '3', `http://${lb.serverAddrs[0]}/`], { check: true });
    expect(r.stdout).toBe(`rs1 ${lb.serverAddrs[0]}\n`);
    await lb.down();
  }, 30_000);

  it('refuses to build over an existing lab of the same name', async () => {
    const n = name('c');
    const lab = await labUp({ mode: 'dr', servers: 1, name: n });
    await expect(labUp({ mode: 'nat', servers: 1, name: n })).rejects.toThrow(/already exists.*lab down --name/);
    expect(healthy(await labStatus(n))).toBe(true);
    await lab.down();
  }, 30_000);

  it('down removes the leftovers of a crashed run by prefix, and only its own', async () => {
    const n = name('d');
    const other = `${n}0`; // shares the characters of n, not the prefix tsvs-<n>-
    made.push(other);
    for (const ns of [`tsvs-${n}-client`, `tsvs-${n}-rs1`, `tsvs-${other}-client`]) {
      expect((await run('ip', ['netns', 'add', ns])).code).toBe(0);
    }
    // A process left inside one of them (it would keep the namespace alive after ip netns del).
    const child = spawn('ip', ['netns', 'exec', `tsvs-${n}-rs1`, 'sleep', '60'], { stdio: 'ignore', detached: true });
    child.unref();
    for (let i = 0; i < 100 && !isAlive(child.pid!); i++) await sleep(10);
    const st = await labStatus(n);
    expect(st.exists).toBe(true);
    expect(st.leftovers.sort()).toEqual([`tsvs-${n}-client`, `tsvs-${n}-rs1`]);
    const report = await labDown(n);
    expect(report.namespaces).toEqual([`tsvs-${n}-client`, `tsvs-${n}-rs1`]);
    expect(report.processes).toEqual([child.pid]);
    expect(isAlive(child.pid!)).toBe(false);
    expect(await labNamespaces(n)).toEqual([]);
    expect(await labNamespaces(other)).toEqual([`tsvs-${other}-client`]);
    await labDown(other);
    expect(await labNamespaces(other)).toEqual([]);
  }, 30_000);

  it('--httpd nginx: real servers answer from nginx when it is installed, else a clear message and nothing left behind', async () => {
    const n = name('g');
    if (!findNginx()) {
      await expect(labUp({ mode: 'nat', servers: 1, name: n, httpd: 'nginx' })).rejects.toThrow(NGINX_MISSING);
      expect(await labNamespaces(n)).toEqual([]);
      return;
    }
    const lab = await labUp({ mode: 'nat', servers: 2, name: n, httpd: 'nginx' });
    const st = await labStatus(n);
    expect(healthy(st)).toBe(true);
    expect(st.servers.map((x) => x.reply)).toEqual(['rs1 198.19.0.11', 'rs2 198.19.0.12']);
    await lab.down();
    expect(await labNamespaces(n)).toEqual([]);
  }, 30_000);

  it('spawn records a background process that down ends; exec is bounded by its timeout', async () => {
    const n = name('e');
    const lab = await labUp({ mode: 'nat', servers: 1, name: n });
    const p = lab.spawn('router', ['sh', '-c', 'echo started; exec sleep 60'], { label: 'sleeper' });
    for (let i = 0; i < 100 && !p.log().includes('started'); i++) await sleep(20);
    expect(p.log()).toBe('started\n');
    expect(p.alive()).toBe(true);
    expect(openLab(n).processes.map((x) => x.label)).toEqual(['httpd rs1', 'sleeper']);
    const t0 = Date.now();
    const r = await lab.exec('client', ['sleep', '10'], { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - t0).toBeLessThan(3000);
    await expect(lab.exec('client', ['false'], { check: true })).rejects.toThrow(LabError);
    expect(() => lab.ns('nosuch')).toThrow(/has no namespace "nosuch"/);
    const q = lab.spawn('rs1', ['sleep', '60'], { cpus: '0' });
    const status = () => readFileSync(`/proc/${q.pid}/status`, 'utf8');
    for (let i = 0; i < 100 && !/^Name:\s+sleep$/m.test(status()); i++) await sleep(10); // ip, then taskset, exec into sleep
    expect(status()).toMatch(/^Cpus_allowed_list:\s+0$/m);
    expect(() => lab.spawn('rs1', ['true'], { cpus: 'all' })).toThrow(/taskset CPU list/);
    await q.stop();
    expect(q.alive()).toBe(false);
    expect(openLab(n).processes.map((x) => x.label)).toEqual(['httpd rs1', 'sleeper']);
    await lab.down();
    expect(p.alive()).toBe(false);
  }, 30_000);
});

describe.skipIf(!IS_ROOT)(`tsvs lab CLI${ROOT_REASON}`, () => {
  let out = '';
  let err = '';
  afterEach(() => vi.restoreAllMocks());
  function capture(): void {
    out = '';
    err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  }

  const tsvsLab = (args: string[]): Promise<number> => runCli(COMMANDS, ['lab', ...args]);

  it('up prints how to start the router and curl the VIP; status and down work; bad usage is status 2', async () => {
    const n = name('f');
    capture();
    expect(await tsvsLab(['up', 'dr', '--servers', '1', '--name', n])).toBe(0);
    expect(out).toContain(`ip netns exec tsvs-${n}-router tsvs start -c /run/tsvs/lab-${n}/lvs.cf`);
    expect(out).toContain(`ip netns exec tsvs-${n}-client curl http://198.18.0.10/`);
    capture();
    expect(await tsvsLab(['status', '--name', n])).toBe(0);
    expect(out).toMatch(/rs1\s+198\.18\.0\.21\s+ok\s+rs1 198\.18\.0\.21/);
    capture();
    expect(await tsvsLab(['status', '--name', n, '--json'])).toBe(0);
    expect(JSON.parse(out).state.mode).toBe('dr');
    capture();
    expect(await tsvsLab(['down', '--name', n])).toBe(0);
    expect(out).toMatch(/is down: deleted 5 namespaces, ended 1 processes/);
    capture();
    expect(await tsvsLab(['status', '--name', n])).toBe(1);
    expect(await tsvsLab(['up', 'tunnel'])).toBe(2);
    expect(await tsvsLab(['up', 'nat', '--name', 'Bad-Name'])).toBe(2);
    expect(err).toMatch(/^tsvs lab up: --name Bad-Name: want 1-20 lower-case letters or digits/m);
    expect(await tsvsLab(['frobnicate'])).toBe(2);
    expect(await tsvsLab(['up', 'nat', '--bogus'])).toBe(2);
    vi.restoreAllMocks();
    expect(await labNamespaces(n)).toEqual([]);
  }, 30_000);
});
