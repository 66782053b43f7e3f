// Signed enrollment requests for tests, made with the same functions an agent uses.
import { generateDeviceKey, signWithDeviceKey, type DeviceKeyPair } from '../../lib/device-key.js';
import { enrollmentMessage } from '../../specs/wire/enroll.js';

export function signedEnrollRequest(id: string, key: DeviceKeyPair = generateDeviceKey(), o: { timestamp?: number; labels?: Record<string, string> } = {}) {
  const unsigned = { protocol: 1 as const, device: { id, hostname: `${id}.local`, labels: o.labels ?? { role: 'web' } }, publicKey: key.publicKey, fingerprint: key.fingerprint, timestamp: o.timestamp ?? Date.now() };
  return { ...unsigned, signature: signWithDeviceKey(key.privatePem, enrollmentMessage(unsigned)) };
}
