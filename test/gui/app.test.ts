// The web tool's HTTP rules, driven through Hono's app.request with a fake
// client address and a router that is not running.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, SECURITY_HEADERS } from '../../src/gui/app.js';
import type { Router } from '../../src/gui/control.js';
import { setPassword } from '../../src/gui/passwd.js';
import { parseAllowList } from '../../src/gui/security.js';

const LVS = '# header kept\nserial_no = 1\nprimary = 198.18.0.1\nservice = lvs\nnetwork = nat\n';

const noRouter = {
  view: async () => ({ status: null, down: 'router not running: test', table: null, listing: '', health: null }),
  reload: async () => null,
  sample: async () => null,
} as unknown as Router;

let dir: string;
let logs: string[];
let app: ReturnType<typeof createApp>;

function makeApp(https: boolean): ReturnType<typeof createApp> {
  return createApp({
    config: join(dir, 'lvs.cf'), passwd: join(dir, 'pw'), auditLog: join(dir, 'audit.log'), allow: parseAllowList('198.18.0.0/24'),
    https, router: noRouter, log: (l) => logs.push(l),
  });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsvs-gui-app-'));
  writeFileSync(join(dir, 'lvs.cf'), LVS);
  await setPassword(join(dir, 'pw'), 'piranha', 'right-password');
  logs = [];
  app = makeApp(false);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A browser: a cookie jar and a client address. */
class Client {
  cookie = '';
  constructor(readonly remote = '198.18.0.5') {}

  async req(path: string, form?: Record<string, string>): Promise<{ status: number; text: string; location: string | null; headers: Headers }> {
    const init: RequestInit = { method: form ? 'POST' : 'GET', headers: { cookie: this.cookie, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) } };
    if (form) init.body = new URLSearchParams(form).toString();
    const res = await app.request(`http://gui${path}`, init, { incoming: { socket: { remoteAddress: this.remote } } } as never);
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0];
    return { status: res.status, text: await res.text(), location: res.headers.get('location'), headers: res.headers };
  }

  async csrf(path: string): Promise<string> {
    const page = await this.req(path);
    return /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
  }

  async login(password = 'right-password'): Promise<number> {
    const csrf = await this.csrf('/login');
    return (await this.req('/login', { _csrf: csrf, user: 'piranha', password })).status;
  }
}

