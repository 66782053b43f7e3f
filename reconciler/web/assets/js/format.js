// Formatting helpers shared by the views.
export const CONDITIONS = ['InSync', 'Progressing', 'Failed', 'Offline', 'Revoked'];
export const CONDITION_LABEL = { InSync: 'in sync', Progressing: 'progressing', Failed: 'failed', Offline: 'offline', Revoked: 'revoked' };

export function shortRev(rev) {
  return rev ? String(rev).slice(0, 12) : '—';
}

export function toMs(t) {
  if (t === null || t === undefined || t === '') return null;
  if (typeof t === 'number') return t;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : ms;
}

/** "12 s ago", "3 min ago", "in 5 s". */
export function ago(t, now = Date.now()) {
  const ms = toMs(t);
  if (ms === null) return 'never';
  const d = Math.round((now - ms) / 1000);
  const abs = Math.abs(d);
  let text;
  if (abs < 5) return 'just now';
  if (abs < 60) text = `${abs} s`;
  else if (abs < 3600) text = `${Math.floor(abs / 60)} min`;
  else if (abs < 86400) text = `${Math.floor(abs / 3600)} h ${Math.floor((abs % 3600) / 60)} min`;
  else text = `${Math.floor(abs / 86400)} d`;
  return d >= 0 ? `${text} ago` : `in ${text}`;
}

export function when(t) {
  const ms = toMs(t);
  if (ms === null) return '';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function num(n) {
  return n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US');
}

export function labelsText(labels) {
  return Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`);
}
