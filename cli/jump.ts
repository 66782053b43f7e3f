// drover jump: the SSH bastion (see jump/).
import type { CliCommand } from './command.js';

export const command: CliCommand = {
  summary: 'the SSH bastion: password + one-time code, device menu, ssh -J, audit and recordings',
  async run(argv) {
    const { runJump } = await import('../jump/main.js');
    return runJump(argv);
  },
};
