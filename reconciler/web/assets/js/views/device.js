// One device: its condition, desired vs reported per package, command results with their output
// tails, and the history of its condition. Refreshed when a live event names it. A failed package
// (and the device as a whole) has a Retry button: the same request as `drover retry DEVICE [PACKAGE]`.
import { ApiError, get, post, refresher } from '../api.js';
import { fill, h, table } from '../dom.js';
import { ago, CONDITION_LABEL, duration, labelsText, shortRev, when } from '../format.js';

const failed = (p) => Boolean(p.report?.failure) || p.reported?.state === 'failed';

function retryButton(ui, pkg) {
  return h(
    'button.retry',
    { type: 'button', dataset: { retry: pkg ?? '*' }, disabled: ui.busy || undefined, onclick: () => ui.retry(pkg) },
    pkg ? 'Retry' : 'Retry failed packages',
  );
}

function packagesTable(pkgs, ui) {
  if (!pkgs.length) return h('p.muted', 'No package desired or reported.');
  return table('table.packages', ['Package', 'Desired', 'Reported', 'Phase', '', ''], pkgs, (p) =>
    h(
      'tr',
      { dataset: { package: p.name }, class: p.inSync ? 'ok' : 'drift' },
      h('td', h('strong', p.name)),
      h('td', p.desired ? `${p.desired.version} · ${p.desired.state}` : h('span.muted', 'not desired (to remove)')),
      h('td', p.reported ? `${p.reported.version ?? '—'} · ${p.reported.state}` : h('span.muted', 'not reported')),
      h('td', p.reported ? [p.reported.phase, p.reported.targetVersion ? ` → ${p.reported.targetVersion}` : ''] : ''),
      h('td', p.inSync ? h('span.badge.good', 'in sync') : h('span.badge.warn', 'drift')),
      h('td', failed(p) && p.desired ? retryButton(ui, p.name) : ''),
    ),
  );
}

function packageErrors(pkgs) {
  const failing = pkgs.filter((p) => p.report?.error || p.report?.outputTail);
  return failing.map((p) =>
    h('div.output', h('h3', `${p.name}: ${p.report.error ?? 'output'}`), p.report.outputTail ? h('pre.tail', p.report.outputTail) : null),
  );
}

function commandsList(cmds) {
  if (!cmds.length) return h('p.muted', 'No command results reported.');
  return cmds.map((c) =>
    h(
      'details.command',
      { open: c.status === 'failed' || c.status === 'timedOut' ? true : undefined, dataset: { command: c.name, status: c.status } },
      h(
        'summary',
        h('strong', c.name),
        ' ',
        h('span', { class: `badge s-${c.status}` }, c.status),
        c.exitCode !== null && c.exitCode !== undefined ? h('span.muted', ` exit ${c.exitCode}`) : null,
        c.signal ? h('span.muted', ` ${c.signal}`) : null,
        h('span.muted', ` · ${duration(c.durationMs)} · ${c.finishedAt ? ago(c.finishedAt) : c.startedAt ? `started ${ago(c.startedAt)}` : ''}`),
        c.desired ? null : h('span.muted', ' (no longer desired)'),
        h('code.id', c.id),
      ),
      c.outputTail ? h('pre.tail', (c.truncated ? '… (earlier output cut)\n' : '') + c.outputTail) : h('p.muted', 'no output'),
    ),
  );
}

function historyList(history) {
  if (!history.length) return h('p.muted', 'No condition change recorded yet.');
  return h(
    'ol.history',
    history.map((c) =>
      h('li', h('span', { class: `badge c-${c.condition}` }, CONDITION_LABEL[c.condition] ?? c.condition), ' ', h('strong', c.reason), ' ', h('span', c.message), h('time', { title: when(c.at) }, ago(c.at))),
    ),
  );
}

