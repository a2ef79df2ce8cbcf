// A bounded HTTP load generator for the lab, run inside the client namespace:
//   node dist/src/lab/loadgen.js --url http://198.18.0.10/ --concurrency 8 --duration 10
// Stops by itself at --duration seconds or --max-requests, whichever first.
// Prints one JSON line per second ({"t":..,"ok":..,"errors":..,"bytes":..}) and
// a final {"done":true,...} line with the count per real server (the built-in
// HTTP server names itself first in its body).
import http from 'node:http';
import { parseArgs } from 'node:util';

export interface LoadResult {
  done: true;
  ok: number;
  errors: number;
  bytes: number;
  seconds: number;
  byServer: Record<string, number>;
  errorKinds: Record<string, number>;
}

export interface LoadOptions {
  url: string;
  concurrency: number;
  durationS: number;
  maxRequests: number;
  keepAlive: boolean;
  onSecond?: (line: object) => void;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: o.keepAlive, maxSockets: o.concurrency });
  const started = Date.now();
  const deadline = started + o.durationS * 1000;
  const res: LoadResult = { done: true, ok: 0, errors: 0, bytes: 0, seconds: 0, byServer: {}, errorKinds: {} };
  let issued = 0;
  let last = { ok: 0, errors: 0, bytes: 0 };
  const ticker = setInterval(() => {
    o.onSecond?.({ t: Math.round((Date.now() - started) / 1000), ok: res.ok - last.ok, errors: res.errors - last.errors, bytes: res.bytes - last.bytes });
    last = { ok: res.ok, errors: res.errors, bytes: res.bytes };
  }, 1000);
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      let settled = false;
      const fail = (kind: string): void => {
        if (settled) return;
        settled = true;
        res.errors++;
        res.errorKinds[kind] = (res.errorKinds[kind] ?? 0) + 1;
        resolve();
      };
      const req = http.get(o.url, { agent, timeout: 5000, headers: o.keepAlive ? {} : { connection: 'close' } }, (r) => {
        let head = '';
        r.on('data', (c: Buffer) => {
          res.bytes += c.length;
          if (head.length < 64) head += c.toString('utf8', 0, 64);
        });
        r.on('end', () => {
          if (settled) return;
          settled = true;
          const who = head.split(/\s/)[0] || '?';
          res.byServer[who] = (res.byServer[who] ?? 0) + 1;
          if (r.statusCode === 200) res.ok++;
          else res.errors++;
          resolve();
        });
        r.on('error', () => fail('response'));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    });
  const worker = async (): Promise<void> => {
    while (Date.now() < deadline && issued < o.maxRequests) {
      issued++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  clearInterval(ticker);
  agent.destroy();
  res.seconds = (Date.now() - started) / 1000;
  return res;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      concurrency: { type: 'string', default: '4' },
      duration: { type: 'string', default: '10' },
      'max-requests': { type: 'string', default: '1000000' },
      'keep-alive': { type: 'boolean', default: false },
    },
  });
  if (!values.url) throw new Error('--url is required');
  const out = (l: object): void => void process.stdout.write(JSON.stringify(l) + '\n');
  const r = await runLoad({
    url: values.url,
    concurrency: Math.max(1, Math.min(256, Number(values.concurrency))),
    durationS: Math.max(0.1, Math.min(600, Number(values.duration))),
    maxRequests: Math.max(1, Number(values['max-requests'])),
    keepAlive: values['keep-alive'] ?? false,
    onSecond: out,
  });
  out(r);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: Error) => {
    process.stderr.write(`loadgen: ${e.message}\n`);
    process.exitCode = 2;
  });
}
