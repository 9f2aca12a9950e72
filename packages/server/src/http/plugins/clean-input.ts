import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { messages, textProblem } from '@rotki-premium/protocol';
import { BodyError } from './raw-body.ts';

function firstProblem(values: unknown): string | null {
  if (typeof values !== 'object' || values === null) return null;
  for (const [name, value] of Object.entries(values)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (typeof item !== 'string') continue;
      const problem = textProblem(name) ?? textProblem(item);
      if (problem !== null) return `${name.slice(0, 40)}: ${problem}`;
    }
  }
  return null;
}

/**
 * The text rules of the protocol package (no control characters, valid
 * Unicode) on every query parameter and path parameter of every route, before
 * the body is read; the request schemas apply the same rules to body fields.
 */
async function cleanInputPlugin(app: FastifyInstance): Promise<void> {
  // A callback hook: no promise and no microtask turn on every request.
  app.addHook('onRequest', (request, _reply, done) => {
    const problem = firstProblem(request.query) ?? firstProblem(request.params);
    done(problem === null ? undefined : new BodyError(400, messages.invalidRequest(problem)));
  });
}

export default fp(cleanInputPlugin, { name: 'clean-input', fastify: '5.x' });
