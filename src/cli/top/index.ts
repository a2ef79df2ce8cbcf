// `tsvs top`: what the command registration needs.
export { topMain, type TopLoopOptions } from './loop.js';
export { parseTopArgs, TOP_USAGE, TopUsageError, type TopArgs } from './options.js';
export { renderTop, type TopSnapshot } from './render.js';
