// The text of the keyboard-interactive prompts (pure). OpenSSH may hide the instruction
// line, so each prompt carries what the person needs to know by itself.
import type { OtpSpec } from '../specs/schema/user.js';

export function passwordPrompt(user: string, host = 'jump'): string {
  return `Password for ${user}@${host}: `;
}

export function formatValidity(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 60_000) return `${Math.round(ms / 6_000) / 10} min`;
  return `${Math.max(1, Math.round(ms / 1000))} s`;
}

/** Hides most of an address: alice@example.com -> a***@example.com, +8613800001234 -> ***1234. */
export function maskAddress(to: string): string {
  const at = to.indexOf('@');
  if (at > 0) return `${to[0]}***${to.slice(at)}`;
  if (to.length > 4) return `***${to.slice(-4)}`;
  return '***';
}

export function codePrompt(otp: OtpSpec, opts: { validMs: number }): string {
  if (otp.mode === 'delivered') return `Code sent by ${otp.channel} to ${maskAddress(otp.to)} (valid ${formatValidity(opts.validMs)}): `;
  return 'Authenticator code (6 digits): ';
}

/** True for a prompt that asks for a one-time code (used by askpass helpers and tests). */
export function isCodePrompt(text: string): boolean {
  return /\bcode\b/i.test(text);
}
