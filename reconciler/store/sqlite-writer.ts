// The code of the worker thread that owns the SQLite write connection, so a batch write never
// blocks meta's event loop. Kept as plain JavaScript evaluated by the Worker (`eval: true`), so it
// runs the same from the TypeScript sources and from the build.
// Messages in: { seq, devices, commands, conditions, rollouts, baselines, identities, resultRevisions, sessions, deletedSessions, jumpReports, pruneHistoryBefore? } or { close: true };
// out: { seq, error? } or { closed: true }.
export const SQLITE_WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
const upsertDevice = db.prepare(workerData.sql.device);
const upsertCommand = db.prepare(workerData.sql.command);
const insertCondition = db.prepare(workerData.sql.condition);
const upsertRollout = db.prepare(workerData.sql.rollout);
const upsertBaseline = db.prepare(workerData.sql.baseline);
const upsertIdentity = db.prepare(workerData.sql.identity);
const insertResultRevision = db.prepare(workerData.sql.resultRevision);
const upsertSession = db.prepare(workerData.sql.session);
const deleteSession = db.prepare(workerData.sql.deleteSession);
const upsertJumpReport = db.prepare(workerData.sql.jumpReport);
const prune = db.prepare('DELETE FROM condition_history WHERE at < ?');
const write = db.transaction((batch) => {
  for (const d of batch.devices) upsertDevice.run(d);
  for (const c of batch.commands) upsertCommand.run(c);
  for (const c of batch.conditions) insertCondition.run(c);
  for (const r of batch.rollouts) upsertRollout.run(r);
  for (const r of batch.baselines) upsertBaseline.run(r);
  for (const r of batch.identities) upsertIdentity.run(r);
  for (const r of batch.resultRevisions) insertResultRevision.run(r);
  for (const r of batch.sessions) upsertSession.run(r);
  for (const h of batch.deletedSessions) deleteSession.run(h);
  for (const r of batch.jumpReports) upsertJumpReport.run(r);
  if (batch.pruneHistoryBefore) prune.run(batch.pruneHistoryBefore);
});
parentPort.on('message', (msg) => {
  if (msg.close) {
    db.close();
    parentPort.postMessage({ closed: true });
    return;
  }
  try {
    write(msg);
    parentPort.postMessage({ seq: msg.seq });
  } catch (err) {
    parentPort.postMessage({ seq: msg.seq, error: String(err && err.message || err) });
  }
});
`;
