// The tsvs command as users run it: the built dist/src/cli/main.js in a child
// process (npm run build first). Help for every registered command, --version,
// usage errors (one line, one prefix, status 2, never Node's own parser text),
// numeric validation, and failures (status 1).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { flatten } from '../../src/cli/help.js';
import { runCli } from '../../src/cli/run.js';

const MAIN = 'dist/src/cli/main.js';

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Runs asynchronously, so that a test's many runs overlap (each is a Node start-up). */
function tsvs(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** Status 2, and stderr is `tsvs CMD: message` once, then the usage line. */
async function expectUsage(args: string[], cmd: string, message: string | RegExp): Promise<void> {
  const r = await tsvs(...args);
  const at = `tsvs ${args.join(' ')}`;
  expect(r.code, at).toBe(2);
  expect(r.out, at).toBe('');
  const [first, hint, ...rest] = r.err.trimEnd().split('\n');
  if (typeof message === 'string') expect(first, at).toBe(`tsvs ${cmd}: ${message}`);
  else expect(first, at).toMatch(message);
  expect(r.err.split(`tsvs ${cmd}:`), `${at}: one prefix`).toHaveLength(2);
  expect(hint, at).toMatch(new RegExp(`^usage: tsvs ${cmd} .*\\(more: tsvs ${cmd} --help\\)$`));
  expect(rest, at).toEqual([]);
  // Node's parseArgs messages never reach users.
  expect(r.err, at).not.toMatch(/ERR_PARSE_ARGS|To specify a positional argument|Unknown option '/);
}

const paths = flatten(COMMANDS).map(([path]) => path);
/** Commands that read their own argv (tsvs admin): --help is theirs to answer. */
const raw = new Set(flatten(COMMANDS).filter(([, c]) => c.kind === 'raw').map(([path]) => path));
const groups = COMMANDS.filter((c) => c.kind === 'group').map((c) => c.name);

describe('tsvs (the built command)', () => {
  it('--help lists every registered command with its summary and the exit codes', async () => {
    const [r, help] = await Promise.all([tsvs('--help'), tsvs('help')]);
    expect(r.code).toBe(0);
    expect(paths).toEqual(expect.arrayContaining(['check', 'replay', 'simulate', 'start', 'admin', 'top', 'lab up', 'lab down', 'lab status', 'capture', 'bench sched', 'demo']));
    const width = Math.max(...paths.map((p) => p.length));
    for (const [path, cmd] of flatten(COMMANDS)) expect(r.out).toContain(`  ${path.padEnd(width)}  ${cmd.summary}\n`);
    expect(r.out).toMatch(/0 {2}ok\n {2}1 {2}failure: the command ran and failed[\s\S]*2 {2}usage: bad arguments/);
    expect(help.out).toBe(r.out);
  });

  it('every command and group answers --help (and -h, the same) with its usage, status 0', async () => {
    await Promise.all([...paths.filter((p) => !raw.has(p)), ...groups].map(async (path) => {
      const r = await tsvs(...path.split(' '), '--help');
      expect(r.code, path).toBe(0);
      expect(r.out, path).toMatch(new RegExp(`^usage: tsvs ${path} `));
      expect(r.err, path).toBe('');
      // -h in-process: one Node start-up per run is what makes these tests slow.
      let h = '';
      expect(await runCli(COMMANDS, [...path.split(' '), '-h'], { out: (t) => void (h += t), err: () => undefined }), path).toBe(0);
      expect(h, path).toBe(r.out);
    }));
  });

  it('tsvs admin answers --help as ipvsadm does (its usage, status 0); tsvs help admin gives the registry\'s', async () => {
    const [own, registered] = await Promise.all([tsvs('admin', '--help'), tsvs('help', 'admin')]);
    expect(own.code).toBe(0);
    expect(own.out).toMatch(/^ipvsadm v1\.31 /);
    expect(own.out).toContain('Usage:\n');
    expect(registered.out).toMatch(/^usage: tsvs admin \[--control-socket PATH\] IPVSADM-ARGS/);
  });

  it('--version and -V print the version in package.json', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const [long, short] = await Promise.all([tsvs('--version'), tsvs('-V')]);
    expect(long).toEqual({ code: 0, out: `tsvs ${version}\n`, err: '' });
    expect(short.out).toBe(`tsvs ${version}\n`);
  });

  it('usage errors: one line with one tsvs CMD prefix, the usage line, status 2', async () => {
    await Promise.all([
      expectUsage(['check'], 'check', '-c FILE is required (the lvs.cf to check)'),
      expectUsage(['replay'], 'replay', '-c FILE is required (the lvs.cf to use)'),
      expectUsage(['replay', '-c', 'x.cf', 'in.pcap'], 'replay', 'missing OUTDIR (where the pcaps the router would send go)'),
      expectUsage(['replay', '-c', 'x.cf', 'in.pcap', 'out', '--mac', 'eth0'], 'replay', '--mac eth0: want IFACE=MAC, e.g. eth0=52:54:00:12:34:56'),
      expectUsage(['simulate', '-c', 'x.cf', 'a', 'b'], 'simulate', 'unexpected argument "b"'),
      expectUsage(['start', '--dataplane', 'gpu'], 'start', '--dataplane gpu: want worker or inline'),
      expectUsage(['start', '-c', 'x.cf', '--backend', 'dpdk'], 'start', '--backend dpdk: want auto, native, pcap or xdp'),
      expectUsage(['capture'], 'capture', '-i IFACE is required (the interface to capture on)'),
      expectUsage(['lab', 'up', 'tunnel'], 'lab up', '"tunnel": want nat or dr (the routing method)'),
      expectUsage(['lab', 'status', '--name', 'Bad-Name'], 'lab status', /^tsvs lab status: --name Bad-Name: want 1-20 lower-case letters or digits/),
      expectUsage(['lab', 'frob'], 'lab', 'unknown command "frob" (commands: up, down, status)'),
      expectUsage(['bench'], 'bench', 'want a command: sched'),
    ]);
  });

  it('unknown options and missing values are our own messages', async () => {
    await Promise.all([
      expectUsage(['check', '--bogus'], 'check', 'unknown option --bogus'),
      expectUsage(['check', '-x', '-c', 'f'], 'check', 'unknown option -x'),
      expectUsage(['capture', '-i'], 'capture', '-i needs a value: IFACE'),
      expectUsage(['simulate', '-c', 'f', '--json=1'], 'simulate', '--json takes no value'),
      expectUsage(['demo', '--keep-alive', '--servers'], 'demo', '--servers needs a value: a whole number from 1 to 16'),
      expectUsage(['demo', '--vrrp'], 'demo', '--vrrp: VRRP elects between two routers; add --ha'),
      expectUsage(['bench', 'sched', '--bogus'], 'bench sched', 'unknown option --bogus'),
    ]);
    const [top, cmd] = await Promise.all([tsvs('--bogus'), tsvs('frobnicate')]);
    expect(top.code).toBe(2);
    expect(top.err).toBe('tsvs: unknown option --bogus\nusage: tsvs <command> [options]  (more: tsvs --help)\n');
    expect(cmd.code).toBe(2);
    expect(cmd.err).toMatch(/^tsvs: unknown command "frobnicate" \(commands: check, replay, /);
  });

  it('checks every number: whole, in range', async () => {
    await Promise.all([
      expectUsage(['capture', '-c', 'abc'], 'capture', '-c abc: want a whole number, at least 1'),
      expectUsage(['capture', '-i', 'lo', '--count', '0'], 'capture', '--count 0: want a whole number, at least 1'),
      expectUsage(['capture', '-i', 'lo', '--seconds', '1h'], 'capture', '--seconds 1h: want a number from 0.1 to 3600'),
      expectUsage(['demo', '--duration', '0'], 'demo', '--duration 0: want a whole number from 1 to 600'),
      expectUsage(['demo', '--servers', '17'], 'demo', '--servers 17: want a whole number from 1 to 16'),
      expectUsage(['demo', '--concurrency', '2.5'], 'demo', '--concurrency 2.5: want a whole number from 1 to 256'),
      expectUsage(['start', '-c', 'x.cf', '--conn-capacity', '1M'], 'start', '--conn-capacity 1M: want a whole number from 1 to 268435456'),
      expectUsage(['lab', 'up', 'nat', '--servers', '33'], 'lab up', '--servers 33: want a whole number from 1 to 32'),
      expectUsage(['bench', 'sched', '--rate', 'fast'], 'bench sched', '--rate fast: want a number, at least 0.001'),
      expectUsage(['bench', 'sched', '--seed', '-1'], 'bench sched', '--seed -1: want a whole number from 0 to 4294967295'),
    ]);
  });

  it('a command that runs and fails exits 1 with one prefixed line', async () => {
    const [bad, missing, noCapture] = await Promise.all([
      tsvs('check', '-c', 'test/fixtures/config/bad/BADNETMASK.cf'),
      tsvs('simulate', '-c', 'test/fixtures/config/no-such.cf'),
      tsvs('replay', '-c', 'test/fixtures/config/nat.cf', 'test/fixtures/pcap/no-such.pcap', '/tmp/tsvs-main-test-out'),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/BADNETMASK\.cf:\d+: BADNETMASK: /);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe('tsvs simulate: cannot read test/fixtures/config/no-such.cf: ENOENT\n');
    expect(noCapture.code).toBe(1);
    expect(noCapture.err.split('\n')[0]).toMatch(/^tsvs replay: .*no-such\.pcap/);
    expect(noCapture.err.split('tsvs replay:')).toHaveLength(2);
  });

  it('prints all of a listing into a pipe that is read slowly (past the pipe\'s 64 KiB), then exits', async () => {
    // A stand-in for the router's control API: 3000 connections, about 700 KiB of JSON from -c --json.
    const dir = mkdtempSync(join(tmpdir(), 'tsvs-main-'));
    const socket = join(dir, 'tsvs.sock');
    const conn = (k: number) => ({
      protocol: 'TCP', client: '198.18.0.100', clientPort: 1024 + k, virtual: '198.18.0.10', virtualPort: 80,
      dest: '198.19.0.11', destPort: 80, state: 'TIME_WAIT', expires: 100, template: false, forward: 'nat',
    });
    const server = createServer((req, res) => {
      const offset = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('offset') ?? 0);
      const conns = offset === 0 ? Array.from({ length: 3000 }, (_, k) => conn(k)) : [];
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ total: 3000, offset, conns }));
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const r = await new Promise<Run>((resolve, reject) => {
        const child = spawn(process.execPath, [MAIN, 'admin', '--control-socket', socket, '-L', '-n', '-c', '--json'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
        let out = '';
        let err = '';
        // Read nothing for a while: the child fills the pipe and must wait for it rather than exit.
        child.stdout.pause();
        setTimeout(() => child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d)).resume(), 500);
        child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, out, err }));
      });
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out.length).toBeGreaterThan(1 << 17);
      expect((JSON.parse(r.out) as { conns: unknown[] }).conns).toHaveLength(3000);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
