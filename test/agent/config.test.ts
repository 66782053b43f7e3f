import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadAgentConfig, parseSize } from '../../agent/config.js';

describe('agent config', () => {
  it('reads flags, environment and a config file, flags first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drover-agent-cfg-'));
    try {
      const file = join(dir, 'agent.yaml');
      writeFileSync(file, 'meta: http://file:7070\nroot: /srv/drover\nlabels: [role=db]\nmax-backoff: 2m\n');
      const { config } = loadAgentConfig(['--config', file, '--labels', 'role=web,site=bj', '--id', 'dev-9', '--initial-delay', '0'], { DROVER_AGENT_TOKEN: 'tok-from-env', DROVER_AGENT_META: 'http://env:7070' });
      assert.equal(config!.metaUrl, 'http://env:7070');
      assert.equal(config!.token, 'tok-from-env');
      assert.equal(config!.root, '/srv/drover');
      assert.deepEqual(config!.labels, { role: 'web', site: 'bj' });
      assert.equal(config!.id, 'dev-9');
      assert.equal(config!.initialDelayMs, 0);
      assert.equal(config!.maxBackoffMs, 120_000);
      assert.equal(config!.maxDownloadBytes, 4 * 1024 ** 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('defaults the id to the hostname and the initial delay to the interval', () => {
    const { config } = loadAgentConfig(['--meta', 'http://m:7070'], {});
    assert.match(config!.id, /^[A-Za-z0-9][A-Za-z0-9._-]*$/);
    assert.equal(config!.initialDelayMs, null);
  });

  it('refuses a missing meta, a bad URL, bad labels and bad sizes with a clear message', () => {
    assert.throws(() => loadAgentConfig([], {}), /--meta URL is required/);
    assert.throws(() => loadAgentConfig(['--meta', 'ftp://x'], {}), /--meta: must be an http/);
    assert.throws(() => loadAgentConfig(['--meta', 'http://m', '--labels', 'oops'], {}), /key=value/);
    assert.throws(() => loadAgentConfig(['--meta', 'http://m', '--max-download-size', 'lots'], {}), /size/);
    assert.throws(() => loadAgentConfig(['--meta', 'http://m', '--id', '../etc'], {}), /--id/);
  });

  it('renders --help with every option', () => {
    const { help } = loadAgentConfig(['--help'], {});
    for (const flag of ['--meta', '--token', '--root', '--id', '--labels', '--initial-delay', '--max-download-size', '--stop-on-exit']) assert.ok(help!.includes(flag), flag);
  });

  it('parses sizes', () => {
    assert.deepEqual(['512M', '2G', '100k', '42', '1.5KiB', 'x'].map(parseSize), [512 * 1024 ** 2, 2 * 1024 ** 3, 102_400, 42, 1536, undefined]);
  });
});
