// `drover completion bash|zsh`: scripts made from the registered commands. The bash one is
// sourced in a real bash and asked for completions the way bash's `complete` calls it.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { registeredCommands } from '../../cli/main.js';
import { drover, ensureBuilt } from './built-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-completion-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
before(ensureBuilt, { timeout: 300_000 });

/** What `_drover` offers for the words typed so far (the last one being completed). */
function complete(script: string, words: string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const out = execFileSync('bash', ['--norc', '--noprofile', '-c', `source '${script}'
COMP_WORDS=(${quoted}); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); COMPREPLY=(); _drover
printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8', cwd: tmp, timeout: 30_000 });
  return out.split('\n').filter(Boolean);
}

describe('drover completion bash', () => {
  let script: string;
  before(async () => {
    const r = await drover(['completion', 'bash']);
    assert.equal(r.code, 0, r.stderr);
    script = join(tmp, 'drover.bash');
    writeFileSync(script, r.stdout);
  });

  it('registers _drover for drover in a real bash', () => {
    const out = execFileSync('bash', ['--norc', '--noprofile', '-c', `source '${script}'; complete -p drover`], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(out.trim(), 'complete -F _drover drover');
  });

  it('completes every registered command, subcommands, flags and their values', () => {
    assert.deepEqual(complete(script, ['drover', '']).filter((w) => !w.startsWith('-')).sort(), [...registeredCommands()].sort());
    assert.deepEqual(complete(script, ['drover', 'ro']), ['rollouts']);
    assert.deepEqual(complete(script, ['drover', 'rollouts', '']), ['list', 'pause', 'resume']);
    assert.deepEqual(complete(script, ['drover', 'rollouts', 'pause', '--ou']), ['--output']);
    assert.deepEqual(complete(script, ['drover', 'status', '-o', '']), ['table', 'json', 'yaml']);
    assert.deepEqual(complete(script, ['drover', 'diff', '--exit']), ['--exit-code']);
    assert.deepEqual(complete(script, ['drover', 'wait', '--ti']), ['--timeout']);
    assert.deepEqual(complete(script, ['drover', 'meta', '--pa']), ['--path']);
    assert.ok(complete(script, ['drover', 'meta', '--']).includes('--admin-token-file'));
    assert.deepEqual(complete(script, ['drover', 'completion', '']), ['bash', 'zsh']);
  });
});

describe('drover completion zsh', () => {
  it('defines _drover with every command, and is valid zsh where zsh is installed', async () => {
    const r = await drover(['completion', 'zsh']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^#compdef drover\n/);
    for (const name of registeredCommands()) assert.ok(r.stdout.includes(`'${name}:`), name);
    assert.match(r.stdout, /'\(--output -o\)'\{--output,-o\}'\[table \(default\), json or yaml\]:output:\(table json yaml\)'/);
    const file = join(tmp, '_drover');
    writeFileSync(file, r.stdout);
    const zsh = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
    if (zsh.error) {
      console.log('# zsh is not installed here: only the structure of the zsh script is checked');
      return;
    }
    assert.equal(zsh.status, 0, zsh.stderr);
  });

  it('completes subcommands with their descriptions in a real interactive zsh (compinit, TAB)', async (t) => {
    if (spawnSync('zsh', ['--version']).error) return t.skip('zsh is not installed here');
    const r = await drover(['completion', 'zsh']);
    const file = join(tmp, '_drover_tab');
    writeFileSync(file, r.stdout);
    // An interactive zsh on a pseudo-terminal (zsh/zpty): load compinit and the script, type
    // `drover rollouts ` and TAB, and read the screen until the listing shows or 60 s pass.
    const driver = join(tmp, 'tab.zsh');
    writeFileSync(driver, `zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z 'autoload -U compinit; compinit -u -D; source ${file}; setopt nobeep; print READY-READY'
out=''; deadline=$(( SECONDS + 60 ))
while (( SECONDS < deadline )); do zpty -r -t z chunk && out+=$chunk; [[ $out == *READY-READY*READY-READY* ]] && break; sleep 0.1; done
zpty -n -w z $'drover rollouts \t'
res=''; deadline=$(( SECONDS + 60 ))
while (( SECONDS < deadline )); do zpty -r -t z chunk && res+=$chunk; [[ $res == *Resumes* ]] && break; sleep 0.1; done
zpty -d z
print -r -- "$res"
`);
    const out = execFileSync('zsh', ['-f', driver], { encoding: 'utf8', cwd: tmp, timeout: 150_000 });
    assert.match(out, /list\s+-- Lists the staged rollouts/);
    assert.match(out, /pause\s+-- Pauses a rollout/);
    assert.match(out, /resume\s+-- Resumes a rollout/);
  });

  it('names a shell, or fails with the usage', async () => {
    const r = await drover(['completion', 'fish']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /name a shell: bash or zsh/);
  });
});
