// The sync daemon's UDP multicast sockets on the loopback interface (no
// namespaces): a master's message reaches a backup that joined the group, with
// the master's address as its source, which the backup uses to drop its own.
import { describe, expect, it } from 'vitest';
import { parseIPv4 } from '../../src/model/index.js';
import { udpSyncTransport } from '../../src/router/sync-socket.js';
import type { Logger } from '../../src/router/log.js';

const port = 20000 + Math.floor(Math.random() * 20000);

describe('udpSyncTransport', () => {
  it('multicasts from the master address to the group, received by a member with its source', async (ctx) => {
    const problems: string[] = [];
    const log: Logger = { debug() {}, info() {}, warn: (m, f) => problems.push(`${m} ${JSON.stringify(f)}`), error() {} };
    const got: Array<[number[], number]> = [];
    const backup = udpSyncTransport({ role: 'backup', address: parseIPv4('127.0.0.1')!, port }, (b, from) => got.push([[...b], from]), log);
    const master = udpSyncTransport({ role: 'master', address: parseIPv4('127.0.0.2')!, port }, () => {}, log);
    try {
      await new Promise((r) => setTimeout(r, 100));
      master.send(Uint8Array.of(0, 7, 0, 4));
      for (let k = 0; k < 20 && got.length === 0 && problems.length === 0; k++) await new Promise((r) => setTimeout(r, 50));
      // A host whose loopback has no multicast cannot run this; say why instead of failing.
      if (got.length === 0 && problems.length > 0) ctx.skip(`no multicast on the loopback interface: ${problems[0]}`);
      expect(got).toEqual([[[0, 7, 0, 4], parseIPv4('127.0.0.2')]]);
    } finally {
      master.close();
      backup.close();
    }
  });
});
