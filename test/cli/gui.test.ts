// tsvs gui's and tsvs passwd's arguments, through the built CLI: bad ones are
// usage errors (exit 2) before anything listens.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseListen } from '../../src/cli/gui.js';
import { checkLogin } from '../../src/gui/passwd.js';

const MAIN = resolve('dist/src/cli/main.js');
const TTY = resolve('test/cli/helpers/on-tty.py');
const tsvs = (args: string[], input?: string) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', input, timeout: 20_000 });

describe('tsvs gui and tsvs passwd arguments', () => {
  it('reads --listen as ADDRESS:PORT', () => {
    expect(parseListen('127.0.0.1:3636')).toEqual({ host: '127.0.0.1', port: 3636 });
    expect(parseListen('[::1]:8443')).toEqual({ host: '::1', port: 8443 });
    expect(() => parseListen('3636')).toThrow('--listen 3636: want ADDRESS:PORT, as 127.0.0.1:3636');
    expect(() => parseListen('127.0.0.1:70000')).toThrow('want ADDRESS:PORT');
  });

  it('refuses --cert without --key and a bad --allow, with exit status 2', () => {
    const cert = tsvs(['gui', '--cert', '/nonexistent.pem', '--listen', '127.0.0.1:1']);
    expect(cert.status).toBe(2);
    expect(cert.stderr).toContain('--cert and --key go together');
    const allow = tsvs(['gui', '--allow', '198.18.0.0/99', '--listen', '127.0.0.1:1']);
    expect(allow.status).toBe(2);
    expect(allow.stderr).toContain('--allow: "198.18.0.0/99" is not an IPv4 network (as 198.18.0.0/15)');
  });

  it('tsvs passwd takes the password from stdin, refuses a short one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsvs-passwd-'));
    try {
      const pw = join(dir, 'gui.passwd');
      const short = tsvs(['passwd', '--passwd', pw], 'short\n');
      expect([short.status, short.stderr]).toEqual([1, 'tsvs passwd: a password has at least 8 characters; nothing changed\n']);
      const ok = tsvs(['passwd', '--passwd', pw, '--user', 'admin'], 'long-enough-password\n');
      expect([ok.status, ok.stdout]).toEqual([0, `password of admin set in ${pw}\n`]);
      expect(statSync(pw).mode & 0o777).toBe(0o600);
      expect(readFileSync(pw, 'utf8')).toMatch(/^admin:scrypt\$32768\$8\$1\$\S+\$\S+\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tsvs passwd on a terminal asks twice without echo; two different answers change nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsvs-passwd-tty-'));
    const onTty = (answers: string[], file: string) => {
      const r = spawnSync('python3', [TTY, 'New password: ', answers[0], 'Again: ', answers[1], '--', process.execPath, MAIN, 'passwd', '--passwd', file], { encoding: 'utf8', timeout: 40_000 });
      return JSON.parse(r.stdout) as { status: number; output: string };
    };
    try {
      const pw = join(dir, 'gui.passwd');
      const ok = onTty(['typed-at-a-tty', 'typed-at-a-tty'], pw);
      expect(ok).toEqual({ status: 0, output: `New password: \r\nAgain: \r\npassword of piranha set in ${pw}\r\n` });
      expect(await checkLogin(pw, 'piranha', 'typed-at-a-tty')).toBe(true);
      const before = readFileSync(pw, 'utf8');
      const differ = onTty(['another-password', 'another-passw0rd'], pw);
      expect(differ.status).toBe(1);
      expect(differ.output).toContain('tsvs passwd: the two passwords differ');
      expect(differ.output).not.toContain('another');
      expect(readFileSync(pw, 'utf8')).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