function render(root, d, ui) {
  const anyFailed = d.packages.some((p) => failed(p) && p.desired);
  fill(
    root,
    h('p.crumbs', h('a', { href: '#/devices' }, '← devices')),
    h(
      'h1',
      d.id, ' ', h('span', { class: `badge big c-${d.condition}`, 'data-testid': 'condition' }, CONDITION_LABEL[d.condition] ?? d.condition),
      d.protocol === 'legacy' ? [' ', h('span.chip', { 'data-testid': 'legacy', title: 'reports through the Open-Falcon ops-updater protocol (no credential)' }, 'legacy')] : null,
    ),
    h('p.lead', h('strong', d.reason ?? ''), ' ', d.message ?? ''),
    anyFailed || ui.notice ? h('p.actions', anyFailed ? retryButton(ui) : null, ui.notice ? h('span.notice', { 'data-testid': 'retry-notice' }, ui.notice) : null) : null,
    h(
      'div.grid',
      h(
        'section.card',
        h('h2', 'Device'),
        h(
          'dl.facts',
          h('dt', 'hostname'), h('dd', d.hostname ?? '—'),
          h('dt', 'protocol'), h('dd', { 'data-testid': 'protocol' }, d.protocol === 'legacy' ? 'legacy (Open-Falcon ops-updater, no credential)' : d.protocol === 'v1' ? 'v1 (drover agent)' : '—'),
          h('dt', 'labels'), h('dd', labelsText(d.labels).map((l) => h('span.chip', l))),
          h('dt', 'last seen'), h('dd', { title: when(d.lastSeen) }, ago(d.lastSeen)),
          h('dt', 'first seen'), h('dd', { title: when(d.firstSeen) }, ago(d.firstSeen)),
          d.conditionSince ? [h('dt', 'condition since'), h('dd', { title: when(d.conditionSince) }, ago(d.conditionSince))] : null,
          Object.entries(d.facts ?? {}).slice(0, 12).map(([k, v]) => [h('dt', k), h('dd', Array.isArray(v) ? v.join(', ') : String(v))]),
        ),
      ),
      h(
        'section.card',
        h('h2', 'Revision'),
        h(
          'dl.facts',
          h('dt', 'current revision'), h('dd', h('code', { title: d.currentRevision ?? '' }, shortRev(d.currentRevision))),
          h('dt', 'converged to it'), h('dd', d.revision ? 'yes' : 'not yet'),
          h('dt', 'desired etag'), h('dd', h('code', d.desiredEtag ?? '—')),
          h('dt', 'held etag'), h('dd', h('code', d.etag ?? '—'), d.etag && d.etag === d.desiredEtag ? ' ✓' : ''),
          h('dt', 'applied etag'), h('dd', h('code', d.appliedEtag ?? '—'), d.appliedEtag && d.appliedEtag === d.desiredEtag ? ' ✓' : ''),
        ),
      ),
      h('section.card.wide', h('h2', 'Packages: desired vs reported'), packagesTable(d.packages, ui), packageErrors(d.packages)),
      h('section.card.wide', h('h2', 'Command results'), commandsList(d.commands)),
      h('section.card.wide', h('h2', 'Condition history'), historyList(d.history)),
    ),
  );
}

export function mount(root, route) {
  const id = route.id;
  let alive = true;
  let last = null;
  const ui = {
    busy: false,
    notice: '',
    async retry(pkg) {
      ui.busy = true;
      ui.notice = pkg ? `asking ${id} to retry ${pkg}…` : `asking ${id} to retry its failed packages…`;
      if (last) render(root, last, ui);
      try {
        const r = await post(`/ui/api/devices/${encodeURIComponent(id)}/retry`, pkg ? { package: pkg } : {});
        ui.notice = `retry requested for ${r.packages.join(', ') || 'no package'}`;
      } catch (err) {
        ui.notice = `retry refused: ${err.message}`;
      } finally {
        ui.busy = false;
      }
      if (alive) load.now();
    },
  };
  fill(root, h('p.muted', 'Loading…'));
  const load = refresher(async () => {
    try {
      const d = await get(`/ui/api/devices/${encodeURIComponent(id)}`);
      if (!alive) return;
      last = d;
      render(root, d, ui);
      root.dataset.ready = 'true';
    } catch (err) {
      if (!alive) return;
      if (err instanceof ApiError && err.status === 404) fill(root, h('p.crumbs', h('a', { href: '#/devices' }, '← devices')), h('h1', id), h('p.card', `Meta knows no device "${id}".`));
      else throw err;
    }
  }, 1000);
  load.now();
  const clock = setInterval(load, 15_000);
  return {
    onChange(e) {
      if (e.topics.includes('revision') || (e.topics.includes('devices') && (e.devices === null || e.devices.includes(id)))) load();
    },
    unmount() {
      alive = false;
      load.stop();
      clearInterval(clock);
    },
  };
}
