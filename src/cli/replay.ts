// tsvs replay -c lvs.cf IN.pcap OUTDIR: runs a capture through the engine with
// the capture's timestamps as the clock and writes what the router would send,
// one pcap per egress interface, plus a summary of the counters.
import { makeDirs } from '../io/make-dirs.js';
import { join } from 'node:path';
import { Batch, VERDICT_TX } from '../frames/batch.js';
import { Engine } from '../engine/engine.js';
import { PcapReader } from '../io/pcap-reader.js';
import { PcapWriter } from '../io/pcap-writer.js';
import { parseIPv4, parseMac, type ServiceTable } from '../model/index.js';
import { FrameInfo, parseFrame, PARSE_ARP, PARSE_IPV4 } from '../packet/parse.js';
import { readU32 } from '../packet/bytes.js';
import { ARP_SHA, ARP_SPA } from '../packet/arp.js';
import { addNeighbours, describeInterfaces, interfaceFor, routerInterfaces } from '../router/setup.js';
import { loadConfig } from '../router/load.js';
import { defineCommand, EXIT_OK } from './registry.js';
import { replayTables } from './replay-table.js';

export interface ReplayOptions {
  config: string;
  input: string;
  outDir: string;
  macs?: Record<string, string>;
  neighbours?: string[];
  /** Treat every frame as arriving on this interface. */
  inIface?: string;
  connCapacity?: number;
}

export interface ReplayResult {
  read: number;
  sent: Record<string, number>;
  counters: Record<string, number>;
  missing: string[];
  report: string;
  engine: Engine;
}

export function replay(opts: ReplayOptions): ReplayResult {
  const { table, notes, connCapacity } = loadConfig(opts.config);
  const interfaces = routerInterfaces(table, opts.macs);
  // A capture's frames are addressed to the router of the network it was taken on, not to these MACs.
  const engine = new Engine({ interfaces, table, connCapacity: opts.connCapacity ?? connCapacity, acceptOtherHost: true });
  const names = engine.l2.ifNames;
  const fixedIn = opts.inIface === undefined ? -1 : names.indexOf(opts.inIface);
  if (opts.inIface !== undefined && fixedIn < 0) throw new Error(`--in ${opts.inIface}: lvs.cf names no such device (devices: ${names.join(', ')})`);
  const ingress = (data: Uint8Array): number => (fixedIn >= 0 ? fixedIn : ingressOf(table, names, data));
  learnFromCapture(engine, opts.input);
  addNeighbours(engine, table, opts.neighbours ?? []);

  makeDirs(opts.outDir);
  const writers = names.map((n) => new PcapWriter(join(opts.outDir, `${n}.pcap`)));
  const sent = new Array<number>(names.length).fill(0);
  const reader = new PcapReader(opts.input);
  // One frame read at a time; the room after it takes fragments held for that frame
  // (a first fragment that came after later ones: engine/frags.ts); the tailroom
  // frames that grow (LVS-TUN, ICMP errors).
  const batch = new Batch(128, 1 << 19, 1 << 17);
  let read = 0;
  try {
    for (let rec = reader.next(); rec; rec = reader.next()) {
      read++;
      batch.reset();
      batch.push(rec.data, ingress(rec.data));
      const ts = rec.tsMs;
      engine.process(batch, ts);
      for (let i = 0; i < batch.count; i++) {
        if (batch.verdict[i] !== VERDICT_TX) continue;
        writers[batch.ifOut[i]].write(ts, batch.frame(i));
        sent[batch.ifOut[i]]++;
      }
    }
  } finally {
    reader.close();
    for (const w of writers) w.close();
  }
  const counters = engine.counters.snapshot();
  const missing = engine.neigh.describeMissing();
  const sentBy = Object.fromEntries(names.map((n, i) => [n, sent[i]]));
  const lines = [
    `tsvs replay: ${read} frames read from ${opts.input}`,
    `router interfaces: ${describeInterfaces(interfaces)}`,
    `written: ${names.map((n, i) => `${join(opts.outDir, `${n}.pcap`)} (${sent[i]} frames)`).join(', ')}`,
    ...notes.map((n) => `note: ${n}`),
    ...(reader.truncated ? [`warning: ${reader.truncated.message}; the ${read} complete records before it were replayed`] : []),
    'counters:',
    ...Object.entries(counters).map(([k, v]) => `  ${k.padEnd(36)} ${v}`),
  ];
  if (missing.length) {
    lines.push(`next hop unknown (frames dropped, not lost silently): ${missing.join(', ')}`);
    lines.push('  give their MACs with --neigh IP=MAC, or replay a capture that shows their ARP or traffic');
  }
  lines.push('', replayTables(engine).trimEnd());
  return { read, sent: sentBy, counters, missing, report: lines.join('\n'), engine };
}

