// Live updates: one EventSource on /ui/api/events. The server sends coalesced `change` events
// ({ topics, devices, at }); views subscribe and refresh what they show. After a reconnect every
// view refreshes everything (events may have been missed meanwhile).
const ALL = { topics: ['devices', 'status', 'revision', 'rollouts', 'jump', 'convergence', 'enrollments'], devices: null, at: 0 };
const listeners = new Set();
let source = null;
let indicator = null;
let connectedOnce = false;
let events = 0;

function show(state, text) {
  if (!indicator) return;
  indicator.hidden = false;
  indicator.dataset.state = state;
  indicator.querySelector('span').textContent = text;
}

function dispatch(event) {
  for (const fn of listeners) {
    try {
      fn(event);
    } catch (err) {
      console.error('live listener failed', err);
    }
  }
}

export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Events received so far (shown in the indicator's title; tests read it). */
export function eventCount() {
  return events;
}

let retryTimer = null;

export function startLive(el, onUnauthorized) {
  indicator = el;
  stopLive();
  const es = new EventSource('/ui/api/events');
  source = es;
  show('connecting', 'connecting');
  source.addEventListener('hello', () => {
    show('up', 'live');
    if (connectedOnce) dispatch(ALL);
    connectedOnce = true;
  });
  source.addEventListener('change', (e) => {
    events++;
    indicator.title = `live updates (${events} received)`;
    document.body.dataset.liveEvents = String(events);
    try {
      dispatch(JSON.parse(e.data));
    } catch (err) {
      console.error('bad live event', err);
    }
  });
  source.addEventListener('error', async () => {
    show('down', 'reconnecting');
    // EventSource hides the status code: ask whether the session is still valid.
    try {
      const res = await fetch('/ui/api/session', { credentials: 'same-origin' });
      if (res.status === 401) {
        stopLive();
        onUnauthorized();
        return;
      }
    } catch {
      // meta unreachable: EventSource keeps retrying by itself while the connection drops
    }
    // An error answer (503 from a busy meta) closes an EventSource for good: start a new one.
    if (es === source && es.readyState === EventSource.CLOSED && !retryTimer) {
      retryTimer = setTimeout(() => {
        retryTimer = null;
        if (es === source) startLive(el, onUnauthorized);
      }, 5000);
    }
  });
}

export function stopLive() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (source) source.close();
  source = null;
  if (indicator) indicator.hidden = true;
}
