// What meta's route plugins get: the parts of a running meta they may read and use.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../lib/log.js';
import type { MetaConfig } from './config.js';
import type { DesiredState } from './desired/desired-state.js';
import type { RetryRequests } from './desired/retry-requests.js';
import type { LoadGuard } from './http/load-guard.js';
import type { MetaMetrics } from './metrics/metrics.js';
import type { JumpSupervisor } from './jumps/jump-supervisor.js';
import type { DeviceRegistry } from './registry/device-registry.js';
import type { KnownDevices } from './registry/known-devices.js';
import type { Rollouts } from './rollouts/rollouts.js';
import type { FleetSource } from './source/fleet-source.js';
import type { RevisionTracker } from './notify/revision-tracker.js';
import type { ConditionTracker } from './status/condition-tracker.js';
import type { Store } from './store/store.js';
import type { Enrollments } from './enroll/enrollments.js';
import type { TokenSet } from './http/tokens.js';

export type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
/** An onRequest hook in callback style (no promise per request): the agents' hook. */
export type CallbackAuthHook = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void;

export interface MetaDeps {
  config: MetaConfig;
  log: Logger;
  /** Last good fleet, per-device documents, transforms, long-poll waiters. */
  desired: DesiredState;
  /** Operator requests to try a device's failed versions again (POST /v1/devices/:id/retry). */
  retries: RetryRequests;
  registry: DeviceRegistry;
  /** Every device id meta knows (reported or declared), sorted. */
  devices: KnownDevices;
  /** Staged rollouts: the gate, their state, the results API's views, "rollout changed" events. */
  rollouts: Rollouts;
  /** Jump servers' last reports and restart requests, "jump changed" events. */
  jumps: JumpSupervisor;
  store: Store;
  metrics: MetaMetrics;
  conditions: ConditionTracker;
  /** The applied revision's outcome per device, its recent history; notifies forges and webhooks. */
  revisions: RevisionTracker;
  source: FleetSource;
  load: LoadGuard;
  clock: { now(): number };
  /** Device enrollment records and credentials (/v1/enroll, /v1/enrollments). */
  enrollments: Enrollments;
  /** The fleet enrollment tokens (--enroll-token-file; replaced on SIGHUP); empty: enrollment is off. */
  enrollTokens: TokenSet;
  /** onRequest hooks: `app.addHook('onRequest', deps.auth.admin)` in a plugin's scope. */
  auth: { agent: AuthHook | CallbackAuthHook; admin: AuthHook };
}

export type RoutePlugin = (app: FastifyInstance, deps: MetaDeps) => Promise<void>;
