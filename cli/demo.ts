// drover demo: the whole loop on this machine. Builds the example packages and serves them,
// turns a copy of examples/fleet into a local git repository, starts meta on it and three
// agents (dev-001..003) in temporary roots, prints each device's condition until all are in
// sync with hello-service running, then leaves everything running until Ctrl-C. A device whose
// devices/<id>.yaml declares `enroll` (dev-003) gets no shared token: its agent enrolls with the
// fleet enrollment token and heartbeats with a credential of its own.
// The demo is a list of start steps, each returning its cleanup: another part (the jump
// server) is one more step in `steps`.
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execaSync } from 'execa';
import { parse as parseYaml } from 'yaml';
import { createLogger } from '../lib/log.js';
import { defineCommand } from './command.js';
import { buildArtifacts, referencedArtifacts, rewriteFleet, serveArtifacts, type BuiltArtifact } from './demo/artifacts.js';
import type { DemoContext } from './demo/context.js';
import { startDemoAgent, startDemoMeta } from './demo/processes.js';
import { converged, enrollmentLines, fetchDevices, formatDevices, helloServicePid, type DeviceLine } from './demo/status.js';

/** The checkout (sources or dist/ alike): the first folder upwards with examples/packages/build.sh. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'examples/packages/build.sh'))) return dir;
    dir = resolve(dir, '..');
  }
  throw new Error('cannot find examples/packages/build.sh: run the demo from a drover checkout');
}
const REPO_ROOT = repoRoot();

const spec = {
  command: 'demo',
  summary: 'Runs meta, three agents and a jump server on this machine on a copy of examples/fleet, and shows the agents converge.',
  usage: 'drover demo [--exit-when-converged] [--timeout DURATION]',
  options: [
    { name: 'exit-when-converged', type: 'boolean' as const, help: 'stop everything and exit 0 once all devices are in sync (for tests)', default: false, env: false as const },
    { name: 'timeout', type: 'duration' as const, help: 'give up (exit 1) when not converged by then', default: 180_000, env: false as const },
    { name: 'keep', type: 'boolean' as const, help: 'keep the temporary folder on exit (logs, fleet repository)', default: false, env: false as const },
  ],
};

/** What the steps share. */
type Cleanup = () => Promise<void> | void;
type Step = { name: string; run(ctx: DemoContext): Promise<Cleanup | void> };

