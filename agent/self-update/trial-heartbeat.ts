// A new agent build proves itself before it takes over: started with DROVER_AGENT_TRIAL=<file>, it
// sends the heartbeat the running agent would send (from that file), as itself (its version in the
// facts), once, and exits 0 only when meta accepted it. It converges nothing.
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createTlsAgent } from '../../lib/tls-client.js';
import { errorMessage } from '../../lib/errors.js';
import { BUILD_INFO } from '../../lib/version.js';
import { PROTOCOL_VERSION } from '../../specs/wire/desired.js';
import { HeartbeatResponseSchema } from '../../specs/wire/heartbeat.js';
import type { AgentConfig } from '../config.js';

function post(url: URL, headers: Record<string, string>, body: string, tls: AgentConfig['tls']): Promise<{ status: number; text: string }> {
  const https = url.protocol === 'https:';
  const agent = https ? createTlsAgent(tls) : undefined;
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(url, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, timeout: 30_000, ...(agent ? { agent } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer from meta within 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Exit code: 0 when meta accepted this build's heartbeat. */
export async function trialHeartbeat(config: AgentConfig, bodyFile: string): Promise<number> {
  try {
    const body = JSON.parse(readFileSync(bodyFile, 'utf8')) as { device: { facts?: Record<string, unknown> } };
    body.device.facts = { ...body.device.facts, agentVersion: BUILD_INFO.version, agentCommit: BUILD_INFO.commit };
    const url = new URL('v1/heartbeat', config.metaUrl.endsWith('/') ? config.metaUrl : `${config.metaUrl}/`);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(config.token ? { authorization: `Bearer ${config.token}` } : {}) };
    const res = await post(url, headers, JSON.stringify({ ...body, protocol: PROTOCOL_VERSION }), config.tls);
    if (res.status !== 200) throw new Error(`meta answered ${res.status}: ${res.text.slice(0, 300)}`);
    HeartbeatResponseSchema.parse(JSON.parse(res.text));
    process.stderr.write(`drover-agent ${BUILD_INFO.version}: trial heartbeat accepted by meta\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`drover-agent ${BUILD_INFO.version}: trial heartbeat failed: ${errorMessage(err)}\n`);
    return 1;
  }
}
