// A Store that keeps nothing and reads back nothing: for tests and benchmarks of meta's in-memory
// parts (the registry, the rollout gate…) where the store is measured or tested elsewhere.
import type { Store } from '../../reconciler/store/store.js';

export function nullStore(): Store {
  return {
    kind: 'null', loadDevices: async () => [], putDevice() {}, putLastSeen() {}, putCommandResults() {}, putConditionChange() {},
    commandResults: async () => [], conditionHistory: async () => [], flush: async () => {}, commit: async () => {}, close: async () => {},
    loadRolloutRecords: async () => ({ rollouts: [], baselines: [], identities: [] }), putRollout() {}, putBaseline() {}, putCommandIdentities() {}, putResultRevisions() {},
    resultRevisions: async () => new Map(), loadSessions: async () => [], session: async () => null, putSession() {}, deleteSession() {}, loadJumpReports: async () => [], putJumpReport() {},
    loadRetryRequests: async () => [], putRetryRequests() {}, loadJumpRestarts: async () => [], putJumpRestart() {}, loadEnrollments: async () => [], enrollment: async () => null, saveEnrollment: async () => {},
    stats: () => ({ pendingWrites: 0, flushes: 0, flushErrors: 0, lastFlushAt: null, lastError: null }),
  };
}