describe('tsvs gui HTTP rules', () => {
  it('refuses a client outside the allow-list before anything else', async () => {
    const res = await new Client('198.18.1.5').req('/login');
    expect(res.status).toBe(403);
    expect(res.text).toBe('403 Forbidden: your address is not allowed to use this tool\n');
    expect(logs).toEqual(['refused 198.18.1.5: not in the allow-list']);
  });

  it('sends the security headers and a Strict HttpOnly session cookie', async () => {
    const res = await new Client().req('/login');
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) expect(res.headers.get(k)).toBe(v);
    expect(res.headers.get('set-cookie')).toMatch(/^tsvs_gui=[A-Za-z0-9_-]{43}; Max-Age=1800; Path=\/; HttpOnly; SameSite=Strict$/);
  });

  it('refuses a wrong password, logs it, and gives a new session id at login', async () => {
    const c = new Client();
    expect(await c.login('wrong-password')).toBe(400);
    expect(logs).toEqual(['login failed for user "piranha" from 198.18.0.5']);
    expect((await c.req('/control')).location).toBe('/login');
    const before = c.cookie;
    expect(await c.login()).toBe(303);
    expect(c.cookie).not.toBe(before);
    expect((await c.req('/control')).text).toContain('router not running: test');
  });

  it('rate-limits failed logins per client', async () => {
    const c = new Client();
    for (let i = 0; i < 5; i++) expect(await c.login('wrong-password')).toBe(400);
    expect(await c.login()).toBe(429);
    expect(await new Client('198.18.0.6').login()).toBe(303);
  });

  it('refuses a POST without the CSRF token, or with another session\'s', async () => {
    const a = new Client();
    const b = new Client();
    await a.login();
    await b.login();
    const form = { name: 'web', address: '198.18.0.10 eth0:1', active: '1', port: '80' };
    expect((await a.req('/virtual/edit', form)).status).toBe(403);
    expect((await a.req('/virtual/edit', { ...form, _csrf: await b.csrf('/virtual') })).status).toBe(403);
    expect(readFileSync(join(dir, 'lvs.cf'), 'utf8')).toBe(LVS);
  });

  it('adds a virtual server: validated, diffed, written on confirm with serial_no + 1, audited', async () => {
    const c = new Client();
    await c.login();
    const csrf = await c.csrf('/virtual/edit');
    const bad = await c.req('/virtual/edit', { _csrf: csrf, old: '', name: 'web', address: '198.18.0.10', active: '1', port: '80' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('<ul class="error" data-field="address"><li>MISSINGARGS: address needs an address and a device');
    expect(readFileSync(join(dir, 'lvs.cf'), 'utf8')).toBe(LVS);

    const ok = await c.req('/virtual/edit', { _csrf: csrf, old: '', name: 'web', address: '198.18.0.10 eth0:1', active: '1', port: '80' });
    expect(ok.location).toBe('/confirm');
    const confirm = await c.req('/confirm');
    expect(confirm.text).toContain('<span class="del">-serial_no = 1</span>');
    expect(confirm.text).toContain('<span class="add">+virtual web {</span>');
    expect(readFileSync(join(dir, 'lvs.cf'), 'utf8')).toBe(LVS);
    const done = await c.req('/confirm', { _csrf: csrf, do: 'write' });
    expect(done.text).toContain('No router is running: the file is read when it starts.');
    expect(readFileSync(join(dir, 'lvs.cf'), 'utf8')).toBe(`${LVS.replace('serial_no = 1', 'serial_no = 2')}\nvirtual web {\n    active = 1\n    address = 198.18.0.10 eth0:1\n    port = 80\n}\n`);
    const entry = JSON.parse(readFileSync(join(dir, 'audit.log'), 'utf8'));
    expect([entry.user, entry.remote, entry.what, entry.serial]).toEqual(['piranha', '198.18.0.5', 'added virtual server web (serial_no 2)', 2]);
  });

  it('shows a name holding <script> as text', async () => {
    writeFileSync(join(dir, 'lvs.cf'), `${LVS}virtual <script>alert(1)</script> {\n    address = 198.18.0.10 eth0:1\n}\n`);
    const c = new Client();
    await c.login();
    const list = await c.req('/virtual');
    expect(list.text).toContain('<td class="name">&lt;script&gt;alert(1)&lt;/script&gt;</td>');
    expect(list.text).not.toContain('<script>alert');
  });

  it('marks the session cookie Secure and sends HSTS under HTTPS', async () => {
    app = makeApp(true);
    const res = await new Client().req('/login');
    expect(res.headers.get('set-cookie')).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000');
  });

  it('GLOBAL SETTINGS: shows why a key is not acted on, and changes a key keeping the header comment', async () => {
    writeFileSync(join(dir, 'lvs.cf'), `${LVS}debug_level = NONE\n`);
    const c = new Client();
    await c.login();
    const page = await c.req('/global');
    expect(page.text).toContain('<input name="debug_level" id="f-debug_level" value="NONE" placeholder="default NONE" size="40"><span class="note">not acted on by tsvs: unused, as in Piranha</span>');
    expect(page.text).toContain('<tr><th>serial_no</th><td><code>1</code>');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const form = { _csrf: csrf, primary: '198.18.0.1', service: 'lvs', network: 'direct', debug_level: 'NONE' };
    expect((await c.req('/global', form)).location).toBe('/confirm');
    await c.req('/confirm', { _csrf: csrf, do: 'write' });
    expect(readFileSync(join(dir, 'lvs.cf'), 'utf8')).toBe('# header kept\nserial_no = 2\nprimary = 198.18.0.1\nservice = lvs\nnetwork = direct\ndebug_level = NONE\n');
  });

  it('REDUNDANCY and MONITORING SCRIPTS: a refused value is shown on its field, CANCEL writes nothing', async () => {
    writeFileSync(join(dir, 'lvs.cf'), `${LVS}\nvirtual web {\n    active = 1\n    address = 198.18.0.10 eth0:1\n}\n`);
    const before = readFileSync(join(dir, 'lvs.cf'), 'utf8');
    const c = new Client();
    await c.login();
    const csrf = await c.csrf('/redundancy');
    const bad = await c.req('/redundancy', { _csrf: csrf, keepalive: 'often' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('<ul class="error" data-field="keepalive"><li>INTEXPECTED: keepalive expects a whole number, got &quot;often&quot;</li></ul>');
    const scripts = await c.req('/virtual/scripts', { _csrf: csrf, old: 'web', send: 'GET / HTTP/1.0\\r\\n\\r\\n', expect: 'HTTP', use_regex: '0' });
    expect(scripts.location).toBe('/confirm');
    expect((await c.req('/confirm')).text).toContain('<span class="add">+    send = &quot;GET / HTTP/1.0\\r\\n\\r\\n&quot;</span>');
    expect((await c.req('/confirm', { _csrf: csrf, do: 'cancel' })).location).toBe('/virtual/scripts?name=web');
    expect(readFileSync(join(dir, 'lvs.cf'), 'utf8')).toBe(before);
  });

  it('MONITORING SCRIPTS and REAL SERVER edit check blocks as lvs.cf text: changed, added, refused with the line, removed', async () => {
    const vs = `virtual web {\n    active = 1\n    address = 198.18.0.10 eth0:1\n    # the app's own health page\n    check http {\n        path = /healthz\n    }\n    server rs1 {\n        address = 198.19.0.11\n        check tcp {\n            port = 8080\n        }\n    }\n}\n`;
    writeFileSync(join(dir, 'lvs.cf'), `${LVS}\n${vs}`);
    const c = new Client();
    await c.login();
    const page = await c.req('/virtual/scripts?name=web');
    expect(page.text).toContain('<textarea name="check_blocks" id="f-check_blocks"');
    expect(page.text).toContain('# the app&#39;s own health page\ncheck http {\n    path = /healthz\n}\n</textarea>');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];

    // A key the kind does not take is refused on the field, with its line there; nothing is proposed.
    const bad = await c.req('/virtual/scripts', { _csrf: csrf, old: 'web', check_blocks: 'check http {\n    path = /\n    qname = example.org\n}' });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/<ul class="error" data-field="check_blocks"><li>line 3: [A-Z]+: [^<]*qname/);
    const stray = await c.req('/virtual/scripts', { _csrf: csrf, old: 'web', check_blocks: 'timeout = 5\n' });
    expect(stray.text).toContain('line 1: only check blocks belong here');

    const two = 'check http {\n    path = /ready\n    status = 200-299\n}\ncheck tcp {\n}\n';
    expect((await c.req('/virtual/scripts', { _csrf: csrf, old: 'web', check_blocks: two })).location).toBe('/confirm');
    await c.req('/confirm', { _csrf: csrf, do: 'write' });
    let file = readFileSync(join(dir, 'lvs.cf'), 'utf8');
    expect(file).toContain('    address = 198.18.0.10 eth0:1\n    check http {\n        path = /ready\n        status = 200-299\n    }\n    check tcp {\n    }\n    server rs1 {');

    // The server's own check block, on its page; emptied, it goes.
    const rsPage = await c.req('/server/edit?vs=web&name=rs1');
    expect(rsPage.text).toContain('check tcp {\n    port = 8080\n}\n</textarea>');
    expect((await c.req('/server/edit', { _csrf: csrf, vs: 'web', old: 'rs1', name: 'rs1', address: '198.19.0.11', check_blocks: '' })).location).toBe('/confirm');
    await c.req('/confirm', { _csrf: csrf, do: 'write' });
    file = readFileSync(join(dir, 'lvs.cf'), 'utf8');
    expect(file).toContain('    server rs1 {\n        address = 198.19.0.11\n    }\n}\n');
    expect(file).toContain('check tcp {\n    }\n    server rs1');
  });

  it('a change confirmed after the file changed underneath is not written', async () => {
    writeFileSync(join(dir, 'lvs.cf'), `${LVS}\nvirtual web {\n    address = 198.18.0.10 eth0:1\n}\n`);
    const c = new Client();
    await c.login();
    const csrf = await c.csrf('/virtual');
    expect((await c.req('/virtual/action', { _csrf: csrf, name: 'web', do: 'toggle' })).location).toBe('/confirm');
    writeFileSync(join(dir, 'lvs.cf'), `${LVS}# edited by hand\n`);
    const res = await c.req('/confirm', { _csrf: csrf, do: 'write' });
    expect(res.status).toBe(409);
    expect(readFileSync(join(dir, 'lvs.cf'), 'utf8')).toBe(`${LVS}# edited by hand\n`);
  });

  it('GLOBAL SETTINGS edits fwmark_rule lines one per line: a form without them keeps them, a bad line refuses all', async () => {
    const text = `${LVS}fwmark_rule = tcp 198.18.0.10 80,443 1  # web\nfwmark_rule = tcp 198.18.0.10 21 2\n`;
    writeFileSync(join(dir, 'lvs.cf'), text);
    const c = new Client();
    await c.login();
    const page = await c.req('/global');
    expect(page.text).toContain('<textarea name="fwmark_rule" id="f-fwmark_rule" rows="3" cols="60">tcp 198.18.0.10 80,443 1\ntcp 198.18.0.10 21 2</textarea>');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const base = { _csrf: csrf, primary: '198.18.0.1', service: 'lvs', network: 'nat' };
    expect((await c.req('/global', { ...base, tcp_timeout: '600' })).location).toBe('/confirm');
    await c.req('/confirm', { _csrf: csrf, do: 'write' });
    const kept = text.replace('serial_no = 1', 'serial_no = 2').replace('network = nat\n', 'network = nat\ntcp_timeout = 600\n');
    expect(readFileSync(join(dir, 'lvs.cf'), 'utf8')).toBe(kept);

    const bad = await c.req('/global', { ...base, tcp_timeout: '600', fwmark_rule: 'tcp 198.18.0.10 80,443 1\nsctp 198.18.0.10 21 2' });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/<ul class="error" data-field="fwmark_rule"><li>line 2: [A-Z]+: /);
    // The first line unchanged keeps its comment; the second changes; a third is added.
    const rules = 'tcp 198.18.0.10 80,443 1\ntcp 198.18.0.10 21,20 2\nudp 198.18.0.10 53 3\n';
    expect((await c.req('/global', { ...base, tcp_timeout: '600', fwmark_rule: rules })).location).toBe('/confirm');
    await c.req('/confirm', { _csrf: csrf, do: 'write' });
    expect(readFileSync(join(dir, 'lvs.cf'), 'utf8')).toBe(kept.replace('serial_no = 2', 'serial_no = 3')
      .replace('fwmark_rule = tcp 198.18.0.10 21 2\n', 'fwmark_rule = tcp 198.18.0.10 21,20 2\nfwmark_rule = udp 198.18.0.10 53 3\n'));
    // Emptied, they all go.
    expect((await c.req('/global', { ...base, tcp_timeout: '600', fwmark_rule: '' })).location).toBe('/confirm');
    await c.req('/confirm', { _csrf: csrf, do: 'write' });
    expect(readFileSync(join(dir, 'lvs.cf'), 'utf8')).not.toContain('fwmark_rule');
  });

  it('CHANGE PASSWORD: needs the current one, then the new one logs in and the old one does not', async () => {
    const c = new Client();
    await c.login();
    const csrf = await c.csrf('/passwd');
    const bad = await c.req('/passwd', { _csrf: csrf, current: 'wrong', new: 'short', repeat: 'other' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('data-field="current"><li>not the current password</li>');
    expect(bad.text).toContain('data-field="new"><li>at least 8 characters</li>');
    expect(bad.text).toContain('data-field="repeat"><li>the two new passwords differ</li>');
    const ok = await c.req('/passwd', { _csrf: csrf, current: 'right-password', new: 'brand-new-password', repeat: 'brand-new-password' });
    expect(ok.text).toContain('Password changed.');
    expect(await new Client().login('right-password')).toBe(400);
    expect(await new Client().login('brand-new-password')).toBe(303);
    expect(JSON.parse(readFileSync(join(dir, 'audit.log'), 'utf8')).what).toBe('changed the password');
  });

  it('streams chart samples as server-sent events to a logged-in page only', async () => {
    const sample = { t: 1, services: [{ id: 'tcp-198.18.0.10-80', name: 'web', cps: 12, inPps: 30, active: 4, servers: [{ id: '198.19.0.11:80', active: 4, cps: 12 }] }] };
    app = createApp({
      config: join(dir, 'lvs.cf'), passwd: join(dir, 'pw'), auditLog: join(dir, 'audit.log'), allow: parseAllowList('198.18.0.0/24'),
      https: false, router: { ...noRouter, sample: async () => sample } as unknown as Router, log: (l) => logs.push(l),
    });
    const c = new Client();
    expect((await c.req('/events')).location).toBe('/login');
    await c.login();
    const res = await app.request('http://gui/events', { headers: { cookie: c.cookie } }, { incoming: { socket: { remoteAddress: '198.18.0.5' } } } as never);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(first).toBe(`event: sample\ndata: ${JSON.stringify(sample)}\n\n`);
  });

  it('serves uPlot and its own script from this origin', async () => {
    const c = new Client();
    const js = await c.req('/static/uPlot.iife.min.js');
    expect([js.status, js.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect(js.text).toMatch(/^\/\*! https:\/\/github\.com\/leeoniya\/uPlot/);
    const own = await c.req('/static/gui.js');
    expect(own.text).toContain("new EventSource(box.dataset.events)");
    expect((await c.req('/static/app.ts')).status).toBe(404);
    expect((await c.req('/static/%2e%2e%2fapp.ts')).status).toBe(404);
  });
});

describe('tsvs gui with IPv6', () => {
  it('takes IPv6 virtual and real server addresses, and nat_router once per family', async () => {
    const c = new Client();
    await c.login();
    const csrf = await c.csrf('/virtual/edit');
    const bad = await c.req('/virtual/edit', { _csrf: csrf, old: '', name: 'web6', address: '2001:db8::10::1 eth0', active: '1', port: '80' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('<ul class="error" data-field="address"><li>BADHOSTNAME: address &quot;2001:db8::10::1&quot; is not an IPv6 address');
    expect((await c.req('/virtual/edit', { _csrf: csrf, old: '', name: 'web6', address: '2001:db8::10 eth0:1', active: '1', port: '80' })).location).toBe('/confirm');
    await c.req('/confirm', { _csrf: csrf, do: 'write' });
    expect((await c.req('/server/edit', { _csrf: csrf, vs: 'web6', old: '', name: 'rs6', address: '2001:db8:1::11', active: '1', check_blocks: '' })).location).toBe('/confirm');
    await c.req('/confirm', { _csrf: csrf, do: 'write' });
    const file = readFileSync(join(dir, 'lvs.cf'), 'utf8');
    expect(file).toContain('virtual web6 {\n    active = 1\n    address = 2001:db8::10 eth0:1\n    port = 80\n');
    expect(file).toContain('    server rs6 {\n        address = 2001:db8:1::11\n        active = 1\n');
    expect((await c.req('/virtual/servers?name=web6')).text).toContain('<td>2001:db8:1::11</td>');

    const base = { _csrf: csrf, primary: '198.18.0.1', service: 'lvs', network: 'nat' };
    const two = await c.req('/global', { ...base, nat_router: '2001:db8:1::1/64 eth1\n2001:db8:1::2 eth1' });
    expect(two.status).toBe(400);
    expect(two.text).toContain('one nat_router per address family');
    expect((await c.req('/global', { ...base, nat_router: '198.19.0.1 eth1:0\n2001:db8:1::1/64 eth1' })).location).toBe('/confirm');
    await c.req('/confirm', { _csrf: csrf, do: 'write' });
    expect(readFileSync(join(dir, 'lvs.cf'), 'utf8')).toContain('nat_router = 198.19.0.1 eth1:0\nnat_router = 2001:db8:1::1/64 eth1\n');
    expect((await c.req('/global')).text).toContain('>198.19.0.1 eth1:0\n2001:db8:1::1/64 eth1</textarea>');
  });
});
