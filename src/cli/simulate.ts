// tsvs simulate -c lvs.cf [TRACE]: for each `open` event prints the real server
// the engine chose, `CLIENT VIP -> RIP:PORT`, or `-> none (reason)`.
import { createInterface } from 'node:readline';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { loadConfig } from '../router/load.js';
import { formatEndpoint, Simulator } from '../router/simulator.js';
import { parseTraceLine } from '../schedbench/trace.js';
import { defineCommand, EXIT_OK } from './registry.js';

export interface SimulateOptions {
  config: string;
  trace?: string;
  json?: boolean;
  out?: (line: string) => void;
}

export async function simulate(opts: SimulateOptions): Promise<{ opens: number; placed: Map<string, number> }> {
  const { table, connCapacity } = loadConfig(opts.config);
  const sim = new Simulator(table, connCapacity);
  const print = opts.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const input: Readable = opts.trace && opts.trace !== '-' ? createReadStream(opts.trace) : process.stdin;
  const file = opts.trace && opts.trace !== '-' ? opts.trace : '<stdin>';
  const placed = new Map<string, number>();
  let prev = 0;
  let lineNo = 0;
  let opens = 0;
  for await (const raw of createInterface({ input, crlfDelay: Infinity })) {
    const ev = parseTraceLine(raw, file, ++lineNo, prev);
    if (!ev) continue;
    prev = ev.time;
    const now = ev.time * 1000;
    if (ev.kind === 'close') {
      sim.close(ev, now);
      continue;
    }
    opens++;
    const d = sim.open(ev, now);
    const client = formatEndpoint(ev.client, ev.cport);
    const vip = formatEndpoint(ev.vip, ev.vport);
    const server = d.reason ? null : formatEndpoint(d.server, d.port);
    const key = server ?? `none (${d.reason})`;
    placed.set(key, (placed.get(key) ?? 0) + 1);
    if (opts.json) {
      print(JSON.stringify({ time: ev.time, proto: ev.proto, client, vip, server, reason: d.reason || undefined }));
    } else {
      print(`${client} ${vip} -> ${server ?? `none (${d.reason})`}`);
    }
  }
  if (!opts.json && opens > 0) {
    print(`# ${opens} opens: ${[...placed].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
  return { opens, placed };
}

export const simulateCommand = defineCommand({
  name: 'simulate',
  summary: 'print the real server the engine chooses for each "open" of a flow trace',
  description: 'Flow events from a file or stdin drive the real engine with synthetic frames (handshake, FIN\n' +
    'exchange); prints CLIENT VIP -> RIP:PORT, or -> none (reason), per open. Trace lines:\n' +
    '  TIME open|close PROTO CLIENT_IP:PORT VIP:PORT     # comment',
  options: {
    config: { type: 'string', short: 'c', arg: 'FILE', required: true, help: 'the lvs.cf to use' },
    json: { type: 'boolean', help: 'one JSON object per open' },
  },
  positionals: [{ name: 'TRACE', help: 'the trace file (- or none: stdin)', optional: true }],
  async run({ values, positionals, io }) {
    await simulate({ config: values.config, trace: positionals[0], json: values.json, out: (l) => io.out(l + '\n') });
    return EXIT_OK;
  },
});
