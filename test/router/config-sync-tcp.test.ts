// Config sync's TCP exchange on the loopback interface (no namespaces): one
// length-prefixed request, one answer; the peer's address reaches the handler;
// a frame announcing more than the bound is closed unread.
import { createConnection } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../src/model/index.js';
import { MAX_CONFIG_BYTES, tcpTransport } from '../../src/router/config-sync.js';

const LO = parseIPv4('127.0.0.1')!;
const port = 20000 + Math.floor(Math.random() * 20000);

describe('config sync over TCP', () => {
  it('carries a request and its answer, with the peer address; null closes without an answer; an oversized frame is refused', async () => {
    const server = tcpTransport();
    const client = tcpTransport();
    const seen: Array<[string, number]> = [];
    await server.listen([LO], port, async (body, from) => {
      seen.push([Buffer.from(body).toString(), from]);
      return body.length === 4 ? Buffer.from('pong') : null;
    });
    try {
      expect(Buffer.from(await client.request(LO, port, Buffer.from('ping'))).toString()).toBe('pong');
      expect(seen).toEqual([['ping', LO]]);
      await expect(client.request(LO, port, Buffer.from('no answer for this'))).rejects.toThrow('no answer');
      // A peer announcing 2 MiB is cut off before anything reaches the handler.
      const closed = await new Promise<boolean>((resolve) => {
        const s = createConnection({ host: '127.0.0.1', port }, () => {
          const head = Buffer.alloc(4);
          head.writeUInt32BE(2 * MAX_CONFIG_BYTES);
          s.write(head);
        });
        s.on('close', () => resolve(true));
        s.on('error', () => {});
      });
      expect(closed).toBe(true);
      expect(seen).toHaveLength(2);
    } finally {
      server.close();
      client.close();
    }
    await expect(client.request(LO, port, Buffer.from('ping'))).rejects.toThrow('ECONNREFUSED');
  });
});
