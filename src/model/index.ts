export * from './addr.js';
export * from './types.js';
export * from './table.js';
