import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { WebErrorCode } from '@rotki-premium/protocol/web-api';
import { ZodError } from 'zod';
import { DomainError, type DomainErrorKind } from '../../domain/errors.ts';
import { WebApiError } from '../plugins/session.ts';

const STATUS_OF_KIND: Record<DomainErrorKind, [number, string]> = {
  invalid: [400, WebErrorCode.InvalidInput],
  forbidden: [403, WebErrorCode.Forbidden],
  not_found: [404, WebErrorCode.NotFound],
  conflict: [409, WebErrorCode.Conflict],
};

export function sendError(reply: FastifyReply, status: number, code: string, message: string, field?: string) {
  return reply.code(status).send({ error: field === undefined ? { code, message } : { code, message, field } });
}

/** The web API's error answer, `{ error: { code, message, field? } }`: 5xx details are logged, never sent. */
export function handleWebApiError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof WebApiError) return sendError(reply, error.statusCode, error.code, error.message);
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    const field = issue?.path.join('.') ?? '';
    return sendError(reply, 400, WebErrorCode.InvalidInput, issue?.message ?? 'Invalid input', field === '' ? undefined : field);
  }
  if (error instanceof DomainError) {
    const [status, code] = STATUS_OF_KIND[error.kind];
    if (error.code === WebErrorCode.RateLimited) return sendError(reply, 429, error.code, error.message);
    return sendError(reply, status, error.code ?? code, error.message);
  }
  const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status >= 400 && status < 500) return sendError(reply, status, WebErrorCode.BadRequest, error.message);
  request.log.error({ err: error }, 'web API request failed');
  return sendError(reply, 500, WebErrorCode.Internal, 'Internal server error');
}
