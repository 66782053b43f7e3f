// Meta serves the agent, so that a device needs only meta's address to install it:
//   GET /v1/agent                        { version, commit, files: [{ name, size, sha256, url }] }
//   GET /v1/agent/drover-agent.mjs       the one-file agent (x-checksum-sha256 header); binaries alike
//   GET /v1/agent/drover-agent.mjs.sha256   `sha256sum -c` format
// No token: the agent is not secret, and a device has none before it is installed. Over TLS when
// meta is; the checksum guards against a truncated or altered download.
import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { MetaDeps } from '../deps.js';
import { sendError } from '../http/http-error.js';
import { AgentBuilds, defaultAgentDir } from './agent-builds.js';

function notFound(reply: FastifyReply, name: string): FastifyReply {
  return sendError(reply, 'NOT_FOUND', `no agent build named ${name} on this meta`);
}

export async function agentRoutes(app: FastifyInstance, deps: MetaDeps): Promise<void> {
  const builds = new AgentBuilds(deps.config.agentDir ?? defaultAgentDir());

  app.get('/v1/agent', async () => {
    const files = await builds.list();
    const main = files.find((f) => f.name === 'drover-agent.mjs');
    return {
      version: main?.version ?? null,
      commit: main?.commit ?? null,
      files: files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256, url: `/v1/agent/${f.name}` })),
    };
  });

  app.get<{ Params: { name: string } }>('/v1/agent/:name', async (req, reply) => {
    const name = req.params.name;
    const sumFile = name.endsWith('.sha256');
    const file = sumFile ? name.slice(0, -'.sha256'.length) : name;
    const build = await builds.get(file);
    if (!build) return notFound(reply, name);
    if (sumFile) return reply.type('text/plain; charset=utf-8').send(`${build.sha256}  ${build.name}\n`);
    reply
      .header('content-length', build.size)
      .header('x-checksum-sha256', build.sha256)
      .header('content-disposition', `attachment; filename="${build.name}"`)
      .type(build.name.endsWith('.mjs') ? 'text/javascript; charset=utf-8' : 'application/octet-stream');
    if (build.version) reply.header('x-drover-version', build.version);
    return reply.send(createReadStream(builds.path(file)!));
  });
}
