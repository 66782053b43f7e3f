// A command's identity is its name plus a hash of what it does: editing `run` (or its user,
// env, workdir or repeat rule) makes a new command; changing only its timeout, selector or
// rollout does not.
import type { TrialCommandSpec } from '../schema/command.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';

type CommandContent = Pick<TrialCommandSpec, 'run' | 'user' | 'env' | 'workdir' | 'repeat'>;

export function commandContentHash(cmd: CommandContent, extra?: Record<string, unknown>): string {
  return sha256Hex(canonicalJson({ run: cmd.run, user: cmd.user, env: cmd.env, workdir: cmd.workdir, repeat: cmd.repeat, ...extra }), 12);
}

export function commandId(name: string, hash: string): string {
  return `${name}@${hash}`;
}
