// GET /v1/devices (filter by label and condition, paginated by id), /v1/devices/:id,
// /v1/devices/:id/desired. Admin token.
import { CONDITIONS, type ConditionName } from '../status/device-condition.js';
import type { RoutePlugin } from '../deps.js';
import { sendError } from '../http/http-error.js';
import { deviceDetail, summarize } from '../status/device-view.js';
import { parseLabelFilter } from '../web/device-query.js';
import { retryDeviceHandler } from './retry-device.js';

const MAX_LIMIT = 1000;

export const devicesRoutes: RoutePlugin = async (app, deps) => {
  app.addHook('onRequest', deps.auth.admin);

  app.get('/v1/devices', async (request, reply) => {
    const q = request.query as { label?: string | string[]; condition?: string; limit?: string; cursor?: string; q?: string };
    const labels = parseLabelFilter(q.label);
    if (typeof labels === 'string') return sendError(reply, 'INVALID_QUERY', labels);
    const conditions = q.condition ? q.condition.split(',').map((s) => s.trim()) : [];
    const bad = conditions.find((c) => !CONDITIONS.includes(c as ConditionName));
    if (bad) return sendError(reply, 'INVALID_QUERY', `condition "${bad}" is not one of ${CONDITIONS.join(', ')}`);
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return sendError(reply, 'INVALID_QUERY', `limit must be an integer from 1 to ${MAX_LIMIT}`);
    const now = deps.clock.now();
    const ids = deps.devices.ids();
    let start = 0;
    if (q.cursor) {
      // First id greater than the cursor (binary search).
      let lo = 0;
      let hi = ids.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ids[mid]! <= q.cursor) lo = mid + 1;
        else hi = mid;
      }
      start = lo;
    }
    const items = [];
    let i = start;
    for (; i < ids.length && items.length < limit; i++) {
      const id = ids[i]!;
      if (q.q && !id.includes(q.q)) continue;
      const record = deps.registry.get(id);
      if (labels.length) {
        const eff = deps.desired.effectiveLabels(id);
        if (!labels.every(([k, v]) => eff[k] === v)) continue;
      }
      if (conditions.length) {
        const c = record ? deps.conditions.evaluate(record, now).condition : 'Offline';
        if (!conditions.includes(c)) continue;
      }
      items.push(summarize(deps, id, record, now));
    }
    const more = i < ids.length;
    return reply.send({ items, nextCursor: more && items.length ? items[items.length - 1]!.id : null, total: ids.length, revision: deps.desired.revision });
  });

  app.get('/v1/devices/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!deps.devices.has(id)) return sendError(reply, 'NOT_FOUND', `no device ${id}`);
    return reply.send(await deviceDetail(deps, id, deps.clock.now()));
  });

  // Try the device's failed versions again (all its packages, or `{ "package": NAME }`).
  app.post('/v1/devices/:id/retry', retryDeviceHandler(deps));

  app.get('/v1/devices/:id/desired', async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!deps.devices.has(id)) return sendError(reply, 'NOT_FOUND', `no device ${id}`);
    const entry = deps.desired.get(id);
    if (!entry) return sendError(reply, 'NO_REVISION', 'meta has no valid revision yet');
    return reply.send({ deviceId: id, etag: entry.etag, revision: entry.revision, labels: deps.desired.effectiveLabels(id), desired: entry.document });
  });
};
