// Device addresses: parsing, the static map file, precedence (static map, repository), and
// device host keys trusted on first use.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DeviceKeys } from '../../jump/device-keys.js';
import { DeviceResolver, loadStaticDevices, parseAddress } from '../../jump/devices.js';
import { FleetSource } from '../../jump/fleet-source.js';
import { silentLogger } from '../../lib/log.js';

describe('device addresses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jump-devices-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, { host: string; port: number } | undefined][] = [
    ['10.0.3.17', { host: '10.0.3.17', port: 22 }],
    ['10.0.3.17:2201', { host: '10.0.3.17', port: 2201 }],
    ['dev-17.lan', { host: 'dev-17.lan', port: 22 }],
    ['[fd00::17]:22', { host: 'fd00::17', port: 22 }],
    ['10.0.3.17:99999', undefined],
    ['a b', undefined],
  ];
  for (const [text, want] of cases) it(`parseAddress ${text}`, () => assert.deepEqual(parseAddress(text), want));

  it('reads the static map and refuses bad entries', () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'web-1: "127.0.0.1:2201"\nweb-2: { address: 10.0.0.2, labels: { role: web, tier: 1 } }\n');
    const map = loadStaticDevices(good);
    assert.deepEqual(map.get('web-1'), { address: '127.0.0.1:2201', labels: {} });
    assert.deepEqual(map.get('web-2'), { address: '10.0.0.2', labels: { role: 'web', tier: '1' } });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'web-1: { labels: {} }\n');
    assert.throws(() => loadStaticDevices(bad), /web-1: address must be/);
  });

  it('resolves from the static map first, then the repository; labels from the repository win', async () => {
    const repo = join(dir, 'fleet');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(repo, 'devices'), { recursive: true });
    writeFileSync(join(repo, 'devices', 'web-1.yaml'), 'id: web-1\naddress: 10.9.9.9\nlabels: { role: web }\n');
    writeFileSync(join(repo, 'devices', 'db-1.yaml'), 'id: db-1\naddress: "10.0.0.5:2022"\nlabels: { role: db }\n');
    const fleet = new FleetSource({ repo, dataDir: dir, log: silentLogger() });
    await fleet.refresh();
    const resolver = new DeviceResolver({ staticDevices: new Map([['web-1', { address: '127.0.0.1:2201', labels: { role: 'old', site: 'bj' } }]]), fleet });
    assert.deepEqual(await resolver.resolve('web-1'), { id: 'web-1', host: '127.0.0.1', sshPort: 2201, labels: { role: 'web', site: 'bj' }, source: 'static' });
    assert.deepEqual(await resolver.resolve('db-1'), { id: 'db-1', host: '10.0.0.5', sshPort: 2022, labels: { role: 'db' }, source: 'repo' });
    assert.equal(await resolver.resolve('nope'), undefined);
    assert.deepEqual((await resolver.list()).map((d) => d.id), ['db-1', 'web-1']);
  });

  it('trusts a device host key on first use and refuses another one later', () => {
    const keys = new DeviceKeys(dir);
    assert.equal(keys.check('web-1', Buffer.from('key-a')), true);
    assert.equal(keys.check('web-1', Buffer.from('key-a')), true);
    assert.equal(keys.check('web-1', Buffer.from('key-b')), false);
    assert.equal(new DeviceKeys(dir).check('web-1', Buffer.from('key-b')), false, 'kept across restarts');
    assert.equal(keys.check('web-2', Buffer.from('key-b')), true);
  });
});
