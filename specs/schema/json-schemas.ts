// JSON Schemas of the fleet repository's files, derived from the zod schemas (one source of
// truth): for editors (yaml-language-server), for `drover schema`, and for other tools.
import { z } from 'zod';
import { ControlFileSchema } from './command.js';
import { DeviceSchema } from './device.js';
import { FleetSettingsSchema } from './fleet.js';
import { PackageSchema } from './package.js';
import { UserSchema } from './user.js';

/** One entry per kind of file: its schema file name, the files it describes, and the zod schema. */
export const FLEET_FILE_KINDS = {
  fleet: { file: 'fleet.schema.json', describes: 'fleet.yaml', schema: FleetSettingsSchema },
  package: { file: 'package.schema.json', describes: 'packages/*.yaml', schema: PackageSchema },
  device: { file: 'device.schema.json', describes: 'devices/*.yaml', schema: DeviceSchema },
  control: { file: 'control.schema.json', describes: 'control.yaml', schema: ControlFileSchema },
  user: { file: 'user.schema.json', describes: 'users/*.yaml', schema: UserSchema },
} as const;

export type FleetFileKind = keyof typeof FLEET_FILE_KINDS;

/** The JSON Schema (draft 2020-12) of one kind of fleet file, as written (the input side of the zod schema). */
export function fleetJsonSchema(kind: FleetFileKind): Record<string, unknown> {
  const k = FLEET_FILE_KINDS[kind];
  const schema = z.toJSONSchema(k.schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...schema, title: `drover ${k.describes}`, description: `A drover fleet repository's ${k.describes}.` };
}

/** Every kind's schema, keyed by its file name. */
export function fleetJsonSchemas(): Record<string, Record<string, unknown>> {
  return Object.fromEntries((Object.keys(FLEET_FILE_KINDS) as FleetFileKind[]).map((k) => [FLEET_FILE_KINDS[k].file, fleetJsonSchema(k)]));
}
