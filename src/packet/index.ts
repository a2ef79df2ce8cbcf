// packet/: wire formats read and rewritten in place, plus checksums.
export * from './bytes.js';
export * from './checksum.js';
export * from './ethernet.js';
export * from './ipv4.js';
export * from './ipv6.js';
export * from './tcp.js';
export * from './udp.js';
export * from './icmp.js';
export * from './icmp6.js';
export * from './arp.js';
export * from './parse.js';
export * from './rewrite.js';
export * from './rewrite6.js';
export * from './build.js';
