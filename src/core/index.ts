// Barrel of the core layer: contracts, rng, errors, config schema, define* helpers, tree store.
export * from './errors.js';
export * from './hash.js';
export * from './rng.js';
export * from './types.js';
export * from './plugin.js';
export * from './issues.js';
export * from './config.js';
export * from './tree.js';
export * from './exclusion.js';
export * from './text.js';
export * from './worked.js';
