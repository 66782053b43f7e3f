// SIGHUP reads the git credentials again (--git-token-file): a real meta process whose token file
// holds a token the real git http-backend refuses serves no revision; once the file holds the
// right one and meta gets SIGHUP, it clones and serves the head. Neither token shows in its log.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGitServer, type GitServer, type TestRepo } from '../../helpers/git-server.js';
import { getJson, ROOT, startMetaProcess, type MetaHandle } from '../../helpers/meta-process.js';

const OLD = 'git-token-old-3f9a1c7d5e';
const NEW = 'git-token-new-8b2e6d0a4c';
const tmp = mkdtempSync(join(tmpdir(), 'drover-git-token-'));
const tokenFile = join(tmp, 'git-token');
let gs: GitServer;
let repo: TestRepo;
let meta: MetaHandle & { child: import('node:child_process').ChildProcess; output(): string };

before(async () => {
  gs = await startGitServer({ auth: { username: 'ci', password: NEW } });
  repo = gs.createRepo('fleet', `${ROOT}/examples/fleet`);
  writeFileSync(tokenFile, `${OLD}\n`, { mode: 0o600 });
  meta = await startMetaProcess({ repo: repo.url, timeoutMs: 120_000, args: ['--git-username', 'ci', '--git-token-file', tokenFile, '--fetch-interval', '1s'] });
});
after(async () => {
  await meta?.stop();
  await gs?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const revision = async (): Promise<string | null> => (await getJson(meta.url, '/v1/status', meta.adminToken)).body.revision ?? null;

describe('git credentials from a file', () => {
  it('a refused token serves nothing; after the file is rotated and SIGHUP, meta clones and serves the head', async () => {
    assert.equal(await revision(), null, 'the wrong token clones nothing');
    writeFileSync(tokenFile, `${NEW}\n`, { mode: 0o600 });
    meta.child.kill('SIGHUP');
    const deadline = Date.now() + 90_000;
    while ((await revision()) !== repo.head() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    assert.equal(await revision(), repo.head(), meta.output().slice(-3000));
    for (const s of [OLD, NEW]) assert.ok(!meta.output().includes(s), 'no git token in the log');
  });
});
