// drover import ops-meta CFG.json OUTDIR: an Open-Falcon ops-meta configuration as a fleet repository.
import { DroverError } from '../lib/errors.js';
import { formatProblem } from '../specs/load/problem.js';
import { importOpsMeta } from '../reconciler/legacy/import-ops-meta.js';
import { defineCommand } from './command.js';

const spec = {
  command: 'import',
  summary:
    'Turns an Open-Falcon ops-meta cfg.json into a drover fleet repository: one package per agent, the `others`\n' +
    'prefix rules as overrides selecting `ids: ["PREFIX*"]`, cmd start/stop as state started/stopped. The `md5`\n' +
    'base URLs are read to fill in each tarball\'s checksum.',
  usage: 'drover import ops-meta CFG.json OUTDIR [options]',
  options: [
    { name: 'via', type: 'string' as const, help: 'where drover agents download artifacts: meta (its cache) or upstream', default: 'meta', env: false as const, metavar: 'meta|upstream', check: (v: unknown) => (v === 'meta' || v === 'upstream' ? undefined : 'must be meta or upstream') },
    { name: 'offline', type: 'boolean' as const, help: 'download no .md5 file: every checksum is left as a TODO', default: false, env: false as const },
    { name: 'force', type: 'boolean' as const, help: 'write into OUTDIR even when it is not empty', default: false, env: false as const },
    { name: 'fetch-timeout', type: 'duration' as const, help: 'how long to wait for each .md5 file', default: 10_000, env: false as const },
  ],
  epilog:
    'Exit status: 0 when the repository is complete and validates; 1 when it was written but needs a person:\n' +
    'every checksum that could not be downloaded is `md5: "TODO"` under a `# TODO(import)` comment naming the\n' +
    'URL, so `drover validate OUTDIR` fails at that line until the md5 is filled in; 2 on bad input.',
};

export const command = defineCommand(spec, async (cfg) => {
  const [kind, cfgPath, outDir, ...extra] = cfg.positionals;
  if (kind !== 'ops-meta' || !cfgPath || !outDir || extra.length) {
    throw new DroverError('CONFIG_INVALID', `usage: ${spec.usage} (drover import --help)`);
  }
  let result;
  try {
    result = await importOpsMeta({
      cfgPath,
      outDir,
      via: cfg.values.via as 'meta' | 'upstream',
      offline: cfg.values.offline === true,
      force: cfg.values.force === true,
      fetchTimeoutMs: cfg.values['fetch-timeout'] as number,
    });
  } catch (err) {
    if (err instanceof DroverError && (err.code === 'OPS_META_CONFIG_INVALID' || err.code === 'IMPORT_OUTDIR_NOT_EMPTY')) {
      process.stderr.write(`drover import: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const out = process.stdout;
  out.write(`${outDir}: ${result.packages} package${result.packages === 1 ? '' : 's'}, ${result.overrides} override${result.overrides === 1 ? '' : 's'} (${result.files.join(', ')})\n`);
  for (const n of result.notes) out.write(`${n.level === 'todo' ? 'TODO' : 'warning'}: ${n.message}\n`);
  for (const p of result.problems) out.write(formatProblem({ ...p, file: `${outDir}/${p.file}` }) + '\n');
  const todos = result.notes.filter((n) => n.level === 'todo').length;
  if (result.valid && todos === 0) {
    out.write(`${outDir}: valid; commit it to a git repository and point drover meta --repo at it\n`);
    return 0;
  }
  out.write(`${outDir}: needs attention: fix the TODO(import) lines, then run drover validate ${outDir}\n`);
  return 1;
});
