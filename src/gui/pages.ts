// Page layout and the generic field form. Panels are Piranha's (LVS-REFERENCE
// 1.6); each lists the lvs.cf keys it edits. Every value reaches the page through
// the `html` template (html.ts), so all of it is escaped.
import { findKey, findKeys, GLOBAL_KEYS, keysOf, SERVER_KEYS, VIRTUAL_KEYS, type Item } from '../config/index.js';
import { GLOBAL_NOT_ACTED_ON, VIRTUAL_NOT_ACTED_ON } from '../config/not-acted-on.js';
import { formatValue, type KeySpec } from '../config/values.js';
import { fieldText, manyLines, type FieldErrors, type Scope } from './edit.js';
import { html, raw, type Html } from './html.js';

// The pair of routers: pulse's keys, and whatever else elects or syncs (a
// failover or vrrp_ key added to keys.ts lands here, not in GLOBAL SETTINGS).
export const REDUNDANCY_KEYS = [
  'backup_active', 'backup', 'backup_private', 'heartbeat', 'heartbeat_port', 'keepalive', 'deadtime', 'monitor_links', 'failback',
  'syncdaemon', 'syncd_iface', 'syncd_id', 'syncd_version', 'ha_key_file', 'config_sync', 'config_sync_port', 'active_cmd', 'inactive_cmd',
  'primary_shared', 'backup_shared', 'reservation_conflict_action',
  ...Object.keys(GLOBAL_KEYS).filter((k) => k === 'failover' || k.startsWith('vrrp_')),
];
/** Shown read-only: serial_no is the tool's, counted up on every write. */
const GLOBAL_READONLY = ['serial_no'];
export const GLOBAL_PANEL_KEYS = Object.keys(GLOBAL_KEYS).filter((k) => !REDUNDANCY_KEYS.includes(k) && !GLOBAL_READONLY.includes(k));
export const SCRIPT_KEYS = ['checks', 'send', 'expect', 'use_regex', 'send_program', 'load_monitor', 'timeout', 'reentry', 'quiesce_server'];
export const VIRTUAL_PANEL_KEYS = Object.keys(VIRTUAL_KEYS).filter((k) => !SCRIPT_KEYS.includes(k));
export const SERVER_PANEL_KEYS = Object.keys(SERVER_KEYS);

const STATIC_WHY: Partial<Record<Scope, Readonly<Record<string, string>>>> = { global: GLOBAL_NOT_ACTED_ON, virtual: VIRTUAL_NOT_ACTED_ON };

export const NAV: [string, string][] = [
  ['/control', 'CONTROL/MONITORING'], ['/global', 'GLOBAL SETTINGS'], ['/redundancy', 'REDUNDANCY'], ['/virtual', 'VIRTUAL SERVERS'],
];

export function layout(title: string, body: Html, opts: { user?: string | null; csrf?: string; active?: string } = {}): string {
  const nav = opts.user
    ? html`<nav>${NAV.map(([href, label]) => html`<a href="${href}"${opts.active === href ? raw(' class="on"') : ''}>${label}</a>`)}
<a href="/passwd">PASSWORD</a>
<form method="post" action="/logout" class="inline"><input type="hidden" name="_csrf" value="${opts.csrf ?? ''}"><button>LOG OUT ${opts.user}</button></form></nav>`
    : '';
  return `<!doctype html>\n${html`<html lang="en"><head><meta charset="utf-8"><title>${title} - tsvs</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/gui.css"><link rel="stylesheet" href="/static/uPlot.min.css">
<script src="/static/uPlot.iife.min.js" defer></script><script src="/static/gui.js" defer></script></head>
<body><header><h1>tsvs configuration tool</h1>${nav}</header><main><h2>${title}</h2>${body}</main></body></html>`}`;
}

export const csrfField = (csrf: string): Html => html`<input type="hidden" name="_csrf" value="${csrf}">`;

