// Durable security state: the TOTP steps already used (until they expire), the delivered codes
// waiting to be typed (as HMACs, with their key) and the lockouts (user, address, admin kicks)
// survive a restart. One file, DATA/security-state.json (mode 0600), written atomically (temporary
// file, fsync, rename, folder fsync) after every change; read once at start. A missing or unreadable
// file starts empty (and says so).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { DeliveredCodes } from './delivered-codes.js';
import type { LockoutBook } from './lockout.js';
import type { OtpReplayGuard } from './otp-replay.js';
import { writeJsonAtomic } from '../lib/atomic-json.js';

export interface SecurityParts {
  totp: OtpReplayGuard;
  codes: DeliveredCodes;
  userLocks: LockoutBook;
  addrLocks: LockoutBook;
}

type Saved = {
  version: 1;
  totp?: Parameters<OtpReplayGuard['restore']>[0];
  codes?: Parameters<DeliveredCodes['restore']>[0];
  userLocks?: Parameters<LockoutBook['restore']>[0];
  addrLocks?: Parameters<LockoutBook['restore']>[0];
};

export function securityStatePath(dataDir: string): string {
  return join(dataDir, 'security-state.json');
}

export class SecurityState {
  constructor(private readonly path: string, private readonly parts: SecurityParts, private readonly opts: { log: Logger; now: () => number }) {}

  /** Reads the saved state into the parts. */
  load(): void {
    let saved: Saved;
    try {
      saved = JSON.parse(readFileSync(this.path, 'utf8')) as Saved;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.opts.log.error({ path: this.path, err: errorMessage(err) }, 'cannot read the security state: starting without used codes and lockouts');
      return;
    }
    const now = this.opts.now();
    this.parts.totp.restore(saved.totp, now);
    this.parts.codes.restore(saved.codes, now);
    this.parts.userLocks.restore(saved.userLocks, now);
    this.parts.addrLocks.restore(saved.addrLocks, now);
  }

  /** Writes the current state; a failure is logged (jump keeps running with the state in memory). */
  save(): void {
    const now = this.opts.now();
    const state: Saved = { version: 1, totp: this.parts.totp.snapshot(now), codes: this.parts.codes.snapshot(now), userLocks: this.parts.userLocks.snapshot(now), addrLocks: this.parts.addrLocks.snapshot(now) };
    try {
      writeJsonAtomic(this.path, state);
    } catch (err) {
      this.opts.log.error({ path: this.path, err: errorMessage(err) }, 'cannot save the security state');
    }
  }
}
