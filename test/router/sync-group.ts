// Connection sync's multicast group in memory, for tests of two routers: what
// each one sent, and delivery to every member (the sender too, as multicast
// loops back: a host must ignore its own messages).
import type { SyncSettings, SyncTransportFactory } from '../../src/router/sync-socket.js';
import { newSyncRxStats, parseSyncMessage, type SyncConn } from '../../src/sync/wire.js';

export class Group {
  readonly sent: Array<{ from: number; bytes: Uint8Array }> = [];
  private readonly members: Array<{ s: SyncSettings; on: (b: Uint8Array, from: number) => void }> = [];
  open: SyncTransportFactory = (s, on) => {
    const m = { s, on };
    this.members.push(m);
    return { send: (b) => this.sent.push({ from: s.address, bytes: b.slice() }), close: () => this.members.splice(this.members.indexOf(m), 1) };
  };

  /** Every message so far to every member. */
  deliver(): void {
    for (const { from, bytes } of this.sent.splice(0)) for (const m of [...this.members]) m.on(bytes, from);
  }

  /** The conns of the messages not delivered yet (copies). */
  conns(): SyncConn[] {
    const got: SyncConn[] = [];
    for (const { bytes } of this.sent) parseSyncMessage(bytes, (c) => got.push({ ...c, addr6: c.addr6 && Int32Array.from(c.addr6) }), newSyncRxStats());
    return got;
  }
}
