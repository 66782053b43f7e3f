// `drover promote`: moves a command from device trial overrides into control.yaml with a selector
// and a rollout, validates the resulting fleet, and commits it on a new branch ready for a pull request.
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { dirTreeReader } from '../../lib/dir-tree-reader.js';
import { DroverError, type ErrorCode } from '../../lib/errors.js';
import { loadFleet } from '../../specs/load/load-fleet.js';
import { formatProblem, type Problem } from '../../specs/load/problem.js';
import type { TreeReader } from '../../specs/load/tree-reader.js';
import { canonicalJson } from '../../specs/resolve/canonical-json.js';
import { commandContentHash, commandId } from '../../specs/resolve/command-identity.js';
import { TrialCommandSchema } from '../../specs/schema/command.js';
import type { Selector } from '../../specs/schema/selector.js';
import type { CommandDetailResponse } from '../commands-api.js';
import { assertClean, assertNewBranch, commitOnNewBranch, findRepoRoot, pushRemote, resolveAuthor, type Author } from './commit-promotion.js';
import { addApprovedCommand, removeTrialCommand, type PromotionRollout, type RemovedTrial } from './edit-fleet-yaml.js';
import { promotionMessage, type PromotionSummary } from './promotion-message.js';
import { fetchCommandResults, judgeTrials } from './trial-results.js';

export interface PromoteOptions {
  name: string;
  from: string[];
  select?: Selector;
  rollout: PromotionRollout;
  /** The fleet repository's working tree (or a folder inside it holding the fleet). */
  repo: string;
  branch?: string;
  meta?: string;
  adminToken?: string;
  force?: boolean;
  author?: Partial<Author>;
  /** For tests: how results are fetched (default: HTTP to meta). */
  fetchResults?: (name: string) => Promise<CommandDetailResponse>;
}

export interface PromoteResult {
  branch: string;
  commit: string;
  files: string[];
  message: string;
  push: string;
  warnings: Problem[];
  objections: string[];
}

const refuse = (code: ErrorCode, message: string): DroverError => new DroverError(code, message);

function overlay(base: TreeReader, edits: Map<string, string>): TreeReader {
  return {
    list: async () => [...new Set([...(await base.list()), ...edits.keys()])].sort(),
    read: async (path) => edits.get(path) ?? base.read(path),
  };
}

export async function promote(opts: PromoteOptions): Promise<PromoteResult> {
  const { name } = opts;
  const from = [...new Set(opts.from)];
  if (from.length === 0) throw refuse('PROMOTE_USAGE', 'name at least one trial device with --from DEVICE');
  const fleetDir = resolve(opts.repo);
  const root = await findRepoRoot(fleetDir);
  const reader = dirTreeReader(fleetDir);

  const before = await loadFleet(reader);
  if (!before.ok) {
    const errors = before.problems.filter((p) => p.severity === 'error');
    throw refuse('PROMOTE_INVALID_FLEET', `the fleet in ${fleetDir} is invalid before the promotion; fix it first:\n${errors.map(formatProblem).join('\n')}`);
  }

  // Take the command out of every trial device; all copies must be the same command.
  const edits = new Map<string, string>();
  const removed: { deviceId: string; file: string; trial: RemovedTrial; canonical: string }[] = [];
  for (const deviceId of from) {
    const file = before.spec.sources[`device:${deviceId}`]?.file;
    if (!file) throw refuse('PROMOTE_NO_DEVICE', `no device "${deviceId}" in ${fleetDir}/devices/`);
    const trial = removeTrialCommand(file, edits.get(file) ?? (await reader.read(file)), name);
    const parsed = TrialCommandSchema.safeParse(trial.value);
    if (!parsed.success) throw refuse('PROMOTE_INVALID_TRIAL', `${file}: command "${name}" is not a valid trial command`);
    edits.set(file, trial.text);
    removed.push({ deviceId, file, trial, canonical: canonicalJson(parsed.data) });
  }
  const differing = removed.filter((r) => r.canonical !== removed[0]!.canonical).map((r) => r.deviceId);
  if (differing.length) {
    throw refuse('PROMOTE_TRIALS_DIFFER', `command "${name}" differs between ${removed[0]!.deviceId} and ${differing.join(', ')}: promote one version (the trial that ran) and remove the others`);
  }
  const trialSpec = TrialCommandSchema.parse(removed[0]!.trial.value);
  const identity = trialSpec.repeat && 'onVersionChange' in trialSpec.repeat ? null : commandId(name, commandContentHash(trialSpec));

  // The trials' results, from meta.
  let trials: PromotionSummary['trials'] = null;
  if (opts.meta || opts.fetchResults) {
    const detail = opts.fetchResults ? await opts.fetchResults(name) : await fetchCommandResults(opts.meta!, opts.adminToken, name);
    trials = { ...judgeTrials(name, identity, from, detail.devices), meta: opts.meta ?? 'meta' };
    if (trials.objections.length && !opts.force) {
      throw refuse('PROMOTE_TRIAL_FAILED', `refusing to promote "${name}":\n${trials.objections.map((o) => `  ${o}`).join('\n')}\n(pass --force to promote anyway)`);
    }
  }

  // Add it to control.yaml and check the whole fleet as it will be committed.
  const controlFile = existsSync(join(fleetDir, 'control.yml')) && !existsSync(join(fleetDir, 'control.yaml')) ? 'control.yml' : 'control.yaml';
  const controlText = existsSync(join(fleetDir, controlFile)) ? await readFile(join(fleetDir, controlFile), 'utf8') : null;
  edits.set(controlFile, addApprovedCommand(controlFile, controlText, removed[0]!.trial.node, { select: opts.select, rollout: opts.rollout }));
  const after = await loadFleet(overlay(reader, edits));
  if (!after.ok) {
    const errors = after.problems.filter((p) => p.severity === 'error');
    throw refuse('PROMOTE_WOULD_BE_INVALID', `the promoted fleet would be invalid, nothing was changed:\n${errors.map(formatProblem).join('\n')}`);
  }
  // Warnings the promotion brings (e.g. a trial copy left on a device not named with --from).
  const known = new Set(before.problems.map((p) => `${p.file}\0${p.message}`));
  const warnings = after.problems.filter((p) => p.severity === 'warning' && !known.has(`${p.file}\0${p.message}`));

  // Commit on a new branch.
  const toGit = (file: string): string => relative(root, join(fleetDir, file)).split(sep).join('/');
  const files = [...edits.keys()];
  const branch = opts.branch ?? `promote/${name}`;
  await assertNewBranch(root, branch);
  await assertClean(root, files.map(toGit));
  const author = await resolveAuthor(root, opts.author ?? {});
  const message = promotionMessage({ name, identity, from, select: opts.select, rollout: opts.rollout, controlFile, trials, forced: opts.force === true });
  const originals = new Map<string, string | null>();
  for (const file of files) {
    const full = join(fleetDir, file);
    originals.set(file, existsSync(full) ? await readFile(full, 'utf8') : null);
    await writeFile(full, edits.get(file)!);
  }
  let commit: string;
  try {
    commit = await commitOnNewBranch({ dir: root, branch, files: files.map(toGit), message, author });
  } catch (err) {
    for (const [file, text] of originals) {
      if (text !== null) await writeFile(join(fleetDir, file), text);
      else await rm(join(fleetDir, file), { force: true });
    }
    throw err;
  }
  const remote = await pushRemote(root);
  return { branch, commit, files: files.map(toGit), message, push: `git push ${remote} ${branch}`, warnings, objections: trials?.objections ?? [] };
}
