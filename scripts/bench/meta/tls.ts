// `npm run bench:meta` section: idle heartbeats over HTTPS (--tls-cert, keep-alive) beside the same
// over plain HTTP, two metas of this build started for it with the same registered devices, in
// alternating rounds. Goal: HTTPS at least 0.7× the plain rate. Certificates from the real openssl.
// Alone: node --import tsx scripts/bench/meta/tls.ts
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { serverPki } from '../../../test/helpers/certs.js';
import { copyExampleFleet, heartbeatBody, startMetaProcess } from '../../../test/helpers/meta-process.js';
import { builtMetaIsFresh } from '../lib/built-meta.js';
import { compareRounds } from '../lib/compare-rounds.js';
import type { Target } from '../lib/load.js';
import type { MetaBenchSection } from '../meta.js';

const DEVICES = Number(process.env.BENCH_TLS_DEVICES ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const ROUND_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

function post(url: string, token: string, body: string, agent: HttpAgent | HttpsAgent): Promise<string> {
  const u = new URL(`${url}/v1/heartbeat`);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(u, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Registers DEVICES devices (32 at a time); returns each one's idle body (current etag). */
async function register(url: string, token: string, agent: HttpAgent | HttpsAgent): Promise<string[]> {
  const bodies: string[] = new Array(DEVICES);
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < DEVICES) {
        const i = next++;
        const id = `tls-bench-${i}`;
        for (let attempt = 0; ; attempt++) {
          try {
            const answer = JSON.parse(await post(url, token, JSON.stringify(heartbeatBody(id)), agent)) as { etag: string };
            bodies[i] = JSON.stringify(heartbeatBody(id, { etag: answer.etag, appliedEtag: answer.etag }));
            break;
          } catch (err) {
            if (attempt > 20) throw err;
            await new Promise((r) => setTimeout(r, 200)); // shed with 503 under load: again
          }
        }
      }
    }),
  );
  return bodies;
}

export async function tlsBench(print: (line: string) => void = (l) => console.log(l)): Promise<{ rateRatio: number; cpuRatio: number } | null> {
  const tmp = mkdtempSync(join(tmpdir(), 'drover-bench-tls-'));
  const fleet = copyExampleFleet();
  const { ca, server } = serverPki(tmp);
  const common = ['--max-lag', '30s', '--sweep-interval', '1h'];
  const built = builtMetaIsFresh(join(dirname(fileURLToPath(import.meta.url)), '../../..'));
  const plain = await startMetaProcess({ repo: fleet, built, args: common, timeoutMs: 120_000 });
  const tls = await startMetaProcess({ repo: fleet, built, ca: ca.cert, args: [...common, '--tls-cert', server.cert, '--tls-key', server.key], timeoutMs: 120_000 });
  try {
    const caPem = readFileSync(ca.cert);
    const plainBodies = await register(plain.url, plain.agentToken, new HttpAgent({ keepAlive: true }));
    const tlsBodies = await register(tls.url, tls.agentToken, new HttpsAgent({ keepAlive: true, ca: caPem }));
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${plain.agentToken}` };
    const pick = (bodies: string[]) => () => bodies[Math.floor(Math.random() * bodies.length)]!;
    const targets: Target[] = [
      { name: 'meta-https', pid: tls.child.pid!, url: tls.url, path: '/v1/heartbeat', headers, body: pick(tlsBodies), cannon: { tlsOptions: { ca: caPem } } },
      { name: 'meta-http', pid: plain.child.pid!, url: plain.url, path: '/v1/heartbeat', headers, body: pick(plainBodies) },
    ];
    const cmp = await compareRounds({
      title: `  idle POST /v1/heartbeat over HTTPS (keep-alive) beside plain HTTP, ${DEVICES.toLocaleString('en')} devices each`,
      targets,
      rounds: ROUNDS,
      seconds: ROUND_SECONDS,
      connections: 32,
      print: (l) => print(`  ${l}`),
    });
    const m = cmp.medians.get('meta-https');
    if (m) print(`  HTTPS beside plain HTTP (medians): rate ×${m.rateRatio.toFixed(2)} (goal ≥ 0.7), CPU/heartbeat ×${m.cpuRatio.toFixed(2)}`);
    return m ? { rateRatio: m.rateRatio, cpuRatio: m.cpuRatio } : null;
  } finally {
    await tls.stop();
    await plain.stop();
    rmSync(tmp, { recursive: true, force: true });
    rmSync(fleet, { recursive: true, force: true });
  }
}

export const tlsSection: MetaBenchSection = {
  id: 'tls',
  name: 'idle heartbeats over TLS vs plain HTTP',
  async run() {
    await tlsBench();
  },
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  tlsBench().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
