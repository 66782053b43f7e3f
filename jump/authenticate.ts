// Keyboard-interactive login: password, then the one-time code (TOTP or a delivered code).
// Checks lockouts first, records every outcome in the audit log and in the lockout books.
import type { KeyboardAuthContext } from 'ssh2';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { UserSchema, type UserSpec } from '../specs/schema/user.js';
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
}

export type AuthResult = { ok: true; user: UserSpec } | { ok: false; reason: string };

function ask(ctx: KeyboardAuthContext, prompt: string, echo = false): Promise<string | undefined> {
  return new Promise((resolve) => {
    ctx.prompt([{ prompt, echo }], (answers: string[] | Error) => resolve(Array.isArray(answers) ? answers[0] : undefined));
  });
}

function knownUser(deps: AuthDeps, name: string): UserSpec | undefined {
  const u = deps.fleet.current.users.get(name);
  if (u) return u;
  if (!deps.hook.hookUrl) return undefined;
  const parsed = UserSchema.safeParse({ name });
  return parsed.success ? parsed.data : undefined;
}

async function checkCode(deps: AuthDeps, ctx: KeyboardAuthContext, user: UserSpec): Promise<string | undefined> {
  const otp = user.otp;
  const now = deps.now;
  if (otp.mode === 'none') return undefined;
  if (otp.mode === 'totp') {
    const secret = readOtpSecret(deps.dataDir, user.name) ?? otp.secret;
    if (!secret) return 'otp-not-enrolled';
    const answer = await ask(ctx, codePrompt(otp, { validMs: 30_000 }));
    if (answer === undefined) return 'aborted';
    const r = await deps.totp.check(user.name, secret, answer, now());
    return r === 'ok' ? undefined : `otp-${r}`;
  }
  if (!deps.notifier) return 'no-notifier';
  const { code, expiresAt } = deps.codes.issue(user.name, now());
  const prompt = codePrompt(otp, { validMs: deps.codeTtlMs });
  try {
    await deps.notifier({ user: user.name, channel: otp.channel, to: otp.to, code, expiresAt: new Date(expiresAt).toISOString(), text: `Your ${deps.name} login code is ${code} (valid until ${new Date(expiresAt).toISOString()}).` });
  } catch (err) {
    deps.log.warn({ user: user.name, err: errorMessage(err) }, 'could not deliver a login code');
    return 'notify-failed';
  }
  for (let i = 0; i < Math.max(1, deps.codeAttempts); i++) {
    const answer = await ask(ctx, i === 0 ? prompt : `Wrong code, try again. ${prompt}`);
    if (answer === undefined) return 'aborted';
    if (!/^\d{4,10}$/.test(answer.trim())) return 'otp-malformed';
    const r = deps.codes.check(user.name, answer, now());
    if (r === 'ok') return undefined;
    if (r !== 'wrong') return `otp-${r}`;
  }
  return 'otp-wrong';
}

export async function authenticate(deps: AuthDeps, ctx: KeyboardAuthContext, from: string): Promise<AuthResult> {
  const name = ctx.username;
  const userKey = `user:${name}`;
  const addrKey = `addr:${from}`;
  deps.audit.write({ event: 'login-attempt', user: name, from });
  const fail = (reason: string, counts = true): AuthResult => {
    deps.audit.write({ event: 'login-failed', user: name, from, reason });
    if (counts) {
      const now = deps.now();
      for (const [book, key] of [[deps.userLocks, userKey], [deps.addrLocks, addrKey]] as const) {
        if (book.fail(key, now)) deps.audit.write({ event: 'lockout', key, user: name, from, forMs: book.lockedFor(key, now) });
      }
    }
    return { ok: false, reason };
  };
  const now = deps.now();
  if (deps.userLocks.lockedFor(userKey, now) > 0 || deps.addrLocks.lockedFor(addrKey, now) > 0) {
    // Ask for and check the password anyway, so a locked account looks and takes like a wrong password.
    const answer = await ask(ctx, passwordPrompt(name, deps.name));
    if (answer === undefined) return fail('aborted', false);
    await checkPassword(undefined, name, answer, {});
    return fail('locked', false);
  }
  const password = await ask(ctx, passwordPrompt(name, deps.name));
  if (password === undefined) return fail('aborted', false);
  const user = knownUser(deps, name);
  const ok = await checkPassword(user, name, password, deps.hook);
  if (!ok || !user) return fail('password');
  if (user.disabled) return fail('disabled');
  const codeProblem = await checkCode(deps, ctx, user);
  if (codeProblem === 'aborted') return fail('aborted', false);
  if (codeProblem) return fail(codeProblem, codeProblem !== 'otp-not-enrolled' && codeProblem !== 'no-notifier' && codeProblem !== 'notify-failed');
  deps.userLocks.succeed(userKey, deps.now());
  deps.audit.write({ event: 'login', user: name, from, otp: user.otp.mode });
  return { ok: true, user };
}
