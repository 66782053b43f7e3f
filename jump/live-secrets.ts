// What jump reads from files and may read again on SIGHUP without touching a connection: the
// secrets (--meta-token[-file], --user-hook-token[-file], --git-token[-file], --git-password[-file])
// and meta's CA bundle (--ca). Their readers take them at each use (a report, a device lookup, a
// password check, a fetch of the repository), so an open session, tunnel or login is unaffected.
// OTP secrets need nothing here: DATA/otp/USER.json is read at each login. Nothing is logged.
import type { Agent as HttpsAgent } from 'node:https';
import { createTlsAgent } from '../lib/tls-client.js';
import { tlsFetch, type FetchLike } from '../lib/tls-fetch.js';
import type { JumpConfig } from './config.js';
import type { PasswordCheckOptions } from './password-check.js';

export class LiveSecrets {
  /** The user-hook settings handed to the password check (its token replaced in place). */
  readonly hook: PasswordCheckOptions;
  private agent: HttpsAgent | undefined;
  private current: FetchLike;

  /** `live` is the running configuration: its secrets are replaced in place by `reload`. */
  constructor(private readonly live: JumpConfig) {
    this.hook = { hookUrl: live.userHook, hookToken: live.userHookToken };
    this.agent = createTlsAgent({ ca: live.ca });
    this.current = tlsFetch(this.agent);
  }

  /** The admin token for meta, as of now. */
  readonly metaToken = (): string | undefined => this.live.metaToken;

  /** fetch with meta's TLS settings as of now (lib/tls-fetch.ts). */
  readonly fetch: FetchLike = (url, init) => this.current(url, init);

  /**
   * Installs the secrets of a configuration loaded again. A CA bundle that does not load throws
   * (lib/tls-client.ts) before anything is replaced: the running secrets stay.
   */
  reload(fresh: JumpConfig): void {
    const agent = createTlsAgent({ ca: fresh.ca });
    this.agent?.destroy();
    this.agent = agent;
    this.current = tlsFetch(agent);
    this.live.ca = fresh.ca;
    this.live.metaToken = fresh.metaToken;
    this.live.userHookToken = fresh.userHookToken;
    this.hook.hookToken = fresh.userHookToken;
    // the repository source reads these at each fetch (lib/fleet-repo/git-repo-source.ts)
    Object.assign(this.live.git, fresh.git);
  }
}
