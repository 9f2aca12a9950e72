import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { messages } from '@rotki-premium/protocol';
import { ZodError } from 'zod';
import { DomainError, type DomainErrorKind } from '../../domain/errors.ts';
import { BodyError } from './raw-body.ts';

/**
 * What answers an address that no route knows, before the JSON 404: the
 * website sets it to answer unknown page addresses with its own page. It
 * returns null for an address that is not its (an API path).
 */
export interface PageNotFound {
  handler: ((request: FastifyRequest, reply: FastifyReply) => Promise<unknown> | null) | null;
}

declare module 'fastify' {
  interface FastifyInstance {
    pageNotFound: PageNotFound;
  }
}

const STATUS_OF_KIND: Record<DomainErrorKind, number> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
};

/**
 * One error shape for every route: `{"error": "..."}` with a 4xx for bad input
 * (rotki shows the text as is), and a bare message for 5xx so no stack or
 * internal detail leaves the server.
 */
async function errorHandlerPlugin(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (error instanceof ZodError) {
      const issue = error.issues[0];
      const where = issue?.path.join('.') ?? '';
      return reply.code(400).send({ error: messages.invalidRequest(`${where === '' ? '' : `${where}: `}${issue?.message ?? 'invalid'}`) });
    }
    if (error instanceof DomainError) {
      return reply.code(STATUS_OF_KIND[error.kind]).send({ error: error.message });
    }
    if (error instanceof BodyError) {
      return reply.code(error.statusCode).send(error.statusCode === 413 ? { error: error.message, code: 'request_too_large' } : { error: error.message });
    }
    const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status === 413) {
      return reply.code(413).send({ error: messages.requestTooLarge(request.routeOptions.bodyLimit ?? 0), code: 'request_too_large' });
    }
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ error: messages.invalidRequest(error.message) });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: messages.internal() });
  });

  const pageNotFound: PageNotFound = { handler: null };
  app.decorate('pageNotFound', pageNotFound);
  app.setNotFoundHandler(async (request, reply) => {
    const page = request.method === 'GET' || request.method === 'HEAD' ? pageNotFound.handler?.(request, reply) : null;
    if (page !== null && page !== undefined) return page;
    return reply.code(404).send({ error: messages.notFound() });
  });
}

export default fp(errorHandlerPlugin, { name: 'error-handler', fastify: '5.x' });
