// Devices: a server-side paginated table (search, label and condition filters, sorting). Only one
// page of rows is ever fetched or rendered, whatever the fleet's size. The filters live in the
// URL (#/devices?q=&label=&condition=&sort=&page=) so a view can be linked to.
import { get, query, refresher } from '../api.js';
import { fill, h } from '../dom.js';
import { ago, CONDITIONS, CONDITION_LABEL, labelsText, num, shortRev, when } from '../format.js';

const COLUMNS = [
  { key: 'id', label: 'Device', sort: 'id' },
  { key: 'hostname', label: 'Hostname', sort: 'hostname' },
  { key: 'labels', label: 'Labels' },
  { key: 'condition', label: 'Condition', sort: 'condition' },
  { key: 'applied', label: 'Applied' },
  { key: 'lastSeen', label: 'Last seen', sort: 'lastSeen' },
];
const PAGE_SIZES = [25, 50, 100, 200];

function stateFrom(params) {
  return {
    q: params.get('q') ?? '',
    label: params.get('label') ?? '',
    condition: params.get('condition') ?? '',
    sort: params.get('sort') ?? 'id',
    page: Math.max(0, Number(params.get('page') ?? 0) || 0),
    size: PAGE_SIZES.includes(Number(params.get('size'))) ? Number(params.get('size')) : 50,
  };
}

function conditionBadge(d) {
  return h('span', { class: `badge c-${d.condition}`, title: d.message ?? '' }, CONDITION_LABEL[d.condition] ?? d.condition, d.reason ? h('small', ` ${d.reason}`) : null);
}

function row(d) {
  const link = `#/devices/${encodeURIComponent(d.id)}`;
  return h(
    'tr',
    { dataset: { id: d.id, condition: d.condition } },
    h('td', h('a', { href: link }, d.id)),
    h('td', d.hostname ?? '', d.protocol === 'legacy' ? h('span.chip', { 'data-testid': 'legacy', title: 'reports through the Open-Falcon ops-updater protocol (no credential)' }, 'legacy') : null),
    h('td.labels', labelsText(d.labels).map((l) => h('span.chip', l))),
    h('td', conditionBadge(d)),
    h(
      'td',
      h('code', { title: d.appliedEtag ?? '' }, d.appliedEtag ? (d.appliedEtag === d.desiredEtag ? 'current' : shortRev(d.appliedEtag)) : '—'),
      d.drift ? h('span.chip.drift', { title: 'packages whose reported version or state differ from the desired' }, `${d.drift} drifted`) : null,
    ),
    h('td', { title: when(d.lastSeen) }, ago(d.lastSeen)),
  );
}

export function mount(root, route) {
  const state = stateFrom(route.params);
  let alive = true;
  let controller = null;

  const search = h('input', { type: 'search', placeholder: 'Search id or hostname', value: state.q, 'aria-label': 'search' });
  const label = h('input', { type: 'text', placeholder: 'label: role=web,site=bj', value: state.label, 'aria-label': 'label filter' });
  const condition = h('select', { 'aria-label': 'condition' }, h('option', { value: '' }, 'every condition'), CONDITIONS.map((c) => h('option', { value: c }, CONDITION_LABEL[c])));
  condition.value = state.condition;
  const size = h('select', { 'aria-label': 'rows per page' }, PAGE_SIZES.map((n) => h('option', { value: n }, `${n} rows`)));
  size.value = String(state.size);
  const head = h('thead');
  const body = h('tbody');
  const info = h('span.muted', { 'data-testid': 'page-info' }, '');
  const prev = h('button', { type: 'button', onclick: () => go(state.page - 1) }, '← previous');
  const next = h('button', { type: 'button', onclick: () => go(state.page + 1) }, 'next →');
  const error = h('p.error', { hidden: true });

  function syncUrl() {
    const qs = query({ q: state.q, label: state.label, condition: state.condition, sort: state.sort === 'id' ? '' : state.sort, page: state.page || '', size: state.size === 50 ? '' : state.size });
    history.replaceState(null, '', `#/devices${qs}`);
  }

  function renderHead() {
    fill(
      head,
      h(
        'tr',
        COLUMNS.map((c) => {
          if (!c.sort) return h('th', c.label);
          const dir = state.sort === c.sort ? 'asc' : state.sort === `-${c.sort}` ? 'desc' : null;
          return h(
            'th.sortable',
            { 'aria-sort': dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none' },
            h('button.link', { type: 'button', dataset: { sort: c.sort }, onclick: () => sortBy(c.sort) }, c.label, dir ? (dir === 'asc' ? ' ▲' : ' ▼') : ''),
          );
        }),
      ),
    );
  }

  async function fetchPage() {
    controller?.abort();
    controller = new AbortController();
    const params = { q: state.q, label: state.label ? state.label.split(',').map((s) => s.trim()).filter(Boolean) : [], condition: state.condition, sort: state.sort, offset: state.page * state.size, limit: state.size };
    const data = await get(`/ui/api/devices${query(params)}`, controller.signal);
    if (!alive) return;
    error.hidden = true;
    fill(body, data.items.length ? data.items.map(row) : h('tr', h('td.empty', { colspan: COLUMNS.length }, 'No device matches.')));
    const first = data.total ? data.offset + 1 : 0;
    info.textContent = `${num(first)}–${num(data.offset + data.items.length)} of ${num(data.total)} devices`;
    prev.disabled = state.page === 0;
    next.disabled = data.offset + data.items.length >= data.total;
    if (root.dataset.ready !== 'true') performance.mark('drover:devices-rendered');
    root.dataset.ready = 'true';
  }

  const load = refresher(async () => {
    try {
      await fetchPage();
    } catch (err) {
      if (err.name === 'AbortError' || !alive) return;
      error.hidden = false;
      error.textContent = err.message;
    }
  }, 1500);

  function reload() {
    syncUrl();
    renderHead();
    load.now();
  }
  function go(page) {
    state.page = Math.max(0, page);
    reload();
  }
  function sortBy(key) {
    state.sort = state.sort === key ? `-${key}` : key;
    state.page = 0;
    reload();
  }
  let typing = null;
  const onFilter = () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      state.q = search.value.trim();
      state.label = label.value.trim();
      state.condition = condition.value;
      state.size = Number(size.value);
      state.page = 0;
      reload();
    }, 250);
  };
  search.addEventListener('input', onFilter);
  label.addEventListener('input', onFilter);
  condition.addEventListener('change', onFilter);
  size.addEventListener('change', onFilter);

  fill(
    root,
    h('h1', 'Devices'),
    h('div.toolbar', search, label, condition, size),
    error,
    h('div.table-wrap', h('table.devices', head, body)),
    h('div.pager', prev, info, next),
  );
  renderHead();
  load.now();
  const clock = setInterval(load, 15_000);

  return {
    onChange(e) {
      if (e.topics.includes('devices') || e.topics.includes('status') || e.topics.includes('revision')) load();
    },
    unmount() {
      alive = false;
      load.stop();
      controller?.abort();
      clearInterval(clock);
      clearTimeout(typing);
    },
  };
}
