// POST …/devices/:id/retry, the one handler behind meta's API (`/v1/devices/:id/retry`, used by
// `drover retry`) and the dashboard's Retry buttons (`/ui/api/devices/:id/retry`): asks the device to
// try its failed versions again (all its packages, or `{ "package": NAME }`). Answered once the
// request is kept in the store.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MetaDeps } from '../deps.js';
import { sendError } from '../http/http-error.js';

export function retryDeviceHandler(deps: Pick<MetaDeps, 'devices' | 'retries' | 'desired' | 'log'>) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const { id } = request.params as { id: string };
    if (!deps.devices.has(id)) return sendError(reply, 'NOT_FOUND', `no device ${id}`);
    const body = (request.body ?? {}) as { package?: unknown };
    if (body.package !== undefined && (typeof body.package !== 'string' || body.package === '')) return sendError(reply, 'INVALID_BODY', 'package must be a package name');
    const done = await deps.retries.request(id, body.package as string | undefined);
    if (!done) return sendError(reply, 'NO_REVISION', 'meta has no valid revision yet');
    if (body.package && done.packages.length === 0) return sendError(reply, 'NOT_FOUND', `device ${id} has no package ${body.package}`);
    deps.log.info({ device: id, packages: done.packages, via: request.url.startsWith('/ui/') ? 'dashboard' : 'api' }, 'retry requested');
    return reply.send({ deviceId: id, packages: done.packages, retryRequestedAt: done.token, etag: deps.desired.get(id)?.etag ?? null });
  };
}