const steps: Step[] = [
  {
    name: 'build and serve the example packages',
    async run(ctx) {
      const artifacts = join(ctx.dir, 'artifacts');
      mkdirSync(artifacts);
      ctx.built = buildArtifacts(REPO_ROOT, referencedArtifacts(join(REPO_ROOT, 'examples/fleet')), artifacts);
      const served = await serveArtifacts(artifacts);
      ctx.artifactHost = served.host;
      ctx.say(`artifacts: ${ctx.built.map((b) => `${b.name}-${b.version}`).join(', ')} on http://${served.host}/`);
      return served.close;
    },
  },
  {
    name: 'make the fleet repository',
    async run(ctx) {
      cpSync(join(REPO_ROOT, 'examples/fleet'), ctx.fleetDir, { recursive: true });
      rewriteFleet(ctx.fleetDir, ctx.built!, ctx.artifactHost!);
      const git = (...args: string[]) => execaSync('git', args, { cwd: ctx.fleetDir });
      git('init', '-q', '-b', 'main');
      git('add', '-A');
      git('-c', 'user.name=drover demo', '-c', 'user.email=demo@drover.invalid', 'commit', '-q', '-m', 'demo fleet');
      for (const f of readdirSync(join(ctx.fleetDir, 'devices'))) {
        const d = parseYaml(readFileSync(join(ctx.fleetDir, 'devices', f), 'utf8')) as { id: string; labels?: Record<string, string>; enroll?: unknown };
        ctx.devices.push({ id: d.id, labels: d.labels ?? {}, root: join(ctx.dir, 'devices', d.id), enroll: d.enroll !== undefined });
      }
      ctx.say(`fleet repository: ${ctx.fleetDir} (${ctx.devices.length} devices)`);
    },
  },
  {
    name: 'start meta',
    async run(ctx) {
      const meta = await startDemoMeta(ctx);
      ctx.metaUrl = meta.url;
      ctx.say(`meta: ${meta.url}  (admin token in ${ctx.tokenFiles.admin})`);
      return meta.close;
    },
  },
  {
    name: 'start the jump server',
    async run(ctx) {
      const { startDemoJump } = await import('../jump/demo.js');
      const jump = await startDemoJump({
        dataDir: join(ctx.dir, 'jump'),
        listen: { host: '127.0.0.1', port: 0 },
        repo: ctx.fleetDir,
        metaUrl: ctx.metaUrl,
        metaToken: ctx.adminToken,
        log: createLogger({ name: 'jump', level: process.env.DROVER_LOG_LEVEL ?? 'warn' }),
      });
      ctx.jumpLines = [
        `jump: ssh bastion on 127.0.0.1:${jump.port}, user ${jump.user}, password ${jump.password}, TOTP secret ${jump.otpSecret}`,
        ...jump.lines.map((l) => `  ${l}`),
      ];
      ctx.say(ctx.jumpLines[0]!);
      return jump.close;
    },
  },
  {
    name: 'start the agents',
    async run(ctx) {
      const agents = ctx.devices.map((d) => startDemoAgent(ctx, d));
      const how = (d: DemoContext['devices'][number]) => (d.enroll ? '; enrolls with its own key' : '');
      ctx.say(`agents: ${ctx.devices.map((d) => `${d.id} (${Object.entries(d.labels).map(([k, v]) => `${k}=${v}`).join(',')}${how(d)})`).join(', ')}`);
      return async () => {
        await Promise.all(agents.map((a) => a.stop()));
      };
    },
  },
];

/** The demo's tokens as files (0600), as meta, the agents and curl read them. */
function writeTokenFiles(secrets: string, agent: string, admin: string): DemoContext['tokenFiles'] {
  mkdirSync(secrets, { recursive: true, mode: 0o700 });
  const files = { agent: join(secrets, 'agent-token'), admin: join(secrets, 'admin-token'), adminHeader: join(secrets, 'admin-header'), enroll: join(secrets, 'enroll-token') };
  writeFileSync(files.agent, `${agent}\n`, { mode: 0o600 });
  writeFileSync(files.enroll, `${randomBytes(16).toString('hex')}\n`, { mode: 0o600 });
  writeFileSync(files.admin, `${admin}\n`, { mode: 0o600 });
  writeFileSync(files.adminHeader, `authorization: Bearer ${admin}\n`, { mode: 0o600 });
  return files;
}

