// Runs an async task one at a time: a call while it runs does not start a second run but asks
// for one more pass after the current one (many triggers, one catch-up run).
export interface CoalescedTask {
  /** Starts a run, or asks the current one to go round once more; resolves when it settles. */
  (): Promise<void>;
  /** The run in progress, if any (to await on close). */
  readonly running: Promise<void> | null;
}

export interface CoalesceOptions {
  /** Whether another pass that was asked for still goes (false once closed). */
  repeatWhile?: () => boolean;
  /** After the last pass of a run. */
  afterRun?: () => void;
  /** A failed pass is handed here and the next one asked for still goes; without it a failure ends the run (rejected). */
  onError?: (err: unknown) => void;
}

export function coalesceRuns(task: () => Promise<void>, opts: CoalesceOptions = {}): CoalescedTask {
  let running: Promise<void> | null = null;
  let again = false;
  const trigger = (() => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          if (!opts.onError) await task();
          else await task().catch(opts.onError);
        } while (again && (opts.repeatWhile?.() ?? true));
      } finally {
        running = null;
      }
      opts.afterRun?.();
    })();
    return running;
  }) as CoalescedTask;
  Object.defineProperty(trigger, 'running', { get: () => running });
  return trigger;
}
