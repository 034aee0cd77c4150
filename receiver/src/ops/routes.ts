// Operational endpoints: liveness, readiness (every dependency answers) and Prometheus.

import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.ts';

export interface OpsDeps {
  metrics: Metrics;
  /** Named readiness checks; each resolves when its dependency is usable. */
  checks: Record<string, () => Promise<void>>;
}

const CHECK_TIMEOUT_MS = 3000;

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(() => { clearTimeout(t); resolve(); }, (e: unknown) => { clearTimeout(t); reject(e instanceof Error ? e : new Error(String(e))); });
  });
}

export async function opsRoutes(app: FastifyInstance, deps: OpsDeps): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const results: Record<string, string> = {};
    let ready = true;
    await Promise.all(Object.entries(deps.checks).map(async ([name, check]) => {
      try {
        await withTimeout(check(), CHECK_TIMEOUT_MS);
        results[name] = 'ok';
      } catch (err) {
        ready = false;
        results[name] = (err as Error).message || 'failed';
      }
    }));
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: results });
  });

  app.get('/metrics', async (_request, reply) => {
    const body = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(body);
  });
}
