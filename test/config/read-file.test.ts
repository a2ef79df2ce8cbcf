// Every file a config names is read by readConfigFile: regular files only, at
// most a size limit, so /dev/zero, /dev/urandom or a FIFO cannot hang `tsvs
// check` or a reload (issue 15 item 13).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readConfigFile } from '../../src/config/read-file.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsvs-readcfg-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('readConfigFile', () => {
  it('reads a regular file', () => {
    writeFileSync(join(dir, 'a'), 'hello');
    expect(readConfigFile(join(dir, 'a')).toString('utf8')).toBe('hello');
  });

  it('refuses character devices and FIFOs without reading them', () => {
    expect(() => readConfigFile('/dev/zero')).toThrow('not a regular file (a character device)');
    expect(spawnSync('mkfifo', [join(dir, 'fifo')]).status).toBe(0);
    expect(() => readConfigFile(join(dir, 'fifo'))).toThrow('not a regular file (a FIFO)');
  });

  it('refuses a file over the size limit', () => {
    writeFileSync(join(dir, 'big'), 'x'.repeat(100));
    expect(() => readConfigFile(join(dir, 'big'), 64)).toThrow('larger than 64 bytes');
  });
});

describe('tsvs check with fwmark_rules_from naming a FIFO or /dev/zero', () => {
  for (const target of ['fifo', '/dev/zero']) {
    it(`answers file:line at once (${target})`, () => {
      const from = target === 'fifo' ? join(dir, 'fifo') : target;
      if (target === 'fifo') spawnSync('mkfifo', [from]);
      const cfg = join(dir, 'lvs.cf');
      writeFileSync(cfg, `serial_no = 1\nprimary = 198.18.0.1\nservice = lvs\nnetwork = direct\nfwmark_rules_from = ${from}\n`);
      // A bounded run: before the fix this blocked (FIFO) or grew without bound (/dev/zero).
      const r = spawnSync(process.execPath, ['dist/src/cli/main.js', 'check', '-c', cfg], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=256' } });
      expect(r.stdout + r.stderr).toContain(`${cfg}:5: READ: fwmark_rules_from: cannot read ${from} (not a regular file`);
      expect(r.status).toBe(1);
    });
  }
});
