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

/**
 * The server's log: standard error, written asynchronously. A request's two
 * lines (Fastify's "incoming request" and "request completed" at `info`) then
 * cost their formatting, not a write system call each on the event loop:
 * lines that come while a write is under way are written together with the
 * next one. What is still buffered is written synchronously when the process
 * exits (pino registers that flush), so a crash that ends in an exit loses
 * no line; only a SIGKILL can lose the last few.
 */
export function serverLogDestination(): DestinationStream {
  return pino.destination({ dest: 2, sync: false });
}
