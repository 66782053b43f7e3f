// uid, gid and home of a local user, for running a command or a shell as that user (id and
// getent through execa, loaded on first use: most agents never switch users).
export interface Account {
  user: string;
  uid: number;
  gid: number;
  /** From getent passwd; undefined when getent is missing or silent. */
  home: string | undefined;
}

/** Throws when the user is unknown. */
export async function lookupAccount(user: string): Promise<Account> {
  const { execa } = await import('execa');
  const opts = { timeout: 5_000 };
  const uid = Number((await execa('id', ['-u', user], opts)).stdout.trim());
  const gid = Number((await execa('id', ['-g', user], opts)).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error(`cannot resolve user ${user}`);
  const home = await execa('getent', ['passwd', user], opts).then(
    (r) => r.stdout.split(':')[5]?.trim() || undefined,
    () => undefined,
  );
  return { user, uid, gid, home };
}
