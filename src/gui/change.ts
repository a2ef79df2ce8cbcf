// The change pipeline every panel uses. A form's change is parsed and validated
// (edit.ts); a valid one increments serial_no and waits in the session; the
// confirm page shows the diff of lvs.cf; its POST writes the file (refused if it
// changed meanwhile), appends to the audit log and, when a router runs, reloads
// it through the control API and shows the result.
import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createTwoFilesPatch, diffLines } from 'diff';
import type { Hono } from 'hono';
import { ConfigErrors, type LvsConfig } from '../config/index.js';
import { audit } from './audit.js';
import { remoteOf, type C, type Env, type Kit } from './context.js';
import { bumpSerial, hasErrors, readConfig, validate, type FieldErrors, type Target } from './edit.js';
import { html } from './html.js';
import { csrfField } from './pages.js';

export interface Change {
  /** Parses the file as it is now; an error (the whole file's messages) when it is broken. */
  current: () => { text: string; cfg: LvsConfig } | { error: string };
  brokenPage: (c: C, why: string) => Response | Promise<Response>;
  /** Validates a changed tree; on success a redirect to the confirm page, else the errors per field. */
  propose: (c: C, base: string, cfg: LvsConfig, target: Target, errs: FieldErrors, what: string, back: string) => FieldErrors | Response;
}

export function changeRoutes(app: Hono<Env>, k: Kit): Change {
  const { o, page, readText } = k;
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

  return { current, brokenPage, propose };
}

/** Writes beside and renames, keeping the file's mode: a router reading it never sees half a file. */
function writeAtomic(path: string, text: string): void {
  const mode = existsSync(path) ? statSync(path).mode & 0o777 : 0o644;
  const tmp = join(dirname(path), `.${process.pid}.lvs.cf.tmp`);
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}
