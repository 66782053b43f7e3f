// The dashboard's shell: login, hash routing (#/overview, #/devices, #/devices/ID, #/rollouts,
// #/jump, #/enrollments, #/revisions/SHA), live updates dispatched to the mounted view.
import { get, onUnauthorized, post } from './api.js';
import { fill, h } from './dom.js';
import { onChange, startLive, stopLive } from './live.js';
import { pendingCountChanged, startPendingCount, stopPendingCount } from './pending-count.js';
import * as overview from './views/overview.js';
import * as devices from './views/devices.js';

const $ = (id) => document.getElementById(id);
const lazy = {
  device: () => import('./views/device.js'),
  rollouts: () => import('./views/rollouts.js'),
  jump: () => import('./views/jump.js'),
  enrollments: () => import('./views/enrollments.js'),
  revision: () => import('./views/revision.js'),
};
let current = null;
let routeSeq = 0;

function parseRoute() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, qs] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(qs ?? '');
  if (parts[0] === 'devices' && parts[1]) return { name: 'device', id: parts.slice(1).join('/'), params };
  if (parts[0] === 'revisions' && parts[1]) return { name: 'revision', id: parts[1], params };
  if (['overview', 'devices', 'rollouts', 'jump', 'enrollments'].includes(parts[0])) return { name: parts[0], params };
  return { name: 'overview', params };
}

async function route() {
  const seq = ++routeSeq;
  const r = parseRoute();
  if (current) current.unmount?.();
  current = null;
  for (const a of document.querySelectorAll('#nav a')) {
    const active = a.dataset.view === r.name || (r.name === 'device' && a.dataset.view === 'devices') || (r.name === 'revision' && a.dataset.view === 'overview');
    a.classList.toggle('active', active);
    if (active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const root = fill($('view'));
  delete root.dataset.ready; // each view sets it once its data is shown
  root.dataset.view = r.name;
  let mod;
  if (r.name === 'overview') mod = overview;
  else if (r.name === 'devices') mod = devices;
  else mod = await lazy[r.name]();
  if (seq !== routeSeq) return;
  current = mod.mount(root, r);
}

function showLogin(message) {
  stopLive();
  stopPendingCount();
  if (current) current.unmount?.();
  current = null;
  routeSeq++; // a view still loading must not mount over the form
  const root = fill($('view'));
  delete root.dataset.ready;
  delete root.dataset.view;
  $('nav').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  const err = $('login-error');
  err.hidden = !message;
  err.textContent = message ?? '';
  $('token').focus();
}

function showApp() {
  $('login').hidden = true;
  $('nav').hidden = false;
  $('logout').hidden = false;
  startLive($('live'), () => showLogin('Your session ended; sign in again.'));
  startPendingCount($('pending-count'));
  route();
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = $('token');
  const button = e.target.querySelector('button');
  button.disabled = true;
  try {
    await post('/ui/api/login', { token: input.value });
    input.value = '';
    showApp();
  } catch (err) {
    showLogin(err.status === 401 ? 'That token is not valid.' : err.message);
  } finally {
    button.disabled = false;
  }
});

$('logout').addEventListener('click', async () => {
  try {
    await post('/ui/api/logout');
  } finally {
    showLogin();
  }
});

onUnauthorized(() => showLogin('Your session ended; sign in again.'));
onChange((event) => {
  pendingCountChanged(event);
  current?.onChange?.(event);
});
window.addEventListener('hashchange', () => {
  if ($('login').hidden) route();
});

(async () => {
  try {
    await get('/ui/api/session');
    showApp();
  } catch (err) {
    if (err.status === 401) showLogin();
    else fill($('view'), h('p.card.error', `Cannot reach meta: ${err.message}`));
  }
})();
