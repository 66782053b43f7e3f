// One rollout for the fleet, not one per meta: with several metas on one store, the leader (the
// meta holding the store's leader lock) alone releases steps and pauses rollouts, and writes each
// decision to the store, committed before it serves what the decision releases; the other metas
// adopt it when told (a `rollout` event, within about a second) and wake the long polls of the
// devices it released. Package baselines other metas write arrive the same way (the store's change
// feed), so every meta serves a device the same package version. A meta that becomes the leader
// first loads every decided state, then decides. A resume asked of a follower is passed to the leader.
import { errorMessage } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { SharedStore } from '../store/store.js';
import type { PersistedRollout } from './rollout-store.js';
import type { RolloutGate } from './rollout-gate.js';

export interface RolloutSharing {
  /** For the gate: true while this meta is the leader and has loaded the shared states. */
  decides(): boolean;
  /** For the gate: writes a decision (the leader only), resolving once it is committed and announced. */
  commit(rollout: PersistedRollout): Promise<void>;
  /** Starts following (once the gate exists). */
  attach(gate: RolloutGate): void;
  /** Passes a resume to the leader (on a follower). */
  askResume(key: string): Promise<void>;
  /** Passes an admin's pause to the leader (on a follower). */
  askPause(key: string): Promise<void>;
  close(): void;
}

export function shareRollouts(shared: SharedStore, log: Logger): RolloutSharing {
  let gate: RolloutGate | null = null;
  let deciding = false;
  let closed = false;
  const offs: (() => void)[] = [];
  const load = async (): Promise<void> => {
    const rows = await shared.loadRolloutStates();
    for (const row of rows) gate?.applyShared(row.key, row.state, row.updatedAt);
  };
  // The leader flushes the reports a decision was made from before committing it: read them first,
  // so a pause is adopted with its failing devices known here.
  const loadOne = async (key: string): Promise<void> => {
    await shared.catchUp();
    for (const row of await shared.loadRolloutStates([key])) gate?.applyShared(row.key, row.state, row.updatedAt);
  };

  // Decide only from the latest shared states (never from this meta's possibly older ones).
  const lead = (): void => {
    void load().then(
      () => {
        if (closed || !shared.isLeader()) return;
        deciding = true;
        gate?.reevaluate();
      },
      (err: unknown) => log.error({ err: errorMessage(err) }, 'rollouts: loading the shared states failed; not deciding'),
    );
  };

  return {
    decides: () => deciding,
    async commit(r) {
      // The gate applies a decision only once this resolves: what it releases is in the store first.
      if (!deciding) throw new Error('not the leader');
      await shared.saveRolloutState(r);
    },
    attach(g) {
      gate = g;
      offs.push(
        shared.onEvent((topic, payload) => {
          if (topic === 'rollout') void loadOne(payload).catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'rollouts: reading a shared state failed'));
          else if (topic === 'rollout-resume' && deciding) gate?.resume(payload);
          else if (topic === 'rollout-pause' && deciding) gate?.pause(payload);
        }),
        // What other metas released to each device (package baselines): every meta gates alike.
        shared.onRemoteBaselines((rows) => gate?.applyRemoteBaselines(rows)),
        shared.onLeadership((leader) => {
          if (leader) lead();
          else deciding = false;
        }),
      );
      // Follow what was decided before this meta started (or lead, from the same states).
      if (shared.isLeader()) lead();
      else void load().catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'rollouts: loading the shared states failed'));
    },
    async askResume(key) {
      await shared.publish('rollout-resume', key);
    },
    async askPause(key) {
      await shared.publish('rollout-pause', key);
    },
    close() {
      closed = true;
      deciding = false;
      for (const off of offs) off();
    },
  };
}
