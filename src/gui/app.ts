// The web tool's HTTP application (Hono). Order of guards on every request:
// the client allow-list (403 before anything else), the security headers, the
// session (login page otherwise), the CSRF token of every POST (403). Panels
// change lvs.cf only on ACCEPT, and only after the diff was confirmed: a form is
// parsed and validated (edit.ts), the proposal waits in the session, the confirm
// page shows the diff, and its POST writes the file, appends to the audit log
// and, when a router runs, reloads it and shows the result (change.ts). The
// panels are in panels.ts; this file has the guards, login, CONTROL/MONITORING
// with its live charts' event stream, and the password change.
import { existsSync, readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { audit } from './audit.js';
import { changeRoutes } from './change.js';
import { remoteOf, type C, type Env, type GuiOptions, type PageStatus } from './context.js';
import { addError, hasErrors, type FieldErrors } from './edit.js';
import { serverRefOf } from '../control/service-id.js';
import { html, raw, type Html } from './html.js';
import { panelRoutes } from './panels.js';
import { checkLogin, readPasswd, setPassword, verifyPassword } from './passwd.js';
import { csrfField, errorList, layout } from './pages.js';
import { allowed, csrfOk, LoginLimiter, Sessions, type Session } from './security.js';
import { STATIC_FILES } from './static.js';

export type { GuiOptions } from './context.js';
export { remoteOf } from './context.js';


const COOKIE = 'tsvs_gui';

export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};


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

  const page = (c: C, title: string, body: Html, active?: string, status: PageStatus = 200) => {
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
    const health = v.health?.services.flatMap((svc) => svc.servers.map((r) => html`<tr><td>${svc.service}</td><td>${serverRefOf(r.address, r.port)}</td><td class="${r.state}">${r.state}</td><td>${r.serving ? 'yes' : 'no'}</td><td>${r.force ?? ''}</td><td>${r.weight}/${r.configuredWeight}</td></tr>`)) ?? [];
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

  const kit = { o, page, readText };
  panelRoutes(app, { ...kit, ...changeRoutes(app, kit) });
  return app;
}

function passwdForm(csrf: string, errs: FieldErrors): Html {
  const row = (name: string, label: string) => html`<tr><th><label for="f-${name}">${label}</label></th><td><input type="password" name="${name}" id="f-${name}">${errorList(errs, name)}</td></tr>`;
  return html`<form method="post" action="/passwd">${csrfField(csrf)}<table class="fields">${row('current', 'current password')}${row('new', 'new password')}${row('repeat', 'new password again')}</table><button>ACCEPT</button></form>`;
}
