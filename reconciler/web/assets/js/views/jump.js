// Jump: whether the bastion is up, its active sessions (user, device, since) and recent audit events.
import { mountLoaded } from '../api.js';
import { fill, h, table } from '../dom.js';
import { ago, when } from '../format.js';

const pick = (o, ...keys) => {
  for (const k of keys) if (o?.[k] !== undefined && o[k] !== null) return o[k];
  return null;
};

const SESSION_COLUMNS = [
  { label: 'User', get: (s) => pick(s, 'user', 'username') ?? '—', always: true },
  { label: 'Device', get: (s) => pick(s, 'device', 'deviceId', 'target') },
  { label: 'Kind', get: (s) => pick(s, 'kind', 'type') },
  { label: 'From', get: (s) => pick(s, 'from', 'remote', 'address'), always: true },
  { label: 'Since', get: (s) => pick(s, 'since', 'startedAt', 'start'), time: true },
];

function sessionsTable(sessions) {
  if (!sessions.length) return h('p.muted', 'No active session.');
  // Only the columns the jump server reports (older reports carry no device or start time).
  const cols = SESSION_COLUMNS.filter((c) => c.always || sessions.some((s) => c.get(s) !== null));
  return table(
    'table.sessions',
    cols.map((c) => c.label),
    sessions,
    (s) =>
      h(
        'tr',
        cols.map((c) => {
          const v = c.get(s);
          if (c.time) return h('td', { title: when(v) }, v ? ago(v) : '—');
          return h('td', v ?? '—');
        }),
      ),
  );
}

function eventsList(events) {
  if (!events.length) return h('p.muted', 'No audit event reported.');
  return table('table.audit', ['When', 'Event', 'User', 'Device', 'Details'], events, (e) => {
    const at = pick(e, 'at', 'time', 'ts', 'timestamp');
    const { at: _a, time: _t, ts: _s, timestamp: _x, type, event, user, username, device, ...rest } = e;
    const details = Object.entries(rest).filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object').map(([k, v]) => `${k}=${v}`).join(' ');
    const kind = type ?? event ?? '';
    return h('tr', { class: /fail|lock|denied|refused/i.test(kind) ? 'bad' : '' }, h('td', { title: when(at) }, at ? ago(at) : ''), h('td', h('code', kind)), h('td', user ?? username ?? ''), h('td', device ?? ''), h('td.small', details));
  });
}

function jumpCard(j) {
  const up = j.up === true;
  const sessions = Array.isArray(j.sessions) ? j.sessions : [];
  const events = j.events ?? j.recentEvents ?? j.audit ?? [];
  const lastError = j.lastError ?? null;
  return h(
    'section.card.wide.jump',
    { dataset: { jump: j.name ?? '' } },
    h('h2', j.name ?? 'jump', ' ', h('span', { class: `badge ${up ? 'good' : 'bad'}`, 'data-testid': 'jump-state' }, up ? (j.draining ? 'up · draining' : 'up') : 'down')),
    h(
      'dl.facts',
      j.version ? [h('dt', 'version'), h('dd', j.version)] : null,
      j.listen ? [h('dt', 'listening'), h('dd', h('code', j.listen))] : null,
      j.startedAt ? [h('dt', 'started'), h('dd', { title: when(j.startedAt) }, ago(j.startedAt))] : null,
      j.lastReportAt ? [h('dt', 'last report'), h('dd', { title: when(j.lastReportAt) }, ago(j.lastReportAt))] : null,
      h('dt', 'active sessions'), h('dd', String(j.activeSessions ?? sessions.length)),
      j.lockedKeys?.length ? [h('dt', 'locked out'), h('dd', j.lockedKeys.map((k) => h('span.chip', k)))] : null,
      j.restart ? [h('dt', 'restart'), h('dd', `requested ${ago(j.restart.requestedAt)}${j.restart.delivered ? ', delivered' : ', not yet delivered'}`)] : null,
    ),
    lastError ? h('p.error', typeof lastError === 'string' ? lastError : `${lastError.message ?? ''}${lastError.at ? ` (${ago(lastError.at)})` : ''}`) : null,
    h('h3', 'Active sessions'),
    sessionsTable(sessions),
    h('h3', 'Recent audit events'),
    eventsList(Array.isArray(events) ? events : []),
  );
}

function render(root, data) {
  const j = data.jump;
  if (!j) {
    fill(root, h('h1', 'Jump'), h('p.card.muted', { 'data-testid': 'no-data' }, 'No jump data yet: this meta does not serve /v1/jump.'));
    return;
  }
  const jumps = Array.isArray(j.jumps) ? j.jumps : [j];
  fill(
    root,
    h('h1', 'Jump'),
    jumps.length ? jumps.map(jumpCard) : h('p.card.muted', { 'data-testid': 'no-data' }, 'No jump server has reported to this meta yet.'),
  );
}

export function mount(root) {
  fill(root, h('p.muted', 'Loading…'));
  return mountLoaded(root, '/ui/api/jump', render, { topics: ['jump'], everyMs: 15_000 });
}
