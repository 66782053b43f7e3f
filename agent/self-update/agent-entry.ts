// What `drover agent` (and the one-file agent) does before it starts: a trial run of a new build
// sends one heartbeat and exits; an agent whose `<root>/agent/current` names another build (it
// upgraded itself before a restart) runs that build instead. null: start as usual.
import { loadAgentConfig } from '../config.js';
import { launchBuild, otherCurrentBuild } from './launch-build.js';

export async function selfUpdateEntry(argv: string[]): Promise<number | null> {
  const trial = process.env.DROVER_AGENT_TRIAL;
  if (!trial && process.env.DROVER_AGENT_LAUNCHED) return null;
  let config;
  try {
    config = loadAgentConfig(argv).config;
  } catch {
    return null; // the usual start reports the configuration problem
  }
  if (!config) return null; // --help
  if (trial) {
    const { trialHeartbeat } = await import('./trial-heartbeat.js');
    return trialHeartbeat(config, trial);
  }
  const other = otherCurrentBuild(config.root);
  if (!other) return null;
  process.stderr.write(`drover agent: running the build this agent upgraded to: ${other}\n`);
  return launchBuild(other, argv).exited;
}
