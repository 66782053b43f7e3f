// The registered subcommands of `drover`, loaded on demand so that `drover validate` does not pay
// for the SSH or HTTP stacks. `completion` is added by cli/main.ts (it reads this list).
import type { CliCommand } from './command.js';

type Loader = () => Promise<{ command: CliCommand }>;

/** Subcommands, in the order `drover --help` lists them. */
export const COMMANDS: Record<string, { summary: string; load: Loader }> = {
  validate: { summary: 'check a fleet repository; print every problem as file:line:col', load: () => import('./validate.js') },
  schema: { summary: 'print JSON Schemas of the fleet files (for editors: yaml-language-server)', load: () => import('./schema.js') },
  diff: { summary: 'show what a change to the fleet repository does, device by device', load: () => import('./diff.js') },
  'hash-password': { summary: 'hash a jump user password for users/NAME.yaml', load: () => import('./hash-password.js') },
  meta: { summary: 'run meta: pull the fleet repository, answer agent heartbeats, show fleet status', load: () => import('./meta.js') },
  status: { summary: 'show the fleet as meta sees it: condition, revision, last seen, drift per device', load: () => import('./status.js') },
  devices: { summary: 'list the devices meta knows: condition, revision, last seen, labels', load: () => import('./devices.js') },
  wait: { summary: 'wait until the selected devices are InSync at a revision (exit 1 at the timeout): for CD pipelines', load: () => import('./wait.js') },
  rollouts: { summary: 'list the staged rollouts; pause or resume one: drover rollouts [list|pause KEY|resume KEY]', load: () => import('./rollouts.js') },
  reconcile: { summary: 'have meta fetch the fleet repository now', load: () => import('./reconcile.js') },
  agent: { summary: 'run the device agent: heartbeat to meta, converge packages, run approved commands, report', load: () => import('./agent.js') },
  demo: { summary: 'run meta and three agents on this machine on the example fleet, and watch them converge', load: () => import('./demo.js') },
  jump: { summary: 'the SSH bastion: password + one-time code, device menu, ssh -J, audit and recordings', load: () => import('./jump.js') },
  otp: { summary: 'enroll a TOTP secret for a jump user (otpauth URI + QR code), or print the current code', load: () => import('./otp.js') },
  retry: { summary: 'ask a device (through meta) to try its failed versions again now: drover retry DEVICE [PACKAGE]', load: () => import('./retry.js') },
  promote: { summary: 'move a trial command into control.yaml with a staged rollout, on a new branch', load: () => import('./promote.js') },
  import: { summary: 'turn an Open-Falcon ops-meta cfg.json into a fleet repository (drover import ops-meta CFG OUTDIR)', load: () => import('./import.js') },
};

/** Every registered command but `completion` (which reads this list), loaded. */
export async function loadCommands(): Promise<{ name: string; command: CliCommand }[]> {
  return Promise.all(Object.entries(COMMANDS).map(async ([name, c]) => ({ name, command: (await c.load()).command })));
}

