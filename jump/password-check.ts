// Password check: the scrypt hash from users/NAME.yaml, or the company user service
// (POST {user, password} -> {"ok": true} / "yes"). Unknown users still cost one scrypt run,
// so the answer time does not tell which names exist.
import { hashPassword, verifyPassword } from '../lib/password.js';
import type { UserSpec } from '../specs/schema/user.js';

let dummyHash: Promise<string> | undefined;

export interface PasswordCheckOptions {
  hookUrl?: string;
  hookToken?: string;
  timeoutMs?: number;
}

export async function askUserHook(opts: PasswordCheckOptions, user: string, password: string): Promise<boolean> {
  const res = await fetch(opts.hookUrl!, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(opts.hookToken ? { authorization: `Bearer ${opts.hookToken}` } : {}) },
    body: JSON.stringify({ user, password }),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
  });
  const text = (await res.text()).trim();
  if (!res.ok) return false;
  if (/^yes$/i.test(text)) return true;
  try {
    const body = JSON.parse(text) as { ok?: unknown; allow?: unknown };
    return body.ok === true || body.allow === true;
  } catch {
    return false;
  }
}

export async function checkPassword(user: UserSpec | undefined, name: string, password: string, opts: PasswordCheckOptions): Promise<boolean> {
  if (user?.password?.startsWith('scrypt$')) return verifyPassword(password, user.password);
  if (opts.hookUrl && (!user || !user.password)) {
    try {
      return await askUserHook(opts, name, password);
    } catch {
      return false;
    }
  }
  dummyHash ??= hashPassword('drover-dummy-password');
  await verifyPassword(password, await dummyHash);
  return false;
}
