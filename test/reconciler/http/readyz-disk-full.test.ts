// /readyz on a real full disk: meta's data directory on a small tmpfs, filled until SQLite cannot
// write. /readyz says 503 with the store's error, /healthz stays 200, and no report answered 200 is
// lost; once space is freed, the queued writes go through and /readyz says 200 again.
// Needs root to mount the tmpfs (as CI runs); skipped with the reason where mounting is refused.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../../../lib/log.js';
import { openSqliteStore } from '../../../reconciler/store/sqlite-store.js';
import { copyExampleFleet, heartbeatBody, postHeartbeat, startMetaInProcess } from '../../helpers/meta-process.js';
import { fillDisk, mountTmpfs } from '../../helpers/tmpfs.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-readyz-full-'));
const data = join(tmp, 'data');
const fleet = copyExampleFleet();
mkdirSync(data);
const disk = mountTmpfs(data, 8);
const skip = disk.skip;
after(() => {
  disk.unmount();
  rmSync(tmp, { recursive: true, force: true });
  rmSync(fleet, { recursive: true, force: true });
});

async function until<T>(what: string, f: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('/readyz on a full disk', { skip }, () => {
  it('503 with the reason while SQLite cannot write, 200 once space is freed; no acknowledged report lost', { timeout: 240_000 }, async () => {
    const m = await startMetaInProcess({ repo: fleet, dataDir: data });
    const acked: string[] = [];
    let refused = 0;
    let n = 0;
    // A new device (with a bulky package report) is a state change: answered only once it is committed.
    const report = async (): Promise<number> => {
      const id = `full-${String(n++).padStart(4, '0')}`;
      const r = await postHeartbeat(m.url, m.agentToken, heartbeatBody(id, { packages: [{ name: 'bulk', version: '1', state: 'failed', outputTail: 'x'.repeat(16_000) }] }));
      if (r.status === 200) acked.push(id);
      else refused++;
      return r.status;
    };
    try {
      assert.equal((await fetch(`${m.url}/readyz`)).status, 200);
      assert.equal(await report(), 200);

      const filler = join(data, 'filler');
      assert.ok(fillDisk(filler) > 0);
      // The WAL may still hold some room: report until a write is refused.
      for (let i = 0; i < 400 && (await report()) === 200; i++);
      assert.ok(refused > 0, 'a report was refused once the disk was full');
      const failing = await until('/readyz 503', async () => {
        const r = await fetch(`${m.url}/readyz`);
        return r.status === 503 ? ((await r.json()) as { reasons: string[] }) : undefined;
      });
      assert.match(failing.reasons.join(), /store does not accept writes \(.*(disk is full|SQLITE_FULL)/i);
      assert.equal((await fetch(`${m.url}/healthz`)).status, 200, 'alive all along');

      rmSync(filler);
      await until('/readyz 200 again', async () => (await fetch(`${m.url}/readyz`)).status === 200);
      assert.equal(await report(), 200, 'reports are acknowledged again');
    } finally {
      await m.stop({ keepData: true });
    }
    const store = await openSqliteStore({ path: join(data, 'meta.db'), log: silentLogger() });
    try {
      const kept = new Set((await store.loadDevices()).map((d) => d.id));
      assert.deepEqual(acked.filter((id) => !kept.has(id)), [], `every one of the ${acked.length} acknowledged reports is in the store`);
    } finally {
      await store.close();
    }
  });
});
