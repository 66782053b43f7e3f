import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandContentHash, commandId } from '../../../specs/resolve/command-identity.js';
import { resolveDevice } from '../../../specs/resolve/resolve-device.js';
import { ApprovedCommandSchema, type ApprovedCommandSpec } from '../../../specs/schema/command.js';
import { fleetFromYaml, pkg } from '../fleet-from-yaml.js';

const base = ApprovedCommandSchema.parse({ name: 'clean-tmp', run: 'find /tmp -mtime +7 -delete', timeout: '30s' });
const edit = (patch: Partial<ApprovedCommandSpec>): ApprovedCommandSpec => ApprovedCommandSchema.parse({ ...base, ...patch });

describe('commandContentHash', () => {
  const same: [string, ApprovedCommandSpec][] = [
    ['a different timeout', edit({ timeout: 600_000 })],
    ['a selector', edit({ select: { labels: { role: 'web' } } })],
    ['a rollout', ApprovedCommandSchema.parse({ ...base, rollout: { steps: [1, '100%'] } })],
    ['a description', edit({ description: 'cleans up' })],
  ];
  for (const [what, cmd] of same) it(`ignores ${what}`, () => assert.equal(commandContentHash(cmd), commandContentHash(base)));

  const different: [string, ApprovedCommandSpec][] = [
    ['an edited run', edit({ run: 'find /tmp -mtime +8 -delete' })],
    ['a user', edit({ user: 'nobody' })],
    ['env', edit({ env: { A: '1' } })],
    ['a workdir', edit({ workdir: '/srv' })],
    ['repeat every', edit({ repeat: { every: 3_600_000 } })],
    ['repeat on a version change', edit({ repeat: { onVersionChange: 'falcon-agent' } })],
  ];
  for (const [what, cmd] of different) it(`changes with ${what}`, () => assert.notEqual(commandContentHash(cmd), commandContentHash(base)));

  it('changes with the repeat interval', () => {
    assert.notEqual(commandContentHash(edit({ repeat: { every: 60_000 } })), commandContentHash(edit({ repeat: { every: 120_000 } })));
  });
  it('is 12 hex characters and stable', () => {
    assert.match(commandContentHash(base), /^[0-9a-f]{12}$/);
    assert.equal(commandContentHash(base), commandContentHash(ApprovedCommandSchema.parse({ timeout: '1m', run: base.run, name: 'other' })));
  });
  it('an identity is name@hash', () => assert.equal(commandId('clean-tmp', 'abc123'), 'clean-tmp@abc123'));
});

describe('command identity in resolved documents', () => {
  const control = (run: string, extra = ''): string => `commands:\n  - name: reload\n    run: ${run}\n${extra}`;
  const idOf = async (files: Record<string, string>, device = 'd1'): Promise<string> => {
    const spec = await fleetFromYaml({ 'devices/d1.yaml': 'labels: { role: web }\n', ...files });
    const cmd = resolveDevice(spec, { id: device }).document.commands.find((c) => c.name === 'reload');
    assert.ok(cmd, 'the command is in the document');
    return cmd.id;
  };

  it('editing run makes a new identity; timeout and selector do not', async () => {
    const a = await idOf({ 'control.yaml': control('systemctl reload nginx', '    timeout: 30s\n') });
    assert.match(a, /^reload@[0-9a-f]{12}$/);
    assert.equal(await idOf({ 'control.yaml': control('systemctl reload nginx', '    timeout: 5m\n    select: { labels: { role: web } }\n') }), a);
    assert.notEqual(await idOf({ 'control.yaml': control('systemctl restart nginx', '    timeout: 30s\n') }), a);
  });

  it('repeat.onVersionChange: the identity follows the resolved version of that package', async () => {
    const files = (version: string): Record<string, string> => ({
      'packages/nginx.yaml': pkg('nginx', version),
      'control.yaml': control('systemctl reload nginx', '    repeat: { onVersionChange: nginx }\n'),
    });
    const v1 = await idOf(files('1.24.0'));
    const v1again = await idOf(files('1.24.0'));
    const v2 = await idOf(files('1.25.0'));
    assert.equal(v1, v1again);
    assert.notEqual(v1, v2);
    const spec = await fleetFromYaml(files('1.25.0'));
    const cmd = resolveDevice(spec, { id: 'd1' }).document.commands[0]!;
    assert.deepEqual(cmd.repeat, { onVersionChange: 'nginx', version: '1.25.0' });
  });

  it('repeat.onVersionChange: a device pinned to another version gets another identity', async () => {
    const spec = await fleetFromYaml({
      'packages/nginx.yaml': pkg('nginx', '1.24.0'),
      'devices/d1.yaml': 'labels: { role: web }\n',
      'devices/d2.yaml': `labels: { role: web }\npackages:\n  nginx:\n    version: "1.25.0"\n    artifact: { url: "https://mirror.example/nginx-1.25.0.tar.gz", sha256: "${'d'.repeat(64)}" }\n`,
      'control.yaml': control('systemctl reload nginx', '    repeat: { onVersionChange: nginx }\n'),
    });
    const [a, b] = ['d1', 'd2'].map((id) => resolveDevice(spec, { id }).document.commands[0]!);
    assert.notEqual(a!.id, b!.id);
    assert.equal(a!.repeat && 'version' in a!.repeat ? a!.repeat.version : undefined, '1.24.0');
    assert.equal(b!.repeat && 'version' in b!.repeat ? b!.repeat.version : undefined, '1.25.0');
  });
});
