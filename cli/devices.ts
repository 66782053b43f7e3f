// drover devices …: the devices meta knows. `list` (the default) prints them; `enrollments`
// lists enrollment requests, `accept`, `reject` and `revoke` decide on one (cli/devices-enroll.ts).
import { defineGroup } from './command.js';

export const command = defineGroup('devices', 'The devices meta knows (list), and their enrollments (enrollments, accept, reject, revoke).', {
  list: async () => (await import('./devices-list.js')).command,
  enrollments: async () => (await import('./devices-enroll.js')).enrollments,
  accept: async () => (await import('./devices-enroll.js')).decision('accept'),
  reject: async () => (await import('./devices-enroll.js')).decision('reject'),
  revoke: async () => (await import('./devices-enroll.js')).decision('revoke'),
}, 'list');
