// Benchmark of the fleet spec: compileFleet and resolveDevice for 10,000 devices x 100 packages
// (selectors, selector overrides, pins, extra packages, approved and trial commands), plus loading
// the same fleet from YAML. Run: npm run bench:specs (or node --import tsx scripts/bench/specs.ts).
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { loadFleet } from '../../specs/load/load-fleet.js';
import { memoryTree } from '../../specs/load/tree-reader.js';
import { compileFleet } from '../../specs/resolve/compile-fleet.js';
import { resolveDevice } from '../../specs/resolve/resolve-device.js';
import type { FleetSpec } from '../../specs/schema/fleet-spec.js';

const ROLES = ['web', 'db', 'cache', 'batch', 'edge'];
const SITES = ['bj', 'sh', 'gz', 'sz', 'hz', 'cd', 'wh', 'xa'];
const hex = (n: number, len: number): string => n.toString(16).padStart(len, '0').slice(-len);

/** A fleet repository as YAML files: `devices` devices, `packages` packages. */
export function generateFleetFiles(devices = 10_000, packages = 100): Record<string, string> {
  const files: Record<string, string> = {};
  files['fleet.yaml'] = 'name: bench\nheartbeat: 60s\n';
  for (let p = 0; p < packages; p++) {
    const name = `pkg-${String(p).padStart(3, '0')}`;
    const lines = [`name: ${name}`, `version: "1.${p}.0"`, 'artifact:', `  url: https://mirror.example/${name}-1.${p}.0.tar.gz`, `  sha256: "${hex(p, 8).repeat(8)}"`];
    if (p % 4 === 1) lines.push('select:', `  labels: { role: ${ROLES[p % ROLES.length]} }`);
    else if (p % 4 === 2) lines.push('select:', '  match:', `    - { key: site, in: [${SITES.slice(0, 1 + (p % SITES.length)).join(', ')}] }`);
    else if (p % 4 === 3) lines.push('select:', `  ids: ["dev-${p % 10}*"]`);
    if (p % 5 === 0) {
      lines.push('overrides:');
      lines.push(`  - select: { labels: { site: ${SITES[p % SITES.length]} } }`, `    version: "1.${p}.1"`, '    artifact:', `      url: https://mirror.example/${name}-1.${p}.1.tar.gz`, `      sha256: "${hex(p + 1000, 8).repeat(8)}"`);
      lines.push(`  - select: { match: [{ key: tier, notIn: [gold] }] }`, '    state: stopped');
    }
    files[`packages/${name}.yaml`] = lines.join('\n') + '\n';
  }
  files['control.yaml'] = [
    'commands:',
    '  - name: clean-tmp',
    '    run: find /tmp -xdev -mtime +7 -delete',
    '    select: { labels: { role: web } }',
    '    rollout: { steps: [1, 10%, 100%] }',
    '  - name: rotate-logs',
    '    run: logrotate -f /etc/logrotate.conf',
    '    repeat: { every: 1d }',
    '  - name: restart-on-upgrade',
    '    run: systemctl reload nginx',
    '    repeat: { onVersionChange: pkg-000 }',
    '  - name: disk-report',
    '    run: df -hP /',
    '    select: { match: [{ key: site, in: [bj, sh] }] }',
    '  - name: gpu-check',
    '    run: nvidia-smi',
    '    select: { match: [{ key: gpu, exists: true }] }',
  ].join('\n') + '\n';
  for (let d = 0; d < devices; d++) {
    const id = `dev-${String(d).padStart(5, '0')}`;
    const lines = [`id: ${id}`, `labels: { role: ${ROLES[d % ROLES.length]}, site: ${SITES[d % SITES.length]}, tier: ${d % 3 === 0 ? 'gold' : 'std'}${d % 17 === 0 ? ', gpu: "yes"' : ''} }`];
    if (d % 50 === 0) lines.push('packages:', `  pkg-${String(d % packages).padStart(3, '0')}: { version: "9.9.9-rc1", artifact: { url: https://mirror.example/canary.tar.gz, sha256: "${hex(d, 8).repeat(8)}" } }`);
    if (d % 100 === 0) lines.push('extraPackages:', `  - name: extra-${id}`, '    version: "0.1.0"', `    artifact: { url: https://mirror.example/extra.tar.gz, md5: "${hex(d, 8).repeat(4)}" }`);
    if (d % 200 === 0) lines.push('commands:', `  - name: trial-${d % 7}`, `    run: echo trial ${d % 7}`);
    files[`devices/${id}.yaml`] = lines.join('\n') + '\n';
  }
  return files;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Wall-clock and CPU milliseconds of fn (CPU time is less disturbed by a busy machine). */
function time<T>(fn: () => T): [number, T, number] {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return [wall, out, (c.user + c.system) / 1000];
}

export async function run(): Promise<void> {
  const DEVICES = 10_000;
  const PACKAGES = 100;
  const RUNS = 9;
  const files = generateFleetFiles(DEVICES, PACKAGES);
  const t0 = performance.now();
  const loaded = await loadFleet(memoryTree(files), { revision: 'bench' });
  const loadMs = performance.now() - t0;
  if (!loaded.ok) throw new Error(`generated fleet is invalid: ${loaded.problems.slice(0, 3).map((p) => `${p.file}:${p.line}: ${p.message}`).join('; ')}`);
  const spec: FleetSpec = loaded.spec;
  const ids = spec.devices.map((d) => ({ id: d.id }));

  const compileTimes: number[] = [];
  const resolveTimes: number[] = [];
  const resolveCpu: number[] = [];
  let packagesResolved = 0;
  let commandsResolved = 0;
  for (let r = 0; r < RUNS; r++) {
    const [compileMs, compiled] = time(() => compileFleet(spec));
    const [resolveMs, docs, cpuMs] = time(() => ids.map((d) => resolveDevice(compiled, d)));
    compileTimes.push(compileMs);
    resolveTimes.push(resolveMs);
    resolveCpu.push(cpuMs);
    packagesResolved = docs.reduce((n, d) => n + d.document.packages.length, 0);
    commandsResolved = docs.reduce((n, d) => n + d.document.commands.length, 0);
  }
  const compileMs = median(compileTimes);
  const resolveMs = median(resolveTimes);
  const total = compileMs + resolveMs;
  console.log(`specs: ${DEVICES} devices x ${PACKAGES} packages, ${spec.commands.length} approved commands; median of ${RUNS} runs`);
  console.log(`  (node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}: CPU time is the steadier figure on a busy machine)`);
  console.log(`  loadFleet (YAML, ${Object.keys(files).length} files):   ${loadMs.toFixed(0)} ms (once)`);
  console.log(`  compileFleet:                         ${compileMs.toFixed(1)} ms`);
  console.log(`  resolveDevice x ${DEVICES}:               ${resolveMs.toFixed(1)} ms (${Math.round(DEVICES / (resolveMs / 1000)).toLocaleString('en-US')} devices/s); CPU ${median(resolveCpu).toFixed(1)} ms`);
  console.log(`  compile + resolve all:                ${total.toFixed(1)} ms (${Math.round(DEVICES / (total / 1000)).toLocaleString('en-US')} devices/s)`);
  console.log(`  resolved ${packagesResolved.toLocaleString('en-US')} package entries, ${commandsResolved.toLocaleString('en-US')} command entries per run`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
