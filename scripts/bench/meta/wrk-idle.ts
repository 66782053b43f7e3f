// Idle heartbeats driven by wrk (a C load generator, when installed: `apt-get install wrk`), so
// that the figure measures meta rather than a JavaScript load generator sharing its two cores.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
}

export function wrkAvailable(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

function ms(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

/** Runs wrk for `seconds` with `connections`, each request a random body from `bodies`. */
export function wrkIdleHeartbeats(url: string, token: string, bodies: string[], seconds: number, connections = 64): WrkResult {
  const dir = mkdtempSync(join(tmpdir(), 'drover-wrk-'));
  try {
    writeFileSync(join(dir, 'bodies.txt'), bodies.join('\n') + '\n');
    writeFileSync(
      join(dir, 'hb.lua'),
      [
        'wrk.method = "POST"',
        'wrk.headers["content-type"] = "application/json"',
        `wrk.headers["authorization"] = "Bearer ${token}"`,
        'local bodies = {}',
        `for line in io.lines("${join(dir, 'bodies.txt')}") do bodies[#bodies + 1] = line end`,
        'request = function() return wrk.format(nil, "/v1/heartbeat", nil, bodies[math.random(#bodies)]) end',
        '',
      ].join('\n'),
    );
    const out = execFileSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', join(dir, 'hb.lua'), url], { encoding: 'utf8', timeout: (seconds + 60) * 1000 });
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
    const p50 = ms(/\n\s+50%\s+(\S+)/.exec(out)?.[1] ?? '');
    const p99 = ms(/\n\s+99%\s+(\S+)/.exec(out)?.[1] ?? '');
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
    return { requestsPerSecond: rps, p50Ms: p50, p99Ms: p99, non2xx };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
