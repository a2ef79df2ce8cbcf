// Piranha's editing panels (LVS-REFERENCE 1.6): GLOBAL SETTINGS, REDUNDANCY,
// VIRTUAL SERVERS with ADD / DELETE / EDIT / (DE)ACTIVATE, and per virtual server
// VIRTUAL SERVER, REAL SERVER and MONITORING SCRIPTS. Each POST goes through the
// change pipeline (change.ts); a refused one renders the form again with the
// posted values and each error beside its field.
import type { Hono } from 'hono';
import { blocks, findKey, removeBlock, type Block, type Item, type LvsConfig } from '../config/index.js';
import type { Change } from './change.js';
import type { C, Env, Kit } from './context.js';
import { applyCheckBlocks, applyFields, checkBlocksText, CHECKS_FIELD, findServer, findVirtual, hasErrors, nameBlock, notActedOnByLine, readConfig, toggleActive, type FieldErrors } from './edit.js';
import { html, raw, type Html } from './html.js';
import { csrfField, errorList, fields, GLOBAL_PANEL_KEYS, readonlyRows, REDUNDANCY_KEYS, SCRIPT_KEYS, SERVER_PANEL_KEYS, VIRTUAL_PANEL_KEYS } from './pages.js';

export function panelRoutes(app: Hono<Env>, k: Kit & Change): void {
  const { o, page, current, brokenPage, propose } = k;

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
  globalPanel('/global', 'GLOBAL SETTINGS', GLOBAL_PANEL_KEYS, ['serial_no']);
  globalPanel('/redundancy', 'REDUNDANCY', REDUNDANCY_KEYS, []);

  // --- VIRTUAL SERVERS -------------------------------------------------------------
  app.get('/virtual', (c) => {
    const cur = current();
    if ('error' in cur) return brokenPage(c, cur.error);
    const csrf = c.get('session')!.csrf;
    const rows = blocks(cur.cfg.items, 'virtual').map((b) => {
      const active = findKey(b.items, 'active')?.value === true;
      const [addr = '', device = ''] = findKey(b.items, 'address')?.args ?? [];
      const nmask = findKey(b.items, 'vip_nmask')?.args[0] ?? '';
      const port = findKey(b.items, 'port')?.args[0] ?? '80';
      const proto = findKey(b.items, 'protocol')?.args[0] ?? 'tcp';
      return html`<tr data-name="${b.name}"><td class="${active ? 'up' : 'down'}">${active ? 'up' : 'down'}</td><td class="name">${b.name}</td><td>${addr}</td><td>${nmask}</td><td>${port}</td><td>${proto}</td><td>${device}</td>
<td>${blocks(b.items, 'server').length}</td><td><a href="/virtual/edit?name=${encodeURIComponent(b.name)}">EDIT</a>
<form method="post" action="/virtual/action" class="inline">${csrfField(csrf)}<input type="hidden" name="name" value="${b.name}">
<button name="do" value="toggle">${active ? 'DEACTIVATE' : 'ACTIVATE'}</button><button name="do" value="delete">DELETE</button></form></td></tr>`;
    });
    return page(c, 'VIRTUAL SERVERS', html`<table id="virtuals"><tr><th>status</th><th>name</th><th>address</th><th>netmask</th><th>port</th><th>protocol</th><th>interface</th><th>real servers</th><th></th></tr>${rows}</table>
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
      return page(c, title, html`${virtualTabs(vs ? vs.name : null, title)}<form method="post" action="${path}">${csrfField(c.get('session')!.csrf)}
<input type="hidden" name="old" value="${name ?? ''}">${errorList(errs)}
${withName ? html`<table class="fields"><tr><th><label for="f-name">name</label></th><td><input name="name" id="f-name" value="${form?.name ?? name ?? ''}">${errorList(errs, 'name')}</td></tr></table>` : ''}
${fields('virtual', items, keys, { form, errors: errs, why })}${!withName ? checksField(items, errs, form) : ''}<button id="accept">ACCEPT</button></form>
${!withName ? html`<p class="note">The send program takes priority over the send string; %h and %p in it are replaced with the real server's address and port.
An empty field removes the key (BLANK SEND, BLANK EXPECT, NO SEND PROGRAM); checks = none leaves the servers unchecked.
Check blocks replace nanny's check with keepalived's checkers (tcp, http, https, dns, udp, icmp, misc), each server's (the real server's page) added to the virtual's; all must pass.</p>` : ''}`, '/virtual', hasErrors(errs) ? 400 : 200);
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
      if (vs && !withName && form[CHECKS_FIELD] !== undefined) applyCheckBlocks(vs.items, 'virtual', form[CHECKS_FIELD], errs);
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
${fields('server', rs?.items ?? [], SERVER_PANEL_KEYS, { form, errors: errs, why })}${checksField(rs?.items ?? [], errs, form)}<button id="accept">ACCEPT</button></form>`, '/virtual', hasErrors(errs) ? 400 : 200);
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
    if (rs && form[CHECKS_FIELD] !== undefined) applyCheckBlocks(rs.items, 'server', form[CHECKS_FIELD], errs);
    const what = old === null ? `added real server ${rs?.name} to ${vs.name}` : `real server ${rs?.name ?? old} of ${vs.name} changed`;
    const r = propose(c, cur.text, cur.cfg, { scope: 'server', virtual: vs.name, server: rs?.name }, errs, what, `/virtual/servers?name=${encodeURIComponent(vs.name)}`);
    if (r instanceof Response) return r;
    return serverRender(c, readConfig(cur.text, o.config), cur.text, vs.name, old, r, form);
  });

}

/** A block's check blocks as one lvs.cf text field (edit.ts applyCheckBlocks), with its errors. */
function checksField(items: readonly Item[], errs: FieldErrors, form?: Record<string, string>): Html {
  const text = form?.[CHECKS_FIELD] ?? checkBlocksText(items);
  return html`<table class="fields"><tr><th><label for="f-${CHECKS_FIELD}">check blocks</label></th><td><textarea name="${CHECKS_FIELD}" id="f-${CHECKS_FIELD}" rows="${Math.min(20, Math.max(4, text.split('\n').length + 1))}" cols="60" placeholder="check http {&#10;    path = /healthz&#10;    status = 200-299&#10;}">${text}</textarea>${errorList(errs, CHECKS_FIELD)}</td></tr></table>`;
}

function errorsOf(errs: FieldErrors): Html {
  return html`<ul class="error">${Object.values(errs).flat().map((m) => html`<li>${m}</li>`)}</ul>`;
}
