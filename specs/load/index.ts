export * from './problem.js';
export * from './tree-reader.js';
export * from './load-fleet.js';
export * from './yaml-source.js';
