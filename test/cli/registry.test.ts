// The command registry, driven directly with a registry of test commands: typed
// values, every kind of usage error (one line, one prefix, status 2), failures
// (status 1), help, groups, and a raw command that gets its argv untouched.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defineCommand, defineGroup, defineRawCommand, UsageError, type Command } from '../../src/cli/registry.js';
import { runCli } from '../../src/cli/run.js';

let seen: unknown = null;

const probe = defineCommand({
  name: 'probe',
  summary: 'a command with every kind of option',
  options: {
    file: { type: 'string', short: 'f', arg: 'FILE', required: true, help: 'a file' },
    count: { type: 'number', short: 'c', arg: 'N', integer: true, min: 1, max: 10, default: 3, help: 'how many' },
    ratio: { type: 'number', arg: 'X', min: 0, max: 1, help: 'a share' },
    mode: { type: 'enum', choices: ['fast', 'slow'], default: 'fast', help: 'how' },
    tag: { type: 'string', arg: 'TAG', repeatable: true, help: 'a tag' },
    pair: { type: 'custom', arg: 'K=V', want: 'K=V', help: 'a pair', parse: (raw: string) => {
      const m = /^(\w+)=(\w+)$/.exec(raw);
      if (!m) throw new Error('want K=V');
      return [m[1], m[2]] as const;
    } },
    json: { type: 'boolean', short: 'j', help: 'JSON' },
  },
  positionals: [
    { name: 'WHAT', help: 'what to probe', choices: ['a', 'b'] },
    { name: 'MORE', help: 'optional', optional: true },
  ],
  run({ values, positionals, io }) {
    seen = { values, positionals };
    io.out('probed\n');
    return 0;
  },
});

const failing = defineCommand({
  name: 'fail',
  summary: 'fails the way its argument says',
  positionals: [{ name: 'HOW', help: 'usage, error or status', choices: ['usage', 'error', 'status'] }],
  run({ positionals }) {
    if (positionals[0] === 'usage') throw new UsageError('--x and --y do not go together');
    if (positionals[0] === 'error') throw new Error('the thing did not work\nsecond line');
    return 1;
  },
});

const raw = defineRawCommand({
  name: 'admin',
  summary: 'ipvsadm-style: parses its own argv',
  usage: '-A -t VIP:PORT -s SCHED | -L -n | ...',
  run(argv, io) {
    seen = argv;
    io.out('raw\n');
    return 0;
  },
});

