// Overview: the applied revision, the source's last fetch and errors (file:line), devices per
// condition and the convergence since the revision was applied. Refreshed by live events.
import { get, refresher } from '../api.js';
import { conditionChart, convergenceChart } from '../charts.js';
import { fill, h } from '../dom.js';
import { ago, num, shortRev, when } from '../format.js';

function revisionCard(o) {
  const rev = o.revision;
  if (!rev) return h('section.card', h('h2', 'Revision'), h('p.muted', 'No valid revision applied yet.'));
  const [subject, ...body] = (rev.message ?? '').trim().split('\n');
  return h(
    'section.card.revision',
    h('h2', 'Applied revision'),
    h('p.commit', h('code', { title: rev.commit, 'data-testid': 'commit' }, shortRev(rev.commit)), ' ', h('strong', subject || '(no message)')),
    body.join('\n').trim() ? h('pre.message', body.join('\n').trim()) : null,
    h(
      'dl.facts',
      h('dt', 'author'), h('dd', { 'data-testid': 'author' }, rev.author ?? '—'),
      h('dt', 'committed'), h('dd', { title: when(rev.time) }, rev.time ? ago(rev.time) : '—'),
      h('dt', 'applied'), h('dd', { title: when(rev.appliedAt) }, ago(rev.appliedAt)),
    ),
    h('p', h('a', { href: `#/revisions/${encodeURIComponent(rev.commit)}`, 'data-testid': 'revision-link' }, 'what this revision did on every device →')),
  );
}

function sourceCard(o) {
  const src = o.source ?? {};
  const ok = src.lastFetchOk;
  return h(
    'section.card.source',
    h('h2', 'Source'),
    h('p', h('span.badge', { class: `badge ${ok === false ? 'bad' : ok ? 'good' : ''}` }, ok === false ? 'fetch failing' : ok ? 'fetch ok' : 'not fetched'), ' ', h('code.wrap', src.location ?? ''), src.branch ? ` @ ${src.branch}` : ''),
    h(
      'dl.facts',
      h('dt', 'last fetch'), h('dd', { title: when(src.lastFetchAt) }, ago(src.lastFetchAt)),
      src.nextFetchAt ? [h('dt', 'next fetch'), h('dd', ago(src.nextFetchAt))] : null,
      src.consecutiveFailures ? [h('dt', 'failures'), h('dd', String(src.consecutiveFailures))] : null,
    ),
    src.lastError ? h('p.error', { 'data-testid': 'fetch-error' }, `${src.lastError.message} (${ago(src.lastError.at)})`) : null,
  );
}

function problemsCard(o) {
  const rej = o.rejected;
  const warnings = o.warnings ?? [];
  if (!rej && !warnings.length) return null;
  return h(
    'section.card.wide.problems',
    { 'data-testid': 'problems' },
    rej
      ? [
          h('h2.error', `Commit ${shortRev(rej.revision)} rejected: ${rej.problems.length} problem${rej.problems.length === 1 ? '' : 's'}`),
          h('p.muted', `${rej.info?.message?.split('\n')[0] ?? ''}${rej.info?.author ? ` — ${rej.info.author}` : ''}; still serving ${shortRev(o.revision?.commit)}.`),
          h('ul.problems', rej.problems.map((p) => h('li', h('code', p)))),
        ]
      : null,
    warnings.length ? [h('h3', 'Warnings'), h('ul.problems', warnings.map((p) => h('li', h('code', p))))] : null,
  );
}

function render(root, o) {
  fill(
    root,
    h('h1', 'Fleet overview'),
    h(
      'div.grid',
      revisionCard(o),
      sourceCard(o),
      h('section.card.total', h('h2', 'Devices'), h('p.big', { 'data-testid': 'total' }, num(o.total)), h('p.muted', h('a', { href: '#/devices' }, 'browse all devices →'))),
      problemsCard(o),
      h('section.card.half', h('h2', 'Devices per condition'), conditionChart(o.counts)),
      h(
        'section.card.half',
        h('h2', 'Convergence since the last commit'),
        convergenceChart(o.convergence, o.now ?? Date.now()),
        h('p.muted.small', 'Devices whose agent applied the current revision, over time since meta applied it.'),
      ),
    ),
  );
}

export function mount(root) {
  let alive = true;
  fill(root, h('p.muted', 'Loading…'));
  const load = refresher(async () => {
    const o = await get('/ui/api/overview');
    if (alive) render(root, o);
  }, 1000);
  load.now().then(() => {
    performance.mark('drover:overview-rendered');
    root.dataset.ready = 'true';
  });
  const clock = setInterval(load, 15_000); // relative times stay true without events
  return {
    onChange(e) {
      if (e.topics.some((t) => t !== 'rollouts' && t !== 'jump')) load();
    },
    unmount() {
      alive = false;
      load.stop();
      clearInterval(clock);
    },
  };
}
