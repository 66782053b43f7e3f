// The navigation's count of pending enrollment requests: read at sign-in, again when a live event
// says enrollments changed (and every 30 s), shown next to "Enrollments" when not zero.
import { get, refresher } from './api.js';

let load = null;
let clock = null;

export function startPendingCount(el) {
  stopPendingCount();
  load = refresher(async () => {
    const counts = await get('/ui/api/enrollments/counts');
    el.textContent = String(counts.pending);
    el.hidden = counts.pending === 0;
    el.closest('a')?.setAttribute('title', `${counts.pending} pending enrollment request${counts.pending === 1 ? '' : 's'}`);
  }, 1000);
  load.now();
  clock = setInterval(load, 30_000);
}

export function pendingCountChanged(event) {
  if (load && event.topics.includes('enrollments')) load();
}

export function stopPendingCount() {
  load?.stop();
  load = null;
  clearInterval(clock);
}
