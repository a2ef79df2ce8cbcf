// ha_key_file, config_sync and config_sync_port: what they compile to, and every
// refusal at its line (as tsvs check prints it).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkText } from '../../src/cli/check.js';
import { compileLvsCf, parseLvsCf, type CompileOptions } from '../../src/config/index.js';
import { errorsOf } from './helpers.js';

const PAIR = 'serial_no = 3\nprimary = 198.18.0.2\nbackup_active = 1\nbackup = 198.18.0.3\n';
const KEY = 'c2VjcmV0LWtleS1mb3ItdGhlLXJvdXRlcnMtb2YtdHN2cw==';

/** A key file of this mode holding these bytes, at any path. */
const secret = (bytes: string, mode = 0o100600): CompileOptions => ({ readSecret: () => ({ bytes: new TextEncoder().encode(bytes), mode }) });
const compile = (text: string, opts: CompileOptions = secret(`${KEY}\n`), file = '/etc/tsvs/lvs.cf') => compileLvsCf(parseLvsCf(text, file), opts);

describe('ha_key_file', () => {
  it('with backup_active and syncdaemon: the heartbeat and the sync daemon both get the key, trimmed; a relative path is the lvs.cf\'s directory\'s', () => {
    let asked = '';
    const r = compile(`${PAIR}syncdaemon = 1\nha_key_file = ha.key\n`, { readSecret: (p) => ((asked = p), { bytes: new TextEncoder().encode(`  ${KEY}\n`), mode: 0o100640 }) });
    expect(asked).toBe('/etc/tsvs/ha.key');
    const want = { keyFile: '/etc/tsvs/ha.key', key: new TextEncoder().encode(KEY) };
    expect(r.failover?.auth).toEqual(want);
    expect(r.sync?.auth).toEqual(want);
    expect(r.failover?.configSync).toBeNull();
    expect(r.notActedOn.map((n) => n.key)).not.toContain('ha_key_file');
  });

  it('refuses a file every user may read or write, a short key and an unreadable file, each at its line', () => {
    const text = `${PAIR}ha_key_file = /etc/tsvs/ha.key\n`;
    expect(errorsOf(() => compile(text, secret(KEY, 0o100644))).errors.map(String)).toEqual([
      '/etc/tsvs/lvs.cf:5: INSECURE: ha_key_file /etc/tsvs/ha.key is readable by every user (mode 0644); chmod 600 it',
    ]);
    expect(errorsOf(() => compile(text, secret(KEY, 0o100602))).errors.map(String)).toEqual([
      '/etc/tsvs/lvs.cf:5: INSECURE: ha_key_file /etc/tsvs/ha.key is writable by every user (mode 0602); chmod 600 it',
    ]);
    expect(errorsOf(() => compile(text, secret('short\n'))).errors.map(String)).toEqual([
      '/etc/tsvs/lvs.cf:5: RANGE: ha_key_file /etc/tsvs/ha.key holds 5 bytes; the key needs at least 16 (e.g. head -c 32 /dev/urandom | base64 > /etc/tsvs/ha.key)',
    ]);
    const enoent: CompileOptions = { readSecret: () => { throw Object.assign(new Error('no'), { code: 'ENOENT' }); } };
    expect(errorsOf(() => compile(text, enoent)).errors.map(String)).toEqual(['/etc/tsvs/lvs.cf:5: READ: ha_key_file: cannot read /etc/tsvs/ha.key (ENOENT)']);
  });

  it('with neither backup_active nor syncdaemon it is not acted on (and not read)', () => {
    const r = compile('primary = 198.18.0.2\nha_key_file = /nowhere\n', { readSecret: () => { throw new Error('read'); } });
    expect(r.notActedOn.map((n) => `${n.line} ${n.key}: ${n.why}`)).toContain('2 ha_key_file: neither backup_active nor syncdaemon is on: there is nothing to authenticate');
  });

  it('without it the routers speak pulse and IPVS as they are: no auth anywhere', () => {
    const r = compile(`${PAIR}syncdaemon = 1\n`);
    expect([r.failover?.auth, r.sync?.auth]).toEqual([null, null]);
  });
});

describe('config_sync', () => {
  it('on: listens on heartbeat_port + 1 unless config_sync_port says otherwise', () => {
    expect(compile(`${PAIR}ha_key_file = /k\nconfig_sync = 1\n`).failover?.configSync).toEqual({ port: 540 });
    expect(compile(`${PAIR}heartbeat_port = 1539\nha_key_file = /k\nconfig_sync = 1\n`).failover?.configSync).toEqual({ port: 1540 });
    expect(compile(`${PAIR}ha_key_file = /k\nconfig_sync = 1\nconfig_sync_port = 7000\n`).failover?.configSync).toEqual({ port: 7000 });
  });

  it('needs ha_key_file; a port of 0 is refused; each error at its line', () => {
    expect(errorsOf(() => compile(`${PAIR}config_sync = 1\n`)).errors.map(String)).toEqual([
      '/etc/tsvs/lvs.cf:5: MISSINGKEY: config_sync = 1 needs ha_key_file: a router only takes lvs.cf from a partner that proves it holds the shared key',
    ]);
    expect(errorsOf(() => compile(`${PAIR}ha_key_file = /k\nconfig_sync = 1\nconfig_sync_port = 0\n`)).errors.map(String)).toEqual([
      '/etc/tsvs/lvs.cf:7: RANGE: config_sync_port 0 is not a TCP port (1-65535)',
    ]);
    expect(errorsOf(() => compile(`${PAIR}heartbeat_port = 65535\nha_key_file = /k\nconfig_sync = 1\n`)).errors.map(String)).toEqual([
      '/etc/tsvs/lvs.cf:7: RANGE: config_sync_port 65536 is not a TCP port (1-65535); heartbeat_port + 1 is the default, set config_sync_port',
    ]);
  });

  it('off, or without a backup router, its keys are reported as not acted on', () => {
    const off = compile(`${PAIR}config_sync = 0\nconfig_sync_port = 7000\n`);
    expect(off.failover?.configSync).toBeNull();
    expect(off.notActedOn.map((n) => `${n.line} ${n.key}`)).toContain('6 config_sync_port');
    const alone = compile('primary = 198.18.0.2\nconfig_sync = 1\n');
    expect(alone.notActedOn.map((n) => `${n.key}: ${n.why}`)).toContain('config_sync: backup_active = 0: no backup router, so no heartbeat; this router is always active (as pulse)');
  });
});

describe('tsvs check', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tsvs-auth-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the real key file: shows the authentication and config sync, or the mode error', () => {
    const key = join(dir, 'ha.key');
    writeFileSync(key, `${KEY}\n`, { mode: 0o600 });
    const text = `${PAIR}ha_key_file = ha.key\nconfig_sync = 1\n`;
    const ok = checkText(text, join(dir, 'lvs.cf'));
    expect(ok.ok).toBe(true);
    expect(ok.output).toContain(`heartbeats authenticated (HMAC-SHA256, key file ${key})`);
    expect(ok.output).toContain('config sync: lvs.cf goes to the partner on TCP 540 when serial_no grows');
    chmodSync(key, 0o644);
    const bad = checkText(text, join(dir, 'lvs.cf'));
    expect(bad).toEqual({ ok: false, output: `${join(dir, 'lvs.cf')}:5: INSECURE: ha_key_file ${key} is readable by every user (mode 0644); chmod 600 it\n` });
  });
});
