// `drover COMMAND [options]`: dispatches to the subcommand modules, loaded on demand so that
// `drover validate` does not pay for the SSH or HTTP stacks.
import { DroverError, errorMessage } from '../lib/errors.js';
import { explainMissingOptional } from '../lib/optional-module.js';
import type { CliCommand } from './command.js';

type Loader = () => Promise<{ command: CliCommand }>;

/** Subcommands, in the order `drover --help` lists them. */
const COMMANDS: Record<string, { summary: string; load: Loader }> = {
  validate: { summary: 'check a fleet repository; print every problem as file:line:col', load: () => import('./validate.js') },
  schema: { summary: 'print JSON Schemas of the fleet files (for editors: yaml-language-server)', load: () => import('./schema.js') },
  diff: { summary: 'show what a change to the fleet repository does, device by device', load: () => import('./diff.js') },
  'hash-password': { summary: 'hash a jump user password for users/NAME.yaml', load: () => import('./hash-password.js') },
  meta: { summary: 'run meta: pull the fleet repository, answer agent heartbeats, show fleet status', load: () => import('./meta.js') },
  status: { summary: 'show the fleet as meta sees it: condition, revision, last seen, drift per device', load: () => import('./status.js') },
  agent: { summary: 'run the device agent: heartbeat to meta, converge packages, run approved commands, report', load: () => import('./agent.js') },
  demo: { summary: 'run meta and three agents on this machine on the example fleet, and watch them converge', load: () => import('./demo.js') },
  jump: { summary: 'the SSH bastion: password + one-time code, device menu, ssh -J, audit and recordings', load: () => import('./jump.js') },
  otp: { summary: 'enroll a TOTP secret for a jump user (otpauth URI + QR code), or print the current code', load: () => import('./otp.js') },
  retry: { summary: 'ask a device (through meta) to try its failed versions again now: drover retry DEVICE [PACKAGE]', load: () => import('./retry.js') },
  promote: { summary: 'move a trial command into control.yaml with a staged rollout, on a new branch', load: () => import('./promote.js') },
  import: { summary: 'turn an Open-Falcon ops-meta cfg.json into a fleet repository (drover import ops-meta CFG OUTDIR)', load: () => import('./import.js') },
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
