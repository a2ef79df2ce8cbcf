// tsvs capture -i IFACE: what the router sees on an interface, through the
// portable pcap backend, one line per frame (or a pcap file with -w). For
// debugging; bounded by --count and --seconds. The pcap backend cannot carry
// GSO super-frames: turn the interface's offloads off to see TCP whole
// (ethtool -K IFACE tso off gso off gro off tx off rx off); it warns when on.
import { Batch } from '../frames/batch.js';
import { PcapPort } from '../io/pcap-port.js';
import { PcapWriter } from '../io/pcap-writer.js';
import { formatIPv4, formatMac } from '../model/index.js';
import { FrameInfo, parseFrame, PARSE_ARP, PARSE_IPV4, PARSE_RESULT_NAMES } from '../packet/parse.js';
import { defineCommand } from './registry.js';

const PROTO: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP' };
const FLAGS = 'FSRPAUEC';

/** One line for a frame, tcpdump-like. */
export function describeFrame(frame: Uint8Array, info = new FrameInfo()): string {
  const r = parseFrame(frame, 0, frame.length, info);
  const macs = `${formatMac(frame, 6)} > ${formatMac(frame, 0)}`;
  if (r === PARSE_ARP) return `${macs} ARP ${info.arpOp === 1 ? 'who-has' : 'reply'} ${formatIPv4(info.arpTpa)} tell ${formatIPv4(info.arpSpa)}`;
  if (r !== PARSE_IPV4) return `${macs} ${PARSE_RESULT_NAMES[r]} len ${frame.length}`;
  const p = PROTO[info.proto] ?? `proto ${info.proto}`;
  const ports = info.proto === 6 || info.proto === 17;
  const src = `${formatIPv4(info.saddr)}${ports ? `:${info.sport}` : ''}`;
  const dst = `${formatIPv4(info.daddr)}${ports ? `:${info.dport}` : ''}`;
  const flags = info.proto === 6 ? ` [${[...FLAGS].filter((_, k) => info.tcpFlags & (1 << k)).join('') || '.'}]` : '';
  const icmp = info.proto === 1 ? ` type ${info.icmpType} code ${info.icmpCode}` : '';
  return `${macs} ${p} ${src} > ${dst}${flags}${icmp} len ${info.totalLen}${info.isFragment ? ' frag' : ''}`;
}

export const captureCommand = defineCommand({
  name: 'capture',
  summary: 'what the router sees on an interface (pcap backend): one line per frame, or a pcap file',
  description: 'What the router sees on an interface, through the pcap backend: one tcpdump-like line per frame\n' +
    'from tsvs\'s own parser, or a pcap file with -w. Bounded by --count and --seconds. The pcap backend\n' +
    'cannot carry GSO super-frames: turn the interface\'s offloads off to see TCP whole\n' +
    '(ethtool -K IFACE tso off gso off gro off tx off rx off); it warns when they are on.',
  options: {
    interface: { type: 'string', short: 'i', arg: 'IFACE', required: true, help: 'the interface to capture on' },
    filter: { type: 'string', short: 'f', arg: 'FILTER', help: 'a libpcap filter, e.g. "tcp port 80"' },
    write: { type: 'string', short: 'w', arg: 'FILE', help: 'write the frames to a pcap file instead of printing them' },
    count: { type: 'number', short: 'c', arg: 'N', integer: true, min: 1, default: 100, help: 'stop after N frames' },
    seconds: { type: 'number', arg: 'S', min: 0.1, max: 3600, default: 10, help: 'stop after S seconds' },
  },
  run: ({ values }) => capture(values),
});

async function capture(values: { interface: string; filter?: string; write?: string; count: number; seconds: number }): Promise<number> {
  const { count, seconds } = values;
  const port = new PcapPort([values.interface], { filter: values.filter, warn: (m) => process.stderr.write(`tsvs capture: ${m}\n`) });
  const writer = values.write ? new PcapWriter(values.write) : null;
  const batch = new Batch(256, 4 << 20);
  const info = new FrameInfo();
  let seen = 0;
  return new Promise<number>((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      port.close();
      writer?.close();
      process.stderr.write(`tsvs capture: ${seen} frame${seen === 1 ? '' : 's'}${writer ? ` written to ${values.write}` : ''}\n`);
      resolve(0);
    };
    const timer = setTimeout(finish, seconds * 1000);
    port.onReadable(() => {
      batch.reset();
      const n = port.rx(batch, batch.capacity);
      for (let i = 0; i < n && seen < count; i++, seen++) {
        const f = batch.frame(i);
        if (writer) writer.write(Date.now(), f);
        else process.stdout.write(`${new Date().toISOString().slice(11, 23)} ${describeFrame(f, info)}\n`);
      }
      if (seen >= count) finish();
    });
  });
}
