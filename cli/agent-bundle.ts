// Entry point of the one-file agent (dist/drover-agent.mjs, built by scripts/build/build-agent.mjs)
// and of the standalone binary made from it: `drover-agent [agent options]` is `drover agent`,
// `drover-agent --version` prints the version and commit it was built from.
import { errorMessage } from '../lib/errors.js';
import { BUILD_INFO } from '../lib/version.js';
import { command } from './agent.js';

async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'agent') argv = argv.slice(1); // `drover-agent agent …` reads like `drover agent …`
  if (argv[0] === '--version' || argv[0] === 'version') {
    process.stdout.write(`drover-agent ${BUILD_INFO.version} (commit ${BUILD_INFO.commit})\n`);
    return 0;
  }
  return command.run(argv);
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`drover-agent: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  },
);
