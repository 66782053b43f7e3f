// drover hash-password: reads a password (prompt without echo, or stdin) and prints its scrypt hash.
import { hashPassword } from '../lib/password.js';
import { defineCommand } from './command.js';
import { readSecret } from './read-secret.js';

const spec = {
  command: 'hash-password',
  summary: 'Prints the scrypt hash of a password, for the `password:` field of users/NAME.yaml.\nThe password is read from the terminal without echo, or from standard input.',
  usage: 'drover hash-password [--stdin]',
  options: [{ name: 'stdin', type: 'boolean' as const, help: 'read the password from standard input (first line)', default: false, env: false as const }],
};

export const command = defineCommand(spec, async (cfg) => {
  const password = await readSecret('Password: ', { fromStdin: cfg.values.stdin === true || !process.stdin.isTTY, confirm: process.stdin.isTTY ? 'Again: ' : undefined });
  if (password.length < 8) {
    process.stderr.write('drover hash-password: use at least 8 characters\n');
    return 1;
  }
  process.stdout.write((await hashPassword(password)) + '\n');
  return 0;
});
