// The conn layer: connection table, TCP/UDP state machine, timeouts, dest counters.
export * from './dests.js';
export * from './tcp-states.js';
export * from './timeouts.js';
export * from './table.js';
export { hashEndpoint, hashTuple } from './hash.js';
export { TimerWheel, type WheelOwner } from './wheel.js';
