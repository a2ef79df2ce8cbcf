// tsvs gui in a real browser (root): Playwright drives Debian's chromium against
// `tsvs gui` and a router in a NAT lab. The gui runs in the lab's client namespace,
// listening on the client's address; chromium runs in that namespace too (a wrapper
// enters it with ip netns exec: Playwright talks to the browser over a pipe, which
// crosses namespaces). The router's namespace plays the client outside the allow-list.
// An administrator's session: log in, add a virtual server and two real servers,
// see lvs.cf, tsvs admin -L -n and the VIP change, edit a weight, deactivate a
// server, make mistakes; the monitoring page updates itself while traffic runs,
// and the test takes a screenshot: into its temporary directory, or docs/gui.png
// for the README with TSVS_UPDATE_SCREENSHOT=1 (a test run leaves the checkout clean).
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../src/io/native.js';
import { cli } from './admin.js';
import { LOADGEN, MAIN, ROOT, sleep, upWithRouter, type Running } from './harness.js';

const CHROMIUM = '/usr/bin/chromium';
const nativeBuilt = ROOT && loadNative().addon !== null;
const why = !ROOT ? 'needs root for network namespaces' : !existsSync(CHROMIUM) ? `no ${CHROMIUM} (apt-get install chromium)` : !nativeBuilt ? 'the native addon is not built' : '';
const run = why ? describe.skip : describe;
const PASSWORD = 'lab-password-1';
const NEW_VIP = '198.18.0.11';

/** The little of the page's DOM the test reads inside the browser. */
interface PageGlobals {
  document: {
    querySelector(sel: string): { textContent: string | null } | null;
    getElementById(id: string): { dataset: Record<string, string | undefined> } | null;
  };
}

