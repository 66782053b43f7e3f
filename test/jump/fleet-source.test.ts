// The fleet source of jump reads a directory repository on every interval: the same content is
// the same view (not parsed again, the same object, so connections are not re-checked for
// nothing); a change gives a new view with a new revision.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FleetSource } from '../../jump/fleet-source.js';
import { silentLogger } from '../../lib/log.js';

describe('jump fleet source', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jump-fleet-source-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the view of an unchanged directory, and gives a new one when a file changes', async () => {
    const repo = join(dir, 'fleet');
    mkdirSync(join(repo, 'devices'), { recursive: true });
    writeFileSync(join(repo, 'fleet.yaml'), 'heartbeat: 10s\n');
    writeFileSync(join(repo, 'devices', 'web-1.yaml'), 'id: web-1\naddress: 10.9.9.9\n');
    const fleet = new FleetSource({ repo, dataDir: join(dir, 'data'), log: silentLogger() });
    try {
      await fleet.refresh();
      const first = fleet.current;
      assert.match(first.revision ?? '', /^dir-/);
      for (let i = 0; i < 3; i++) {
        await fleet.refresh();
        assert.equal(fleet.current, first, `read ${i + 2}: the same view`);
      }
      writeFileSync(join(repo, 'devices', 'web-1.yaml'), 'id: web-1\naddress: 10.9.9.10\n');
      await fleet.refresh();
      assert.notEqual(fleet.current, first);
      assert.notEqual(fleet.current.revision, first.revision);
      assert.equal(fleet.current.devices.get('web-1')?.address, '10.9.9.10');
    } finally {
      fleet.stop();
    }
  });
});
