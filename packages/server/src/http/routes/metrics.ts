import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PASS_THROUGH_SCHEMAS } from '../openapi/api-docs.ts';
import { contentResponse } from '../openapi/route-schema.ts';
import { tokensMatch } from '../../domain/sessions.ts';
import type { ServerMetrics } from '../metrics/server-metrics.ts';

export const METRICS_PATH = '/metrics';

const METRICS_DOC = {
  summary: 'Prometheus metrics (text exposition format)',
  description: 'On the public port only when ROTKI_PREMIUM_METRICS_TOKEN is set, behind that bearer token; or on --metrics-port.',
  response: {
    200: contentResponse('The metrics', 'text/plain; version=0.0.4'),
    401: z.object({ error: z.string() }).describe('The bearer token is missing or wrong'),
  },
};

export interface MetricsRouteOptions {
  metrics: ServerMetrics;
  /** Required as `Authorization: Bearer <token>` when set. */
  token: string | null;
}

function bearer(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

/** `GET /metrics`: the Prometheus text format, behind a bearer token when one is configured. */
export async function metricsRoutes(app: FastifyInstance, options: MetricsRouteOptions): Promise<void> {
  const { metrics, token } = options;
  app.get(METRICS_PATH, { schema: METRICS_DOC }, async (request, reply) => {
    if (token !== null) {
      const presented = bearer(request.headers.authorization);
      if (presented === null || !tokensMatch(token, presented)) {
        return reply
          .code(401)
          .header('www-authenticate', 'Bearer realm="metrics"')
          .send({ error: 'Metrics need the bearer token set in ROTKI_PREMIUM_METRICS_TOKEN' });
      }
    }
    const { contentType, body } = await metrics.exposition();
    return reply.type(contentType).header('cache-control', 'no-store').send(body);
  });
}

/** A listener of its own for `--metrics-port`: only `/metrics`, kept off the public port. */
export async function buildMetricsApp(options: MetricsRouteOptions): Promise<FastifyInstance> {
  // The route's zod schema documents it, as on the public port; Fastify's own compilers cannot read it.
  const app = Fastify({ logger: false, return503OnClosing: true, forceCloseConnections: 'idle', schemaController: PASS_THROUGH_SCHEMAS });
  await app.register(metricsRoutes, options);
  return app;
}
