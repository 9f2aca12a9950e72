import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Paths never written to a log line. Fastify's request serializer logs no
 * headers, and this list covers any log call that passes a request or headers.
 */
export const REDACTED_PATHS = [
  'req.headers["api-sign"]',
  'req.headers["api-key"]',
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  'headers["api-sign"]',
  'headers["api-key"]',
  'headers.cookie',
  'res.headers["set-cookie"]',
  '*.apiSecret',
  '*.api_secret',
  '*.password',
  'apiSecret',
  'api_secret',
  'password',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}
