// Draining with a deadline (SIGTERM, SIGINT, or a restart asked by meta): new connections are
// refused at once, running ones are told when they will end, and when the deadline passes every
// remaining connection is closed (a last message to interactive sessions first), whatever the
// clients do. Resolves when no connection is left, so the process can exit.

export interface DrainTarget {
  /** Stops the listener and refuses new logins and new channels; does not wait for connections. */
  stopAccepting(): void;
  /** Logged-in connections. */
  readonly active: number;
  /** Connections of any kind still open (logged in or not). */
  readonly open: number;
  /** Writes a line to every interactive session (stderr of session channels). */
  say(text: string): void;
  /** Ends every connection now: the message goes to interactive sessions, then disconnect. */
  closeAll(message: string, reason: string): void;
}

export interface DrainOptions {
  deadlineMs: number;
  name: string;
  /** How long closed connections get to go away before the drain resolves anyway. */
  settleMs?: number;
  now?: () => number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(1, ms)));

/** The text sent when draining starts (pure). */
export function drainNotice(name: string, deadlineMs: number): string {
  return `${name} is shutting down: this connection will be closed in ${Math.ceil(deadlineMs / 1000)} s. Log in again afterwards.`;
}

export async function drainWithDeadline(target: DrainTarget, opts: DrainOptions): Promise<{ closedAtDeadline: number }> {
  const now = opts.now ?? Date.now;
  target.stopAccepting();
  if (target.active > 0) target.say(drainNotice(opts.name, opts.deadlineMs));
  const until = now() + opts.deadlineMs;
  while (target.active > 0 && now() < until) await sleep(Math.min(200, until - now()));
  const closedAtDeadline = target.active;
  target.closeAll(`${opts.name} is shutting down: connection closed.`, 'drain deadline');
  const settle = now() + (opts.settleMs ?? 3000);
  while (target.open > 0 && now() < settle) await sleep(Math.min(50, settle - now()));
  return { closedAtDeadline };
}
