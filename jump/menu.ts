// The interactive menu shown when a user logs in without a command: the devices the user may
// reach (and the jump host's own shell for users allowed one); picking one connects to it and
// coming back shows the menu again.
import type { ServerChannel } from 'ssh2';
import { mayReach, reachableDevices } from './access.js';
import type { Labels } from '../specs/resolve/match-selector.js';
import { runHostShell } from './host-shell.js';
import { readLine } from './line-reader.js';
import { startRecording } from './recordings.js';
import { connectAndAudit, type SessionContext, type SessionState } from './connect-and-audit.js';

const MAX_ROUNDS = 1000;

export function renderMenu(name: string, user: string, devices: readonly { id: string; labels: Labels }[], shell: boolean): string {
  const lines = [`${name}: logged in as ${user}. Devices you may reach:`, ''];
  if (devices.length === 0) lines.push('  (none: ask for access in the fleet repository, users/' + user + '.yaml)');
  const width = Math.max(0, ...devices.map((d) => d.id.length));
  devices.forEach((d, i) => {
    const labels = Object.entries(d.labels).map(([k, v]) => `${k}=${v}`).join(' ');
    lines.push(`  ${String(i + 1).padStart(3)}) ${d.id.padEnd(width)}  ${labels}`.trimEnd());
  });
  if (shell) lines.push('    s) a shell on this jump host');
  lines.push('    q) quit', '', 'Number or device name: ');
  return lines.join('\r\n');
}

export async function runMenu(ctx: SessionContext, state: SessionState, channel: ServerChannel): Promise<void> {
  const started = Date.now();
  const activity = ctx.activity({ kind: 'menu', device: null });
  try {
    await menuRounds(ctx, state, channel, (a) => activity.set(a));
  } finally {
    activity.end();
  }
  ctx.audit.write({ event: 'session', user: ctx.user.name, from: ctx.from, kind: 'menu', durationMs: Date.now() - started });
}

type SetActivity = Parameters<ReturnType<SessionContext['activity']>['set']>[0];
const IN_MENU: SetActivity = { kind: 'menu', device: null };

async function menuRounds(ctx: SessionContext, state: SessionState, channel: ServerChannel, show: (a: SetActivity) => void): Promise<void> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const devices = reachableDevices(ctx.user.access, await ctx.devices.list());
    channel.write(renderMenu(ctx.name, ctx.user.name, devices, ctx.user.shell));
    const answer = await readLine(channel, { echo: true, pty: state.term.hasPty, onInput: ctx.touch });
    if (answer === null) break;
    const choice = answer.trim();
    if (choice === '') continue;
    if (choice === 'q' || choice === 'quit' || choice === 'exit') break;
    if (choice === 's' && ctx.user.shell) {
      const recorder = ctx.record ? startRecording(ctx.dataDir, ctx.user.name, `${ctx.name}-shell`, state.term) : undefined;
      const t0 = Date.now();
      let untrack = (): void => undefined;
      show({ kind: 'shell', device: 'jump-host' });
      const r = await runHostShell({ channel, term: state.term, shell: ctx.shellCommand, shellUser: ctx.shellUser, recorder, touch: ctx.touch, onOpen: (close) => (untrack = ctx.track(close)) });
      untrack();
      show(IN_MENU);
      await recorder?.close();
      if (r.error) channel.write(`${ctx.name}: ${r.error}\r\n`);
      ctx.audit.write({ event: 'session', user: ctx.user.name, from: ctx.from, kind: 'shell', ...(recorder ? { recording: recorder.path } : {}), durationMs: Date.now() - t0, ...(r.error ? { error: r.error } : {}) });
      continue;
    }
    const n = Number(choice);
    const picked = Number.isInteger(n) && n >= 1 ? devices[n - 1] : devices.find((d) => d.id === choice);
    if (!picked) {
      channel.write(`No such choice: ${choice}\r\n\r\n`);
      continue;
    }
    const device = await ctx.devices.resolve(picked.id).catch(() => undefined);
    if (!device || !mayReach(ctx.user.access, { id: device.id, labels: device.labels, port: 22 })) {
      channel.write(`${picked.id}: no address known (or no longer allowed)\r\n\r\n`);
      continue;
    }
    channel.write(`Connecting to ${device.id}...\r\n`);
    show({ kind: 'device', device: device.id, port: 22 });
    await connectAndAudit(ctx, state, channel, device, undefined).finally(() => show(IN_MENU));
    channel.write('\r\n');
  }
}
