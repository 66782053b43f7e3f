// `drover COMMAND [options]`: dispatches to the subcommand modules (cli/commands.ts).
import { DroverError, errorMessage } from '../lib/errors.js';
import { explainMissingOptional } from '../lib/optional-module.js';
import type { CliCommand } from './command.js';
import { COMMANDS as REGISTERED } from './commands.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ command: CliCommand }> }> = {
  ...REGISTERED,
  completion: { summary: 'print a shell completion script: drover completion bash|zsh', load: () => import('./completion.js') },
};

export function registeredCommands(): string[] {
  return Object.keys(COMMANDS);
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 2;
  return [
    'drover: keeps the software on a fleet of devices where git says it should be',
    '',
    'Usage: drover COMMAND [options]      (drover COMMAND --help for its options)',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`),
    '',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    const { BUILD_INFO } = await import('../lib/version.js');
    process.stdout.write(`drover ${BUILD_INFO.version} (commit ${BUILD_INFO.commit})\n`);
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`drover: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const { command } = await entry.load();
  return command.run(rest);
}

const isEntry = process.argv[1] && /(?:drover(?:\.js)?|cli[/\\]main\.[jt]s)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      const missing = explainMissingOptional(err);
      if (missing) process.stderr.write(`drover: ${missing}\n`);
      else if (err instanceof DroverError && err.kind === 'stalled') process.stderr.write(`drover: ${err.message}\n`);
      else process.stderr.write(`drover: ${err instanceof Error && process.env.DROVER_DEBUG ? err.stack : errorMessage(err)}\n`);
      process.exitCode = err instanceof DroverError && err.code === 'CONFIG_INVALID' ? 2 : 1;
    },
  );
}
