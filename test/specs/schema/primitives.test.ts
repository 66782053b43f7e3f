import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import { LabelsSchema, Md5Schema, NameSchema, RolloutSchema, RolloutStepSchema, Sha256Schema, UrlSchema, VersionSchema } from '../../../specs/schema/primitives.js';
import { ArtifactSchema } from '../../../specs/schema/package.js';

function firstMessage(schema: z.ZodType, value: unknown): string | undefined {
  const r = schema.safeParse(value);
  return r.success ? undefined : r.error.issues[0]!.message;
}

describe('checksums', () => {
  const sha = '0123456789abcdef'.repeat(4);
  const md5 = '0123456789ABCDEF'.repeat(2);
  const cases: { name: string; schema: z.ZodType; value: unknown; ok?: unknown; error?: RegExp }[] = [
    { name: 'sha256 of 64 hex', schema: Sha256Schema, value: sha, ok: sha },
    { name: 'sha256 is lowercased', schema: Sha256Schema, value: sha.toUpperCase(), ok: sha },
    { name: 'sha256 too short', schema: Sha256Schema, value: 'abc', error: /^must be 64 hexadecimal characters \(this one has 3\)$/ },
    { name: 'sha256 too long', schema: Sha256Schema, value: sha + 'a', error: /\(this one has 65\)/ },
    { name: 'sha256 given an md5', schema: Sha256Schema, value: md5, error: /32 is the length of an md5, write it as md5:/ },
    { name: 'sha256 with a non-hex character', schema: Sha256Schema, value: 'g' + sha.slice(1), error: /^must be 64 hexadecimal characters: "g" is not hexadecimal$/ },
    { name: 'sha256 written as a YAML number', schema: Sha256Schema, value: 1234, error: /^must be a string: quote it/ },
    { name: 'md5 of 32 hex', schema: Md5Schema, value: md5, ok: md5.toLowerCase() },
    { name: 'md5 too short', schema: Md5Schema, value: 'abcd', error: /^must be 32 hexadecimal characters \(this one has 4\)$/ },
    { name: 'md5 given a sha256', schema: Md5Schema, value: sha, error: /64 is the length of a sha256, write it as sha256:/ },
    { name: 'empty md5', schema: Md5Schema, value: '', error: /\(this one has 0\)/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = c.schema.safeParse(c.value);
      if (c.error) {
        assert.equal(r.success, false);
        assert.match(r.error!.issues[0]!.message, c.error);
      } else {
        assert.ok(r.success, JSON.stringify(r.error?.issues));
        assert.equal(r.data, c.ok);
      }
    });
  }
  it('an artifact needs at least one checksum', () => {
    assert.match(firstMessage(ArtifactSchema, { url: 'https://x/a.tgz' })!, /needs a checksum: sha256 \(preferred\) or md5/);
    assert.ok(ArtifactSchema.safeParse({ url: 'https://x/a.tgz', md5: md5 }).success);
    assert.ok(ArtifactSchema.safeParse({ url: 'https://x/a.tgz', sha256: sha, md5: md5 }).success);
  });
});

describe('rollout steps', () => {
  const valid: unknown[][] = [[1], ['100%'], [1, '10%', '100%'], [1, 5, '50%', '100%'], ['0.5%', '100%'], [1, 2, 2]];
  for (const steps of valid) it(`accepts ${JSON.stringify(steps)}`, () => assert.ok(RolloutSchema.safeParse({ steps }).success));
  const invalid: [unknown[], RegExp][] = [
    [[], /at least one step/],
    [[0], /./],
    [[-1], /./],
    [[1.5], /./],
    [['150%'], /device count \(e\.g\. 1\) or a percentage/],
    [['10'], /device count \(e\.g\. 1\) or a percentage/],
    [['10 %'], /device count/],
    [['50%', '10%'], /percentage steps must increase/],
    [['10%', '10%'], /percentage steps must increase/],
    [[5, 1], /steps must not decrease/],
  ];
  for (const [steps, error] of invalid) {
    it(`refuses ${JSON.stringify(steps)}`, () => {
      const r = RolloutSchema.safeParse({ steps });
      assert.equal(r.success, false);
      assert.match(r.error!.issues.map((i) => i.message).join('\n'), error);
    });
  }
  it('defaults maxFailures 0, not paused', () => {
    assert.deepEqual(RolloutSchema.parse({ steps: [1] }), { steps: [1], maxFailures: 0, paused: false });
    assert.equal(RolloutSchema.parse({ steps: [1], interval: '10m' }).interval, 600_000);
  });
  it('a step is a count or a percentage', () => {
    assert.equal(RolloutStepSchema.parse(3), 3);
    assert.equal(RolloutStepSchema.parse('25%'), '25%');
  });
});

describe('names, versions, URLs, labels', () => {
  const cases: [string, z.ZodType, unknown, boolean][] = [
    ['name', NameSchema, 'falcon-agent', true],
    ['name with dots and underscores', NameSchema, 'a.b_c-1', true],
    ['name starting with a dash', NameSchema, '-x', false],
    ['name with a slash', NameSchema, 'a/b', false],
    ['name of 129 characters', NameSchema, 'a'.repeat(129), false],
    ['version', VersionSchema, '5.2.0-rc1', true],
    ['version with build metadata', VersionSchema, '1.0.0+build.5', true],
    ['version with a space', VersionSchema, '1.0 beta', false],
    ['version as a number', VersionSchema, 5.1, false],
    ['https URL', UrlSchema, 'https://mirror.example/a.tgz', true],
    ['file URL', UrlSchema, 'file:///srv/a.tgz', true],
    ['ftp URL', UrlSchema, 'ftp://x/a.tgz', false],
    ['bare path', UrlSchema, '/srv/a.tgz', false],
    ['labels', LabelsSchema, { role: 'web', 'topology.kubernetes.io/zone': 'a' }, true],
    ['label key with a space', LabelsSchema, { 'bad key': 'x' }, false],
  ];
  for (const [name, schema, value, ok] of cases) it(`${name}: ${ok ? 'valid' : 'invalid'}`, () => assert.equal(schema.safeParse(value).success, ok));
  it('label values are strings whatever YAML made of them', () => {
    assert.deepEqual(LabelsSchema.parse({ rack: 12, gpu: true, role: 'web' }), { rack: '12', gpu: 'true', role: 'web' });
  });
  it('a version written as a number asks for quotes', () => {
    assert.match(firstMessage(VersionSchema, 5.1)!, /must be a string: quote it/);
  });
});
