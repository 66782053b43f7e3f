// Keyboard-interactive login: password and one-time code (TOTP: one round, two prompts; a
// delivered code: asked after the password, right or wrong). No oracle: every failure looks and
// takes the same. Records every outcome in the audit log and (once per connection) the lockout books.
import type { KeyboardAuthContext } from 'ssh2';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { UserSchema, type OtpSpec, type UserSpec } from '../specs/schema/user.js';
import type { AuditLog } from './audit.js';
import type { DeliveredCodes } from './delivered-codes.js';
import type { FleetSource } from './fleet-source.js';
import type { LockoutBook } from './lockout.js';
import type { Notifier } from './notifier.js';
import { readOtpSecret } from './otp-secrets.js';
import { checkPassword, type PasswordCheckOptions } from './password-check.js';
import { codePrompt, passwordPrompt } from './prompts.js';
import type { TotpVerifier } from './totp.js';

export interface AuthDeps {
  fleet: FleetSource;
  dataDir: string;
  name: string;
  hook: PasswordCheckOptions;
  totp: TotpVerifier;
  codes: DeliveredCodes;
  codeTtlMs: number;
  codeAttempts: number;
  notifier?: Notifier;
  userLocks: LockoutBook;
  addrLocks: LockoutBook;
  audit: AuditLog;
  log: Logger;
  now: () => number;
  /** Every failed try is answered this long (plus up to 20 % jitter) after the answers came. */
  failDelayMs?: number;
  /** Saves used codes and lockouts (called after every outcome and every code issued). */
  saveState?: () => void;
}

export type AuthResult = { ok: true; user: UserSpec } | { ok: false; reason: string };

function askAll(ctx: KeyboardAuthContext, prompts: { prompt: string; echo: boolean }[]): Promise<string[] | undefined> {
  return new Promise((resolve) => {
    ctx.prompt(prompts, (answers: string[] | Error) => resolve(Array.isArray(answers) && answers.length === prompts.length ? answers : undefined));
  });
}

async function ask(ctx: KeyboardAuthContext, prompt: string, echo = false): Promise<string | undefined> {
  return (await askAll(ctx, [{ prompt, echo }]))?.[0];
}

function knownUser(deps: AuthDeps, name: string): UserSpec | undefined {
  const u = deps.fleet.current.users.get(name);
  if (u) return u;
  if (!deps.hook.hookUrl) return undefined;
  const parsed = UserSchema.safeParse({ name });
  return parsed.success ? parsed.data : undefined;
}

const TOTP_PROMPT = codePrompt({ mode: 'totp' } as OtpSpec, { validMs: 30_000 });

/** Checks a TOTP answer (given in the same round as the password). */
async function checkTotp(deps: AuthDeps, user: UserSpec, answer: string): Promise<string | undefined> {
  const secret = readOtpSecret(deps.dataDir, user.name) ?? (user.otp.mode === 'totp' ? user.otp.secret : undefined);
  if (!secret) return 'otp-not-enrolled';
  const r = await deps.totp.check(user.name, secret, answer, deps.now());
  return r === 'ok' ? undefined : `otp-${r}`;
}

/**
 * Delivered codes: sent only after a right password (no mail bombing by strangers), but the code
 * prompts (same text, same number of tries) come after a wrong one too, so the prompts do not tell.
 */
