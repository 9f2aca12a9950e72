import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ServerMetrics } from '../metrics/server-metrics.ts';

/** Requests that matched no route share one label: raw URLs would make a series per scanner probe. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Times every answered request into the latency histogram, labelled by route template, method and status. */
async function requestMetricsPlugin(app: FastifyInstance, options: { metrics: ServerMetrics }): Promise<void> {
  const { metrics } = options;
  // A callback hook: no promise and no microtask turn on every request.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.is404 ? UNMATCHED_ROUTE : (request.routeOptions.url ?? UNMATCHED_ROUTE);
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}

export default fp(requestMetricsPlugin, { name: 'request-metrics', fastify: '5.x' });
