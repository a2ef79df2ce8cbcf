import { describe, expect, it } from 'vitest';
import { escapeHtml, html, raw } from '../../src/gui/html.js';
import { checkLogin, hashPassword, readPasswd, setPassword, verifyPassword } from '../../src/gui/passwd.js';
import { allowed, csrfOk, LoginLimiter, parseAllowList, parseCidr, Sessions } from '../../src/gui/security.js';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FAST = { N: 1024, r: 8, p: 1 };

describe('password hash', () => {
  it('is salted scrypt: two hashes of one password differ and both verify', async () => {
    const a = await hashPassword('correct horse', FAST);
    const b = await hashPassword('correct horse', FAST);
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horse', b)).toBe(true);
  });

  it('refuses a wrong password and a hash it did not write', async () => {
    const h = await hashPassword('secret-one', FAST);
    expect(await verifyPassword('secret-two', h)).toBe(false);
    expect(await verifyPassword('secret-one', 'secret-one')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$99999999$8$1$AAAA$AAAA')).toBe(false);
  });

  it('tsvs passwd writes a 0600 file holding the hash, never the password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsvs-gui-pw-'));
    try {
      const path = join(dir, 'etc-tsvs', 'gui.passwd');
      await setPassword(path, 'piranha', 'first-password');
      await setPassword(path, 'other', 'second-password');
      await setPassword(path, 'piranha', 'third-password');
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readFileSync(path, 'utf8')).not.toContain('password');
      expect([...readPasswd(path).keys()]).toEqual(['piranha', 'other']);
      expect(await checkLogin(path, 'piranha', 'third-password')).toBe(true);
      expect(await checkLogin(path, 'piranha', 'first-password')).toBe(false);
      expect(await checkLogin(path, 'nobody', 'third-password')).toBe(false);
      await expect(setPassword(path, 'bad:name', 'x')).rejects.toThrow('letters, digits');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('allow-list', () => {
  it('matches addresses inside the networks and nothing else', () => {
    const list = parseAllowList('198.18.0.0/24, 198.19.5.5');
    expect(allowed(list, '198.18.0.77')).toBe(true);
    expect(allowed(list, '::ffff:198.18.0.1')).toBe(true);
    expect(allowed(list, '198.18.1.1')).toBe(false);
    expect(allowed(list, '198.19.5.5')).toBe(true);
    expect(allowed(list, '198.19.5.6')).toBe(false);
    expect(allowed(list, '2001:db8::1')).toBe(false);
    expect(allowed(list, undefined)).toBe(false);
    expect(allowed(parseAllowList('0.0.0.0/0'), '203.0.113.9')).toBe(true);
    expect(allowed(parseAllowList('127.0.0.0/8'), '::1')).toBe(true);
  });

  it('normalises a network with host bits and refuses bad entries', () => {
    expect(parseCidr('198.18.3.4/16')).toEqual({ base: 0xc6120000, prefix: 16 });
    expect(() => parseCidr('198.18.0.0/33')).toThrow('"198.18.0.0/33" is not an IPv4 network');
    expect(() => parseCidr('example.org')).toThrow('is not an IPv4 network');
    expect(() => parseAllowList('198.18.0.0/15,1.2.3/8')).toThrow('"1.2.3/8"');
  });
});

describe('sessions and CSRF', () => {
  it('gives random ids and tokens, and forgets a session after its expiry', () => {
    let now = 1000;
    const s = new Sessions(60_000, () => now);
    const a = s.create('piranha');
    const b = s.create(null);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.csrf).not.toBe(a.id);
    now += 59_000;
    expect(s.get(a.id)?.user).toBe('piranha'); // sliding: used now, good for 60 s more
    now += 59_000;
    expect(s.get(a.id)?.user).toBe('piranha');
    now += 60_000;
    expect(s.get(a.id)).toBe(null);
    expect(s.get('made-up')).toBe(null);
    expect(s.get(undefined)).toBe(null);
  });

  it('accepts only the session\'s own token', () => {
    const s = new Sessions();
    const a = s.create('piranha');
    const b = s.create('piranha');
    expect(csrfOk(a, a.csrf)).toBe(true);
    expect(csrfOk(a, b.csrf)).toBe(false);
    expect(csrfOk(a, undefined)).toBe(false);
    expect(csrfOk(a, '')).toBe(false);
    expect(csrfOk(null, a.csrf)).toBe(false);
  });

  it('limits failed logins per address in a sliding window', () => {
    let now = 0;
    const l = new LoginLimiter(3, 60_000, () => now);
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfter('198.18.0.9')).toBe(0);
      l.failed('198.18.0.9');
      now += 1000;
    }
    expect(l.retryAfter('198.18.0.9')).toBe(57);
    expect(l.retryAfter('198.18.0.8')).toBe(0);
    now = 60_001;
    expect(l.retryAfter('198.18.0.9')).toBe(0);
    l.failed('198.18.0.9');
    l.succeeded('198.18.0.9');
    expect(l.retryAfter('198.18.0.9')).toBe(0);
  });
});

describe('escaping', () => {
  it('escapes every interpolated value, and only those', () => {
    const name = '<script>alert("x")</script>&\'';
    expect(escapeHtml(name)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
    expect(html`<td title="${name}">${name}</td>`.text).toBe(`<td title="${escapeHtml(name)}">${escapeHtml(name)}</td>`);
    expect(html`<p>${[html`<b>${'<i>'}</b>`, 3, null, false, undefined]}</p>`.text).toBe('<p><b>&lt;i&gt;</b>3</p>');
    expect(html`${raw('<hr>')}`.text).toBe('<hr>');
  });
});
