// The IPVS connection-sync wire format, versions 0 and 1, as the Linux kernel
// speaks it (net/netfilter/ipvs/ip_vs_sync.c): a tsvs backup reads a kernel
// master's messages and a kernel backup reads tsvs's. This module is the entry:
// layout.ts holds the byte layout and the SyncConn record, writer.ts builds
// messages, parse.ts reads them, kernel-flags.ts maps flags between the kernel
// and tsvs. No sockets here: the sync daemon sends and receives the bytes.
export * from './layout.js';
export * from './kernel-flags.js';
export { SyncWriter, type SyncWriterOptions } from './writer.js';
export { newSyncRxStats, parseSyncMessage, type OnSyncConn, type SyncParseOptions, type SyncRxStats } from './parse.js';
