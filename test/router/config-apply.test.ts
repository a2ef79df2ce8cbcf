// The receiving side of config sync: a partner's lvs.cf is installed only when
// it is valid (tsvs check's rules) and newer, atomically and with the file's
// mode; otherwise the router keeps its own and says why.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyReceivedConfig, serialOf } from '../../src/router/config-apply.js';
import type { ReloadView } from '../../src/control/types.js';

const base = readFileSync('test/fixtures/config/nat.cf', 'utf8');
const withSerial = (n: number, extra = '') => base.replace('serial_no = 1', `serial_no = ${n}`) + extra;

let dir: string;
let path: string;
let reloads: string[];
const reload = async (trigger: string): Promise<ReloadView> => {
  reloads.push(trigger);
  return { at: 0, ok: true, version: 2, trigger, errors: [], notes: [], discarded: [] };
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsvs-cfgsync-'));
  path = join(dir, 'lvs.cf');
  writeFileSync(path, withSerial(5));
  chmodSync(path, 0o640);
  reloads = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('config sync: receiving a partner\'s lvs.cf', () => {
  it('a valid file with a higher serial_no replaces ours atomically, keeps our mode, and reloads', async () => {
    const next = withSerial(6).replace('weight = 2', 'weight = 3');
    const a = await applyReceivedConfig(next, '198.18.0.2', { configPath: path, reload });
    expect(a).toEqual({ result: 'applied', serial: 6, errors: [] });
    expect(readFileSync(path, 'utf8')).toBe(next);
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(reloads).toEqual(['config sync from 198.18.0.2 (serial_no 5 -> 6)']);
    // No temporary file left beside it.
    expect(readdirSync(dir)).toEqual(['lvs.cf']);
  });

  it('a file whose serial_no is not higher is ignored: ours stays, no reload', async () => {
    for (const n of [5, 4]) {
      const a = await applyReceivedConfig(withSerial(n).replace('weight = 2', 'weight = 9'), '198.18.0.2', { configPath: path, reload });
      expect(a).toEqual({ result: 'current', serial: 5, errors: [] });
    }
    expect(readFileSync(path, 'utf8')).toBe(withSerial(5));
    expect(reloads).toEqual([]);
  });

  it('an invalid file keeps ours and answers every error as file:line (the rules of tsvs check)', async () => {
    const bad = withSerial(7).replace('scheduler = wlc', 'scheduler = fastest').replace('weight = 2', 'weight = 70000');
    const a = await applyReceivedConfig(bad, '198.18.0.2', { configPath: path, reload });
    expect(a.result).toBe('invalid');
    expect(a.serial).toBe(5);
    expect(a.errors).toEqual([
      `${path}:20: BADARGUMENT: scheduler "fastest" is not one of rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, mh, fo, ovf, twos`,
      `${path}:44: RANGE: weight 70000 is outside 0..65535`,
    ]);
    expect(readFileSync(path, 'utf8')).toBe(withSerial(5));
    expect(reloads).toEqual([]);
    // A file that names a key file this router does not have fails as tsvs check fails here.
    const keyed = withSerial(8).replace('backup_active = 0', 'backup_active = 1\nbackup = 198.18.0.3\nha_key_file = missing.key');
    const k = await applyReceivedConfig(keyed, '198.18.0.2', { configPath: path, reload });
    expect(k).toEqual({ result: 'invalid', serial: 5, errors: [`${path}:10: READ: ha_key_file: cannot read ${join(dir, 'missing.key')} (ENOENT)`] });
  });

  it('a reload that refuses the new file is reported as failed (the file is in place, as after an operator\'s edit)', async () => {
    const refusing = async (trigger: string): Promise<ReloadView> => ({ at: 0, ok: false, version: 1, trigger, errors: ['lvs.cf now names device(s) eth7; adding devices needs a restart'], notes: [], discarded: [] });
    const a = await applyReceivedConfig(withSerial(6), '198.18.0.2', { configPath: path, reload: refusing });
    expect(a).toEqual({ result: 'failed', serial: 6, errors: ['lvs.cf now names device(s) eth7; adding devices needs a restart'] });
  });

  it('serialOf: the serial_no of the file on disk, -1 when it cannot be read', () => {
    expect(serialOf(path)).toBe(5);
    expect(serialOf(join(dir, 'none.cf'))).toBe(-1);
  });
});
