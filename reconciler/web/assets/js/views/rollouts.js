// Rollouts and commands: each staged rollout's steps with progress bars and its state; a paused
// one lists its failing devices with their output. Below, every command with its result counts.
import { mountLoaded } from '../api.js';
import { fill, h, table } from '../dom.js';
import { num, shortRev } from '../format.js';

const STATE_CLASS = { running: 'warn', paused: 'bad', done: 'good' };
const COUNT_KEYS = ['succeeded', 'failed', 'timedOut', 'running', 'pending', 'interrupted', 'skipped'];

function bar(value, max, cls = '') {
  const pct = max > 0 ? Math.min(100, (value / max) * 100) : 0;
  return h('div.progress', { role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': max, 'aria-valuenow': value }, h('div', { class: `fill ${cls}`, style: { width: `${pct.toFixed(1)}%` } }));
}

function stepsView(r) {
  return h(
    'ol.steps',
    r.steps.map((s, i) =>
      h(
        'li',
        { class: s.done ? 'done' : i === r.step ? 'current' : 'later' },
        h('span.step-name', `step ${i + 1}: ${s.step}`),
        bar(s.released, s.target, s.done ? 'good' : i === r.step && r.state === 'paused' ? 'bad' : ''),
        h('span.muted', `${num(s.released)} / ${num(s.target)} released${s.done ? ' · done' : ''}`),
      ),
    ),
  );
}

function failingView(r) {
  if (!r.failing?.length) return null;
  return h(
    'div.failing',
    h('h3', `Failing devices (${r.failing.length}, pause after ${r.maxFailures})`),
    r.failing.map((f) =>
      h(
        'div.output',
        { dataset: { device: f.deviceId } },
        h('p', h('a', { href: `#/devices/${encodeURIComponent(f.deviceId)}` }, h('strong', f.deviceId)), ' ', h('span', { class: `badge s-${f.status}` }, f.status), f.exitCode !== null && f.exitCode !== undefined ? h('span.muted', ` exit ${f.exitCode}`) : null, f.error ? h('span.error', ` ${f.error}`) : null),
        f.outputTail ? h('pre.tail', f.outputTail) : h('p.muted', 'no output'),
      ),
    ),
  );
}

function rolloutCard(r) {
  const pause = r.state === 'paused' ? (r.pauseReason === 'failures' ? 'paused: too many failures' : r.pauseReason === 'spec' ? 'paused in the fleet repository' : r.pauseReason === 'admin' ? 'paused by an admin' : 'paused') : r.state;
  return h(
    'section.card.wide.rollout',
    { dataset: { key: r.key, state: r.state } },
    h('h2', h('span.muted', `${r.kind} `), r.name, ' ', h('span', { class: `badge ${STATE_CLASS[r.state] ?? ''}`, 'data-testid': 'rollout-state' }, pause)),
    h('p.muted', h('code', r.identity), ` · revision ${shortRev(r.revision)} · ${num(r.selected)} selected · ${num(r.released)} released · ${num(r.succeeded)} succeeded${r.waiting ? ` · ${num(r.waiting)} waiting` : ''}`),
    bar(r.succeeded, r.selected, r.state === 'paused' ? 'bad' : 'good'),
    stepsView(r),
    failingView(r),
  );
}

function commandsTable(cmds) {
  if (!cmds.length) return h('p.muted', 'No command in the current revision.');
  return table('table.commands', ['Command', 'Origin', 'Devices', 'Results', 'Rollout'], cmds, (c) =>
    h(
      'tr',
      { dataset: { command: c.name } },
      h('td', h('strong', c.name), h('br'), h('code.small', c.id)),
      h('td', c.origin),
      h('td', num(c.devices)),
      h('td', COUNT_KEYS.filter((k) => c.counts?.[k]).map((k) => h('span', { class: `badge s-${k}` }, `${k} ${num(c.counts[k])}`))),
      h('td', c.rollout ? h('span', { class: `badge ${STATE_CLASS[c.rollout.state] ?? ''}` }, `${c.rollout.state} · step ${c.rollout.step + 1}/${c.rollout.steps.length}`) : '—'),
    ),
  );
}

function render(root, data) {
  const rollouts = data.rollouts?.rollouts ?? null;
  const commands = data.commands?.commands ?? null;
  const order = { paused: 0, running: 1, done: 2 };
  fill(
    root,
    h('h1', 'Rollouts and commands'),
    rollouts === null
      ? h('p.card.muted', { 'data-testid': 'no-data' }, 'No rollout data yet: this meta does not serve /v1/rollouts.')
      : rollouts.length
        ? [...rollouts].sort((a, b) => (order[a.state] ?? 3) - (order[b.state] ?? 3)).map(rolloutCard)
        : h('p.card.muted', 'No staged rollout in the current revision.'),
    h('section.card.wide', h('h2', 'Commands'), commands === null ? h('p.muted', { 'data-testid': 'no-data' }, 'No command data yet: this meta does not serve /v1/commands.') : commandsTable(commands)),
  );
}

export function mount(root) {
  fill(root, h('p.muted', 'Loading…'));
  return mountLoaded(root, '/ui/api/rollouts', render, { topics: ['rollouts', 'revision'] });
}
