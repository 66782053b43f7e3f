// drover schema [KIND] [--out DIR]: JSON Schemas of the fleet files, for editors and CI.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FLEET_FILE_KINDS, fleetJsonSchema, fleetJsonSchemas, type FleetFileKind } from '../specs/schema/json-schemas.js';
import { defineCommand } from './command.js';

const kinds = Object.keys(FLEET_FILE_KINDS) as FleetFileKind[];

const spec = {
  command: 'schema',
  summary:
    'Prints the JSON Schema of a kind of fleet file (fleet, package, device, control, user), or writes all of them\n' +
    'to a folder with --out. Editors with yaml-language-server use them through a first line such as\n' +
    '  # yaml-language-server: $schema=../schemas/package.schema.json',
  usage: `drover schema [${kinds.join('|')}] [--out DIR]`,
  options: [{ name: 'out', type: 'string' as const, help: 'write every schema as DIR/<kind>.schema.json', metavar: 'DIR', env: false as const }],
};

export const command = defineCommand(spec, async (cfg) => {
  const out = cfg.values.out as string | undefined;
  if (out) {
    mkdirSync(out, { recursive: true });
    for (const [file, schema] of Object.entries(fleetJsonSchemas())) writeFileSync(join(out, file), JSON.stringify(schema, null, 2) + '\n');
    process.stdout.write(`wrote ${kinds.length} schemas to ${out}\n`);
    return 0;
  }
  const kind = cfg.positionals[0];
  if (kind === undefined) {
    process.stdout.write(JSON.stringify(fleetJsonSchemas(), null, 2) + '\n');
    return 0;
  }
  if (!(kinds as string[]).includes(kind)) {
    process.stderr.write(`drover schema: unknown kind "${kind}" (one of ${kinds.join(', ')})\n`);
    return 2;
  }
  process.stdout.write(JSON.stringify(fleetJsonSchema(kind as FleetFileKind), null, 2) + '\n');
  return 0;
});
