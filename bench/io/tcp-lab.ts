// Three namespaces in a row for bulk TCP through a userspace forwarder:
//   A 198.18.1.1 a0 ── ma  M  mb ── b0 198.18.2.1 B
// M has no addresses and does not forward in its kernel: frames only cross it
// through the Forwarder on ma/mb, which rewrites their MACs like a router.
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { macBytes, type Route } from './forwarder.js';
import { NetnsLab } from './netns.js';

export interface TcpLab {
  lab: NetnsLab;
  a: string;
  m: string;
  b: string;
  /** Routes for a port opened on ['ma', 'mb'] in M. */
  routes: Route[];
}

export function tcpLab(opts: { offloads: boolean }): TcpLab {
  const lab = new NetnsLab();
  try {
    const a = lab.ns('a');
    const m = lab.ns('m');
    const b = lab.ns('b');
    const off = { offloads: opts.offloads };
    lab.veth(a, 'a0', m, 'ma', off);
    lab.veth(b, 'b0', m, 'mb', off);
    lab.sysctl(m, { 'net.ipv4.ip_forward': 0 });
    const mac = { a0: lab.mac(a, 'a0'), ma: lab.mac(m, 'ma'), mb: lab.mac(m, 'mb'), b0: lab.mac(b, 'b0') };
    lab.ip(a, 'addr', 'add', '198.18.1.1/24', 'dev', 'a0');
    lab.ip(a, 'neigh', 'add', '198.18.1.254', 'lladdr', mac.ma, 'dev', 'a0', 'nud', 'permanent');
    lab.ip(a, 'route', 'add', '198.18.2.0/24', 'via', '198.18.1.254', 'dev', 'a0');
    lab.ip(b, 'addr', 'add', '198.18.2.1/24', 'dev', 'b0');
    lab.ip(b, 'neigh', 'add', '198.18.2.254', 'lladdr', mac.mb, 'dev', 'b0', 'nud', 'permanent');
    lab.ip(b, 'route', 'add', '198.18.1.0/24', 'via', '198.18.2.254', 'dev', 'b0');
    const routes: Route[] = [
      { out: 1, dst: macBytes(mac.b0), src: macBytes(mac.mb) }, // in on ma: to B
      { out: 0, dst: macBytes(mac.a0), src: macBytes(mac.ma) }, // in on mb: to A
    ];
    return { lab, a, m, b, routes };
  } catch (e) {
    lab.cleanup();
    throw e;
  }
}

const RECEIVER = `
import socket, hashlib, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('198.18.2.1', 5001)); s.listen(1); print('ready', flush=True)
s.settimeout(30); c, _ = s.accept(); c.settimeout(30)
h = hashlib.sha256(); n = 0; t0 = None
while True:
    d = c.recv(1 << 20)
    if not d: break
    if t0 is None: t0 = time.perf_counter()
    h.update(d); n += len(d)
print(n, h.hexdigest(), flush=True)
print(time.perf_counter() - (t0 or time.perf_counter()), flush=True)
`;

const SENDER = `
import socket, hashlib, random, sys
data = random.Random(7).randbytes(int(sys.argv[1]))
print(len(data), hashlib.sha256(data).hexdigest(), flush=True)
s = socket.create_connection(('198.18.2.1', 5001), timeout=30)
s.sendall(data); s.close()
`;

export interface Transfer {
  /** "<bytes> <sha256>" as the sender and the receiver saw them. */
  sent: string;
  received: string;
  /** First byte to last at the receiver. */
  seconds: number;
  mbitPerSec: number;
}

function lines(c: ChildProcess): string[] {
  const out: string[] = [];
  let acc = '';
  c.stdout!.on('data', (d: Buffer) => {
    acc += d.toString();
    const parts = acc.split('\n');
    acc = parts.pop()!;
    out.push(...parts);
  });
  return out;
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Sends `bytes` of TCP from A to B (python3 at both ends) and reports what arrived; at most `timeoutMs`. */
export async function transfer(t: TcpLab, bytes: number, timeoutMs = 20_000): Promise<Transfer> {
  const rx = t.lab.spawn(t.b, 'python3', ['-c', RECEIVER]);
  const rxOut = lines(rx);
  let err = '';
  rx.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await until(() => rxOut.includes('ready'), 5000, 'the receiver');
  const start = performance.now();
  const tx = t.lab.spawn(t.a, 'python3', ['-c', SENDER, String(bytes)]);
  const txOut = lines(tx);
  tx.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  try {
    await until(() => rxOut.length >= 3 || rx.exitCode !== null, timeoutMs, `${bytes} bytes to cross (stderr: ${err})`);
  } finally {
    for (const c of [tx, rx]) if (c.exitCode === null) c.kill('SIGKILL');
  }
  // From the first byte to the last at the receiver (not counting python's start-up); wall time as a fallback.
  const seconds = Number(rxOut[2]) || (performance.now() - start) / 1000;
  if (tx.exitCode === null) await once(tx, 'exit');
  return { sent: txOut[0] ?? '', received: rxOut[1] ?? `(nothing: ${err})`, seconds, mbitPerSec: (bytes * 8) / seconds / 1e6 };
}
