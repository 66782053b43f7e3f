// --verify-commits FILE (repeatable): who may sign the commits meta applies, jump reads users from
// and `drover validate` passes. Each file is an OpenSSH allowed_signers file or an ASCII-armored
// OpenPGP public key block, told apart by content; a commit's signature is checked by its kind
// (the gpgsig armor). Verdicts are cached per commit id, so a revision is checked once. The files
// are read again when they change (checked before each verification; watch() polls them) and on
// reload() (SIGHUP): the OpenPGP keys go into a fresh keyring, so a key removed from the file is
// no longer accepted. A file that no longer loads fails closed: every new commit is refused, the
// last good revision keeps being served.
import { readFileSync, statSync, unwatchFile, watchFile } from 'node:fs';
import { DroverError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { readCommitToVerify, type CommitVerdict } from '../verify-commit.js';
import { describeKey } from './gpg-keys.js';
import { PgpKeyring } from './pgp-keyring.js';
import { signatureKind, signerFileKind } from './signer-file-kind.js';
import { verifySshSignature } from './ssh-signature.js';

const CACHE_MAX = 512;

interface Loaded {
  ssh: string[];
  pgpFiles: string[];
  pgp: PgpKeyring | null;
}

export class CommitVerifier {
  private cache = new Map<string, CommitVerdict>();
  private queue: Promise<unknown> = Promise.resolve();
  private stamp: string;
  private broken: string | null = null;
  private watching: (() => void) | null = null;

  private constructor(
    readonly files: readonly string[],
    private loaded: Loaded | null,
    private readonly log: Logger | undefined,
  ) {
    this.stamp = stampOf(files);
  }

  /** Reads every file; throws CONFIG_INVALID (a file that is neither kind, gpg missing for OpenPGP keys). */
  static async open(files: readonly string[], opts: { log?: Logger } = {}): Promise<CommitVerifier> {
    const v = new CommitVerifier(files, await load(files), opts.log);
    v.log?.info({ signers: v.describe() }, 'commit signers loaded');
    return v;
  }

  /** What is trusted, for logs and `drover validate`. */
  describe(): string[] {
    if (!this.loaded) return [];
    return [...this.loaded.ssh.map((f) => `allowed_signers ${f}`), ...(this.loaded.pgp?.keys ?? []).map((k) => describeKey(k) + (k.validity === 'r' ? ' REVOKED' : k.validity === 'e' ? ' EXPIRED' : ''))];
  }

  /** Checks commit `oid` of the repository at `dir` (cached per commit id). */
  verify(where: { dir: string; gitdir?: string; oid: string }): Promise<CommitVerdict> {
    return this.serial(async () => {
      if (stampOf(this.files) !== this.stamp) await this.reloadNow('file changed');
      const cached = this.cache.get(where.oid);
      if (cached) return cached;
      const verdict = await this.check(where);
      if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(where.oid, verdict);
      return verdict;
    });
  }

  /** Reads the files again (SIGHUP); false when they did not load (every commit is then refused). */
  reload(reason = 'SIGHUP'): Promise<boolean> {
    return this.serial(() => this.reloadNow(reason));
  }

  /** Calls `onChange` (debounced) when a file changes, so a refused tip can be checked again. */
  watch(onChange: () => void, intervalMs = 1000): void {
    let timer: NodeJS.Timeout | null = null;
    const changed = (cur: { mtimeMs: number; ino: number; size: number }, prev: { mtimeMs: number; ino: number; size: number }) => {
      if (cur.mtimeMs === prev.mtimeMs && cur.ino === prev.ino && cur.size === prev.size) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => ((timer = null), onChange()), 200);
      timer.unref();
    };
    for (const f of this.files) watchFile(f, { interval: intervalMs, persistent: false }, changed);
    this.watching = () => {
      if (timer) clearTimeout(timer);
      for (const f of this.files) unwatchFile(f, changed);
    };
  }

  close(): Promise<void> {
    this.watching?.();
    return this.serial(async () => {
      await this.loaded?.pgp?.close();
      this.loaded = null;
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }

  private async reloadNow(reason: string): Promise<boolean> {
    this.stamp = stampOf(this.files);
    this.cache.clear();
    const old = this.loaded;
    try {
      this.loaded = await load(this.files);
      this.broken = null;
      this.log?.info({ reason, signers: this.describe() }, 'commit signers read again');
      return true;
    } catch (err) {
      this.loaded = null;
      this.broken = errorMessage(err);
      this.log?.error({ reason, error: this.broken }, 'commit signers did not load: every new commit is refused until they do (the last good revision stays)');
      return false;
    } finally {
      await old?.pgp?.close();
    }
  }

  private async check(where: { dir: string; gitdir?: string; oid: string }): Promise<CommitVerdict> {
    const c = await readCommitToVerify(where);
    const refuse = (reason: string): CommitVerdict => ({ ok: false, commit: where.oid, author: c.author, reason });
    if (!c.signature) return refuse('the commit is not signed');
    if (!this.loaded) return refuse(`the allowed signers did not load (${this.broken ?? 'closed'})`);
    const kind = signatureKind(c.signature);
    if (kind === 'ssh') {
      if (this.loaded.ssh.length === 0) return refuse('the commit has an SSH signature, and only OpenPGP keys are allowed signers (give an allowed_signers file to --verify-commits)');
      const v = await verifySshSignature(c.signature, c.payload, this.loaded.ssh);
      return v.ok ? { ok: true, commit: where.oid, author: c.author, signer: v.signer } : refuse(v.reason);
    }
    if (kind === 'pgp') {
      if (!this.loaded.pgp) return refuse('the commit has an OpenPGP signature, and only SSH keys are allowed signers (give an armored OpenPGP public key to --verify-commits)');
      const v = await this.loaded.pgp.verify(c.signature, c.payload);
      return v.ok ? { ok: true, commit: where.oid, author: c.author, signer: v.signer } : refuse(v.reason);
    }
    return refuse(kind === 'x509' ? 'the commit has an X.509 (gpgsm) signature, which is not supported' : 'the commit\'s signature is of an unknown kind');
  }
}

async function load(files: readonly string[]): Promise<Loaded> {
  const ssh: string[] = [];
  const pgpFiles: string[] = [];
  for (const file of files) {
    let content: Buffer;
    try {
      content = readFileSync(file);
    } catch (err) {
      throw new DroverError('CONFIG_INVALID', `--verify-commits ${file}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
    }
    const kind = signerFileKind(content);
    if (kind.kind === 'invalid') throw new DroverError('CONFIG_INVALID', `--verify-commits ${file} ${kind.reason}`);
    (kind.kind === 'ssh' ? ssh : pgpFiles).push(file);
  }
  const pgp = pgpFiles.length ? await PgpKeyring.open(pgpFiles) : null;
  return { ssh, pgpFiles, pgp };
}

function stampOf(files: readonly string[]): string {
  return files
    .map((f) => {
      try {
        const s = statSync(f);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}
