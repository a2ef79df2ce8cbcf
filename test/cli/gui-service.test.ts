// The web tool's systemd unit: safe defaults on the command line, nothing it does not need.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const UNIT = 'scripts/systemd/tsvs-gui.service';

describe('tsvs-gui.service', () => {
  it('starts tsvs gui on the default address with the password file and audit log, and keeps no capability', () => {
    const unit = readFileSync(UNIT, 'utf8');
    const keys = new Map(unit.split('\n').filter((l) => /^\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(keys.get('ExecStart')).toBe('/usr/local/bin/tsvs gui -c /etc/sysconfig/ha/lvs.cf --passwd /etc/tsvs/gui.passwd --audit-log /var/log/tsvs/gui-audit.log');
    expect(keys.get('CapabilityBoundingSet')).toBe('');
    expect(keys.get('ReadWritePaths')).toBe('/etc/sysconfig/ha /etc/tsvs');
    expect(keys.get('ProtectSystem')).toBe('strict');
  });

  const analyze = spawnSync('systemd-analyze', ['--version']).status === 0;
  it.runIf(analyze)('systemd-analyze finds nothing wrong in the unit but the binary it starts (not installed here)', () => {
    const r = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    const problems = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() && !l.includes('/usr/local/bin/tsvs'));
    expect(problems).toEqual([]);
  });
});
