// Reads a secret from the terminal without echo, or the first line of standard input.
import { createInterface } from 'node:readline';

async function readLine(prompt: string, silent: boolean): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: silent });
  if (silent) {
    // Print the prompt, then mute what readline would echo.
    process.stderr.write(prompt);
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  }
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      rl.once('close', () => reject(new Error('no input')));
      if (!silent) rl.setPrompt('');
    });
  } finally {
    if (silent) process.stderr.write('\n');
    rl.close();
  }
}

export async function readSecret(prompt: string, opts: { fromStdin: boolean; confirm?: string }): Promise<string> {
  if (opts.fromStdin) return (await readLine('', false)).replace(/\r$/, '');
  const first = await readLine(prompt, true);
  if (opts.confirm) {
    const again = await readLine(opts.confirm, true);
    if (again !== first) throw new Error('the two entries differ');
  }
  return first;
}
