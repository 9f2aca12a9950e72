import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/**
 * Fastify's request lines ("incoming request", "request completed") are
 * written at `info`. Fastify gathers their fields (the request's address,
 * the response time) before the logger drops them; this skips both lines
 * while `info` is off, and keeps "request errored" (an `error` line) at every
 * level. What is written, and its shape, is Fastify's own.
 */
export class RequestLogLines extends LogController {
  readonly #logger: Logger;

  constructor(logger: Logger) {
    super();
    this.#logger = logger;
  }

  override incomingRequest(request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (this.#logger.isLevelEnabled('info')) super.incomingRequest(request, reply, metadata);
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (error !== null && error !== undefined) super.requestCompleted(error, request, reply, metadata);
    else if (this.#logger.isLevelEnabled('info')) super.requestCompleted(error, request, reply, metadata);
  }
}
