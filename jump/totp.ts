// TOTP check with single use: otplib verifies (constant time, one step of clock drift either
// way) and the replay guard refuses a step already used by that user.
import { generate, verify } from 'otplib';
import { OtpReplayGuard } from './otp-replay.js';

export const TOTP_PERIOD_S = 30;
const TOLERANCE_S = 30;

export type TotpCheck = 'ok' | 'malformed' | 'wrong' | 'replayed';

export class TotpVerifier {
  readonly guard = new OtpReplayGuard(TOLERANCE_S * 1000 + TOTP_PERIOD_S * 1000, TOTP_PERIOD_S * 1000);

  async check(user: string, secret: string, answer: string, now: number): Promise<TotpCheck> {
    const token = answer.trim();
    if (!/^\d{6}$/.test(token)) return 'malformed';
    let result;
    try {
      result = await verify({ secret, token, epoch: Math.floor(now / 1000), epochTolerance: TOLERANCE_S });
    } catch {
      return 'wrong';
    }
    if (!result.valid) return 'wrong';
    const step = (result as { timeStep?: number }).timeStep ?? Math.floor((result as { epoch: number }).epoch / TOTP_PERIOD_S);
    if (!this.guard.isFresh(user, step, now)) return 'replayed';
    this.guard.use(user, step, now);
    return 'ok';
  }
}

export function currentTotp(secret: string, now = Date.now()): Promise<string> {
  return generate({ secret, epoch: Math.floor(now / 1000) });
}
