// Benchmark of the agent process: a real meta (in this process) on a small fleet (hello-service
// through its control script, metrics-exporter supervised), one `drover agent` child process;
// prints the time to converge and the agent's idle RSS once converged (aim: < 60 MB), from the
// built dist/ when present (as installed) and through tsx otherwise; then the same for the one-file
// agent (dist/drover-agent.mjs, run by node from an empty folder) and the standalone binary
// (dist/drover-agent-<platform>-<arch>, built with build:sea when missing), with their sizes.
// Run: npm run bench:agent (or node --import tsx scripts/bench/agent.ts).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildArtifacts, serveArtifacts } from '../../cli/demo/artifacts.js';
import { silentLogger } from '../../lib/log.js';
import { loadMetaConfig } from '../../reconciler/config.js';
import { startMeta } from '../../reconciler/main.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssKb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

interface Form {
  label: string;
  cmd: string;
  args: string[];
  cwd?: string;
}

export async function run(): Promise<void> {
  const dist = join(ROOT, 'dist/cli/main.js');
  const forms: Form[] = [{ label: `drover agent (${existsSync(dist) ? 'dist' : 'tsx'})`, cmd: process.execPath, args: existsSync(dist) ? [dist, 'agent'] : ['--import', 'tsx', join(ROOT, 'cli/main.ts'), 'agent'] }];
  const alone = mkdtempSync(join(tmpdir(), 'drover-bench-alone-'));
  try {
    const bundle = join(alone, 'drover-agent.mjs');
    execFileSync(process.execPath, [join(ROOT, 'scripts/build/build-agent.mjs'), '--out', bundle], { stdio: 'pipe' });
    console.log(`one-file agent: ${(statSync(bundle).size / 1024).toFixed(0)} KiB (aim < 2048 KiB)`);
    forms.push({ label: 'node drover-agent.mjs', cmd: process.execPath, args: [bundle], cwd: alone });
    const binary = join(ROOT, `dist/drover-agent-${process.platform}-${process.arch}`);
    if (!existsSync(binary)) execFileSync(process.execPath, [join(ROOT, 'scripts/build/build-sea.mjs')], { stdio: 'pipe' });
    console.log(`standalone binary: ${(statSync(binary).size / 1024 / 1024).toFixed(1)} MiB (node ${process.version} included)`);
    forms.push({ label: 'drover-agent binary', cmd: binary, args: [], cwd: alone });
    for (const form of forms) await runForm(form);
  } finally {
    rmSync(alone, { recursive: true, force: true });
  }
}

async function runForm(form: Form): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-bench-agent-'));
  const art = join(dir, 'artifacts');
  mkdirSync(art);
  const built = buildArtifacts(ROOT, [{ name: 'hello-service', version: '1.0.0' }, { name: 'metrics-exporter', version: '0.3.0' }], art);
  const served = await serveArtifacts(art, 0);
  const fleet = join(dir, 'fleet');
  mkdirSync(join(fleet, 'packages'), { recursive: true });
  writeFileSync(join(fleet, 'fleet.yaml'), 'name: bench\nheartbeat: 60s\n');
  const [hello, exporter] = built;
  writeFileSync(join(fleet, 'packages/hello-service.yaml'), `name: hello-service\nversion: "1.0.0"\nartifact:\n  url: http://${served.host}/hello-service-1.0.0.tar.gz\n  sha256: ${hello!.sha256}\npidFile: var/hello-service.pid\n`);
  writeFileSync(join(fleet, 'packages/metrics-exporter.yaml'), `name: metrics-exporter\nversion: "0.3.0"\nartifact:\n  url: http://${served.host}/metrics-exporter-0.3.0.tar.gz\n  sha256: ${exporter!.sha256}\nrun:\n  command: [./metrics-exporter]\n`);
  const token = 'bench-agent-token-0123456789abcdef';
  const { config } = loadMetaConfig(['--repo', fleet, '--data', join(dir, 'meta'), '--listen', '127.0.0.1:0', '--agent-token', token, '--admin-token', `${token}-admin`], {});
  const meta = await startMeta(config!, { log: silentLogger() });

  const root = join(dir, 'root');
  const t0 = Date.now();
  const child = spawn(form.cmd, [...form.args, '--meta', meta.url, '--token', token, '--root', root, '--id', 'bench-1', '--initial-delay', '0', '--stop-on-exit'], {
    cwd: form.cwd,
    env: { ...process.env, DROVER_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    let convergedMs = -1;
    for (let i = 0; i < 600 && child.exitCode === null; i++) {
      try {
        const local = JSON.parse(readFileSync(join(root, 'state/local.json'), 'utf8'));
        if (local.appliedEtag && local.packages['hello-service']?.running && local.packages['metrics-exporter']?.running) {
          convergedMs = Date.now() - t0;
          break;
        }
      } catch {
        /* not yet */
      }
      await sleep(100);
    }
    if (convergedMs < 0) throw new Error('the agent did not converge within 60 s');
    await sleep(5_000); // settle: idle, long polling
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      samples.push(rssKb(child.pid!).rss);
      await sleep(1_000);
    }
    samples.sort((a, b) => a - b);
    const { hwm } = rssKb(child.pid!);
    console.log(`${form.label}: converged to 2 packages in ${convergedMs} ms from process start`);
    console.log(`${form.label}: idle RSS: median ${(samples[2]! / 1024).toFixed(1)} MB (min ${(samples[0]! / 1024).toFixed(1)}, max ${(samples[4]! / 1024).toFixed(1)}), peak ${(hwm / 1024).toFixed(1)} MB  (aim < 60 MB)`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await meta.close();
    await served.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