/** The interface a frame came in on: the one its sender's address is on-link for. */
function ingressOf(table: ServiceTable, names: string[], data: Uint8Array): number {
  const info = scratch;
  const r = parseFrame(data, 0, data.length, info);
  const src = r === PARSE_IPV4 ? info.saddr : r === PARSE_ARP ? readU32(data, info.l3 + ARP_SPA) : 0;
  const itf = interfaceFor(table, names, src, false);
  if (itf >= 0) return itf;
  // Not on-link anywhere: a client behind a gateway, arriving where the VIPs live.
  const vip = table.addresses.find((a) => a.role === 'vip');
  return vip ? Math.max(0, names.indexOf(vip.device)) : 0;
}
const scratch = new FrameInfo();

/**
 * Real servers' MACs "whatever the capture itself shows": their ARP, and their
 * frames. A first pass, so the first SYN already knows them; they are kept as
 * given (static), on the interface the router would reach each server on.
 */
function learnFromCapture(engine: Engine, input: string): void {
  const nb = engine.neigh;
  const reader = new PcapReader(input);
  try {
    for (let rec = reader.next(); rec; rec = reader.next()) {
      const d = rec.data;
      const r = parseFrame(d, 0, d.length, scratch);
      const ip = r === PARSE_ARP ? readU32(d, scratch.l3 + ARP_SPA) : r === PARSE_IPV4 ? scratch.saddr : 0;
      const n = ip === 0 ? 0 : nb.resolve(ip);
      if (n === 0 || nb.usable(n)) continue;
      nb.setStatic(ip, d, r === PARSE_ARP ? scratch.l3 + ARP_SHA : 6, nb.neighIf[n]);
    }
  } finally {
    reader.close();
  }
}

/** NAME=VALUE with both parts checked; the value as given. */
function pair(raw: string, checkName: (s: string) => boolean, checkValue: (s: string) => boolean, want: string): [string, string] {
  const m = /^([^=]+)=(.+)$/.exec(raw);
  if (!m || !checkName(m[1]) || !checkValue(m[2])) throw new Error(`want ${want}`);
  return [m[1], m[2]];
}

const isMac = (s: string): boolean => parseMac(s) !== null;

export const replayCommand = defineCommand({
  name: 'replay',
  summary: 'run a capture through the engine; write OUTDIR/<iface>.pcap and the counters',
  description: 'Runs a capture through the engine, the capture\'s timestamps as the clock, and writes what the\n' +
    'router would send, one pcap per egress interface (OUTDIR/<iface>.pcap), plus counters and\n' +
    'ipvsadm --stats figures. ARP and real-server traffic in the capture are learnt; a frame whose\n' +
    'next hop is unknown is counted and reported by address.',
  options: {
    config: { type: 'string', short: 'c', arg: 'FILE', required: true, help: 'the lvs.cf to use' },
    mac: {
      type: 'custom', arg: 'IFACE=MAC', want: 'IFACE=MAC, e.g. eth0=52:54:00:12:34:56', repeatable: true,
      help: 'the router\'s MAC on an interface (deterministic defaults are printed)',
      parse: (raw: string) => pair(raw, () => true, isMac, 'IFACE=MAC, e.g. eth0=52:54:00:12:34:56'),
    },
    neigh: {
      type: 'custom', arg: 'IP=MAC', want: 'IP=MAC, e.g. 198.19.0.11=52:54:00:12:34:56', repeatable: true,
      help: 'a neighbour\'s MAC address',
      parse: (raw: string) => pair(raw, (s) => parseIPv4(s) !== null, isMac, 'IP=MAC, e.g. 198.19.0.11=52:54:00:12:34:56').join('='),
    },
    in: { type: 'string', arg: 'IFACE', help: 'treat every frame as arriving on this interface' },
  },
  positionals: [
    { name: 'IN.pcap', help: 'the capture to run through the engine' },
    { name: 'OUTDIR', help: 'where the pcaps the router would send go' },
  ],
  run({ values, positionals, io }) {
    const res = replay({
      config: values.config,
      input: positionals[0],
      outDir: positionals[1],
      macs: Object.fromEntries(values.mac),
      neighbours: values.neigh,
      inIface: values.in,
    });
    io.out(res.report + '\n');
    return EXIT_OK;
  },
});
