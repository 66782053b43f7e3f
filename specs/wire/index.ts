export * from './desired.js';
export * from './heartbeat.js';
export * from './legacy.js';
export * from './jump-report.js';
export * from './enroll.js';
