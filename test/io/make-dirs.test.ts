// makeDirs: creates a directory and its missing parents without Node 20's
// recursive mkdir, which loops for ever under /proc (issue 15 item 14).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDirs } from '../../src/io/make-dirs.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsvs-mkdirs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('makeDirs', () => {
  it('creates missing parents and accepts an existing directory', () => {
    makeDirs(join(dir, 'a', 'b', 'c'));
    expect(statSync(join(dir, 'a', 'b', 'c')).isDirectory()).toBe(true);
    makeDirs(join(dir, 'a', 'b', 'c'));
    expect(statSync(join(dir, 'a', 'b', 'c')).isDirectory()).toBe(true);
  });

  it('refuses a path whose nearest existing parent is on /proc or /sys, in one line', () => {
    expect(() => makeDirs('/proc/tsvs-no-such/x')).toThrow(/^cannot create \/proc\/tsvs-no-such\/x: \/proc is a proc pseudo filesystem$/);
    expect(() => makeDirs('/sys/tsvs-no-such')).toThrow(/^cannot create \/sys\/tsvs-no-such: \/sys is a sysfs pseudo filesystem$/);
  });

  it('says which component is not a directory', () => {
    writeFileSync(join(dir, 'f'), '');
    expect(() => makeDirs(join(dir, 'f', 'x'))).toThrow(`cannot create ${join(dir, 'f', 'x')}: ${join(dir, 'f')} is not a directory`);
  });
});

describe('commands given a directory under /proc', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, ['dist/src/cli/main.js', ...args], { encoding: 'utf8', timeout: 30_000 });

  it('tsvs replay answers with one line and exit 1 (it used to loop for ever)', () => {
    const r = cli(['replay', '-c', 'test/fixtures/config/nat.cf', 'test/fixtures/pcap/nat-http.pcap', '/proc/tsvs-no-such']);
    expect(r.stderr.trim()).toBe('tsvs replay: cannot create /proc/tsvs-no-such: /proc is a proc pseudo filesystem');
    expect(r.status).toBe(1);
  });

  it('tsvs bench sched --out-dir answers with one line and exit 1', () => {
    const r = cli(['bench', 'sched', '--quick', '--json', '--out-dir', '/proc/tsvs-no-such']);
    expect(r.stderr.trim()).toBe('tsvs bench sched: cannot create /proc/tsvs-no-such: /proc is a proc pseudo filesystem');
    expect(r.status).toBe(1);
  });
});
