// POST /v1/enroll: a device without a credential asks for one with the fleet enrollment token,
// proving it holds the private key of the public key it sends (an ed25519 signature over the
// request, with a timestamp so that a request cannot be replayed later). Meta answers with the
// enrollment's status and, once accepted, a per-device credential for its heartbeats.
import { z } from 'zod';
import { canonicalJson } from '../resolve/canonical-json.js';
import { KeyFingerprintSchema } from '../schema/device.js';

export const ENROLL_PROTOCOL = 1;

/** An OpenSSH ed25519 public key line (`ssh-ed25519 AAAA…`), without a comment. */
export const SshEd25519KeySchema = z.string().max(200).regex(/^ssh-ed25519 [A-Za-z0-9+/]+={0,2}$/, 'must be an ssh-ed25519 public key');

export const EnrollRequestSchema = z.strictObject({
  protocol: z.literal(ENROLL_PROTOCOL),
  device: z.strictObject({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/),
    hostname: z.string().max(255).optional(),
    labels: z.record(z.string().max(63), z.string().max(255)).default({}),
  }),
  publicKey: SshEd25519KeySchema,
  fingerprint: KeyFingerprintSchema,
  /** When the agent signed the request (epoch ms): meta refuses one far from its clock. */
  timestamp: z.number().int().positive(),
  /** base64 ed25519 signature of enrollmentMessage(request). */
  signature: z.string().max(200).regex(/^[A-Za-z0-9+/]+={0,2}$/),
});
export type EnrollRequest = z.infer<typeof EnrollRequestSchema>;
export type EnrollRequestInput = z.input<typeof EnrollRequestSchema>;

export const EnrollmentStatusSchema = z.enum(['pending', 'accepted', 'rejected', 'revoked']);
export type EnrollmentStatus = z.infer<typeof EnrollmentStatusSchema>;

export const EnrollResponseSchema = z.object({
  protocol: z.literal(ENROLL_PROTOCOL),
  deviceId: z.string(),
  status: EnrollmentStatusSchema,
  fingerprint: z.string(),
  message: z.string(),
  /** With `accepted`: the device's credential, a bearer token for its heartbeats (shown once). */
  credential: z.string().optional(),
  /** While pending: when to ask again. */
  retryAfterMs: z.number().int().positive().optional(),
});
export type EnrollResponse = z.infer<typeof EnrollResponseSchema>;

/** The bytes signed by the device: everything in the request but the signature, as canonical JSON. */
export function enrollmentMessage(req: Omit<EnrollRequestInput, 'signature'>): string {
  const { protocol, device, publicKey, fingerprint, timestamp } = req;
  return `drover-enroll-v${protocol}\n${canonicalJson({ device: { id: device.id, hostname: device.hostname, labels: device.labels ?? {} }, publicKey, fingerprint, timestamp })}`;
}