export function errorList(errs: FieldErrors, field = ''): Html {
  const list = errs[field];
  return list?.length ? html`<ul class="error" data-field="${field || 'form'}">${list.map((m) => html`<li>${m}</li>`)}</ul>` : html``;
}

function placeholder(spec: KeySpec<unknown>): string {
  if (spec.def === null || spec.repeat) return '';
  try {
    return `default ${formatValue(spec, spec.def as never).join(' ')}`;
  } catch {
    return '';
  }
}

function input(key: string, spec: KeySpec<unknown>, value: string): Html {
  if (spec.kind === 'bool' || spec.kind === 'enum') {
    const choices = spec.kind === 'bool' ? [['', `(default ${spec.def === null ? 'unset' : spec.def ? '1' : '0'})`], ['0', '0'], ['1', '1']] : [['', `(default ${spec.def ?? 'unset'})`], ...(spec.values ?? []).map((v) => [v, v])];
    return html`<select name="${key}" id="f-${key}">${choices.map(([v, l]) => html`<option value="${v}"${v === value ? raw(' selected') : ''}>${l}</option>`)}</select>`;
  }
  return html`<input name="${key}" id="f-${key}" value="${value}" placeholder="${placeholder(spec)}" size="40">`;
}

/**
 * One row per key: its input (the posted value after a refused ACCEPT, else the
 * file's), its errors, and why tsvs does not act on it when it does not.
 */
export function fields(scope: Scope, items: readonly Item[], keys: readonly string[], opts: { form?: Record<string, string>; errors: FieldErrors; why: Map<number, string> }): Html {
  const table = keysOf(scope);
  return html`<table class="fields">${keys.map((key) => {
    const spec = table[key];
    if (manyLines(scope, key, spec)) return repeatRow(key, spec, items, opts);
    const line = findKey(items, key);
    const value = opts.form ? (opts.form[key] ?? '') : fieldText(spec, line);
    const why = (line && opts.why.get(line.line)) ?? STATIC_WHY[scope]?.[key];
    return html`<tr><th><label for="f-${key}">${key}</label></th><td>${input(key, spec, value)}${why ? html`<span class="note">not acted on by tsvs: ${why}</span>` : ''}${errorList(opts.errors, key)}</td></tr>`;
  })}</table>`;
}

/** Keys of a scope that the panel shows read-only, with their file text. */
export function readonlyRows(items: readonly Item[], keys: readonly string[], why: Map<number, string>): Html {
  const lines = items.filter((i) => i.kind === 'key' && keys.includes(i.key));
  if (!lines.length) return html``;
  return html`<table class="fields ro">${lines.map((l) => l.kind === 'key' && html`<tr><th>${l.key}</th><td><code>${l.args.join(' ')}</code>${why.get(l.line) ? html` <span class="note">not acted on by tsvs: ${why.get(l.line)}</span>` : ''}</td></tr>`)}</table>`;
}

/** A key of many lines (fwmark_rule): one value per line of a text area (edit.ts applyRepeated). */
function repeatRow(key: string, spec: KeySpec<unknown>, items: readonly Item[], o: { form?: Record<string, string>; errors: FieldErrors; why: Map<number, string> }): Html {
  const lines = findKeys(items, key);
  const text = o.form?.[key] ?? lines.map((l) => fieldText(spec, l)).join('\n');
  const notes = lines.filter((l) => o.why.get(l.line)).map((l) => html`<span class="note">${fieldText(spec, l)}: not acted on by tsvs: ${o.why.get(l.line)}</span><br>`);
  return html`<tr><th><label for="f-${key}">${key}</label></th><td><textarea name="${key}" id="f-${key}" rows="${Math.max(3, text.split('\n').length + 1)}" cols="60">${text}</textarea>
<span class="note">${key === 'nat_router' ? 'one address and device per line, at most one IPv4 and one IPv6 (2001:db8:1::1/64 eth1)' : 'one value per line'}; an empty area removes them all</span><br>${notes}${errorList(o.errors, key)}</td></tr>`;
}
