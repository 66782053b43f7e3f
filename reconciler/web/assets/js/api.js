// Talks to meta: the dashboard's data endpoints under /ui/api/, authenticated by the session
// cookie. A 401 anywhere means the session ended: the app shows the login form.
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Called with no argument whenever a request comes back 401. */
export function onUnauthorized(fn) {
  listeners.add(fn);
}

async function request(method, path, body, signal) {
  const init = { method, credentials: 'same-origin', headers: { accept: 'application/json' }, signal };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    // The boot-time session check and the login itself answer 401 without a session having ended.
    if (res.status === 401 && !/\/(login|session)$/.test(path)) for (const fn of listeners) fn();
    throw new ApiError(res.status, data?.error ?? 'HTTP_' + res.status, data?.message ?? res.statusText);
  }
  return data;
}

export const get = (path, signal) => request('GET', path, undefined, signal);
export const post = (path, body) => request('POST', path, body ?? {});

/** A query string from an object, skipping empty values; arrays repeat the key. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const item of v) q.append(k, item);
    else q.set(k, String(v));
  }
  const str = q.toString();
  return str ? '?' + str : '';
}

/**
 * Wraps a loader so that at most one call runs at once and calls are spaced by `gapMs`: calls made
 * meanwhile collapse into one more run afterwards. Live events use it so a busy fleet never
 * stacks requests.
 */
export function refresher(load, gapMs = 1000) {
  let running = false;
  let again = false;
  let last = 0;
  let timer = null;
  let stopped = false;
  const run = async () => {
    timer = null;
    if (stopped) return;
    running = true;
    again = false;
    last = Date.now();
    try {
      await load();
    } catch (err) {
      if (err?.name !== 'AbortError') console.warn('refresh failed', err);
    } finally {
      running = false;
      if (again) schedule();
    }
  };
  const schedule = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    if (timer) return;
    timer = setTimeout(run, Math.max(0, last + gapMs - Date.now()));
  };
  schedule.now = run;
  schedule.stop = () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
  return schedule;
}

/**
 * A view that shows one endpoint: loads it now, again on the live events `topics` names (and every
 * `everyMs` when given, so relative times stay true), and marks `root` ready after the first render.
 */
export function mountLoaded(root, path, render, { topics, everyMs }) {
  let alive = true;
  const load = refresher(async () => {
    const data = await get(path);
    if (!alive) return;
    render(root, data);
    root.dataset.ready = 'true';
  }, 1000);
  load.now();
  const clock = everyMs ? setInterval(load, everyMs) : null;
  return {
    onChange(e) {
      if (e.topics.some((t) => topics.includes(t))) load();
    },
    unmount() {
      alive = false;
      load.stop();
      if (clock) clearInterval(clock);
    },
  };
}
