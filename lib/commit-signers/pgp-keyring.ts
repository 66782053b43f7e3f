// The OpenPGP keys of --verify-commits in a private, temporary GNUPGHOME (mode 0700, never the
// user's keyring): imported once with the real `gpg`, signatures checked with `gpg --status-fd`.
// No agent, dirmngr or keyserver is ever involved (--no-autostart, --no-auto-key-retrieve); the
// listed file is the trust, so gpg's web of trust is off (--trust-model always). close() ends
// any gpg daemon of the home (gpgconf --kill all) and removes it.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DroverError } from '../errors.js';
import { parseGpgKeys, type PgpKey } from './gpg-keys.js';
import { gpgVerdict, type PgpVerdict } from './gpg-verdict.js';
import { runTool, type ToolResult } from './run-tool.js';

export class PgpKeyring {
  private seq = 0;
  private constructor(
    private readonly home: string,
    readonly keys: PgpKey[],
  ) {}

  private static gpg(home: string, args: string[], input?: string | Buffer): Promise<ToolResult> {
    const env: NodeJS.ProcessEnv = { ...process.env, GNUPGHOME: home, LC_ALL: 'C' };
    delete env.GPG_AGENT_INFO;
    const common = ['--homedir', home, '--batch', '--no-tty', '--no-options', '--no-autostart', '--no-auto-key-retrieve', '--trust-model', 'always'];
    return runTool('gpg', [...common, ...args], { env, ...(input !== undefined ? { input } : {}) });
  }

  /** Imports every file; throws CONFIG_INVALID (gpg missing, no key in a file). */
  static async open(files: readonly string[]): Promise<PgpKeyring> {
    const version = await runTool('gpg', ['--version']);
    if (version.missing) {
      throw new DroverError('CONFIG_INVALID', `--verify-commits ${files.join(', ')}: OpenPGP keys need gpg, which is not installed (apt-get install gnupg); commits are never accepted unchecked`);
    }
    const home = await mkdtemp(join(tmpdir(), 'drover-gnupg-'));
    try {
      await chmod(home, 0o700);
      await writeFile(join(home, 'common.conf'), ''); // GnuPG 2.4: no keyboxd, the keyring is a file
      for (const file of files) {
        const r = await PgpKeyring.gpg(home, ['--status-fd', '1', '--import', file]);
        const res = /^\[GNUPG:\] IMPORT_RES (\d+)/m.exec(r.stdout);
        const okCount = (r.stdout.match(/^\[GNUPG:\] IMPORT_OK /gm) ?? []).length;
        if (!res || Number(res[1]) === 0 || okCount === 0) {
          throw new DroverError('CONFIG_INVALID', `--verify-commits ${file}: no OpenPGP public key could be read from it`);
        }
      }
      const listed = await PgpKeyring.gpg(home, ['--with-colons', '--fixed-list-mode', '--with-fingerprint', '--with-fingerprint', '--list-keys']);
      const keys = parseGpgKeys(listed.stdout);
      if (keys.length === 0) throw new DroverError('CONFIG_INVALID', `--verify-commits ${files.join(', ')}: gpg listed no key after the import`);
      return new PgpKeyring(home, keys);
    } catch (err) {
      await PgpKeyring.remove(home);
      throw err;
    }
  }

  /** Checks a detached signature (the commit's gpgsig) over `payload` (the commit without it). */
  async verify(sig: string, payload: Buffer): Promise<PgpVerdict> {
    const sigFile = join(this.home, `commit-${++this.seq}.asc`);
    await writeFile(sigFile, sig.endsWith('\n') ? sig : `${sig}\n`, { mode: 0o600 });
    try {
      const r = await PgpKeyring.gpg(this.home, ['--status-fd', '1', '--verify', sigFile, '-'], payload);
      if (r.missing) return { ok: false, reason: 'gpg is no longer installed: OpenPGP signatures cannot be checked' };
      return gpgVerdict(r.stdout, this.keys);
    } finally {
      await rm(sigFile, { force: true });
    }
  }

  close(): Promise<void> {
    return PgpKeyring.remove(this.home);
  }

  private static async remove(home: string): Promise<void> {
    await runTool('gpgconf', ['--homedir', home, '--kill', 'all']);
    await rm(home, { recursive: true, force: true });
  }
}
