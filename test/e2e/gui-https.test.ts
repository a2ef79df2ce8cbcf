// tsvs gui over HTTPS (root): in a namespace of its own (loopback only), with a
// self-signed certificate made by openssl; curl -k checks the TLS answer, the
// Secure session cookie and HSTS. The namespace and the process go at the end.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, ROOT, sleep } from './harness.js';

const openssl = spawnSync('openssl', ['version']).status === 0;
const why = !ROOT ? 'needs root for a network namespace' : !openssl ? 'no openssl' : '';
const run = why ? describe.skip : describe;
const NS = `tsvsguitls${process.pid}`;
const inNs = (cmd: string[]) => spawnSync('ip', ['netns', 'exec', NS, ...cmd], { encoding: 'utf8', timeout: 20_000 });

run(`tsvs gui over HTTPS${why ? ` (skipped: ${why})` : ''}`, () => {
  let dir: string;
  let gui: ChildProcess | null = null;
  let log = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsvs-gui-tls-'));
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=tsvs-gui-test',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
    writeFileSync(join(dir, 'lvs.cf'), 'serial_no = 1\nservice = lvs\n');
    spawnSync('ip', ['netns', 'add', NS], { encoding: 'utf8' });
    inNs(['ip', 'link', 'set', 'lo', 'up']);
    gui = spawn('ip', ['netns', 'exec', NS, process.execPath, MAIN, 'gui', '-c', join(dir, 'lvs.cf'), '--listen', '127.0.0.1:3636',
      '--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'), '--passwd', join(dir, 'pw'), '--control-socket', join(dir, 'none.sock')], { stdio: ['ignore', 'pipe', 'pipe'] });
    gui.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    for (let i = 0; i < 100 && !log.includes('listening on'); i++) await sleep(100);
    if (!log.includes('listening on https://127.0.0.1:3636/')) throw new Error(`tsvs gui did not start: ${log}`);
  }, 60_000);

  afterAll(async () => {
    if (gui?.pid && gui.exitCode === null) {
      gui.kill('SIGTERM');
      await new Promise((r) => gui!.once('exit', r));
    }
    spawnSync('ip', ['netns', 'del', NS]);
    if (dir && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('answers over TLS with a Secure, HttpOnly, SameSite=Strict cookie and HSTS', () => {
    const r = inNs(['curl', '-sk', '-m', '5', '-D', '-', '-o', '/dev/null', 'https://127.0.0.1:3636/login']);
    const headers = r.stdout.toLowerCase();
    expect(headers).toMatch(/^http\/1\.1 200 ok\r\n/);
    expect(headers).toMatch(/\r\nset-cookie: tsvs_gui=[a-z0-9_-]{43}; max-age=1800; path=\/; httponly; secure; samesite=strict\r\n/);
    expect(headers).toContain('\r\nstrict-transport-security: max-age=31536000\r\n');
    expect(log).toContain(`no password in ${join(dir, 'pw')} yet`);
  });

  it('does not answer plain HTTP on the TLS port', () => {
    const r = inNs(['curl', '-s', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:3636/login']);
    expect(r.stdout).toBe('000');
  });
});
