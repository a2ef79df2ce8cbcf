#!/usr/bin/env node
// The tsvs command: a thin entry point that parses arguments and calls the
// command modules. Errors are one clear line on stderr and exit status 2.
import { parseArgs } from 'node:util';
import { checkFile } from '../config/check.js';
import { replay } from './replay.js';
import { simulate } from './simulate.js';
import { startCommand } from './start.js';
import { demo } from './demo.js';
import { labCommand } from '../lab/cli.js';
import { benchSchedCommand } from './bench-sched.js';
import { captureCommand } from './capture.js';

const USAGE = `usage: tsvs <command> [options]

commands:
  check -c FILE                 validate an lvs.cf and print the table it builds (ipvsadm -L -n layout)
  replay -c FILE IN.pcap OUTDIR run a capture through the engine; write OUTDIR/<iface>.pcap
        [--mac IFACE=MAC]... [--neigh IP=MAC]... [--in IFACE]
  simulate -c FILE [TRACE]      print the real server chosen for each "open" event
        [--json]                 (trace lines: TIME open|close PROTO CLIENT:PORT VIP:PORT)
  start -c FILE                 run the router in the foreground (root): SIGHUP reloads, SIGTERM stops
        [--backend auto|native|pcap] [--log-level L] [--log-json] [--stats-file PATH] [--conn-capacity N]
  lab up nat|dr [--servers N] [--name NAME] [--httpd KIND] [--no-offloads] [--private-addr]
  lab down [--name NAME] | lab status [--name NAME]
                                network-namespace testbeds with built-in real servers (root)
  capture -i IFACE [-f FILTER] [-w FILE] [-c N] [--seconds S]
                                what the router sees on an interface (pcap backend; offloads off for TCP)
  bench sched [options]         compare schedulers on simulated workloads: table, JSON, SVG chart
  demo [--duration S] [--servers N] [--concurrency C] [--keep-alive]
                                NAT lab + router + live HTTP traffic with live figures, then teardown (root)
`;

type Handler = (args: string[]) => Promise<number> | number;

function pairs(list: string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const m = /^([^=]+)=(.+)$/.exec(item);
    if (!m) throw new UsageError(`${flag} ${item}: want NAME=VALUE`);
    out[m[1]] = m[2];
  }
  return out;
}

class UsageError extends Error {}

function needConfig(c: string | undefined, cmd: string): string {
  if (!c) throw new UsageError(`tsvs ${cmd}: -c FILE (the lvs.cf to use) is required`);
  return c;
}

const commands: Record<string, Handler> = {
  start: (args) => startCommand(args),
  lab: (args) => labCommand(args),
  capture: (args) => captureCommand(args),
  bench(args) {
    if (args[0] !== 'sched') throw new UsageError('tsvs bench sched [options]: the scheduler benchmark (tsvs bench sched --help)');
    return benchSchedCommand(args.slice(1));
  },
  async demo(args) {
    const { values } = parseArgs({
      args,
      options: {
        duration: { type: 'string', default: '20' },
        servers: { type: 'string', default: '3' },
        concurrency: { type: 'string', default: '8' },
        name: { type: 'string', default: 'demo' },
        'keep-alive': { type: 'boolean', default: false },
      },
    });
    const num = (v: string, flag: string, lo: number, hi: number): number => {
      const x = Number(v);
      if (!Number.isInteger(x) || x < lo || x > hi) throw new UsageError(`--${flag} ${v}: want a whole number ${lo}..${hi}`);
      return x;
    };
    return demo({
      durationS: num(values.duration, 'duration', 1, 600),
      servers: num(values.servers, 'servers', 1, 16),
      concurrency: num(values.concurrency, 'concurrency', 1, 256),
      name: values.name,
      keepAlive: values['keep-alive'] ?? false,
    });
  },
  check(args) {
    const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
    const res = checkFile(needConfig(values.config, 'check'));
    (res.ok ? process.stdout : process.stderr).write(res.output.endsWith('\n') ? res.output : res.output + '\n');
    return res.ok ? 0 : 1;
  },
  replay(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        mac: { type: 'string', multiple: true },
        neigh: { type: 'string', multiple: true },
        in: { type: 'string' },
      },
    });
    if (positionals.length !== 2) throw new UsageError('tsvs replay -c FILE IN.pcap OUTDIR: want a capture and an output directory');
    const res = replay({
      config: needConfig(values.config, 'replay'),
      input: positionals[0],
      outDir: positionals[1],
      macs: pairs(values.mac, '--mac'),
      neighbours: values.neigh ?? [],
      inIface: values.in,
    });
    process.stdout.write(res.report + '\n');
    return 0;
  },
  async simulate(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } },
    });
    await simulate({ config: needConfig(values.config, 'simulate'), trace: positionals[0], json: values.json });
    return 0;
  },
};

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    process.stdout.write(USAGE);
    return cmd ? 0 : 2;
  }
  const handler = commands[cmd];
  if (!handler) {
    process.stderr.write(`tsvs: unknown command "${cmd}"\n${USAGE}`);
    return 2;
  }
  try {
    return await handler(rest);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`tsvs ${cmd}: ${msg}\n`);
    return 2;
  }
}

// Exit once the command is done: a closed capture or router can leave native
// handles (libpcap, uv_poll) behind. stdout and stderr are synchronous on Linux.
main(process.argv.slice(2)).then((code) => process.exit(code));
