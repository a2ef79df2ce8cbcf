// The files that put tsvs in service: the systemd unit and the ipvsadm wrapper.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const UNIT = 'scripts/systemd/tsvs.service';
const MAIN = resolve('dist/src/cli/main.js');

describe('service files', () => {
  it('the unit reloads with SIGHUP, restarts at once whatever ended it (kill -9 included), and names the capabilities it keeps', () => {
    const unit = readFileSync(UNIT, 'utf8');
    const keys = new Map(unit.split('\n').filter((l) => /^\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(keys.get('ExecStart')).toBe('/usr/local/bin/tsvs start -c /etc/sysconfig/ha/lvs.cf');
    expect(keys.get('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(keys.get('Restart')).toBe('always');
    expect(keys.get('RestartSec')).toBe('200ms');
    expect(keys.get('StartLimitIntervalSec')).toBe('30');
    expect(keys.get('StartLimitBurst')).toBe('10');
    expect(keys.get('CapabilityBoundingSet')).toBe('CAP_NET_RAW CAP_NET_ADMIN CAP_NET_BIND_SERVICE');
    expect(keys.get('RuntimeDirectory')).toBe('tsvs');
  });

  const analyze = spawnSync('systemd-analyze', ['--version']).status === 0;
  it.runIf(analyze)('systemd-analyze finds nothing wrong in the unit but the binary it starts (not installed here)', () => {
    const r = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    const problems = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() && !l.includes('/usr/local/bin/tsvs'));
    expect(problems).toEqual([]);
  });

  it('scripts/ipvsadm runs tsvs admin under the name ipvsadm', () => {
    const bin = mkdtempSync(join(tmpdir(), 'tsvs-bin-'));
    try {
      chmodSync(MAIN, 0o755);
      symlinkSync(MAIN, join(bin, 'tsvs'));
      const r = spawnSync('scripts/ipvsadm', ['-h'], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^ipvsadm v1\.31 .*\nUsage:\n {2}ipvsadm -A\|E virtual-service /);
      const missing = spawnSync('scripts/ipvsadm', ['-L', '-n'], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, TSVS_CONTROL_SOCKET: join(bin, 'none.sock') } });
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toContain('tsvs is not running');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
