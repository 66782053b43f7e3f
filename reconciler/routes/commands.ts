// The command results and rollouts API (admin token): GET /v1/commands, GET /v1/commands/:name,
// GET /v1/rollouts, POST /v1/rollouts/:key/resume. Registering it installs the rollout gate.
// There is deliberately no endpoint that takes a command to run: commands reach devices only
// from validated commits of the fleet repository.
import type { CommandDetailResponse, CommandListResponse, RolloutListResponse } from '../../control/commands-api.js';
import { installRolloutGate } from '../../control/rollout/install-rollout-gate.js';
import { commandDeviceResults, commandSummaries, rolloutProgress, type ViewSources } from '../../control/rollout/rollout-views.js';
import type { RoutePlugin } from '../deps.js';
import { sendError } from '../http/http-error.js';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const commandsRoutes: RoutePlugin = async (app, deps) => {
  const gate = installRolloutGate(deps);
  app.addHook('onClose', async () => gate.close());
  app.addHook('onRequest', deps.auth.admin);
  const { registry, desired, store } = deps;
  const src: ViewSources = {
    gate,
    deviceIds: function* () {
      yield* registry.sortedIds();
      for (const id of desired.declaredDevices()) if (!registry.get(id)) yield id;
    },
    labelsOf: (id) => desired.effectiveLabels(id),
    commandsJson: (id) => registry.get(id)?.commands,
    packagesJson: (id) => registry.get(id)?.packages,
    results: async (q) => {
      await store.flush();
      return store.commandResults(q);
    },
  };

  app.get('/v1/commands', async () => {
    gate.list();
    const body: CommandListResponse = { revision: desired.revision, commands: await commandSummaries(src) };
    return body;
  });

  app.get('/v1/commands/:name', async (request, reply) => {
    const { name } = request.params as { name: string };
    if (!NAME_RE.test(name)) return sendError(reply, 'INVALID_QUERY', `"${name}" is not a command name`);
    gate.list();
    const identities = await commandSummaries(src, name);
    const devices = await commandDeviceResults(src, name, identities);
    if (identities.length === 0 && devices.length === 0) return sendError(reply, 'NOT_FOUND', `no command "${name}" in the fleet or in any device's results`);
    const body: CommandDetailResponse = { name, revision: desired.revision, identities, devices };
    return body;
  });

  app.get('/v1/rollouts', async () => {
    const rollouts = [];
    for (const r of gate.list()) rollouts.push(await rolloutProgress(src, r));
    const body: RolloutListResponse = { revision: desired.revision, rollouts };
    return body;
  });

  app.post('/v1/rollouts/:key/resume', async (request, reply) => {
    const { key } = request.params as { key: string };
    const r = gate.get(key);
    if (!r) return sendError(reply, 'NOT_FOUND', `no rollout "${key}" in the current revision (GET /v1/rollouts lists them)`);
    const wasPaused = r.plan?.state === 'paused';
    gate.resume(key);
    const progress = await rolloutProgress(src, r);
    deps.log.info({ rollout: key, wasPaused, state: progress.state }, 'rollout resumed by an admin');
    const message =
      progress.pauseReason === 'spec' ? 'still held by `paused: true` in the fleet repository: commit paused: false to release it' :
      progress.state === 'paused' ? 'still paused: new failures exceed maxFailures' : wasPaused ? 'resumed: the failures so far no longer count' : 'was not paused';
    return { key, resumed: wasPaused && progress.state !== 'paused', message, rollout: progress };
  });
};
