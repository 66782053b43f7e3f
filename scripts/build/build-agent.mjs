// Bundles the agent into one file, dist/drover-agent.mjs (esbuild): runs with `node` alone, no
// node_modules, no native module. The version and commit are compiled in (see build-info.mjs).
// Usage: node scripts/build/build-agent.mjs [--out FILE]   (DROVER_BUILD_VERSION=… for another version)
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildInfo, ROOT } from './build-info.mjs';

// `createRequire(import.meta.url)('pkg')` (a lazily loaded dependency) becomes a plain
// `require('pkg')` so that esbuild bundles it; the bundle defines `require` in its banner.
const lazyRequire = {
  name: 'lazy-require',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes('node_modules')) return undefined;
      const text = await readFile(args.path, 'utf8');
      const out = text.replace(/createRequire\(import\.meta\.url\)\((['"][^'"]+['"])\)/g, 'require($1)');
      return { contents: out, loader: 'ts' };
    });
  },
};

/** format 'esm' (the .mjs run by node) or 'cjs' (the main script of the standalone binary: Node's SEA runs CommonJS). */
export async function buildAgent({ out = join(ROOT, 'dist/drover-agent.mjs'), info = buildInfo(), format = 'esm' } = {}) {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(ROOT, 'cli/agent-bundle.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format,
    target: 'node20',
    minify: true,
    keepNames: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    define: { __DROVER_BUILD__: JSON.stringify(info) },
    banner: {
      js: [
        `// drover-agent ${info.version} (commit ${info.commit}): the drover device agent in one file. Run: node drover-agent.mjs --help`,
        ...(format === 'esm' ? ["import { createRequire as __droverCreateRequire } from 'node:module';", 'const require = __droverCreateRequire(import.meta.url);'] : []),
      ].join('\n'),
    },
    plugins: [lazyRequire],
  });
  // The agent must never pull in the heavy parts of the CLI.
  const inputs = Object.keys(result.metafile.inputs);
  const forbidden = inputs.filter((f) => /node_modules\/(better-sqlite3|node-pty|ssh2|fastify|isomorphic-git|chokidar)\//.test(f) || /^(jump|reconciler)\//.test(f));
  if (forbidden.length) throw new Error(`the agent bundle must not include: ${forbidden.slice(0, 10).join(', ')}`);
  return { out, info, inputs: inputs.length };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--out');
  const { out, info } = await buildAgent(i > 0 ? { out: process.argv[i + 1] } : {});
  console.log(`built ${out.startsWith(ROOT) ? out.slice(ROOT.length + 1) : out} (drover-agent ${info.version}, commit ${info.commit})`);
}
