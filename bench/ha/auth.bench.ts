// What ha_key_file costs (src/ha/auth.ts): sealing and opening one message, for
// a heartbeat (pulse's 4 bytes) and a full IPVS sync message (1472 - 32 bytes,
// what a master sends with the key). Each seal is one HMAC-SHA256 and one copy;
// each open one HMAC, a constant-time compare and the window update.
import { Opener, Sealer } from '../../src/ha/auth.js';
import { measure, type Row } from '../lib/report.js';

const KEY = new TextEncoder().encode('a-bench-key-of-32-bytes-........');
const A = 0xc6120002, B = 0xc6120003;

export function runAuthBench(opts: { quick?: boolean } = {}): Row[] {
  const minMs = opts.quick ? 200 : 1000;
  const rows: Row[] = [];
  for (const [what, size] of [['heartbeat', 4], ['sync message', 1472 - 32]] as const) {
    const payload = new Uint8Array(size).fill(7);
    const sealer = new Sealer(KEY, 'sync', A);
    const seal = measure((n) => {
      for (let i = 0; i < n; i++) sealer.seal(payload);
      return n;
    }, { minMs });
    // Open distinct messages in order (each a new counter), sealed ahead of time.
    const sealed = Array.from({ length: 50_000 }, () => sealer.seal(payload));
    let k = 0;
    const opener = new Opener(KEY, 'sync', B);
    const open = measure((n) => {
      for (let i = 0; i < n; i++) {
        if (k === sealed.length) k = 0; // wraps: later rounds measure refused replays, same HMAC work
        opener.open(sealed[k++]);
      }
      return n;
    }, { minMs });
    rows.push({ message: what, bytes: size, 'seal µs': +(seal.nsPerOp / 1000).toFixed(2), 'open µs': +(open.nsPerOp / 1000).toFixed(2), 'seals/s': Math.round(seal.opsPerSec), 'opens/s': Math.round(open.opsPerSec) });
  }
  return rows;
}
