// drover completion bash|zsh: prints a completion script made from the registered commands.
import { DroverError } from '../lib/errors.js';
import { defineCommand } from './command.js';
import { bashCompletion } from './completion-bash.js';
import { commandModel } from './completion-model.js';
import { loadCommands } from './commands.js';
import { zshCompletion } from './completion-zsh.js';

const SHELLS = { bash: bashCompletion, zsh: zshCompletion } as const;

const spec = {
  command: 'completion',
  summary: 'Prints a completion script for bash or zsh, made from the registered commands and their options.',
  usage: 'drover completion bash|zsh      e.g. source <(drover completion bash)',
  options: [],
};

export const command = defineCommand(spec, async (cfg) => {
  const shell = cfg.positionals[0] as keyof typeof SHELLS | undefined;
  if (!shell || !(shell in SHELLS) || cfg.positionals.length > 1) throw new DroverError('CONFIG_INVALID', `name a shell: bash or zsh\nUsage: ${spec.usage}`);
  const models = await Promise.all((await loadCommands()).map(({ name, command: c }) => commandModel(name, c)));
  models.push({ name: 'completion', summary: spec.summary.split('\n')[0]!, flags: [{ flag: '--help', short: '-h', help: 'show the help', takesValue: false }], subcommands: Object.keys(SHELLS).map((name) => ({ name, summary: `the ${name} script`, flags: [], subcommands: [] })) });
  process.stdout.write(SHELLS[shell](models));
  return 0;
});
