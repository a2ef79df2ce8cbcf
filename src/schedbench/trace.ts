// The flow-event trace of `tsvs simulate` and the scheduler benchmark (here,
// below cli/, since the benchmark's workloads are read from it):
//   TIME open|close PROTO CLIENT_IP:PORT VIP:PORT     # comment
// TIME in seconds (fractions allowed), non-decreasing.
import { parseIPv4 } from '../model/index.js';

export interface FlowEvent {
  time: number;
  kind: 'open' | 'close';
  proto: 'tcp' | 'udp';
  client: number;
  cport: number;
  vip: number;
  vport: number;
  line: number;
}

export class TraceError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
    this.name = 'TraceError';
  }
}

function endpoint(text: string): [number, number] | null {
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(text);
  if (!m) return null;
  const addr = parseIPv4(m[1]);
  const port = Number(m[2]);
  return addr === null || port > 65535 ? null : [addr, port];
}

export function parseTraceLine(raw: string, file: string, line: number, prevTime: number): FlowEvent | null {
  const text = raw.replace(/#.*/, '').trim();
  if (!text) return null;
  const f = text.split(/\s+/);
  const fail = (msg: string): never => {
    throw new TraceError(file, line, msg);
  };
  if (f.length !== 5) fail(`want "TIME open|close PROTO CLIENT_IP:PORT VIP:PORT", got ${f.length} fields`);
  const time = Number(f[0]);
  if (!Number.isFinite(time) || time < 0) fail(`time "${f[0]}" is not a number of seconds >= 0`);
  if (time < prevTime) fail(`time ${time} goes back (previous event at ${prevTime})`);
  if (f[1] !== 'open' && f[1] !== 'close') fail(`event "${f[1]}" is neither open nor close`);
  const proto = f[2].toLowerCase();
  if (proto !== 'tcp' && proto !== 'udp') fail(`protocol "${f[2]}" is neither tcp nor udp`);
  const c = endpoint(f[3]) ?? fail(`client "${f[3]}" is not IP:PORT`);
  const v = endpoint(f[4]) ?? fail(`virtual service "${f[4]}" is not IP:PORT`);
  return { time, kind: f[1] as FlowEvent['kind'], proto: proto as FlowEvent['proto'], client: c[0], cport: c[1], vip: v[0], vport: v[1], line };
}

export function parseTrace(text: string, file: string): FlowEvent[] {
  const events: FlowEvent[] = [];
  let prev = 0;
  text.split('\n').forEach((raw, i) => {
    const ev = parseTraceLine(raw, file, i + 1, prev);
    if (ev) {
      events.push(ev);
      prev = ev.time;
    }
  });
  return events;
}
