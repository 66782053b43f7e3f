// fastify's JSON-schema compilers (@fastify/ajv-compiler: ajv and ajv-formats; the serializer
// compiler: fast-json-stringify, fast-uri, …), loaded when a route with a schema is first set up
// instead of when the fastify instance is made. meta's routes declare no schemas, so a running meta
// never loads them: ~0.9 MB less heap (their sources and code; docs/meta.md "Memory"). A route or
// plugin that does declare one gets fastify's default compilers, as before.
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type Builder = (...args: unknown[]) => unknown;
type Factories = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

// resolved from fastify's own location: they are fastify's dependencies, not meta's
const fromFastify = (): NodeJS.Require => createRequire(createRequire(import.meta.url).resolve('fastify'));

let validator: Builder | null = null;
let serializer: Builder | null = null;

/** fastify's `schemaController` option: its default compiler factories, each required on first use. */
export const lazySchemaCompilers: { compilersFactory: Required<Factories> } = {
  compilersFactory: {
    buildValidator: ((...args: unknown[]) => (validator ??= (fromFastify()('@fastify/ajv-compiler') as () => Builder)())(...args)) as NonNullable<Factories['buildValidator']>,
    buildSerializer: ((...args: unknown[]) => (serializer ??= (fromFastify()('@fastify/fast-json-stringify-compiler') as () => Builder)())(...args)) as NonNullable<Factories['buildSerializer']>,
  },
};
