// A reader that goes away (`tsvs simulate ... | head -2`) ends the command
// quietly: no EPIPE stack trace, status 0 (issue 15 item 15). The guard is in
// the CLI entry, so every command has it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'tsvs-epipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a closed stdout', () => {
  it('tsvs simulate | head -2 prints two lines and no error', () => {
    const trace = join(dir, 'big.trace');
    const lines: string[] = [];
    for (let i = 0; i < 50_000; i++) lines.push(`0 open tcp 198.18.${(i >> 8) & 255}.${i & 255}:${1 + (i >> 16)} 198.18.0.10:80`);
    writeFileSync(trace, lines.join('\n') + '\n');
    const script = `node dist/src/cli/main.js simulate -c test/fixtures/config/dr.cf < '${trace}' 2>'${dir}/err' | head -2; echo "status=\${PIPESTATUS[0]}"; cat '${dir}/err'`;
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toBe('198.18.0.0:1 198.18.0.10:80 -> 198.18.0.23:80\n198.18.0.1:1 198.18.0.10:80 -> 198.18.0.22:80\nstatus=0\n');
  });
});