run(`tsvs gui in chromium against a router in a NAT lab${why ? ` (skipped: ${why})` : ''}`, () => {
  let r: Running;
  let dir: string;
  let browser: Browser;
  let page: Page;
  let base: string;
  let sock: string;
  const lvs = () => readFileSync(r.lab.configPath, 'utf8');
  const listing = async () => (await cli(['admin', '--control-socket', sock, '-L', '-n'])).out;

  /** Waits (bounded) until `f` holds; the router applies a reload and health checks add servers in their own time. */
  async function until(what: string, f: () => Promise<boolean>, ms = 30_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await f())) {
      if (Date.now() > end) throw new Error(`not within ${ms / 1000} s: ${what}`);
      await sleep(250);
    }
  }

  /** ACCEPT on the current form, then WRITE on the diff page; returns the result page's text. */
  async function accept(): Promise<string> {
    await page.click('#accept');
    await page.waitForSelector('#diff');
    await page.click('#confirm');
    await page.waitForSelector('#written');
    return page.innerText('main');
  }

  async function addServer(name: string, address: string, weight: number): Promise<string> {
    await page.goto(`${base}/virtual/servers?name=gui_web`);
    await page.click('#add-server');
    await page.fill('#f-name', name);
    await page.fill('#f-address', address);
    await page.selectOption('#f-active', '1');
    await page.fill('#f-weight', String(weight));
    return accept();
  }

  beforeAll(async () => {
    r = await upWithRouter({ mode: 'nat', backend: 'native' });
    dir = mkdtempSync(join(tmpdir(), 'tsvs-gui-e2e-'));
    sock = join(r.lab.stateDir, 'tsvs.sock');
    const pw = join(dir, 'gui.passwd');
    const set = await cli(['passwd', '--passwd', pw], { input: `${PASSWORD}\n` });
    if (set.code !== 0) throw new Error(`tsvs passwd: ${set.err}`);
    base = `http://${r.lab.clientAddr}:3636`;
    r.lab.spawn('client', [process.execPath, MAIN, 'gui', '-c', r.lab.configPath, '--listen', `${r.lab.clientAddr}:3636`, '--allow', `${r.lab.clientAddr}/32`,
      '--passwd', pw, '--audit-log', join(dir, 'audit.log'), '--control-socket', sock], { label: 'gui' });
    await until('tsvs gui answers', async () => (await r.lab.exec('client', ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `${base}/login`])).stdout === '200');
    const wrapper = join(dir, 'chromium-in-ns');
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${r.lab.ns('client')} ${CHROMIUM} "$@"\n`);
    chmodSync(wrapper, 0o755);
    browser = await chromium.launch({ executablePath: wrapper, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'], timeout: 60_000 });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.setDefaultTimeout(30_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await r?.lab.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  // One scenario, as an administrator works through it: each step builds on the
  // one before (the session, then the virtual server it edits).
  it('sets up and watches a NAT cluster from the browser alone', async () => {
    { // Step 1: refuses a wrong password and lets the right one in.
      await page.goto(`${base}/login`);
      await page.fill('input[name=password]', 'not-the-password');
      await page.click('button:has-text("LOG IN")');
      expect(await page.innerText('#login-error')).toBe('Wrong user or password.');
      await page.fill('input[name=password]', PASSWORD);
      await page.click('button:has-text("LOG IN")');
      await page.waitForURL(`${base}/control`);
      expect(await page.innerText('#router-state')).toMatch(/^router running: pid \d+/);
    }
    { // Step 2: adds a virtual server and two real servers: lvs.cf, tsvs admin -L -n and the new VIP change.
      await page.goto(`${base}/virtual`);
      await page.click('#add-virtual');
      await page.fill('#f-name', 'gui_web');
      await page.selectOption('#f-active', '1');
      await page.fill('#f-address', `${NEW_VIP} eth0:2`);
      await page.fill('#f-port', '80');
      expect(await accept()).toContain('The router reloaded lvs.cf');
      expect(await addServer('gui_a', r.lab.serverAddrs[0], 1)).toContain('The router reloaded lvs.cf');
      expect(await addServer('gui_b', r.lab.serverAddrs[1], 1)).toContain('The router reloaded lvs.cf');
      expect(lvs()).toContain(`virtual gui_web {\n    active = 1\n    address = ${NEW_VIP} eth0:2\n    port = 80\n\n    server gui_a {\n        address = ${r.lab.serverAddrs[0]}\n        active = 1\n        weight = 1\n    }\n\n    server gui_b {`);
      expect(lvs()).toMatch(/^serial_no = 4$/m);
      await until('both real servers in tsvs admin -L -n', async () => {
        const l = await listing();
        return l.includes(`TCP  ${NEW_VIP}:80 wlc`) && r.lab.serverAddrs.slice(0, 2).every((a) => l.includes(`-> ${a}:80`));
      });
      await until('curl through the new VIP', async () => (await r.lab.exec('client', ['curl', '-s', '-m', '2', `http://${NEW_VIP}/`])).stdout.startsWith('rs'));
    }
    { // Step 3: edits a weight and deactivates a real server.
      await page.goto(`${base}/server/edit?vs=gui_web&name=gui_a`);
      await page.fill('#f-weight', '5');
      await accept();
      expect(lvs()).toContain(`server gui_a {\n        address = ${r.lab.serverAddrs[0]}\n        active = 1\n        weight = 5\n`);
      await until('weight 5 listed', async () => new RegExp(`-> ${r.lab.serverAddrs[0].replace(/\./g, '\\.')}:80\\s+Masq\\s+5 `).test(await listing()));

      await page.goto(`${base}/virtual/servers?name=gui_web`);
      await page.click('tr[data-name=gui_b] button[value=toggle]');
      await page.waitForSelector('#diff');
      await page.click('#confirm');
      await page.waitForSelector('#written');
      expect(lvs()).toContain(`server gui_b {\n        address = ${r.lab.serverAddrs[1]}\n        active = 0\n`);
      await until('gui_b gone from the new service', async () => {
        const l = await listing();
        const svc = l.slice(l.indexOf(`TCP  ${NEW_VIP}:80`)).split('\nTCP')[0];
        return svc.includes(`-> ${r.lab.serverAddrs[0]}:80`) && !svc.includes(`-> ${r.lab.serverAddrs[1]}:80`);
      });
    }
    { // Step 4: shows a bad value's error beside its field and writes nothing.
      const before = lvs();
      await page.goto(`${base}/server/edit?vs=gui_web&name=gui_a`);
      await page.fill('#f-weight', 'heavy');
      await page.click('#accept');
      expect(await page.innerText('ul.error[data-field=weight]')).toBe('INTEXPECTED: weight expects a whole number, got "heavy"');
      expect(lvs()).toBe(before);
    }
    { // Step 5: refuses a form posted without the CSRF token.
      const before = lvs();
      // From the page, so the request leaves from the browser's namespace with its session cookie
      // (Playwright's page.request would leave from the test's process, outside the lab).
      await page.goto(`${base}/virtual`);
      const res = await page.evaluate(async () => {
        const r = await fetch('/virtual/action', { method: 'POST', body: new URLSearchParams({ name: 'gui_web', do: 'delete' }) });
        return { status: r.status, text: await r.text() };
      });
      expect(res).toEqual({ status: 403, text: '403 Forbidden: the form had no valid CSRF token (reload the page and try again)\n' });
      expect(lvs()).toBe(before);
    }
    { // Step 6: refuses a client outside the allow-list (the router's namespace).
      const res = await r.lab.exec('router', ['curl', '-s', '-m', '5', '-w', ' %{http_code}', `${base}/login`]);
      expect(res.stdout).toBe('403 Forbidden: your address is not allowed to use this tool\n 403');
    }
    { // Step 7: shows a name holding <script> as text.
      let dialogs = 0;
      page.on('dialog', (d) => {
        dialogs++;
        void d.dismiss();
      });
      await page.goto(`${base}/virtual/edit`);
      await page.fill('#f-name', '<script>alert(1)</script>');
      await page.fill('#f-address', '198.18.0.12 eth0:3');
      await accept();
      await page.goto(`${base}/virtual`);
      expect(await page.locator('td.name').allInnerTexts()).toEqual(['http', 'gui_web', '<script>alert(1)</script>']);
      expect(dialogs).toBe(0);
    }
    { // Step 8: updates the monitoring page by itself while traffic runs.
      await page.goto(`${base}/control?refresh=2`);
      const first = await page.innerText('.stamp');
      const traffic = r.lab.exec('client', [process.execPath, LOADGEN, '--url', `http://${NEW_VIP}/`, '--concurrency', '2', '--duration', '12', '--max-requests', '100000'], { timeoutMs: 40_000 });
      // Page-side functions (not strings: the CSP refuses eval) reach the DOM through
      // globalThis, since the tests are compiled without the DOM's types.
      await page.waitForFunction((s) => (globalThis as unknown as PageGlobals).document.querySelector('.stamp')?.textContent !== s, first, { timeout: 30_000 });
      // The charts: samples arrive by server-sent events; one shows new connections on gui_web.
      await page.waitForFunction(() => {
        const last = JSON.parse((globalThis as unknown as PageGlobals).document.getElementById('charts')?.dataset.last ?? '[]') as [string, number, number][];
        return last.some(([name, , cps]) => name === 'gui_web' && cps > 0);
      }, undefined, { timeout: 30_000 });
      expect(await page.locator('#charts canvas').count()).toBe(3);
      expect(await page.innerText('#routing-table')).toContain(`TCP  ${NEW_VIP}:80 wlc`);
      // A few more seconds of samples, so the screenshot shows the traffic as lines.
      await page.waitForFunction(() => Number((globalThis as unknown as PageGlobals).document.getElementById('charts')?.dataset.samples ?? '0') >= 8, undefined, { timeout: 30_000 });
      const shot = process.env.TSVS_UPDATE_SCREENSHOT === '1' ? join(process.cwd(), 'docs/gui.png') : join(dir, 'gui.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
      const done = JSON.parse((await traffic).stdout.trim().split('\n').at(-1)!) as { ok: number; errors: number };
      expect(done.errors).toBe(0);
    }
  }, 420_000);
});
