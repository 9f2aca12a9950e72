import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ZodError } from 'zod';
import { SyncApprovalNeeded } from '../../sync/login-pull.ts';
import { AppError } from '../../errors.ts';

function zodMessage(error: ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'Invalid request';
  const where = issue.path.length === 0 ? '' : `${issue.path.join('.')}: `;
  return `${where}${issue.message}`;
}

/**
 * One error handler: the app's errors with their status and rotki's shape,
 * bad input as 400, the sync question as 300, and no detail of anything else.
 */
async function errorHandler(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if (error instanceof SyncApprovalNeeded) {
      return reply.code(300).send({ result: error.payload, message: error.message });
    }
    if (error instanceof AppError) {
      return reply.code(error.status).send({ result: null, message: error.message, error: error.kind, ...error.details });
    }
    if (error instanceof ZodError) {
      return reply.code(400).send({ result: null, message: zodMessage(error), error: 'invalid_input' });
    }
    const status = (error as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(status).send({ result: null, message: error.message, error: 'invalid_input' });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ result: null, message: 'Internal error in the app. See its log.', error: 'internal' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ result: null, message: `No such endpoint: ${request.method} ${request.url.split('?')[0]}`, error: 'not_found' }),
  );
}

export default fp(errorHandler, { name: 'error-handler' });
