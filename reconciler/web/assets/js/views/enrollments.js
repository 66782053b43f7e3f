// Device enrollments: pending requests (id, hostname, labels, key fingerprint, source address,
// requested at) with Accept and Reject, enrolled devices with Revoke (asked twice), and the
// rejected and revoked ones. Each decision sends the fingerprint shown: a key replaced meanwhile is
// refused (409) rather than accepted blindly. The same decisions as `drover devices accept|reject|revoke`.
import { get, post, refresher } from '../api.js';
import { fill, h, table as dataTable } from '../dom.js';
import { ago, labelsText, when } from '../format.js';

const STATUS_BADGE = { pending: 'warn', accepted: 'good', rejected: 'bad', revoked: 'bad' };
const VERB = { accept: 'accepted', reject: 'rejected', revoke: 'revoked' };

function actionButtons(e, ui) {
  const button = (action, label, cls = '') =>
    h(`button.decide${cls}`, { type: 'button', dataset: { action, device: e.deviceId }, disabled: ui.busy || undefined, onclick: () => ui.decide(e, action) }, label);
  if (e.status === 'pending') return [button('accept', 'Accept', '.accept'), ' ', button('reject', 'Reject', '.reject')];
  if (e.status !== 'accepted') return '';
  if (ui.confirming !== e.deviceId) {
    return h('button.decide.reject', { type: 'button', dataset: { action: 'ask-revoke', device: e.deviceId }, disabled: ui.busy || undefined, onclick: () => ui.ask(e.deviceId) }, 'Revoke');
  }
  return [
    h('span.small', 'Revoke its credential? '),
    button('revoke', 'Revoke', '.reject'),
    ' ',
    h('button', { type: 'button', dataset: { action: 'cancel', device: e.deviceId }, onclick: () => ui.ask(null) }, 'Cancel'),
  ];
}

function row(e, ui) {
  return h(
    'tr',
    { dataset: { enrollment: e.deviceId, status: e.status } },
    h('td', e.status === 'pending' ? h('strong', e.deviceId) : h('a', { href: `#/devices/${encodeURIComponent(e.deviceId)}` }, e.deviceId), e.hostname ? h('div.small.muted', e.hostname) : null),
    h('td', h('span', { class: `badge ${STATUS_BADGE[e.status] ?? ''}`, 'data-testid': 'status' }, e.status)),
    h('td.labels', labelsText(e.labels).map((l) => h('span.chip', l))),
    h('td', h('code.small', { 'data-testid': 'fingerprint' }, e.fingerprint), e.declared ? h('div.small.muted', `declared: ${e.declared}`) : null),
    h('td', h('code.small', { 'data-testid': 'source' }, e.sourceAddress ?? '—')),
    h('td', { title: when(e.requestedAt) }, ago(e.requestedAt), h('div.small.muted', { title: when(e.lastRequestAt) }, `last ${ago(e.lastRequestAt)}`)),
    h('td.small', e.decidedBy ? [e.decidedBy, e.decidedAt ? h('span.muted', ` · ${ago(e.decidedAt)}`) : null, e.reason ? h('div.muted', e.reason) : null] : h('span.muted', '—')),
    h('td.actions-cell', actionButtons(e, ui)),
  );
}

function table(items, ui, empty) {
  if (!items.length) return h('p.muted', empty);
  return h(
    'div.table-wrap',
    dataTable('table.enrollments', ['Device', 'Status', 'Labels', 'Key fingerprint', 'Source address', 'Requested', 'Decided', ''], items, (e) => row(e, ui)),
  );
}

function render(root, data, ui) {
  const by = (...statuses) => data.items.filter((e) => statuses.includes(e.status));
  fill(
    root,
    h('h1', 'Enrollments', h('span', { class: 'badge warn', 'data-testid': 'pending-total' }, `${data.counts.pending} pending`)),
    data.enabled ? null : h('p.card.muted', { 'data-testid': 'enroll-off' }, 'Enrollment is off: start meta with --enroll-token-file FILE to let devices ask for a credential.'),
    ui.notice ? h('p.actions', h('span.notice', { 'data-testid': 'enroll-notice' }, ui.notice)) : null,
    h('section.card', { dataset: { section: 'pending' } }, h('h2', 'Waiting for a decision'), table(by('pending'), ui, 'No device is waiting.')),
    h('section.card', { dataset: { section: 'accepted' } }, h('h2', 'Enrolled'), table(by('accepted'), ui, 'No enrolled device.')),
    h('section.card', { dataset: { section: 'refused' } }, h('h2', 'Rejected and revoked'), table(by('revoked', 'rejected'), ui, 'None.')),
  );
}

export function mount(root) {
  let alive = true;
  let last = null;
  const redraw = () => last && alive && render(root, last, ui);
  const ui = {
    busy: false,
    notice: '',
    confirming: null,
    ask(id) {
      ui.confirming = id;
      redraw();
    },
    async decide(e, action) {
      ui.busy = true;
      ui.confirming = null;
      ui.notice = `${action} ${e.deviceId}…`;
      redraw();
      try {
        const r = await post(`/ui/api/enrollments/${encodeURIComponent(e.deviceId)}/${action}`, { fingerprint: e.fingerprint });
        ui.notice = `${r.deviceId}: ${VERB[action] ?? r.status}`;
      } catch (err) {
        ui.notice = `${e.deviceId}: ${action} refused: ${err.message}`;
      } finally {
        ui.busy = false;
      }
      if (alive) load.now();
    },
  };
  fill(root, h('p.muted', 'Loading…'));
  const load = refresher(async () => {
    const data = await get('/ui/api/enrollments');
    if (!alive) return;
    last = data;
    render(root, data, ui);
    root.dataset.ready = 'true';
  }, 1000);
  load.now();
  const clock = setInterval(load, 15_000);
  return {
    onChange(ev) {
      if (ev.topics.includes('enrollments') || ev.topics.includes('revision')) load();
    },
    unmount() {
      alive = false;
      load.stop();
      clearInterval(clock);
    },
  };
}
