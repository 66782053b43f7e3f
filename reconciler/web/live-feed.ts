// Turns what happens in meta into the dashboard's coalesced live events, and keeps the
// convergence series. Sources: condition changes and new revisions (meta's listeners); recorded
// heartbeats (the heartbeat counter moved: one pass over the registry finds who was seen); the
// source's fetch status; rollouts and jump status (read through the API and compared, only while
// someone watches). The registry pass yields to the event loop every few thousand devices.
import { createHash } from 'node:crypto';
import type { MetaDeps } from '../deps.js';
import type { ConvergenceSeries } from './convergence-series.js';
import type { EventHub, Topic } from './event-hub.js';
import type { V1Reader } from './v1-reader.js';

export interface LiveFeedOptions {
  /** How often meta's state is looked at (ms); default 500. */
  tickMs?: number;
  /** How often rollouts and jump are re-read while someone watches (ms); default 2000. */
  pollMs?: number;
  /** Convergence is sampled at least this often even without heartbeats (ms); default 10000. */
  sampleMs?: number;
}

const CHUNK = 5000;
const yieldLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

export function startLiveFeed(deps: MetaDeps, hub: EventHub, series: ConvergenceSeries, read: V1Reader, opts: LiveFeedOptions = {}): { stop(): void; sample(): Promise<void> } {
  const tickMs = opts.tickMs ?? 500;
  const pollMs = opts.pollMs ?? 2000;
  const sampleMs = opts.sampleMs ?? 10_000;
  let stopped = false;
  let busy = false;
  let lastHeartbeats = deps.metrics.heartbeats;
  let lastScanAt = deps.clock.now();
  let lastSampleAt = 0;
  let dirty = true;
  let sourceKey = '';
  let lastJumpPoll = 0;
  let lastRolloutPoll = 0;
  /** Something a rollout depends on moved since rollouts were last read. */
  let rolloutInputs = true;
  const digests = new Map<string, string>();

  const applied = deps.source.status().applied;
  series.restart(deps.desired.revision, applied ? Date.parse(applied.at) : deps.clock.now());

  const offCondition = deps.conditions.onChange((id) => {
    hub.device(id);
    hub.mark('status');
    dirty = true;
    rolloutInputs = true;
  });
  const offRevision = deps.desired.onRevision((revision) => {
    series.restart(revision, deps.clock.now());
    hub.mark('revision');
    hub.mark('convergence');
    dirty = true;
    rolloutInputs = true;
  });

  /** One pass over the devices: who was seen since the last pass, and how many reached their etag. */
  async function scan(findSeen: boolean, count: boolean): Promise<void> {
    const since = lastScanAt;
    const now = deps.clock.now();
    lastScanAt = now;
    let reached = 0;
    let i = 0;
    const revision = deps.desired.revision;
    for (const record of deps.registry.values()) {
      if (findSeen && record.lastSeen >= since) hub.device(record.id); // >=: one seen in the same ms is named twice, never missed
      if (count && record.appliedEtag !== null && record.appliedEtag === deps.desired.get(record.id)?.etag) reached++;
      if (++i % CHUNK === 0) {
        await yieldLoop();
        if (stopped || deps.desired.revision !== revision) return;
      }
    }
    if (!count) return;
    let total = deps.registry.size;
    for (const id of deps.desired.declaredDevices()) if (!deps.registry.get(id)) total++;
    if (series.add({ at: now, reached, total })) hub.mark('convergence');
  }

  function watchSource(): void {
    const s = deps.source.status();
    const key = [s.applied?.revision, s.lastFetchAt, s.lastFetchOk, s.rejected?.revision, s.lastError?.at, s.warnings.length].join('|');
    if (key !== sourceKey) {
      if (sourceKey) hub.mark('revision');
      sourceKey = key;
    }
  }

  async function poll(topic: Topic, path: string): Promise<void> {
    let body: unknown;
    try {
      body = await read(path);
    } catch (err) {
      body = { error: (err as Error).message };
    }
    const digest = createHash('sha1').update(JSON.stringify(body ?? null)).digest('base64');
    const before = digests.get(path);
    digests.set(path, digest);
    if (before !== undefined && before !== digest) hub.mark(topic);
  }

  async function tick(): Promise<void> {
    if (busy || stopped) return;
    busy = true;
    try {
      const now = deps.clock.now();
      const heartbeats = deps.metrics.heartbeats;
      const beat = heartbeats !== lastHeartbeats;
      lastHeartbeats = heartbeats;
      if (beat) {
        dirty = true;
        rolloutInputs = true;
        hub.mark('status');
      }
      const watching = hub.subscriberCount > 0;
      const sampleDue = (dirty && now - lastSampleAt >= 1000) || now - lastSampleAt >= sampleMs;
      if ((beat && watching) || sampleDue) {
        if (sampleDue) {
          lastSampleAt = now;
          dirty = false;
        }
        await scan(beat && watching, sampleDue);
      } else lastScanAt = now;
      watchSource();
      if (watching) {
        // Rollouts move when devices report or a revision lands (read at most every pollMs), or by
        // an admin call (caught by a slower read every 5 × pollMs); jump reports every few seconds.
        const polls: Promise<void>[] = [];
        if ((rolloutInputs && now - lastRolloutPoll >= pollMs) || now - lastRolloutPoll >= 5 * pollMs) {
          lastRolloutPoll = now;
          rolloutInputs = false;
          polls.push(poll('rollouts', '/v1/rollouts'));
        }
        if (now - lastJumpPoll >= pollMs) {
          lastJumpPoll = now;
          polls.push(poll('jump', '/v1/jump'));
        }
        await Promise.all(polls);
      } else {
        digests.clear();
        lastRolloutPoll = lastJumpPoll = 0;
      }
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, 'dashboard live feed tick failed');
    } finally {
      busy = false;
    }
  }

  const timer = setInterval(() => void tick(), tickMs);
  timer.unref();
  void tick();

  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      offCondition();
      offRevision();
    },
    /** Takes a convergence sample now (tests). */
    async sample() {
      lastSampleAt = deps.clock.now();
      await scan(false, true);
    },
  };
}
