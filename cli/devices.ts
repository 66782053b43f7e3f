// drover devices …: the devices meta knows. `list` (the default) prints them; more subcommands
// (enrollment: accept, reject, revoke) register here.
import { defineGroup } from './command.js';

export const command = defineGroup('devices', 'The devices meta knows.', {
  list: async () => (await import('./devices-list.js')).command,
}, 'list');
