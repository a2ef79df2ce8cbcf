// The sync daemon's sockets, as ipvsadm --start-daemon opens them in the kernel
// (ip_vs_sync.c make_send_sock, make_receive_sock): a master multicasts to the
// group and port with TTL 1 out of its sync interface's address; a backup binds
// the group and port and joins the group on that address. Both at once use two
// sockets, as the kernel runs two threads. The data plane's host (dataplane-host.ts)
// opens them through SyncTransportFactory, so tests hand it a memory one instead.
import { createSocket, type Socket } from 'node:dgram';
import { formatIPv4, parseIPv4 } from '../model/index.js';
import { SYNC_GROUP, SYNC_PORT } from '../sync/layout.js';
import type { Logger } from './log.js';

export type SyncRole = 'master' | 'backup' | 'both';

/** ipvsadm --start-daemon's options; role null stops the daemon. Addresses are uint32. */
export interface SyncSettings {
  role: SyncRole | null;
  /** This router's address on the sync interface (--mcast-interface): multicast leaves from it; messages from it are its own. */
  address: number;
  /** --syncid 0..255; 0: send 0 and accept every group's messages. */
  syncid?: number;
  /** net.ipv4.vs.sync_version: 1 (default) or 0 for kernels before 2.6.39. */
  version?: 0 | 1;
  /** --mcast-port, default 8848. */
  port?: number;
  /** --mcast-group, default 224.0.0.81. */
  group?: number;
  /** --mcast-ttl, default 1. */
  ttl?: number;
  /** --sync-maxlen; default as the kernel's (syncMaxlen in sync/layout.ts). */
  maxlen?: number;
  /**
   * tsvs's ha_key_file: messages go out sealed (ha/auth.ts, this router identified by `address`)
   * and only sealed ones from another router are read. Absent: IPVS's plain messages.
   */
  auth?: { key: Uint8Array };
}

export interface SyncTransport {
  /** Sends one message to the group (master). bytes may be reused after the call. */
  send(bytes: Uint8Array): void;
  close(): void;
}

/** Opens what the settings' role needs; messages received go to onMessage with their source address. */
export type SyncTransportFactory = (s: SyncSettings, onMessage: (bytes: Uint8Array, from: number) => void, log: Logger) => SyncTransport;

const isMaster = (s: SyncSettings): boolean => s.role === 'master' || s.role === 'both';
const isBackup = (s: SyncSettings): boolean => s.role === 'backup' || s.role === 'both';

/** UDP over IPv4 multicast (node:dgram). */
export const udpSyncTransport: SyncTransportFactory = (s, onMessage, log) => {
  const local = formatIPv4(s.address);
  const group = formatIPv4(s.group ?? SYNC_GROUP);
  const port = s.port ?? SYNC_PORT;
  const fields = { address: local, group, port };
  const warn = (what: string) => (e: Error) => log.warn(`connection sync: ${what}`, { ...fields, error: e.message });
  const tx = isMaster(s) ? sender(local, s.ttl ?? 1, warn('send socket failed')) : null;
  const rx = isBackup(s) ? receiver(local, group, port, onMessage, warn('receive socket failed')) : null;
  // A socket that cannot send fails every message: say so once, not per message.
  let failed = false;
  const sendFailed = (e: Error | null): void => {
    if (e === null || failed) return;
    failed = true;
    warn('sending failed (said once)')(e);
  };
  return {
    send: (bytes) => {
      if (tx === null) return;
      // dgram sends later than it is called: the bytes are copied, once per message.
      try {
        tx.send(Buffer.from(bytes), port, group, sendFailed);
      } catch (e) {
        sendFailed(e as Error);
      }
    },
    close: () => {
      closeQuietly(tx);
      closeQuietly(rx);
    },
  };
};

/** make_send_sock: bound to the interface's address, multicast out of it, TTL 1, no loop back to ourselves. */
function sender(local: string, ttl: number, onError: (e: Error) => void): Socket {
  const sock = createSocket({ type: 'udp4' });
  sock.on('error', onError);
  sock.bind({ address: local, port: 0 }, () => {
    sock.setMulticastInterface(local);
    sock.setMulticastTTL(ttl);
    sock.setMulticastLoopback(false);
  });
  return sock;
}

/** make_receive_sock: bound to the group and port, member of the group on the interface's address. */
function receiver(local: string, group: string, port: number, onMessage: (bytes: Uint8Array, from: number) => void, onError: (e: Error) => void): Socket {
  const sock = createSocket({ type: 'udp4', reuseAddr: true });
  sock.on('error', onError);
  sock.on('message', (msg, rinfo) => onMessage(msg, parseIPv4(rinfo.address) ?? 0));
  sock.bind({ address: group, port }, () => sock.addMembership(group, local));
  return sock;
}

/** close() throws on a socket that is already closed; stopping must not. */
function closeQuietly(sock: Socket | null): void {
  try {
    sock?.close();
  } catch {
    // already closed
  }
}
