// drover jump: the SSH bastion (see jump/); `drover jump kick USER` closes a user's connections.
import type { CliCommand } from './command.js';

export const command: CliCommand = {
  summary: 'the SSH bastion: password + one-time code, device menu, ssh -J, audit and recordings',
  async run(argv) {
    if (argv[0] === 'kick') return (await import('./jump-kick.js')).command.run(argv.slice(1));
    const { runJump } = await import('../jump/main.js');
    return runJump(argv);
  },
};
