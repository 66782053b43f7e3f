// What each logged-in connection is doing right now, for the status report: the menu, a device
// session, the jump host's shell or an `ssh -J` tunnel, with the device, the source address and
// since when. A connection doing nothing yet (logged in, no channel) shows as `login`.
export type ActivityKind = 'login' | 'menu' | 'device' | 'shell' | 'tunnel';

export interface Activity {
  user: string;
  /** Device id; 'jump-host' for a shell on the jump itself; null in the menu or before any channel. */
  device: string | null;
  port?: number;
  kind: ActivityKind;
  /** ISO time the current activity began. */
  since: string;
  from: string;
  /** The connection's id (what `POST /v1/jump/sessions/:id/close` takes). */
  session?: string;
}

export interface ActivityHandle {
  /** Switches to another activity (e.g. from the menu to a device and back); `since` restarts. */
  set(change: Pick<Activity, 'kind' | 'device'> & { port?: number }): void;
  end(): void;
}

/** Adds an activity to `into` (a connection's set) until `end()`. */
export function startActivity(into: Set<Activity>, a: Omit<Activity, 'since'>, now: () => number = Date.now): ActivityHandle {
  const entry: Activity = { ...a, since: new Date(now()).toISOString() };
  into.add(entry);
  return {
    set(change) {
      entry.kind = change.kind;
      entry.device = change.device;
      if (change.port === undefined) delete entry.port;
      else entry.port = change.port;
      entry.since = new Date(now()).toISOString();
    },
    end() {
      into.delete(entry);
    },
  };
}

/** Oldest first, at most `max` (the report stays bounded; the count is reported separately). */
export function listActivities(all: Iterable<Activity>, max: number): Activity[] {
  return [...all].sort((a, b) => a.since.localeCompare(b.since)).slice(0, max).map((a) => ({ ...a }));
}