const group = defineGroup({ name: 'grp', summary: 'a group', commands: [probe] });
const REGISTRY: Command[] = [probe, failing, raw, group];

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  seen = null;
  const code = await runCli(REGISTRY, argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

/** A usage error: status 2, nothing on stdout, the message once with one prefix, then the usage line. */
async function usageError(argv: string[], prefix: string, message: string): Promise<void> {
  const r = await cli(...argv);
  expect(r.code, argv.join(' ')).toBe(2);
  expect(r.out).toBe('');
  const lines = r.err.trimEnd().split('\n');
  expect(lines, argv.join(' ')).toHaveLength(2);
  expect(lines[0]).toBe(`${prefix}: ${message}`);
  expect(lines[0].split(`${prefix}:`)).toHaveLength(2);
  expect(lines[1]).toMatch(/^usage: tsvs .*\(more: tsvs .*--help\)$/);
  expect(seen).toBeNull(); // the handler did not run
}

describe('command registry', () => {
  it('hands the handler typed values: defaults, repeatables, booleans, custom parses, positionals', async () => {
    expect((await cli('probe', '-f', 'x.cf', 'a')).code).toBe(0);
    expect(seen).toEqual({ values: { file: 'x.cf', count: 3, ratio: undefined, mode: 'fast', tag: [], pair: undefined, json: false }, positionals: ['a'] });
    await cli('probe', 'b', 'more', '--file=y', '-c7', '--ratio', '0.25', '--mode', 'slow', '--tag', 't1', '--tag', 't2', '--pair', 'k=v', '-j');
    expect(seen).toEqual({ values: { file: 'y', count: 7, ratio: 0.25, mode: 'slow', tag: ['t1', 't2'], pair: ['k', 'v'], json: true }, positionals: ['b', 'more'] });
    await cli('probe', '-f', 'x', 'a', '--', '--json');
    expect(seen).toMatchObject({ values: { json: false }, positionals: ['a', '--json'] });
  });

  it('turns every bad argument into one line naming the flag and what it wants', async () => {
    const p = 'tsvs probe';
    await usageError(['probe', 'a'], p, '-f FILE is required (a file)');
    await usageError(['probe', '-f', 'x', 'a', '--bogus'], p, 'unknown option --bogus');
    await usageError(['probe', '-f', 'x', 'a', '-z'], p, 'unknown option -z');
    await usageError(['probe', '-f', 'x', 'a', '--count'], p, '--count needs a value: a whole number from 1 to 10');
    await usageError(['probe', '-f', '--json', 'a'], p, '-f needs a value: FILE');
    await usageError(['probe', '-f', 'x', 'a', '--json=yes'], p, '--json takes no value');
    await usageError(['probe', '-f', 'x', 'a', '-c', 'abc'], p, '-c abc: want a whole number from 1 to 10');
    await usageError(['probe', '-f', 'x', 'a', '-c', '2.5'], p, '-c 2.5: want a whole number from 1 to 10');
    await usageError(['probe', '-f', 'x', 'a', '-c', '11'], p, '-c 11: want a whole number from 1 to 10');
    await usageError(['probe', '-f', 'x', 'a', '-c', '0x5'], p, '-c 0x5: want a whole number from 1 to 10');
    await usageError(['probe', '-f', 'x', 'a', '--count='], p, '--count "": want a whole number from 1 to 10');
    await usageError(['probe', '-f', 'x', 'a', '--ratio', 'Infinity'], p, '--ratio Infinity: want a number from 0 to 1');
    await usageError(['probe', '-f', 'x', 'a', '--mode', 'medium'], p, '--mode medium: want fast or slow');
    await usageError(['probe', '-f', 'x', 'a', '--pair', 'k'], p, '--pair k: want K=V');
    await usageError(['probe', '-f', 'x'], p, 'missing WHAT (what to probe)');
    await usageError(['probe', '-f', 'x', 'c'], p, '"c": want a or b (what to probe)');
    await usageError(['probe', '-f', 'x', 'a', 'b', 'c'], p, 'unexpected argument "c"');
    await usageError(['grp', 'probe', 'a'], 'tsvs grp probe', '-f FILE is required (a file)');
    await usageError(['fail', 'usage'], 'tsvs fail', '--x and --y do not go together');
    await usageError(['nosuch'], 'tsvs', 'unknown command "nosuch" (commands: probe, fail, admin, grp)');
    await usageError(['--bogus'], 'tsvs', 'unknown option --bogus');
    await usageError(['grp'], 'tsvs grp', 'want a command: probe');
    await usageError(['grp', 'x'], 'tsvs grp', 'unknown command "x" (commands: probe)');
    await usageError(['help', 'grp', 'x'], 'tsvs help', 'unknown command "x" (commands: probe)');
  });

  it('a handler that fails is status 1 with one prefixed message; a returned status passes through', async () => {
    const r = await cli('fail', 'error');
    expect(r).toEqual({ code: 1, out: '', err: 'tsvs fail: the thing did not work\nsecond line\n' });
    expect(await cli('fail', 'status')).toEqual({ code: 1, out: '', err: '' });
  });

  it('prints help for every command, group and the registry; --help wins over bad arguments', async () => {
    const top = await cli('--help');
    expect(top.code).toBe(0);
    for (const line of ['probe', 'fail', 'admin', 'grp probe']) expect(top.out).toMatch(new RegExp(`^  ${line}\\s+\\S`, 'm'));
    expect(top.out).toContain('2  usage');
    expect((await cli('-h')).out).toBe(top.out);
    expect((await cli('help')).out).toBe(top.out);
    const none = await cli();
    expect(none.code).toBe(2);
    expect(none.err).toBe(top.out);

    const h = await cli('probe', '--bogus', '-h');
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/^usage: tsvs probe -f FILE WHAT \[MORE\] \[options\]\n/);
    expect(h.out).toMatch(/-c, --count N\s+how many \(whole, 1-10\) \[3\]/);
    expect(h.out).toMatch(/--tag TAG\s+a tag \(repeatable\)/);
    expect(h.out).toMatch(/-f, --file FILE\s+a file \(required\)/);
    expect(seen).toBeNull();
    expect((await cli('help', 'probe')).out).toBe(h.out);
    expect((await cli('grp', '--help')).out).toMatch(/^usage: tsvs grp <probe> \[options\]\n[\s\S]*commands:\n  probe  a command with every kind of option\n/);
    expect((await cli('help', 'grp')).code).toBe(0);
    expect((await cli('grp', 'probe', '--help')).out).toMatch(/^usage: tsvs grp probe /);
  });

  it('a raw command gets its argv untouched, --help included; tsvs help NAME still describes it', async () => {
    expect(await cli('admin', '-A', '-t', '10.0.0.1:80', '--help', '-s', 'rr')).toEqual({ code: 0, out: 'raw\n', err: '' });
    expect(seen).toEqual(['-A', '-t', '10.0.0.1:80', '--help', '-s', 'rr']);
    await cli('admin');
    expect(seen).toEqual([]);
    const h = await cli('help', 'admin');
    expect(h.out).toMatch(/^usage: tsvs admin -A -t VIP:PORT -s SCHED \| -L -n \| \.\.\.\n\nipvsadm-style: parses its own argv\n/);
  });

  it('prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(await cli('--version')).toEqual({ code: 0, out: `tsvs ${version}\n`, err: '' });
    expect((await cli('-V')).out).toBe(`tsvs ${version}\n`);
  });

  it('refuses a command whose options clash with --help or with each other', () => {
    expect(() => defineCommand({ name: 'x', summary: '', options: { host: { type: 'string', short: 'h', help: '' } }, run: () => 0 })).toThrow(/clashes/);
    expect(() => defineCommand({ name: 'x', summary: '', options: { help: { type: 'boolean', help: '' } }, run: () => 0 })).toThrow(/clashes/);
    expect(() => defineCommand({
      name: 'x', summary: '', run: () => 0,
      options: { a: { type: 'boolean', short: 'a', help: '' }, b: { type: 'boolean', short: 'a', help: '' } },
    })).toThrow(/-a is not one free letter/);
  });
});
