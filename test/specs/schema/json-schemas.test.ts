// The JSON Schemas derived from the zod schemas: the example fleet's files validate against
// them (with a real JSON Schema validator), a mistake is caught by them too, and the copies
// the example fleet ships for editors are the current ones.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { FLEET_FILE_KINDS, fleetJsonSchemas, type FleetFileKind } from '../../../specs/schema/json-schemas.js';

const FLEET = join(import.meta.dirname, '../../../examples/fleet');
const schemas = fleetJsonSchemas();
const ajv = new Ajv2020({ allErrors: true, strict: false });
const validator = (kind: FleetFileKind) => ajv.compile(schemas[FLEET_FILE_KINDS[kind].file]!);

function exampleFiles(): [FleetFileKind, string][] {
  const inFolder = (dir: string, kind: FleetFileKind) => readdirSync(join(FLEET, dir)).filter((f) => f.endsWith('.yaml')).map((f) => [kind, `${dir}/${f}`] as [FleetFileKind, string]);
  return [['fleet', 'fleet.yaml'], ['control', 'control.yaml'], ...inFolder('packages', 'package'), ...inFolder('devices', 'device'), ...inFolder('users', 'user')];
}

describe('fleet JSON Schemas', () => {
  for (const [kind, file] of exampleFiles()) {
    it(`${file} validates against the ${kind} schema and names it for editors`, () => {
      const text = readFileSync(join(FLEET, file), 'utf8');
      const validate = validator(kind);
      assert.ok(validate(parse(text)), JSON.stringify(validate.errors));
      const depth = file.split('/').length - 1;
      assert.equal(text.split('\n')[0], `# yaml-language-server: $schema=${'../'.repeat(depth)}.schemas/${FLEET_FILE_KINDS[kind].file}`);
    });
  }

  it('catches a mistyped field and a wrong state, as drover validate does', () => {
    const pkg = parse(readFileSync(join(FLEET, 'packages/hello-service.yaml'), 'utf8')) as Record<string, unknown>;
    const validate = validator('package');
    assert.equal(validate({ ...pkg, verison: '1' }), false);
    assert.equal(validate({ ...pkg, state: 'running' }), false);
  });

  it('examples/fleet/.schemas holds the current schemas (drover schema --out examples/fleet/.schemas)', () => {
    for (const [file, schema] of Object.entries(schemas)) {
      assert.deepEqual(JSON.parse(readFileSync(join(FLEET, '.schemas', file), 'utf8')), schema, `${file} is stale`);
    }
  });
});

describe('devices/<id>.yaml enroll', () => {
  it('takes auto or a key fingerprint, and says what it takes otherwise', async () => {
    const { DeviceSchema } = await import('../../../specs/schema/device.js');
    const fp = 'SHA256:' + 'x'.repeat(43);
    assert.equal(DeviceSchema.safeParse({ id: 'd1', enroll: 'auto' }).success, true);
    assert.equal(DeviceSchema.safeParse({ id: 'd1', enroll: { fingerprint: fp } }).success, true);
    for (const bad of ['manual', { fingerprint: 'MD5:aa' }, { fingerprint: fp, extra: 1 }]) {
      const r = DeviceSchema.safeParse({ id: 'd1', enroll: bad });
      assert.equal(r.success, false);
      assert.match(r.error!.issues[0]!.message, /auto|fingerprint|extra/);
    }
  });
});