async function deliveredCode(deps: AuthDeps, ctx: KeyboardAuthContext, user: UserSpec, passwordOk: boolean): Promise<string | undefined> {
  const otp = user.otp;
  if (otp.mode !== 'delivered') return 'otp-not-enrolled';
  const prompt = codePrompt(otp, { validMs: deps.codeTtlMs });
  let problem: string | undefined;
  if (passwordOk) {
    if (!deps.notifier) return 'no-notifier';
    const { code, expiresAt } = deps.codes.issue(user.name, deps.now());
    deps.saveState?.();
    try {
      await deps.notifier({ user: user.name, channel: otp.channel, to: otp.to, code, expiresAt: new Date(expiresAt).toISOString(), text: `Your ${deps.name} login code is ${code} (valid until ${new Date(expiresAt).toISOString()}).` });
    } catch (err) {
      deps.log.warn({ user: user.name, err: errorMessage(err) }, 'could not deliver a login code');
      problem = 'notify-failed';
    }
  }
  for (let i = 0; i < Math.max(1, deps.codeAttempts); i++) {
    const answer = await ask(ctx, i === 0 ? prompt : `Wrong code, try again. ${prompt}`, true);
    if (answer === undefined) return 'aborted';
    if (!/^\d{4,10}$/.test(answer.trim())) return problem ?? (passwordOk ? 'otp-malformed' : 'password');
    // After a wrong password (or a failed delivery) the tries go on as for a wrong code.
    const r = passwordOk && !problem ? deps.codes.check(user.name, answer, deps.now()) : 'wrong';
    if (r === 'ok') return undefined;
    if (r !== 'wrong') return `otp-${r}`;
  }
  return problem ?? (passwordOk ? 'otp-wrong' : 'password');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * One login try. For TOTP users (and unknown names) the password and the code are asked in one
 * keyboard-interactive round (two prompts); a wrong password, a wrong code or a locked account all
 * end in the same refusal after the same delay (`failDelayMs` from the answers, plus jitter).
 * `counted`: whether this connection already counted a failure in the lockout books (a client's
 * retries on one connection count once).
 */
export async function authenticate(deps: AuthDeps, ctx: KeyboardAuthContext, from: string, conn: { failureCounted: boolean } = { failureCounted: false }): Promise<AuthResult> {
  const name = ctx.username;
  const userKey = `user:${name}`;
  const addrKey = `addr:${from}`;
  deps.audit.write({ event: 'login-attempt', user: name, from });
  let answeredAt = Date.now();
  const fail = async (reason: string, counts = true): Promise<AuthResult> => {
    deps.audit.write({ event: 'login-failed', user: name, from, reason });
    if (counts && !conn.failureCounted) {
      conn.failureCounted = true;
      const now = deps.now();
      for (const [book, key] of [[deps.userLocks, userKey], [deps.addrLocks, addrKey]] as const) {
        if (book.fail(key, now)) deps.audit.write({ event: 'lockout', key, user: name, from, forMs: book.lockedFor(key, now) });
      }
    }
    deps.saveState?.();
    const wait = answeredAt + (deps.failDelayMs ?? 0) * (1 + Math.random() * 0.2) - Date.now();
    if (wait > 0) await sleep(wait);
    return { ok: false, reason };
  };
  const now = deps.now();
  const locked = deps.userLocks.lockedFor(userKey, now) > 0 || deps.addrLocks.lockedFor(addrKey, now) > 0;
  const user = knownUser(deps, name);
  const mode = user?.otp.mode ?? 'totp';
  if (mode === 'totp') {
    const answers = await askAll(ctx, [
      { prompt: passwordPrompt(name, deps.name), echo: false },
      { prompt: TOTP_PROMPT, echo: true },
    ]);
    if (!answers) return fail('aborted', false);
    answeredAt = Date.now();
    // Always one password check (a dummy one for unknown or locked names): the time does not tell.
    const ok = await checkPassword(locked ? undefined : user, name, answers[0]!, locked ? {} : deps.hook);
    if (locked) return fail('locked', false);
    if (!ok || !user) return fail('password');
    if (user.disabled) return fail('disabled');
    const codeProblem = await checkTotp(deps, user, answers[1]!);
    if (codeProblem) return fail(codeProblem, codeProblem !== 'otp-not-enrolled');
    return succeed(deps, user, from);
  }
  const password = await ask(ctx, passwordPrompt(name, deps.name));
  if (password === undefined) return fail('aborted', false);
  answeredAt = Date.now();
  const ok = await checkPassword(locked ? undefined : user, name, password, locked ? {} : deps.hook);
  if (mode === 'none') {
    if (locked) return fail('locked', false);
    if (!ok || !user) return fail('password');
    return user.disabled ? fail('disabled') : succeed(deps, user, from);
  }
  const passwordOk = ok && !locked && !user!.disabled;
  const codeProblem = await deliveredCode(deps, ctx, user!, passwordOk);
  answeredAt = Date.now();
  if (codeProblem === 'aborted') return fail('aborted', false);
  if (locked) return fail('locked', false);
  if (!ok) return fail('password');
  if (user!.disabled) return fail('disabled');
  if (codeProblem) return fail(codeProblem, codeProblem !== 'otp-not-enrolled' && codeProblem !== 'no-notifier' && codeProblem !== 'notify-failed');
  return succeed(deps, user!, from);
}

function succeed(deps: AuthDeps, user: UserSpec, from: string): AuthResult {
  deps.userLocks.succeed(`user:${user.name}`, deps.now());
  deps.audit.write({ event: 'login', user: user.name, from, otp: user.otp.mode });
  deps.saveState?.();
  return { ok: true, user };
}
