// drover validate [DIR]: every problem as file:line:col, exit 1 on errors. A pull-request check.
import { formatProblemLine, PROBLEM_FORMATS, type ProblemFormat } from '../specs/load/format-problems.js';
import { defineCommand } from './command.js';
import { fleetLocationOptions, loadFleetAt } from './load-fleet-at.js';
import { verifySignedAt } from './verify-signed-at.js';

const spec = {
  command: 'validate',
  summary: 'Checks a fleet repository (a directory, or a git revision with --git) and prints every problem as file:line:col: message.\nExits 0 when valid, 1 on errors (warnings alone do not fail unless --strict).',
  usage: 'drover validate [DIR | REV --git REPO] [options]',
  options: [
    ...fleetLocationOptions('read REV from this git repository instead of a directory'),
    { name: 'strict', type: 'boolean' as const, help: 'treat warnings as errors', default: false, env: false as const },
    { name: 'verify-commits', type: 'list' as const, help: 'also require the commit to be signed by a listed key: OpenSSH allowed_signers files or armored OpenPGP public keys (as meta --verify-commits does); repeatable', metavar: 'FILE', env: false as const },
    { name: 'format', short: 'o', type: 'string' as const, help: `output: ${PROBLEM_FORMATS.join(', ')} (github: workflow annotations on the pull request)`, default: 'text', metavar: 'FORMAT', env: false as const },
    { name: 'root', type: 'string' as const, help: 'with --format github: the fleet folder\'s path inside the repository, prefixed to file names', metavar: 'DIR', env: false as const },
    { name: 'json', type: 'boolean' as const, help: 'same as --format json', default: false, env: false as const },
  ],
};

export const command = defineCommand(spec, async (cfg) => {
  const format = (cfg.values.json ? 'json' : cfg.values.format) as ProblemFormat;
  if (!(PROBLEM_FORMATS as readonly string[]).includes(format)) {
    process.stderr.write(`drover validate: --format must be one of ${PROBLEM_FORMATS.join(', ')}\n`);
    return 2;
  }
  const root = (cfg.values.root as string | undefined) ?? '';
  const where = cfg.positionals[0] ?? (cfg.values.git ? 'HEAD' : '.');
  const result = await loadFleetAt({ where, gitDir: cfg.values.git as string | undefined, path: cfg.values.path as string | undefined });
  const signerFiles = (cfg.values['verify-commits'] as string[] | undefined) ?? [];
  if (signerFiles.length) {
    const verdict = await verifySignedAt(where, cfg.values.git as string | undefined, signerFiles);
    if (!verdict.ok) {
      const message = `commit ${verdict.commit} by ${verdict.author} refused: ${verdict.reason}`;
      if (format === 'json') process.stdout.write(JSON.stringify({ ok: false, signature: { ok: false, commit: verdict.commit, author: verdict.author, reason: verdict.reason } }, null, 2) + '\n');
      else if (format === 'github') process.stdout.write(`::error title=drover validate::${message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}\n`);
      else process.stdout.write(message + '\n');
      return 1;
    }
    if (format !== 'json') process.stdout.write(`commit ${verdict.commit.slice(0, 12)} signed by ${verdict.signer}\n`);
  }
  const errors = result.problems.filter((p) => p.severity === 'error').length;
  const warnings = result.problems.length - errors;
  const failed = errors > 0 || (cfg.values.strict === true && warnings > 0);
  if (format === 'json') {
    process.stdout.write(JSON.stringify({ ok: !failed, errors, warnings, problems: result.problems }, null, 2) + '\n');
    return failed ? 1 : 0;
  }
  for (const p of result.problems) process.stdout.write(formatProblemLine(p, format, root) + '\n');
  if (result.ok) {
    const s = result.spec;
    const trials = s.devices.reduce((n, d) => n + (d.commands?.length ?? 0), 0);
    process.stdout.write(
      `${result.label}: ${failed ? 'invalid' : 'valid'}: ${plural(s.packages.length, 'package')}, ${plural(s.devices.length, 'device')}, ${plural(s.commands.length, 'command')}` +
        `${trials ? ` (+${trials} under trial)` : ''}, ${plural(s.users.length, 'user')}` +
        `${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}\n`,
    );
  } else {
    process.stdout.write(`${result.label}: invalid: ${errors} error${errors === 1 ? '' : 's'}${warnings ? `, ${warnings} warning${warnings === 1 ? '' : 's'}` : ''}\n`);
  }
  return failed ? 1 : 0;
});

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
