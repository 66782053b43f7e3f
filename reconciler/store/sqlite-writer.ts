// The code of the worker thread that owns the SQLite write connection, so a batch write never
// blocks meta's event loop. Kept as plain JavaScript evaluated by the Worker (`eval: true`), so it
// runs the same from the TypeScript sources and from the build.
// workerData: { path, driver, statements: { name: sql }, cacheKib }.
// Messages in: { seq, writes: [[statement name, rows[]], ...] } (one transaction), { heap: true } or
// { close: true }; out: { seq, error? }, { heap: { newSpace, total } } (the thread's V8 heap, physical
// bytes) or { closed: true }.
export const SQLITE_WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
db.pragma('cache_size = -' + Number(workerData.cacheKib));
const statements = {};
for (const [name, sql] of Object.entries(workerData.statements)) statements[name] = db.prepare(sql);
const write = db.transaction((writes) => {
  for (const [name, rows] of writes) for (const r of rows) statements[name].run(r);
});
parentPort.on('message', (msg) => {
  if (msg.heap) {
    const spaces = require('node:v8').getHeapSpaceStatistics();
    parentPort.postMessage({ heap: {
      newSpace: spaces.filter((s) => s.space_name === 'new_space').reduce((a, s) => a + s.physical_space_size, 0),
      total: spaces.reduce((a, s) => a + s.physical_space_size, 0),
    } });
    return;
  }
  if (msg.close) {
    db.close();
    parentPort.postMessage({ closed: true });
    return;
  }
  try {
    write(msg.writes);
    parentPort.postMessage({ seq: msg.seq });
  } catch (err) {
    parentPort.postMessage({ seq: msg.seq, error: String(err && err.message || err) });
  }
});
`;
