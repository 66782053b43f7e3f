// users/<name>.yaml: people who may log in to the jump server and what they may reach.
import { z } from 'zod';
import { NameSchema } from './primitives.js';
import { SelectorSchema } from './selector.js';

/** Password hashes made by `drover hash-password`: scrypt (`scrypt$N$r$p$salt$hash`) or argon2 (`$argon2id$...`). */
export const PasswordHashSchema = z
  .string()
  .refine((s) => s.startsWith('scrypt$') || s.startsWith('$argon2'), 'must be a hash made by `drover hash-password` (scrypt$… or $argon2…), never a plain password')
  .refine(
    (s) => !s.startsWith('scrypt$') || /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]{22,}={0,2}$/.test(s),
    { message: 'is not a complete scrypt hash (scrypt$N$r$p$salt$hash): was it cut when copied? Make it again with `drover hash-password`', abort: true },
  );

export const OtpSchema = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('totp'),
    /** Base32 secret; usually kept in jump's data folder by `drover otp enroll` instead. */
    secret: z.string().regex(/^[A-Z2-7]+=*$/, 'a TOTP secret is base32 (A-Z, 2-7)').optional(),
  }),
  z.strictObject({
    mode: z.literal('delivered'),
    /** How the code travels, shown in the prompt: email, sms, message… */
    channel: z.string().min(1).default('email'),
    /** Address the notifier sends to. */
    to: z.string().min(1),
  }),
  z.strictObject({ mode: z.literal('none') }),
]);

export const AccessRuleSchema = z.strictObject({
  select: SelectorSchema,
  ports: z.array(z.number().int().min(1).max(65535)).default([22]),
});

export const UserSchema = z.strictObject({
  name: NameSchema,
  password: PasswordHashSchema.optional(),
  otp: OtpSchema.default({ mode: 'totp' }),
  access: z.array(AccessRuleSchema).default([]),
  /** May open a shell on the jump host itself. */
  shell: z.boolean().default(false),
  /** Login name on devices (default: the user's name). */
  deviceUser: z.string().optional(),
  disabled: z.boolean().default(false),
  description: z.string().optional(),
});

export type OtpSpec = z.infer<typeof OtpSchema>;
export type AccessRule = z.infer<typeof AccessRuleSchema>;
export type UserSpec = z.infer<typeof UserSchema>;