export const command = defineCommand(spec, async (cfg) => {
  const dir = mkdtempSync(join(tmpdir(), 'drover-demo-'));
  const agentToken = randomBytes(16).toString('hex');
  const adminToken = randomBytes(16).toString('hex');
  const ctx: DemoContext = {
    dir,
    fleetDir: join(dir, 'fleet'),
    agentToken,
    adminToken,
    tokenFiles: writeTokenFiles(join(dir, 'secrets'), agentToken, adminToken),
    devices: [],
    say: (line) => process.stdout.write(`${line}\n`),
  };
  const cleanups: Cleanup[] = [];
  let interrupted = false;
  let wake: () => void = () => {};
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stdout.write('\nstopping the demo…\n');
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const sleep = (ms: number) => new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    wake = () => { clearTimeout(t); r(); };
  });

  let code = 0;
  try {
    ctx.say(`drover demo in ${dir}`);
    for (const step of steps) {
      if (interrupted) break;
      const cleanup = await step.run(ctx);
      if (cleanup) cleanups.push(cleanup);
    }
    const roots = Object.fromEntries(ctx.devices.map((d) => [d.id, d.root]));
    const deadline = Date.now() + (cfg.values.timeout as number);
    let last = '';
    let redraw = 0; // lines of the last table, when it can be redrawn in place
    // Every second: on a terminal the table is redrawn in place; elsewhere it is printed when it changes.
    const show = (text: string) => {
      const block = `[${new Date().toISOString().slice(11, 19)}]\n${text}`;
      if (process.stdout.isTTY) {
        if (redraw && text === last) process.stdout.write(`\x1b[${redraw}A\x1b[0J`);
        process.stdout.write(`${block}\n`);
        redraw = block.split('\n').length;
      } else if (text !== last) ctx.say(block);
      last = text;
    };
    let lines: DeviceLine[] = [];
    while (!interrupted) {
      lines = await fetchDevices(ctx.metaUrl!, ctx.adminToken, ctx.devices.map((d) => d.id));
      const text = formatDevices(lines);
      show(text);
      if (converged(lines, roots)) break;
      if (Date.now() > deadline) {
        ctx.say(`not converged after ${(cfg.values.timeout as number) / 1000}s; agent logs are in ${join(dir, 'logs')}`);
        code = 1;
        break;
      }
      await sleep(1000);
    }
    if (code === 0 && !interrupted) {
      const pids = ctx.devices.map((d) => `${d.id} pid ${helloServicePid(d.root) ?? '-'}`).join(', ');
      ctx.say(`\nAll ${ctx.devices.length} devices are in sync; hello-service runs (${pids}).`);
      for (const line of await enrollmentLines(ctx.metaUrl!, ctx.adminToken)) ctx.say(`enrolled: ${line}`);
      if (cfg.values['exit-when-converged']) {
        ctx.say('converged: stopping (--exit-when-converged)');
      } else {
        const v11 = ctx.built!.find((b) => b.name === 'hello-service' && b.version === '1.1.0');
        redraw = 0;
        ctx.say([
          '',
          `Now change the fleet and watch the agents follow. The repository is ${ctx.fleetDir}`,
          `(meta watches it; commit to keep the history):`,
          `  cd ${ctx.fleetDir}`,
          `  sed -i 's/^state: started/state: stopped/' packages/hello-service.yaml && git commit -qam 'stop hello-service'`,
          ...(v11 ? [`  # or upgrade everyone to 1.1.0 (already built and served): in packages/hello-service.yaml set`, `  #   version: "1.1.0", url .../hello-service-1.1.0.tar.gz, sha256: ${v11.sha256}`] : []),
          ...(ctx.jumpLines ?? []),
          `Dashboard: ${ctx.metaUrl}/ui/ (sign in with the admin token: cat ${ctx.tokenFiles.admin})`,
          `Status: drover status --meta ${ctx.metaUrl} --admin-token-file ${ctx.tokenFiles.admin}`,
          `Status API: curl -s -H @${ctx.tokenFiles.adminHeader} ${ctx.metaUrl}/v1/devices`,
          `Enrollments: drover devices enrollments --meta ${ctx.metaUrl} --admin-token-file ${ctx.tokenFiles.admin}`,
          `  (or the dashboard's Enrollments page); another device enrolls with`,
          `  drover agent --meta ${ctx.metaUrl} --id dev-009 --root ${join(dir, 'devices', 'dev-009')} --enroll-token-file ${ctx.tokenFiles.enroll}`,
          `  and waits there until you accept it (it is not declared with enroll: auto).`,
          `Logs: ${join(dir, 'logs')}.  Ctrl-C stops everything and cleans up.`,
          '',
        ].join('\n'));
        while (!interrupted) {
          await sleep(1000);
          if (interrupted) break;
          lines = await fetchDevices(ctx.metaUrl!, ctx.adminToken, ctx.devices.map((d) => d.id));
          const text = formatDevices(lines);
          show(text);
        }
      }
    }
  } catch (err) {
    process.stderr.write(`drover demo: ${(err as Error).message}\n`);
    code = 1;
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        process.stderr.write(`drover demo: cleanup: ${(err as Error).message}\n`);
      }
    }
    if (cfg.values.keep) ctx.say(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (interrupted && code === 0) ctx.say('stopped and cleaned up');
  return code;
});
