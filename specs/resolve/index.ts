export * from './canonical-json.js';
export * from './command-identity.js';
export * from './compile-fleet.js';
export * from './match-selector.js';
export * from './resolve-device.js';
