// Issue 15 item 11 as step functions: errors after start-up are counted and
// logged once and the router goes on; an error nothing handled removes the fence
// and exits; a stats path that cannot be written is refused before anything is
// fenced. (test/e2e/reliability.test.ts runs the same against a real process.)
import { EventEmitter } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryPort } from '../../src/io/memory.js';
import type { LivePort } from '../../src/frames/port.js';
import { parseIPv4 } from '../../src/model/index.js';
import { Router, StartError } from '../../src/router/daemon.js';
import { InlineDataPlane } from '../../src/router/dataplane.js';
import { createLogger } from '../../src/router/log.js';
import type { HostInfo } from '../../src/router/preflight.js';
import { statsFileProblem } from '../../src/router/stats-file.js';

const MACS: Record<string, Uint8Array> = { eth0: Uint8Array.of(2, 0, 0, 0, 0, 1), eth1: Uint8Array.of(2, 0, 0, 0, 0, 2) };

class FakePort extends MemoryPort implements LivePort {
  onReadable(): void {}
}

const host: HostInfo = {
  isRoot: () => true,
  hasDevice: (d) => d in MACS,
  macOf: (d) => MACS[d] ?? null,
  kernelAddresses: () => new Map([[parseIPv4('198.18.0.2')!, 'eth0']]),
};

/** A fake process: signals and the fatal handlers' events, and exit() recorded. */
class FakeProc extends EventEmitter {
  exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsvs-errors-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function setup(statsFile?: string, proc?: FakeProc) {
  const cfg = join(dir, 'lvs.cf');
  copyFileSync('test/fixtures/config/nat.cf', cfg);
  const logs: string[] = [];
  const scripts: string[] = [];
  const log = createLogger({ write: (l) => logs.push(l) });
  const router = new Router({
    configPath: cfg,
    log,
    host,
    dataPlane: (spec) => new InlineDataPlane({ ...spec, log, openPort: () => new FakePort(), clock: () => 1000 }, false),
    nft: (script) => {
      scripts.push(script);
      return { ok: !script.startsWith('list'), error: 'No such file or directory' };
    },
    controlSocket: null,
    timers: false,
    ...(statsFile ? { statsFile } : {}),
    ...(proc ? { signals: proc as unknown as NodeJS.Process } : {}),
  });
  return { router, logs, scripts };
}

const fenced = (scripts: string[]): boolean => scripts.some((s) => s.includes('table netdev tsvs {'));

describe('errors after start-up', () => {
  it('a stats file that stops being writable is counted and logged once; the router goes on, and says when it works again', async () => {
    const path = join(dir, 'stats.json');
    const { router, logs } = setup(path);
    await router.start();
    // The file's place becomes a non-empty directory: the rename into place fails.
    rmSync(path);
    mkdirSync(path);
    writeFileSync(join(path, 'x'), '');
    for (let k = 0; k < 3; k++) router.writeStats();
    const failed = logs.filter((l) => l.includes('stats-file failed'));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toContain('level=error');
    expect(failed[0]).toContain('errors=1');
    expect(router.status().errors).toEqual({ 'stats-file': 3 });
    expect(router.status().components['stats-file']).toBe('running');
    rmSync(path, { recursive: true });
    router.writeStats();
    const again = logs.filter((l) => l.includes('msg="stats-file works again"'));
    expect(again).toHaveLength(1);
    expect(again[0]).toContain('errors=3');
    expect(existsSync(path)).toBe(true);
    await router.stop();
  });
});

describe('an error nothing handled', () => {
  for (const kind of ['uncaughtException', 'unhandledRejection'] as const) {
    it(`${kind}: the fence is removed, one line is logged, the process exits with status 1`, async () => {
      const proc = new FakeProc();
      const { router, logs, scripts } = setup(undefined, proc);
      await router.start();
      expect(fenced(scripts)).toBe(true);
      const before = logs.length;
      proc.emit(kind, new Error('boom\n    at somewhere (file.js:1:1)'));
      expect(scripts.at(-1)).toBe('delete table netdev tsvs\n');
      expect(proc.exits).toEqual([1]);
      const lines = logs.slice(before);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toBe(lines[0].split('\n')[0]);
      expect(lines[0]).toContain(`msg="fatal error: the router exits" kind=${kind} problem="Error: boom" fence_removed=true`);
      await router.stop();
      expect(proc.listenerCount(kind)).toBe(0);
    });
  }
});

describe('a stats path that cannot be written', () => {
  it('statsFileProblem: one line for a missing directory and for a directory; null for a writable path, leaving nothing', () => {
    expect(statsFileProblem(join(dir, 'nope', 'stats.json'))).toBe(`--stats-file ${join(dir, 'nope', 'stats.json')}: cannot be written (ENOENT: no such file or directory)`);
    expect(statsFileProblem(dir)).toBe(`--stats-file ${dir}: is a directory`);
    expect(statsFileProblem(join(dir, 'ok.json'))).toBeNull();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('is refused before start: a StartError, no fence installed, no data plane', async () => {
    const path = join(dir, 'nope', 'stats.json');
    const { router, scripts } = setup(path);
    const err = await router.start().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StartError);
    expect((err as Error).message).toBe(`--stats-file ${path}: cannot be written (ENOENT: no such file or directory)`);
    expect(scripts).toEqual([]);
  });
});
