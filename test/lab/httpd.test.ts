// The lab's built-in real server on loopback: POST /sha256 answers the hash of
// what it received (uploads through the router are checked end to end with it).
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fillPattern, handle } from '../../src/lab/httpd.js';

let server: Server | null = null;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function start(): Promise<string> {
  server = createServer((req, res) => handle(req, res, { name: 'rs1', addr: '198.19.0.11', port: 0, host: '127.0.0.1' }));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('lab httpd', () => {
  it('POST /sha256 answers the sha256 and length of the body it received', async () => {
    const url = await start();
    const body = new Uint8Array(300_000);
    fillPattern(body, 0);
    const res = await fetch(`${url}/sha256`, { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-server')).toBe('rs1');
    expect(await res.text()).toBe(`${createHash('sha256').update(body).digest('hex')} 300000\n`);
  });

  it('POST elsewhere is refused with 405, naming what it takes', async () => {
    const url = await start();
    const res = await fetch(`${url}/bytes?n=1`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(405);
    expect(await res.text()).toBe('GET or HEAD only (and POST /sha256)\n');
  });
});
