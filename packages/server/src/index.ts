export { buildApp } from './http/app.ts';
export { startServer, openContext } from './server.ts';
export { buildConfig } from './config/config.ts';
export { createLogger } from './logger.ts';
