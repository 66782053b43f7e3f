// The command results and rollouts API (admin token): GET /v1/commands, GET /v1/commands/:name,
// GET /v1/rollouts, POST /v1/rollouts/:key/pause and …/resume, served from deps.rollouts.
// There is deliberately no endpoint that takes a command to run: commands reach devices only
// from validated commits of the fleet repository.
import type { RoutePlugin } from '../deps.js';
import { sendError } from '../http/http-error.js';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export const commandsRoutes: RoutePlugin = async (app, deps) => {
  app.addHook('onRequest', deps.auth.admin);
  const { rollouts } = deps;

  app.get('/v1/commands', async () => rollouts.commands());

  app.get('/v1/commands/:name', async (request, reply) => {
    const { name } = request.params as { name: string };
    if (!NAME_RE.test(name)) return sendError(reply, 'INVALID_QUERY', `"${name}" is not a command name`);
    const body = await rollouts.command(name);
    if (!body) return sendError(reply, 'NOT_FOUND', `no command "${name}" in the fleet or in any device's results`);
    return body;
  });

  app.get('/v1/rollouts', async () => rollouts.list());

  app.post('/v1/rollouts/:key/resume', async (request, reply) => {
    const { key } = request.params as { key: string };
    const result = await rollouts.resume(key);
    if (!result) return sendError(reply, 'NOT_FOUND', `no rollout "${key}" in the current revision (GET /v1/rollouts lists them)`);
    deps.log.info({ rollout: key, resumed: result.resumed, state: result.rollout.state }, 'rollout resumed by an admin');
    return result;
  });

  app.post('/v1/rollouts/:key/pause', async (request, reply) => {
    const { key } = request.params as { key: string };
    const result = await rollouts.pause(key);
    if (!result) return sendError(reply, 'NOT_FOUND', `no rollout "${key}" in the current revision (GET /v1/rollouts lists them)`);
    deps.log.info({ rollout: key, state: result.rollout.state }, 'rollout paused by an admin');
    return result;
  });
};
