// drover otp enroll USER | code USER: TOTP secrets for jump users, kept in jump's data folder.
import { resolve } from 'node:path';
import qrcode from 'qrcode-terminal';
import { defineCommand } from './command.js';

const spec = {
  command: 'otp',
  summary:
    'TOTP secrets for jump users.\n  enroll USER  makes a new secret, stores it in DATA/otp/USER.json (mode 0600), prints the otpauth URI and a QR code\n  code USER    prints the current code (for tests and demos)',
  usage: 'drover otp enroll|code USER [--data DIR]',
  options: [
    { name: 'data', type: 'string' as const, help: "jump's data folder", default: './jump-data', metavar: 'DIR' },
    { name: 'issuer', type: 'string' as const, help: 'issuer shown by authenticator apps', default: 'drover-jump', env: false as const },
    { name: 'no-qr', type: 'boolean' as const, help: 'print the URI only', default: false, env: false as const },
    { name: 'force', type: 'boolean' as const, help: 'replace a secret already enrolled', default: false, env: false as const },
  ],
};

export const command = defineCommand(spec, async (cfg) => {
  const [action, user] = cfg.positionals;
  if ((action !== 'enroll' && action !== 'code') || !user || cfg.positionals.length !== 2) {
    process.stderr.write(`usage: ${spec.usage}\n`);
    return 2;
  }
  const dataDir = resolve(String(cfg.values.data));
  const { enrollOtp, readOtpSecret } = await import('../jump/otp-secrets.js');
  if (action === 'enroll') {
    if (readOtpSecret(dataDir, user) && !cfg.values.force) {
      process.stderr.write(`drover otp: ${user} is already enrolled in ${dataDir}; --force makes a new secret (the old one stops working)\n`);
      return 1;
    }
    const { uri, path } = enrollOtp(dataDir, user, String(cfg.values.issuer));
    process.stdout.write(`Enrolled ${user}: secret stored in ${path}\n${uri}\n`);
    if (!cfg.values['no-qr']) qrcode.generate(uri, { small: true }, (qr) => process.stdout.write(qr + '\n'));
    return 0;
  }
  const secret = readOtpSecret(dataDir, user);
  if (!secret) {
    process.stderr.write(`drover otp: ${user} is not enrolled in ${dataDir} (run: drover otp enroll ${user} --data ${dataDir})\n`);
    return 1;
  }
  const { currentTotp } = await import('../jump/totp.js');
  process.stdout.write((await currentTotp(secret)) + '\n');
  return 0;
});
