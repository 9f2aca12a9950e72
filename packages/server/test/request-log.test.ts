import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { RequestLogLines } from '../src/http/plugins/request-log.ts';
import { createLogger } from '../src/logger.ts';

async function linesAt(level: string): Promise<string[]> {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (line: string) => lines.push(line) });
  const app = Fastify({ loggerInstance: logger, logController: new RequestLogLines(logger) });
  app.get('/ok', async () => ({ ok: true }));
  app.get('/fails', async (request) => {
    request.log.warn('a warning from the route');
    throw new Error('boom');
  });
  await app.inject({ method: 'GET', url: '/ok' });
  await app.inject({ method: 'GET', url: '/fails' });
  await app.close();
  return lines.map((line) => String((JSON.parse(line) as { msg: string }).msg));
}

describe("Fastify's request lines", () => {
  it('are written at info, as Fastify writes them', async () => {
    const messages = await linesAt('info');
    expect(messages.filter((m) => m === 'incoming request')).toHaveLength(2);
    expect(messages.filter((m) => m === 'request completed')).toHaveLength(2);
    expect(messages).toContain('a warning from the route');
  });

  it('are skipped above info, and the route’s own lines are not', async () => {
    const messages = await linesAt('warn');
    expect(messages).not.toContain('incoming request');
    expect(messages).not.toContain('request completed');
    expect(messages).toContain('a warning from the route');
    expect(messages).toContain('boom');
  });
});
