// The durable journal of commands run on this device, for at-most-once: an append-only file of
// JSON lines under the agent's state dir, fsync'd after every record. `recordStarted` is durable
// before it resolves, so the caller spawns only after it. When the journal is opened, a command
// whose last record is `started` was cut short by a crash: it is recorded `interrupted` (and a
// once-command is never run again). The file is compacted (last record per id, atomic rewrite)
// when it grows past a size.
import { mkdir, open, readFile, rename, rm, stat, truncate, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '../lib/log.js';
import type { CommandRunOutcome } from '../specs/wire/heartbeat.js';

export type FinishedStatus = 'succeeded' | 'failed' | 'timedOut' | 'interrupted';

/** How a run ended, as recorded by `recordFinished`. */
export interface CommandOutcome extends CommandRunOutcome {
  status: FinishedStatus;
}

export interface JournalRecord extends Partial<CommandOutcome> {
  id: string;
  name: string;
  event: 'started' | 'finished' | 'interrupted';
  /** When this record was written. */
  at: string;
}

export interface CommandJournal {
  readonly path: string;
  /** Durable (fsync'd) when the promise resolves: spawn after it. */
  recordStarted(id: string, name: string): Promise<JournalRecord>;
  recordFinished(id: string, result: CommandOutcome & { name?: string }): Promise<JournalRecord>;
  lastRecord(id: string): JournalRecord | undefined;
  /** The last record of every command ever journaled. */
  all(): JournalRecord[];
  close(): Promise<void>;
}

export interface JournalOptions {
  stateDir: string;
  fileName?: string;
  /** Compact when the file grows past this. Default 1 MiB. */
  compactAtBytes?: number;
  /** On compaction, output tails of records older than this are dropped (the outcome is kept). Default 7 days. */
  keepOutputMs?: number;
  now?: () => Date;
  log?: Logger;
}

function parseLines(text: string, log?: Logger): { records: JournalRecord[]; validBytes: number } {
  const records: JournalRecord[] = [];
  // Only complete lines count: a crash mid-append leaves a torn last line, which is dropped.
  const end = text.lastIndexOf('\n') + 1;
  let bad = 0;
  for (const line of text.slice(0, end).split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as JournalRecord;
      if (typeof r.id === 'string' && typeof r.event === 'string') records.push(r);
      else bad++;
    } catch {
      bad++;
    }
  }
  if (bad > 0) log?.warn({ bad }, 'command journal: skipped unreadable lines');
  return { records, validBytes: Buffer.byteLength(text.slice(0, end)) };
}

export async function openCommandJournal(opts: JournalOptions): Promise<CommandJournal> {
  const path = join(opts.stateDir, opts.fileName ?? 'commands.jsonl');
  const now = opts.now ?? (() => new Date());
  const compactAt = opts.compactAtBytes ?? 1024 * 1024;
  const keepOutputMs = opts.keepOutputMs ?? 7 * 24 * 3600 * 1000;
  await mkdir(dirname(path), { recursive: true });

  const last = new Map<string, JournalRecord>();
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { records, validBytes } = parseLines(text, opts.log);
  for (const r of records) last.set(r.id, r);
  if (validBytes < Buffer.byteLength(text)) await truncate(path, validBytes);

  let fh: FileHandle = await open(path, 'a', 0o600);
  let size = validBytes;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  /** Serialized: appends run one after another, each fsync'd before the next starts. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = queue.then(fn);
    queue = p.catch(() => {});
    return p;
  };

  const append = async (recs: JournalRecord[]): Promise<void> => {
    if (closed) throw new Error('command journal is closed');
    const data = recs.map((r) => JSON.stringify(r) + '\n').join('');
    try {
      await fh.write(data);
      await fh.sync();
    } catch (err) {
      // A full disk: cut what was half written, so the next append starts on a line of its own.
      await fh.truncate(size).catch(() => {});
      throw err;
    }
    size += Buffer.byteLength(data);
    for (const r of recs) last.set(r.id, r);
    // The record is durable: a compaction that fails (a full disk) is tried again after the next one.
    if (size > compactAt) await compact().catch((err) => opts.log?.error({ err: (err as Error).message }, 'command journal: compaction failed'));
  };

  const compact = async (): Promise<void> => {
    const cutoff = now().getTime() - keepOutputMs;
    const kept = [...last.values()].map((r) =>
      r.outputTail && Date.parse(r.at) < cutoff ? { ...r, outputTail: null } : r,
    );
    const data = kept.map((r) => JSON.stringify(r) + '\n').join('');
    const tmp = `${path}.tmp-${process.pid}`;
    try {
      const out = await open(tmp, 'w', 0o600);
      try {
        await out.write(data);
        await out.sync();
      } finally {
        await out.close();
      }
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
    const dir = await open(dirname(path), 'r');
    await dir.sync().catch(() => {}).finally(() => dir.close());
    await fh.close();
    fh = await open(path, 'a', 0o600);
    size = Buffer.byteLength(data);
    for (const r of kept) last.set(r.id, r);
    opts.log?.info({ records: kept.length, bytes: size }, 'command journal compacted');
  };

  // Crash recovery: started without finished means the agent died while it ran.
  const interrupted: JournalRecord[] = [];
  for (const r of last.values()) {
    if (r.event !== 'started') continue;
    const at = now().toISOString();
    interrupted.push({
      id: r.id, name: r.name, event: 'interrupted', at, status: 'interrupted', exitCode: null, signal: null,
      startedAt: r.startedAt ?? r.at, finishedAt: null, durationMs: null,
      outputTail: 'interrupted: the agent stopped while the command ran; it is not run again automatically', truncated: false,
    });
  }
  // A full disk must not keep the agent from starting: what cannot be written is known in memory.
  if (interrupted.length > 0) {
    opts.log?.warn({ ids: interrupted.map((r) => r.id) }, 'commands interrupted by an agent restart');
    await serial(() => append(interrupted)).catch((err) => {
      for (const r of interrupted) last.set(r.id, r);
      opts.log?.error({ err: (err as Error).message }, 'command journal: cannot record the interrupted commands');
    });
  } else if (size > compactAt) {
    await serial(compact).catch((err) => opts.log?.error({ err: (err as Error).message }, 'command journal: compaction failed'));
  }

  return {
    path,
    recordStarted: (id, name) =>
      serial(async () => {
        const at = now().toISOString();
        const rec: JournalRecord = { id, name, event: 'started', at, startedAt: at };
        await append([rec]);
        return rec;
      }),
    recordFinished: (id, result) =>
      serial(async () => {
        const { name, ...outcome } = result;
        const rec: JournalRecord = { ...outcome, id, name: name ?? last.get(id)?.name ?? id.split('@')[0]!, event: 'finished', at: now().toISOString() };
        await append([rec]);
        return rec;
      }),
    lastRecord: (id) => last.get(id),
    all: () => [...last.values()],
    close: () =>
      serial(async () => {
        if (closed) return;
        closed = true;
        await fh.close();
      }),
  };
}

/** Size of the journal file (for tests and metrics). */
export async function journalSize(path: string): Promise<number> {
  return (await stat(path)).size;
}
