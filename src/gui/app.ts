// The web tool's HTTP application (Hono). Order of guards on every request:
// the client allow-list (403 before anything else), the security headers, the
// session (login page otherwise), the CSRF token of every POST (403). Panels
// change lvs.cf only on ACCEPT, and only after the diff was confirmed: a form is
// parsed and validated (edit.ts), the proposal waits in the session, the confirm
// page shows the diff, and its POST writes the file, appends to the audit log
// and, when a router runs, reloads it and shows the result.
import { readFileSync, renameSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { HttpBindings } from '@hono/node-server';
import { createTwoFilesPatch, diffLines } from 'diff';
import { Hono, type Context } from 'hono';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { blocks, ConfigErrors, findKey, removeBlock, writeLvsCf, type Block, type LvsConfig } from '../config/index.js';
import { audit } from './audit.js';
import type { Router } from './control.js';
import {
  addError, applyFields, bumpSerial, findServer, findVirtual, hasErrors, nameBlock, notActedOnByLine, readConfig, toggleActive, validate,
  type FieldErrors, type Target,
} from './edit.js';
import { html, raw, type Html } from './html.js';
import { checkLogin, setPassword, verifyPassword, readPasswd } from './passwd.js';
import {
  csrfField, errorList, fields, GLOBAL_PANEL_KEYS, layout, readonlyRows, REDUNDANCY_KEYS, SCRIPT_KEYS, SERVER_PANEL_KEYS, VIRTUAL_PANEL_KEYS,
} from './pages.js';
import { allowed, csrfOk, LoginLimiter, Sessions, type Cidr, type Session } from './security.js';
import { STATIC_FILES } from './static.js';

export interface GuiOptions {
  config: string;
  passwd: string;
  auditLog: string;
  allow: Cidr[];
  https: boolean;
  router: Router;
  log: (line: string) => void;
  sessions?: Sessions;
  limiter?: LoginLimiter;
  /** Seconds between chart samples. */
  sampleEvery?: number;
}

type Env = { Bindings: HttpBindings; Variables: { session: Session | null; form: Record<string, string> } };
type C = Context<Env>;

const COOKIE = 'tsvs_gui';

export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

export function remoteOf(c: C): string {
  const a = c.env?.incoming?.socket?.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

export function createApp(o: GuiOptions): Hono<Env> {
  const sessions = o.sessions ?? new Sessions();
  const limiter = o.limiter ?? new LoginLimiter();
  const app = new Hono<Env>();
  const readText = (): string => (existsSync(o.config) ? readFileSync(o.config, 'utf8') : '');

  app.use('*', async (c, next) => {
    if (!allowed(o.allow, remoteOf(c))) {
      o.log(`refused ${remoteOf(c)}: not in the allow-list`);
      return c.text('403 Forbidden: your address is not allowed to use this tool\n', 403, SECURITY_HEADERS);
    }
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
    if (o.https) c.res.headers.set('Strict-Transport-Security', 'max-age=31536000');
  });

  app.get('/static/:file', (c) => {
    const f = STATIC_FILES[c.req.param('file')];
    if (!f) return c.notFound();
    return c.body(f.body(), 200, { 'Content-Type': f.type });
  });

  const setSession = (c: C, s: Session) =>
    setCookie(c, COOKIE, s.id, { httpOnly: true, sameSite: 'Strict', secure: o.https, path: '/', maxAge: Math.floor(sessions.ttlMs / 1000) });

  // Session and CSRF for everything else.
  app.use('*', async (c, next) => {
    const session = sessions.get(getCookie(c, COOKIE));
    c.set('session', session);
    if (c.req.method === 'POST') {
      const body = await c.req.parseBody();
      const form: Record<string, string> = {};
      for (const [k, v] of Object.entries(body)) if (typeof v === 'string') form[k] = v;
      if (!csrfOk(session, form._csrf)) {
        o.log(`refused POST ${c.req.path} from ${remoteOf(c)}: missing or wrong CSRF token`);
        return c.text('403 Forbidden: the form had no valid CSRF token (reload the page and try again)\n', 403);
      }
      c.set('form', form);
    }
    const open = c.req.path === '/login';
    if (!open && !session?.user) {
      if (c.req.method === 'GET') return c.redirect('/login');
      return c.text('403 Forbidden: log in first\n', 403);
    }
    await next();
  });

  const page = (c: C, title: string, body: Html, active?: string, status: 200 | 400 | 409 | 429 = 200) => {
    const s = c.get('session');
    return c.html(layout(title, body, { user: s?.user, csrf: s?.csrf, active }), status);
  };

  // --- login -----------------------------------------------------------------
  const loginPage = (c: C, s: Session, msg: string, status: 200 | 400 | 429 = 200) => {
    return page(c, 'Login', html`${msg ? html`<p class="error" id="login-error">${msg}</p>` : ''}
<form method="post" action="/login" class="login">${csrfField(s.csrf)}
<label>User <input name="user" value="piranha" autocomplete="username"></label>
<label>Password <input type="password" name="password" autocomplete="current-password" autofocus></label>
<button>LOG IN</button></form>
${readPasswd(o.passwd).size === 0 ? html`<p class="error">No password is set: run <code>tsvs passwd --passwd ${o.passwd}</code> first.</p>` : ''}`, undefined, status);
  };

  app.get('/login', (c) => {
    let s = c.get('session');
    if (s?.user) return c.redirect('/control');
    if (!s) {
      s = sessions.create();
      setSession(c, s);
    }
    return loginPage(c, s, '');
  });

  app.post('/login', async (c) => {
    const s = c.get('session')!;
    const f = c.get('form');
    const remote = remoteOf(c);
    const wait = limiter.retryAfter(remote);
    if (wait > 0) {
      o.log(`login refused for ${remote}: too many failed attempts (retry in ${wait}s)`);
      c.header('Retry-After', String(wait));
      return loginPage(c, s, `Too many failed logins: try again in ${wait} s.`, 429);
    }
    const user = f.user ?? '';
    if (!(await checkLogin(o.passwd, user, f.password ?? ''))) {
      limiter.failed(remote);
      o.log(`login failed for user "${user}" from ${remote}`);
      return loginPage(c, s, 'Wrong user or password.', 400);
    }
    limiter.succeeded(remote);
    o.log(`login: ${user} from ${remote}`);
    // A new id at login: a session id known before it is worth nothing after.
    sessions.drop(s.id);
    const fresh = sessions.create(user);
    setSession(c, fresh);
    return c.redirect('/control', 303);
  });

  app.post('/logout', (c) => {
    const s = c.get('session');
    if (s) sessions.drop(s.id);
    deleteCookie(c, COOKIE, { path: '/' });
    return c.redirect('/login', 303);
  });

  app.get('/', (c) => c.redirect('/control'));

  // --- CONTROL/MONITORING ------------------------------------------------------
  const liveBlock = async (): Promise<Html> => {
    const v = await o.router.view();
    if (!v.status) return html`<p id="router-state" class="down">${v.down}</p>`;
    const s = v.status;
    const health = v.health?.services.flatMap((svc) => svc.servers.map((r) => html`<tr><td>${svc.service}</td><td>${r.address}:${r.port}</td><td class="${r.state}">${r.state}</td><td>${r.serving ? 'yes' : 'no'}</td><td>${r.force ?? ''}</td><td>${r.weight}/${r.configuredWeight}</td></tr>`)) ?? [];
    return html`<p id="router-state" class="up">router running: pid ${s.pid}, up ${Math.round(s.uptime)} s, table version ${s.version}, config ${s.config}
${s.failover ? html`, failover: ${s.failover.state}` : ''}; last reload ${s.reloads.last ? (s.reloads.last.ok ? 'ok' : 'failed') : 'none'}</p>
<h3>Current LVS routing table</h3><pre id="routing-table">${v.listing}</pre>
<h3>Real servers' health</h3>${health.length ? html`<table id="health"><tr><th>virtual</th><th>real server</th><th>state</th><th>serving</th><th>forced</th><th>weight</th></tr>${health}</table>` : html`<p>No checked real servers.</p>`}
<p class="stamp">updated ${new Date().toISOString()}</p>`;
  };

  app.get('/control', async (c) => {
    const every = Number(c.req.query('refresh') ?? '10');
    const choices = [0, 2, 5, 10, 30, 60];
    return page(c, 'CONTROL/MONITORING', html`
<form method="get" action="/control" class="inline">Auto update <select name="refresh" id="refresh">${choices.map((n) => html`<option value="${n}"${n === every ? raw(' selected') : ''}>${n ? `every ${n} s` : 'off'}</option>`)}</select>
<button>SET</button></form> <a class="button" href="/control?refresh=${every}" id="update-now">UPDATE INFORMATION NOW</a>
<div id="live" data-refresh="${choices.includes(every) ? every : 10}">${await liveBlock()}</div>
<h3>Live charts</h3><div id="charts" data-events="/events"><p class="note">Active connections and new connections per second per virtual server, and active connections per real server, from the router every second.</p></div>`, '/control');
  });

  app.get('/control/live', async (c) => c.html((await liveBlock()).text));

  app.get('/events', (c) => streamSSE(c, async (stream) => {
    let open = true;
    stream.onAbort(() => {
      open = false;
    });
    // Bounded: a page open for a day gets a new stream from the browser's EventSource.
    for (let i = 0; open && i < 3600; i++) {
      const s = await o.router.sample();
      await stream.writeSSE({ event: s ? 'sample' : 'down', data: JSON.stringify(s ?? {}) });
      await stream.sleep((o.sampleEvery ?? 1) * 1000);
    }
  }));

  // --- change password ---------------------------------------------------------
  app.get('/passwd', (c) => page(c, 'CHANGE PASSWORD', passwdForm(c.get('session')!.csrf, {})));
  app.post('/passwd', async (c) => {
    const f = c.get('form');
    const user = c.get('session')!.user!;
    const errs: FieldErrors = {};
    const stored = readPasswd(o.passwd).get(user);
    if (!stored || !(await verifyPassword(f.current ?? '', stored))) addError(errs, 'current', 'not the current password');
    if ((f.new ?? '').length < 8) addError(errs, 'new', 'at least 8 characters');
    if (f.new !== f.repeat) addError(errs, 'repeat', 'the two new passwords differ');
    if (hasErrors(errs)) return page(c, 'CHANGE PASSWORD', passwdForm(c.get('session')!.csrf, errs), undefined, 400);
    await setPassword(o.passwd, user, f.new);
    audit(o.auditLog, { user, remote: remoteOf(c), what: 'changed the password', serial: 0, added: 0, removed: 0 });
    return page(c, 'CHANGE PASSWORD', html`<p class="ok">Password changed.</p>`);
  });

  // --- the change pipeline -------------------------------------------------------
  /** Parses the file as it is now; null with an error page when it is broken. */
  const current = (): { text: string; cfg: LvsConfig } | { error: string } => {
    const text = readText();
    try {
      return { text, cfg: readConfig(text, o.config) };
    } catch (e) {
      if (e instanceof ConfigErrors) return { error: e.message };
      throw e;
    }
  };
  const brokenPage = (c: C, why: string) =>
    page(c, 'lvs.cf cannot be read', html`<p class="error">The file does not parse; fix it by hand (tsvs check -c ${o.config}):</p><pre>${why}</pre>`, undefined, 409);

  /** Validates a changed tree; on success the change waits in the session for the confirm page. */
  const propose = (c: C, base: string, cfg: LvsConfig, target: Target, errs: FieldErrors, what: string, back: string): FieldErrors | Response => {
    if (hasErrors(errs)) return errs;
    const serial = bumpSerial(cfg);
    const v = validate(cfg, target);
    if (hasErrors(v.errors)) return v.errors;
    c.get('session')!.pending = { text: v.text, base, what: `${what} (serial_no ${serial})`, back };
    return c.redirect('/confirm', 303);
  };

  app.get('/confirm', (c) => {
    const p = c.get('session')!.pending;
    if (!p) return c.redirect('/control');
    const patch = createTwoFilesPatch(o.config, o.config, p.base, p.text, 'now', 'after ACCEPT');
    const lines = patch.split('\n').map((l) => html`<span class="${l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : ''}">${l}</span>\n`);
    return page(c, 'Confirm the change', html`<p>${p.what}</p><pre class="diff" id="diff">${lines}</pre>
<form method="post" action="/confirm" class="inline">${csrfField(c.get('session')!.csrf)}<button name="do" value="write" id="confirm">WRITE lvs.cf</button>
<button name="do" value="cancel">CANCEL</button></form>`);
  });

  app.post('/confirm', async (c) => {
    const s = c.get('session')!;
    const p = s.pending;
    s.pending = null;
    if (!p) return c.redirect('/control', 303);
    if (c.get('form').do !== 'write') return c.redirect(p.back, 303);
    if (readText() !== p.base) return page(c, 'Not written', html`<p class="error">lvs.cf changed since this change was made; nothing was written. <a href="${p.back}">Start again</a>.</p>`, undefined, 409);
    writeAtomic(o.config, p.text);
    const d = diffLines(p.base, p.text);
    const count = (k: 'added' | 'removed') => d.filter((x) => x[k]).reduce((n, x) => n + (x.count ?? 0), 0);
    const serial = Number(/^\s*serial_no\s*=\s*(\d+)/m.exec(p.text)?.[1] ?? 0);
    audit(o.auditLog, { user: s.user!, remote: remoteOf(c), what: p.what, serial, added: count('added'), removed: count('removed') });
    o.log(`${s.user} from ${remoteOf(c)}: ${p.what}`);
    const r = await o.router.reload();
    const result = r === null ? html`<p id="apply">No router is running: the file is read when it starts.</p>`
      : 'error' in r ? html`<p class="error" id="apply">The router did not reload: ${r.error}</p>`
      : r.ok ? html`<p class="ok" id="apply">The router reloaded lvs.cf: table version ${r.version}.</p>${r.notes.length ? html`<ul>${r.notes.map((n) => html`<li>${n}</li>`)}</ul>` : ''}`
      : html`<p class="error" id="apply">The router refused the new lvs.cf (it keeps the old table):</p><pre>${r.errors.join('\n')}</pre>`;
    return page(c, 'Written', html`<p class="ok" id="written">lvs.cf written: ${p.what}.</p>${result}<p><a href="${p.back}">Back</a></p>`);
  });

  // --- GLOBAL SETTINGS and REDUNDANCY -----------------------------------------
  const globalPanel = (path: string, title: string, keys: string[], ro: string[]) => {
    const render = (c: C, cfg: LvsConfig, text: string, errs: FieldErrors, form?: Record<string, string>) => {
      const why = notActedOnByLine(text, o.config);
      return page(c, title, html`<form method="post" action="${path}">${csrfField(c.get('session')!.csrf)}${errorList(errs)}
${readonlyRows(cfg.items, ro, why)}${fields('global', cfg.items, keys, { form, errors: errs, why })}<button id="accept">ACCEPT</button></form>`, path, hasErrors(errs) ? 400 : 200);
    };
    app.get(path, (c) => {
      const cur = current();
      return 'error' in cur ? brokenPage(c, cur.error) : render(c, cur.cfg, cur.text, {});
    });
    app.post(path, (c) => {
      const cur = current();
      if ('error' in cur) return brokenPage(c, cur.error);
      const form = c.get('form');
      const errs = applyFields(cur.cfg.items, 'global', keys, form);
      const r = propose(c, cur.text, cur.cfg, { scope: 'global' }, errs, `${title} changed`, path);
      if (r instanceof Response) return r;
      return render(c, readConfig(cur.text, o.config), cur.text, r, form);
    });
  };
  globalPanel('/global', 'GLOBAL SETTINGS', GLOBAL_PANEL_KEYS, ['serial_no', 'fwmark_rule']);
  globalPanel('/redundancy', 'REDUNDANCY', REDUNDANCY_KEYS, []);

  // --- VIRTUAL SERVERS -------------------------------------------------------------
  app.get('/virtual', (c) => {
    const cur = current();
    if ('error' in cur) return brokenPage(c, cur.error);
    const csrf = c.get('session')!.csrf;
    const rows = blocks(cur.cfg.items, 'virtual').map((b) => {
      const active = findKey(b.items, 'active')?.value === true;
      const addr = findKey(b.items, 'address')?.args[0] ?? '';
      const port = findKey(b.items, 'port')?.args[0] ?? '80';
      const proto = findKey(b.items, 'protocol')?.args[0] ?? 'tcp';
      return html`<tr data-name="${b.name}"><td class="${active ? 'up' : 'down'}">${active ? 'up' : 'down'}</td><td class="name">${b.name}</td><td>${addr}:${port}</td><td>${proto}</td>
<td>${blocks(b.items, 'server').length}</td><td><a href="/virtual/edit?name=${encodeURIComponent(b.name)}">EDIT</a>
<form method="post" action="/virtual/action" class="inline">${csrfField(csrf)}<input type="hidden" name="name" value="${b.name}">
<button name="do" value="toggle">${active ? 'DEACTIVATE' : 'ACTIVATE'}</button><button name="do" value="delete">DELETE</button></form></td></tr>`;
    });
    return page(c, 'VIRTUAL SERVERS', html`<table id="virtuals"><tr><th>status</th><th>name</th><th>VIP:port</th><th>protocol</th><th>real servers</th><th></th></tr>${rows}</table>
<p><a class="button" href="/virtual/edit" id="add-virtual">ADD</a></p>`, '/virtual');
  });

  app.post('/virtual/action', (c) => {
    const cur = current();
    if ('error' in cur) return brokenPage(c, cur.error);
    const f = c.get('form');
    const vs = findVirtual(cur.cfg, f.name ?? '');
    if (!vs) return page(c, 'VIRTUAL SERVERS', html`<p class="error">No virtual server ${f.name}.</p>`, '/virtual', 400);
    let what: string;
    if (f.do === 'delete') {
      removeBlock(cur.cfg.items, vs);
      what = `deleted virtual server ${vs.name}`;
    } else {
      what = `${toggleActive(vs.items, 'virtual') ? 'activated' : 'deactivated'} virtual server ${vs.name}`;
    }
    const r = propose(c, cur.text, cur.cfg, { scope: 'global' }, {}, what, '/virtual');
    return r instanceof Response ? r : page(c, 'VIRTUAL SERVERS', errorsOf(r), '/virtual', 400);
  });

  const virtualTabs = (name: string | null, on: string) => name === null ? html`` : html`<p class="tabs">${[
    ['VIRTUAL SERVER', `/virtual/edit?name=${encodeURIComponent(name)}`], ['REAL SERVER', `/virtual/servers?name=${encodeURIComponent(name)}`],
    ['MONITORING SCRIPTS', `/virtual/scripts?name=${encodeURIComponent(name)}`],
  ].map(([l, h]) => html`<a href="${h}"${l === on ? raw(' class="on"') : ''}>${l}</a> `)}</p>`;

  /** A virtual server's block form (VIRTUAL SERVER or MONITORING SCRIPTS: same flow, other keys). */
  const virtualForm = (path: string, title: string, keys: string[], withName: boolean) => {
    const render = (c: C, cfg: LvsConfig, text: string, name: string | null, errs: FieldErrors, form?: Record<string, string>) => {
      const vs = name === null ? undefined : findVirtual(cfg, name);
      const why = notActedOnByLine(text, o.config);
      const items = vs?.items ?? [];
      const checks = vs ? blocks(vs.items, 'check') : [];
      return page(c, title, html`${virtualTabs(vs ? vs.name : null, title)}<form method="post" action="${path}">${csrfField(c.get('session')!.csrf)}
<input type="hidden" name="old" value="${name ?? ''}">${errorList(errs)}
${withName ? html`<table class="fields"><tr><th><label for="f-name">name</label></th><td><input name="name" id="f-name" value="${form?.name ?? name ?? ''}">${errorList(errs, 'name')}</td></tr></table>` : ''}
${fields('virtual', items, keys, { form, errors: errs, why })}<button id="accept">ACCEPT</button></form>
${!withName && checks.length ? html`<h3>check blocks (edit in lvs.cf)</h3><pre>${checks.map((b) => writeLvsCf({ file: '', items: [b], trailing: [] }))}</pre>` : ''}`, '/virtual', hasErrors(errs) ? 400 : 200);
    };
    app.get(path, (c) => {
      const cur = current();
      if ('error' in cur) return brokenPage(c, cur.error);
      const name = c.req.query('name') ?? null;
      if (name !== null && !findVirtual(cur.cfg, name)) return c.notFound();
      return render(c, cur.cfg, cur.text, name, {});
    });
    app.post(path, (c) => {
      const cur = current();
      if ('error' in cur) return brokenPage(c, cur.error);
      const form = c.get('form');
      const old = form.old || null;
      const errs: FieldErrors = {};
      let vs: Block | null | undefined = old === null ? null : findVirtual(cur.cfg, old);
      if (vs === undefined) return c.notFound();
      if (withName) vs = nameBlock(cur.cfg.items, 'virtual', vs, form.name ?? '', errs);
      if (vs) Object.assign(errs, applyFields(vs.items, 'virtual', keys, form));
      const what = old === null ? `added virtual server ${vs?.name}` : `${title} of ${vs?.name ?? old} changed`;
      const r = propose(c, cur.text, cur.cfg, { scope: 'virtual', virtual: vs?.name }, errs, what, vs ? `${path}?name=${encodeURIComponent(vs.name)}` : '/virtual');
      if (r instanceof Response) return r;
      return render(c, readConfig(cur.text, o.config), cur.text, old, r, form);
    });
  };
  virtualForm('/virtual/edit', 'VIRTUAL SERVER', VIRTUAL_PANEL_KEYS, true);
  virtualForm('/virtual/scripts', 'MONITORING SCRIPTS', SCRIPT_KEYS, false);

  // --- REAL SERVER ---------------------------------------------------------------
  app.get('/virtual/servers', (c) => {
    const cur = current();
    if ('error' in cur) return brokenPage(c, cur.error);
    const vs = findVirtual(cur.cfg, c.req.query('name') ?? '');
    if (!vs) return c.notFound();
    const csrf = c.get('session')!.csrf;
    const q = (s: string) => encodeURIComponent(s);
    const rows = blocks(vs.items, 'server').map((b) => {
      const active = findKey(b.items, 'active')?.value === true;
      return html`<tr data-name="${b.name}"><td class="${active ? 'up' : 'down'}">${active ? 'up' : 'down'}</td><td class="name">${b.name}</td>
<td>${findKey(b.items, 'address')?.args[0] ?? ''}</td><td>${findKey(b.items, 'port')?.args[0] ?? ''}</td><td class="weight">${findKey(b.items, 'weight')?.args[0] ?? '1'}</td>
<td><a href="/server/edit?vs=${q(vs.name)}&name=${q(b.name)}">EDIT</a><form method="post" action="/server/action" class="inline">${csrfField(csrf)}
<input type="hidden" name="vs" value="${vs.name}"><input type="hidden" name="name" value="${b.name}">
<button name="do" value="toggle">${active ? 'DEACTIVATE' : 'ACTIVATE'}</button><button name="do" value="delete">DELETE</button></form></td></tr>`;
    });
    return page(c, 'REAL SERVER', html`${virtualTabs(vs.name, 'REAL SERVER')}<table id="servers"><tr><th>status</th><th>name</th><th>address</th><th>port</th><th>weight</th><th></th></tr>${rows}</table>
<p><a class="button" id="add-server" href="/server/edit?vs=${q(vs.name)}">ADD</a></p>`, '/virtual');
  });

  app.post('/server/action', (c) => {
    const cur = current();
    if ('error' in cur) return brokenPage(c, cur.error);
    const f = c.get('form');
    const vs = findVirtual(cur.cfg, f.vs ?? '');
    const rs = vs && findServer(vs, f.name ?? '');
    if (!vs || !rs) return c.notFound();
    let what: string;
    if (f.do === 'delete') {
      removeBlock(vs.items, rs);
      what = `deleted real server ${rs.name} of ${vs.name}`;
    } else {
      what = `${toggleActive(rs.items, 'server') ? 'activated' : 'deactivated'} real server ${rs.name} of ${vs.name}`;
    }
    const back = `/virtual/servers?name=${encodeURIComponent(vs.name)}`;
    const r = propose(c, cur.text, cur.cfg, { scope: 'virtual', virtual: vs.name }, {}, what, back);
    return r instanceof Response ? r : page(c, 'REAL SERVER', errorsOf(r), '/virtual', 400);
  });

  const serverRender = (c: C, cfg: LvsConfig, text: string, vsName: string, name: string | null, errs: FieldErrors, form?: Record<string, string>) => {
    const vs = findVirtual(cfg, vsName)!;
    const rs = name === null ? undefined : findServer(vs, name);
    const why = notActedOnByLine(text, o.config);
    return page(c, 'REAL SERVER', html`${virtualTabs(vs.name, 'REAL SERVER')}<form method="post" action="/server/edit">${csrfField(c.get('session')!.csrf)}
<input type="hidden" name="vs" value="${vs.name}"><input type="hidden" name="old" value="${name ?? ''}">${errorList(errs)}
<table class="fields"><tr><th><label for="f-name">name</label></th><td><input name="name" id="f-name" value="${form?.name ?? name ?? ''}">${errorList(errs, 'name')}</td></tr></table>
${fields('server', rs?.items ?? [], SERVER_PANEL_KEYS, { form, errors: errs, why })}<button id="accept">ACCEPT</button></form>`, '/virtual', hasErrors(errs) ? 400 : 200);
  };

  app.get('/server/edit', (c) => {
    const cur = current();
    if ('error' in cur) return brokenPage(c, cur.error);
    const vs = findVirtual(cur.cfg, c.req.query('vs') ?? '');
    const name = c.req.query('name') ?? null;
    if (!vs || (name !== null && !findServer(vs, name))) return c.notFound();
    return serverRender(c, cur.cfg, cur.text, vs.name, name, {});
  });

  app.post('/server/edit', (c) => {
    const cur = current();
    if ('error' in cur) return brokenPage(c, cur.error);
    const form = c.get('form');
    const vs = findVirtual(cur.cfg, form.vs ?? '');
    if (!vs) return c.notFound();
    const old = form.old || null;
    const errs: FieldErrors = {};
    const existing = old === null ? null : findServer(vs, old);
    if (existing === undefined) return c.notFound();
    const rs = nameBlock(vs.items, 'server', existing, form.name ?? '', errs);
    if (rs) Object.assign(errs, applyFields(rs.items, 'server', SERVER_PANEL_KEYS, form));
    const what = old === null ? `added real server ${rs?.name} to ${vs.name}` : `real server ${rs?.name ?? old} of ${vs.name} changed`;
    const r = propose(c, cur.text, cur.cfg, { scope: 'server', virtual: vs.name, server: rs?.name }, errs, what, `/virtual/servers?name=${encodeURIComponent(vs.name)}`);
    if (r instanceof Response) return r;
    return serverRender(c, readConfig(cur.text, o.config), cur.text, vs.name, old, r, form);
  });

  return app;
}

function errorsOf(errs: FieldErrors): Html {
  return html`<ul class="error">${Object.values(errs).flat().map((m) => html`<li>${m}</li>`)}</ul>`;
}

function passwdForm(csrf: string, errs: FieldErrors): Html {
  const row = (name: string, label: string) => html`<tr><th><label for="f-${name}">${label}</label></th><td><input type="password" name="${name}" id="f-${name}">${errorList(errs, name)}</td></tr>`;
  return html`<form method="post" action="/passwd">${csrfField(csrf)}<table class="fields">${row('current', 'current password')}${row('new', 'new password')}${row('repeat', 'new password again')}</table><button>ACCEPT</button></form>`;
}

/** Writes beside and renames, keeping the file's mode: a router reading it never sees half a file. */
function writeAtomic(path: string, text: string): void {
  const mode = existsSync(path) ? statSync(path).mode & 0o777 : 0o644;
  const tmp = join(dirname(path), `.${process.pid}.lvs.cf.tmp`);
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

