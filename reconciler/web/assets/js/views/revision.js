// A revision's page (#/revisions/SHA, linked from commit statuses as /ui/revisions/SHA): the
// commit, its author, message and date, what it did (pending, success or failure with the one-line
// description forges show), paused rollouts, and every device's outcome: applied, pending,
// offline, or failed with its reason.
import { get, refresher } from '../api.js';
import { fill, h, table } from '../dom.js';
import { ago, num, shortRev, when } from '../format.js';

const OUTCOMES = ['failed', 'pending', 'offline', 'applied'];
const STATE_CLASS = { success: 'good', failure: 'bad', pending: 'warn' };

function header(r) {
  const [subject, ...body] = (r.message ?? '').trim().split('\n');
  return h(
    'section.card.wide.revision',
    h('h2', 'Commit'),
    h('p.commit', h('code', { title: r.revision, 'data-testid': 'commit' }, r.revision), ' ', h('strong', subject || '(no message)')),
    body.join('\n').trim() ? h('pre.message', body.join('\n').trim()) : null,
    h(
      'dl.facts',
      h('dt', 'author'), h('dd', { 'data-testid': 'author' }, r.author ?? '—'),
      h('dt', 'committed'), h('dd', { title: when(r.time), 'data-testid': 'committed' }, r.time ? `${when(r.time)} (${ago(r.time)})` : '—'),
      h('dt', 'applied'), h('dd', { title: when(r.appliedAt) }, ago(r.appliedAt)),
      r.supersededBy ? [h('dt', 'superseded by'), h('dd', h('a', { href: `#/revisions/${encodeURIComponent(r.supersededBy)}` }, shortRev(r.supersededBy)))] : null,
    ),
  );
}

function outcomeCard(r) {
  const o = r.outcome;
  return h(
    'section.card.wide',
    h('h2', 'Outcome'),
    h('p', h('span', { class: `badge ${STATE_CLASS[o.state] ?? ''}`, 'data-testid': 'state' }, o.state), ' ', h('span', { 'data-testid': 'description' }, o.description)),
    h('dl.facts', ['applied', 'pending', 'failed', 'offline'].map((k) => [h('dt', k), h('dd', { 'data-testid': `count-${k}` }, num(o.counts[k]))])),
    o.pausedRollouts.length ? h('p.error', { 'data-testid': 'paused' }, `paused: ${o.pausedRollouts.join(', ')} `, h('a', { href: '#/rollouts' }, 'rollouts →')) : null,
  );
}

function devicesTable(r) {
  if (!r.devices) return h('section.card.wide', h('h2', 'Devices'), h('p.muted', 'Per-device outcomes are shown for the revision meta serves.'));
  const rows = [...r.devices].sort((a, b) => OUTCOMES.indexOf(a.outcome) - OUTCOMES.indexOf(b.outcome) || (a.id < b.id ? -1 : 1));
  return h(
    'section.card.wide',
    h('h2', `Devices (${num(r.devices.length)}${r.truncated ? ` of ${num(r.outcome.counts.total)}` : ''})`),
    table(
      'table.devices',
      ['Device', 'Outcome', 'Reason'],
      rows,
      (d) =>
        h(
          'tr',
          { class: d.outcome === 'failed' ? 'bad' : '', 'data-device': d.id, 'data-outcome': d.outcome },
          h('td', h('a', { href: `#/devices/${encodeURIComponent(d.id)}` }, d.id)),
          h('td', d.outcome),
          h('td.small', d.outcome === 'applied' ? '' : `${d.reason}: ${d.message}`),
        ),
      { 'data-testid': 'outcomes' },
    ),
  );
}

export function mount(root, route) {
  let alive = true;
  fill(root, h('p.muted', 'Loading…'));
  const load = refresher(async () => {
    try {
      const r = await get(`/ui/api/revisions/${encodeURIComponent(route.id)}`);
      if (alive) fill(root, h('h1', `Revision ${shortRev(r.revision)}`), h('div.grid', header(r), outcomeCard(r), devicesTable(r)));
    } catch (err) {
      if (alive) fill(root, h('h1', `Revision ${shortRev(route.id)}`), h('p.card.error', err.status === 404 ? 'meta has not applied this revision (or no longer remembers it).' : err.message));
    }
  }, 1000);
  load.now().then(() => (root.dataset.ready = 'true'));
  return {
    onChange(e) {
      if (e.topics.some((t) => t !== 'jump')) load();
    },
    unmount() {
      alive = false;
      load.stop();
    },
  };
}
