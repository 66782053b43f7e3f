// The fleet repository's schema, its loader, per-device resolution and the wire protocol.
// Pure: no I/O beyond what a TreeReader passed in does.
export * from './schema/index.js';
export * from './load/index.js';
export * from './resolve/index.js';
export * from './wire/index.js';
export * from "./diff/diff-fleets.js";
export * from "./diff/format-diff.js";
export * from "./diff/compare-versions.js";
