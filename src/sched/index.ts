export * from './types.js';
export * from './names.js';
export * from './registry.js';
export { hash32, hsiphash32, legacyHash } from './hash.js';
export { MH_PRIMES, MH_DEFAULT_SIZE } from './mh.js';
export { xorshift32 } from './random.js';
