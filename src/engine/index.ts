export * from './counters.js';
export * from './engine.js';
export * from './l2.js';
export * from './services.js';
