// A bounded traffic generator of our own (LAB-NOTES gotcha 9: trafgen aborts here):
// a child process in a namespace that sends one frame over and over (or a few of the
// same length in turn: one per flow) with the native addon's sendmmsg, blocking, in
// batches of 256, until `seconds` or `count` is reached, then writes
// {"sent":N,"seconds":S} to its stdout file.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { addonPath, F_BLOCKING, F_QDISC_BYPASS } from '../../src/io/native.js';

// Plain CommonJS for `node -e`: it runs from the compiled bench and from vitest alike.
const SCRIPT = `
const a = require(process.env.ADDON);
const frames = Buffer.from(process.env.FRAME, 'hex'), flen = Number(process.env.FRAME_LEN), nf = frames.length / flen;
const seconds = Number(process.env.SECONDS), max = Number(process.env.COUNT), cap = 256;
const h = a.open(process.env.DEV, null, 0, 0, ${F_QDISC_BYPASS | F_BLOCKING}, -1);
const stride = (flen + 63) & ~63;
const buf = new Uint8Array(cap * stride), off = new Uint32Array(cap), len = new Uint32Array(cap);
const u8 = () => new Uint8Array(cap), u16 = () => new Uint16Array(cap);
const v = [buf, off, len, u8(), u8(), u8(), u8(), u8(), u8(), u16(), u16(), u16(), u16()];
for (let i = 0; i < cap; i++) { buf.set(frames.subarray((i % nf) * flen, (i % nf + 1) * flen), i * stride); off[i] = i * stride; len[i] = flen; v[5][i] = 1; }
let sent = 0;
const t0 = process.hrtime.bigint(), end = t0 + BigInt(Math.round(seconds * 1e9));
while (sent < max && process.hrtime.bigint() < end) sent += a.tx(h, v, Math.min(cap, max - sent), 0);
const s = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(JSON.stringify({ sent, seconds: s }) + '\\n');
`;

export interface GeneratorRun {
  child: ChildProcess;
  /** The result once the generator is done, else null; throws when it died without one. */
  result(): { sent: number; seconds: number } | null;
}

/** Whether `pid` still runs (not gone, not a zombie), read from /proc: works without yielding to the event loop. */
function running(pid: number | undefined): boolean {
  try {
    return pid !== undefined && !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Starts the generator in namespace `ns` on `dev`, pinned to the last CPU when there
 * are several (the forwarder keeps the others). Several frames (all of one length,
 * at most 256) are sent in turn. Returns at once: the caller may busy-poll meanwhile.
 */
export function startGenerator(ns: string, dev: string, frame: Uint8Array | Uint8Array[], seconds: number, count: number, outFile: string): GeneratorRun {
  const frames = Array.isArray(frame) ? frame : [frame];
  if (frames.length < 1 || frames.length > 256 || frames.some((f) => f.length !== frames[0].length)) throw new RangeError('startGenerator: 1 to 256 frames, all of one length');
  const fd = openSync(outFile, 'w');
  const n = cpus().length;
  const cmd = n > 1 ? ['taskset', '-c', String(n - 1), process.execPath] : [process.execPath];
  const child = spawn('ip', ['netns', 'exec', ns, ...cmd, '-e', SCRIPT], {
    stdio: ['ignore', fd, 'inherit'],
    env: { ...process.env, ADDON: addonPath(), FRAME: Buffer.concat(frames).toString('hex'), FRAME_LEN: String(frames[0].length), SECONDS: String(seconds), COUNT: String(count), DEV: dev },
  });
  closeSync(fd);
  return {
    child,
    result() {
      const alive = running(child.pid); // before reading, so a result written just before exiting is seen
      const text = readFileSync(outFile, 'utf8').trim();
      if (text) return JSON.parse(text) as { sent: number; seconds: number };
      if (!alive) throw new Error('the generator exited without a result (see its stderr above)');
      return null;
    },
  };
}
